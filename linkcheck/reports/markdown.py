"""The Markdown report: a short summary for a pull request or $GITHUB_STEP_SUMMARY.

Record content is untrusted and GitHub renders Markdown with some HTML, so every
value goes through ``md_text`` (markup characters escaped, line breaks flattened) and
only http(s) URLs become links.

The output is short (rows capped by ``max_rows``), but the report may not be: records
stream by once and only the rows shown and the counts are kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from linkcheck.reports.source import Report, as_report
from linkcheck.reports.textsafe import inert
from linkcheck.reports.view import (
    HEALTHS,
    OUTCOMES,
    FailingLink,
    degraded,
    degraded_text,
    fail_on,
    records_with_failing_links,
    safe_href,
)

_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&\"'])")


def md_text(value: Any) -> str:
    """Plain text that Markdown (and the HTML GitHub allows in it) shows as written."""
    text = " ".join(str(value).split())
    return _SPECIAL.sub(r"\\\1", text)


def md_url(url: str | None) -> str:
    """A link for http(s) URLs (angle-bracket form, so parentheses are safe), else code text."""
    href = safe_href(url)
    if href and not re.search(r"[\s<>]", href):
        return f"<{href}>"
    return md_code(url or "")


def md_code(value: Any) -> str:
    text = " ".join(str(value).split()).replace("`", "'")
    return f"`{text}`" if text else "` `"


def render_markdown(report: Report | Mapping[str, Any], max_rows: int = 50) -> str:
    """The report as Markdown: counts, changes, unpublish flags, failing links by record."""
    report = as_report(report)
    seen = _Seen(max_rows)
    for record, links in records_with_failing_links(report, every=False):
        seen.add(record, links)
    down = degraded(report)
    parts = [
        f"> **{md_text(degraded_text(down))}**" if down else "",
        _header(report),
        _counts(report),
        _changes(report.get("changes")),
        _unpublish(seen, max_rows),
        _republish(report, max_rows),
        _failing(seen, max_rows),
        _errors(report, max_rows),
    ]
    # Record text is untrusted: no control character (an ESC sequence in a terminal that
    # shows the step summary, U+2028 in a table row) stays active (textsafe.inert).
    return inert("\n\n".join(p for p in parts if p) + "\n")


class _Seen:
    """What one pass over the records keeps: the first rows of each list, and counts."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self.flagged: list[Mapping[str, Any]] = []
        self.flagged_count = 0
        self.links: list[FailingLink] = []
        self.link_count = 0
        self.records_after = 0  # records with failing links beyond the first max_rows links

    def add(self, record: Mapping[str, Any], links: list[FailingLink]) -> None:
        if record.get("unpublish"):
            self.flagged_count += 1
            if len(self.flagged) < self.max_rows:
                self.flagged.append(record)
        room = self.max_rows - len(self.links)
        self.links += links[: max(room, 0)]
        if links and len(links) > room:
            # One record's failing links are consecutive: counting records that have
            # some beyond the cap is counting distinct records among those links.
            self.records_after += 1
        self.link_count += len(links)


def _header(report: Report) -> str:
    run = report.get("run", {})
    s = report.get("summary", {})
    line = (
        f"## Link report\n\n{s.get('records', 0)} records, {s.get('links', 0)} links, "
        f"{s.get('unique_urls', 0)} unique URLs, {s.get('requests', 0)} requests; "
        f"run started {md_text(run.get('started_at', '?'))}, took "
        f"{float(run.get('duration_s') or 0):.1f} s."
    )
    if report.get("complete") is False:
        line += "\n\n> **Incomplete run:** the check was interrupted."
    return line


def _counts(report: Report) -> str:
    s = report.get("summary", {})
    by_outcome = s.get("by_outcome", {})
    failing = fail_on(report)
    rows = [
        f"| {o.replace('_', ' ')}{' (fails the run)' if o in failing else ''} | "
        f"{by_outcome.get(o, 0)} |"
        for o in OUTCOMES
        if by_outcome.get(o, 0)
    ]
    text = "| Outcome | URLs |\n| --- | ---: |\n" + "\n".join(rows) if rows else "No URLs."
    by_health = s.get("by_health")
    if by_health:
        text += "\n\nRecords: " + ", ".join(f"{h} {by_health.get(h, 0)}" for h in HEALTHS) + ";"
    else:
        text += "\n\n"
    return text + f" flagged to unpublish: **{s.get('unpublish', 0)}**."


