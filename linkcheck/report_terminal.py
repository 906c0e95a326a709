"""The summary printed at the end of a run: counts, then where to look first.

Counts alone don't tell an editor what to fix, so the summary names the worst
offenders: the records with the most failing links, the hosts with the most failures,
the slowest hosts, and the records flagged to unpublish. Untrusted text is stripped of
control characters so a record cannot drive the terminal (colours, cursor moves).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from linkcheck.report_view import OUTCOMES, all_failing_links, fail_on, host_stats

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_COLOR = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}
_WARN = {"server_error", "rate_limited", "timeout", "blocked"}


def clean(value: Any, width: int = 100) -> str:
    """One printable line, shortened to ``width`` characters."""
    text = _CONTROL.sub(" ", str(value))
    return text if len(text) <= width else text[: width - 1] + "…"


def render_terminal_summary(report: Mapping[str, Any], color: bool = False, top: int = 10) -> str:
    """Counts by outcome, the worst records and hosts, and the unpublish flags."""

    def paint(text: str, style: str) -> str:
        return f"\x1b[{_COLOR[style]}m{text}\x1b[0m" if color else text

    failing = fail_on(report)
    s = report.get("summary", {})
    lines = [
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
    lines += _worst_records(report, top, paint)
    lines += _worst_hosts(report, failing, top)
    lines += _unpublish(report, top, paint)
    if report.get("errors"):
        lines.append(f"{len(report['errors'])} inputs could not be read:")
        lines += [
            f"  {clean(e.get('source'), 60)}: {clean(e.get('message'), 80)}"
            for e in report["errors"][:top]
        ]
    return "\n".join(lines) + "\n"


def _worst_records(report: Mapping[str, Any], top: int, paint) -> list[str]:
    links = all_failing_links(report)
    if not links:
        return ["No failing links."]
    per_record = Counter(fl.record for fl in links)
    first = {}
    for fl in links:
        first.setdefault(fl.record, fl)
    lines = [f"{len(links)} failing links in {len(per_record)} records; most first:"]
    for key, n in per_record.most_common(top):
        fl = first[key]
        lines.append(
            f"  {n:>3}  {clean(key, 70)}  " + paint(f"{fl.field}: {clean(fl.why, 50)}", "red")
        )
    return lines


def _worst_hosts(report: Mapping[str, Any], failing, top: int) -> list[str]:
    hosts = host_stats(report.get("urls", ()), failing)
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
    return lines


def _unpublish(report: Mapping[str, Any], top: int, paint) -> list[str]:
    flagged = [r for r in report.get("records", ()) if r.get("unpublish")]
    if not flagged:
        return []
    lines = [paint(f"{len(flagged)} records flagged to unpublish:", "red")]
    for r in flagged[:top]:
        reasons = "; ".join(r.get("unpublish_reasons", ()))
        lines.append(f"  {clean(r.get('source'), 70)}  {clean(reasons, 60)}")
    if len(flagged) > top:
        lines.append(f"  … {len(flagged) - top} more")
    return lines
