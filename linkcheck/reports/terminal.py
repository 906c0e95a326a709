"""The summary printed at the end of a run: counts, then where to look first.

Counts alone don't tell an editor what to fix, so the summary names the worst
offenders: the records with the most failing links, the hosts with the most failures,
the slowest hosts, and the records flagged to unpublish. Untrusted text is stripped of
control characters so a record cannot drive the terminal (colours, cursor moves).

The records pass once (worst records kept in a heap of ``top``), the URLs once (per-host
numbers; a GROUP BY of a stored report's rows): the summary's memory does not grow with
the report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from linkcheck.reports.source import Report, as_report
from linkcheck.reports.textsafe import inert
from linkcheck.reports.view import (
    OUTCOMES,
    FailingLink,
    degraded,
    degraded_text,
    fail_on,
    records_with_failing_links,
    report_host_stats,
    top_n,
)

# Colours a text for the terminal: paint(text, style).
Paint = Callable[[str, str], str]

_BREAKS = re.compile(r"[\t\n\r\x0b\x0c]")
_COLOR = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}
_WARN = {"server_error", "rate_limited", "timeout", "blocked"}


def clean(value: Any, width: int = 100) -> str:
    """One printable line, shortened to ``width`` characters (textsafe.inert)."""
    text = inert(_BREAKS.sub(" ", str(value)), keep="")
    return text if len(text) <= width else text[: width - 1] + "…"


def render_terminal_summary(
    report: Report | Mapping[str, Any], color: bool = False, top: int = 10
) -> str:
    """Counts by outcome, the worst records and hosts, and the unpublish flags."""
    report = as_report(report)

    def paint(text: str, style: str) -> str:
        return f"\x1b[{_COLOR[style]}m{text}\x1b[0m" if color else text

    failing = fail_on(report)
    s = report.get("summary", {})
    down = degraded(report)
    lines = [paint(clean(degraded_text(down), 400), "red")] if down else []
    lines += [
        paint("linkcheck", "bold") + f": {s.get('records', 0)} records, {s.get('links', 0)} links, "
        f"{s.get('unique_urls', 0)} unique URLs, {s.get('requests', 0)} requests in "
        f"{float(report.get('run', {}).get('duration_s') or 0):.1f} s"
    ]
    if report.get("complete") is False:
        lines.append(paint("incomplete run: interrupted before every URL was checked", "yellow"))
    by_outcome = s.get("by_outcome", {})
    parts = []
    for name in OUTCOMES:
        n = by_outcome.get(name, 0)
        if n:
            style = "red" if name in failing else "yellow" if name in _WARN else "green"
            parts.append(paint(f"{name} {n}", style if name != "excluded" else "dim"))
    lines.append("  " + (", ".join(parts) or "no URLs"))
    seen = _Seen(top)
    worst = top_n(
        seen.failing_per_record(records_with_failing_links(report, failing, every=False)), top
    )
    lines += _worst_records(seen, worst, paint)
    lines += _worst_hosts(report, failing, top)
    lines += _unpublish(seen, top, paint)
    lines += _republish(report, top)
    if report.get("errors"):
        lines.append(f"{len(report['errors'])} inputs could not be read:")
        lines += [
            f"  {clean(e.get('source'), 60)}: {clean(e.get('message'), 80)}"
            for e in report["errors"][:top]
        ]
    return "\n".join(lines) + "\n"


class _Seen:
    """Counts and the first flagged records, gathered while the records stream by."""

    def __init__(self, top: int) -> None:
        self.top = top
        self.links = 0
        self.records = 0
        self.flagged: list[Mapping[str, Any]] = []
        self.flagged_count = 0

    def failing_per_record(
        self, stream: Iterator[tuple[Mapping[str, Any], list[FailingLink]]]
    ) -> Iterator[tuple[int, FailingLink]]:
        """(failing links, first failing link) per record key that has some, in order.

        Records come sorted, so records sharing a key (counted together) are neighbours.
        """
        key, count, first = None, 0, None
        for record, links in stream:
            if record.get("unpublish"):
                self.flagged_count += 1
                if len(self.flagged) < self.top:
                    self.flagged.append(record)
            if not links:
                continue
            self.links += len(links)
            if links[0].record != key:
                if first is not None:
                    yield count, first
                self.records += 1
                key, count, first = links[0].record, 0, links[0]
            count += len(links)
        if first is not None:
            yield count, first


def _worst_records(seen: _Seen, worst: list[tuple[int, FailingLink]], paint: Paint) -> list[str]:
    if not seen.links:
        return ["No failing links."]
    lines = [f"{seen.links} failing links in {seen.records} records; most first:"]
    for n, fl in worst:
        lines.append(
            f"  {n:>3}  {clean(fl.record, 70)}  "
            + paint(f"{clean(fl.field, 60)}: {clean(fl.why, 50)}", "red")
        )
    return lines


def _worst_hosts(report: Report, failing: frozenset[str], top: int) -> list[str]:
    hosts = report_host_stats(report, failing)
    lines = []
    bad = [h for h in hosts if h.failures][:top]
    if bad:
        lines.append("Hosts with most failures:")
        lines += [f"  {h.failures:>4} of {h.urls:<5} {clean(h.host, 60)}" for h in bad]
    slow = sorted((h for h in hosts if h.slowest_ms), key=lambda h: -h.slowest_ms)[:top]
    if slow:
        lines.append("Slowest hosts:")
        lines += [
            f"  {h.slowest_ms:>6} ms max, {h.avg_ms:>5} ms avg  {clean(h.host, 60)}" for h in slow
        ]
    slowed = sorted((h for h in hosts if h.slowed), key=lambda h: -h.paused_s)[:top]
    if slowed:
        lines.append("Hosts that asked us to slow down (requests in flight, time paused):")
        lines += [
            f"  {h.limit_min}-{h.limit_max} at once, paused {h.paused_s:.1f} s  {clean(h.host, 60)}"
            for h in slowed
        ]
    return lines


def _republish(report: Report, top: int) -> list[str]:
    found = [r for r in report.get("republish") or () if isinstance(r, Mapping)]
    if not found:
        return []
    lines = [f"{len(found)} unpublished records whose article link answers again:"]
    lines += [
        f"  {clean(r.get('record') or r.get('source'), 70)}  {clean(r.get('url'), 60)}"
        for r in found[:top]
    ]
    if len(found) > top:
        lines.append(f"  … {len(found) - top} more")
    return lines


def _unpublish(seen: _Seen, top: int, paint: Paint) -> list[str]:
    if not seen.flagged_count:
        return []
    lines = [paint(f"{seen.flagged_count} records flagged to unpublish:", "red")]
    for r in seen.flagged:
        reasons = "; ".join(r.get("unpublish_reasons", ()))
        lines.append(f"  {clean(r.get('source'), 70)}  {clean(reasons, 60)}")
    if seen.flagged_count > top:
        lines.append(f"  … {seen.flagged_count - top} more")
    return lines