def _changes(changes: Mapping[str, Any] | None) -> str:
    if not changes:
        return ""
    prev = changes.get("previous_run") or {}
    since = (
        f" (run {prev.get('id')}, {md_text(prev.get('started_at', ''))})"
        if prev
        else " (first run in the history: every failure is new)"
    )
    lines = [
        f"### Since the previous run{since}",
        "",
        f"- newly broken: {len(changes.get('newly_broken', ()))}",
        f"- fixed: {len(changes.get('fixed', ()))}",
        f"- still broken: {len(changes.get('still_broken', ()))}",
        f"- flapping: {len(changes.get('flapping', ()))}",
    ]
    newly = list(changes.get("newly_broken", ()))
    if newly:
        lines += ["", "Newly broken:", ""] + [f"- {md_url(u)}" for u in newly[:10]]
        if len(newly) > 10:
            lines.append(f"- … {len(newly) - 10} more")
    return "\n".join(lines)


def _unpublish(seen: _Seen, max_rows: int) -> str:
    if not seen.flagged_count:
        return ""
    lines = [f"### Flagged to unpublish ({seen.flagged_count})", ""]
    for r in seen.flagged:
        reasons = "; ".join(md_text(x) for x in r.get("unpublish_reasons", ()))
        line = f"- {md_code(r.get('source', ''))} {md_text(r.get('title') or '')} — {reasons}"
        if r.get("archive_url"):
            line += f" (archived copy: {md_url(r['archive_url'])})"
        lines.append(line)
    if seen.flagged_count > max_rows:
        lines.append(f"- … {seen.flagged_count - max_rows} more")
    return "\n".join(lines)


def _republish(report: Report, max_rows: int) -> str:
    found = [r for r in report.get("republish") or () if isinstance(r, Mapping)]
    if not found:
        return ""
    lines = [
        f"### Candidates to publish again ({len(found)})",
        "",
        "`published: false`, and the article link answers again after answering gone:",
        "",
    ]
    for r in found[:max_rows]:
        where = md_code(r.get("record") or r.get("source") or "")
        lines.append(f"- {where} {md_code(r.get('field') or '')} {md_url(r.get('url'))}")
    if len(found) > max_rows:
        lines.append(f"- … {len(found) - max_rows} more")
    return "\n".join(lines)


def _failing(seen: _Seen, max_rows: int) -> str:
    if not seen.link_count:
        return "### Failing links\n\nNone."
    lines = [
        f"### Failing links ({seen.link_count})",
        "",
        "| Record | Field | Role | URL | Outcome | Why |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    previous = None
    for fl in seen.links:
        where = f"{fl.source}:{fl.line}" if fl.line else fl.source
        first = _cell(md_code(where)) if fl.record != previous else "″"
        previous = fl.record
        lines.append(
            f"| {first} | {_cell(md_code(fl.field))} | {fl.role} | {_cell(md_url(fl.url))} | "
            f"{fl.outcome} | {_cell(md_text(fl.why))} |"
        )
    if seen.link_count > max_rows:
        lines.append(
            f"\n… {seen.link_count - max_rows} more failing links in {seen.records_after} records."
        )
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _errors(report: Report, max_rows: int) -> str:
    errors = list(report.get("errors", ()))
    if not errors:
        return ""
    lines = [f"### Unreadable inputs ({len(errors)})", ""]
    for e in errors[:max_rows]:
        where = f"{e.get('source')}:{e.get('line')}" if e.get("line") else e.get("source")
        lines.append(f"- {md_code(where)} {md_text(e.get('message', ''))}")
    if len(errors) > max_rows:
        lines.append(f"- … {len(errors) - max_rows} more")
    return "\n".join(lines)
