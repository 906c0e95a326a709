"""The Markdown report: a short summary for a pull request or $GITHUB_STEP_SUMMARY.

It reads top down by what an editor acts on first: the counts, the records flagged to
unpublish (each with its dead link), the hosts with failures (a site that is down, or
blocks the checker, shows at once), then the failing links worst first (links of flagged
records, then by outcome and by the link's role: an article link before an image), then
what changed since the previous run. ``output.report_url`` adds a link to the full HTML
report.

Record content is untrusted and GitHub renders Markdown with some HTML, so every value
goes through ``md_text``: line breaks flattened, and only what would turn into markup
escaped (``*``, a ``_`` that could start emphasis, a backquote, ``[``, ``~``, ``<`` and
an entity's ``&``); text stays readable in the raw file. Only http(s) URLs become links.

The output is short (rows capped by ``max_rows``), but the report may not be: records
stream by once and only the rows shown (in a heap) and the counts are kept.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from linkcheck.reports.source import Report, as_report
from linkcheck.reports.textsafe import inert
from linkcheck.reports.view import (
    HEALTHS,
    OUTCOMES,
    ROLES,
    FailingLink,
    degraded,
    degraded_text,
    fail_on,
    records_with_failing_links,
    report_host_stats,
    safe_href,
)

# Hosts listed in the hosts section.
HOST_ROWS = 10
# What Markdown (and the HTML GitHub allows) would read as markup in running text.
_MARKUP = re.compile(
    r"[\\`*\[~]"  # escapes, code, emphasis, links and images, strikethrough
    r"|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])"  # an underscore that can open or close emphasis
)
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
# A failing outcome's place in the failing links, worst first; others after them.
_SEVERITY = {"broken": 0, "unreachable": 1, "tls_error": 2, "invalid": 3}


def md_text(value: Any) -> str:
    """Plain text that Markdown (and the HTML GitHub allows in it) shows as written."""
    text = " ".join(str(value).split())
    text = _MARKUP.sub(lambda m: "\\" + m[0], text)
    return _ENTITY.sub("&amp;", text).replace("<", "&lt;")


def md_url(url: str | None) -> str:
    """A link for http(s) URLs (angle-bracket form, so parentheses are safe), else code text."""
    href = safe_href(url)
    if href and not re.search(r"[\s<>]", href):
        return f"<{href}>"
    return md_code(url or "")


def md_code(value: Any) -> str:
    text = " ".join(str(value).split()).replace("`", "'")
    return f"`{text}`" if text else "` `"


def report_url(report: Report) -> str | None:
    """``output.report_url`` of the run's configuration, when it is an http(s) URL."""
    run = report.get("run")
    config = run.get("config") if isinstance(run, Mapping) else None
    output = config.get("output") if isinstance(config, Mapping) else None
    url = output.get("report_url") if isinstance(output, Mapping) else None
    return safe_href(url)


def render_markdown(report: Report | Mapping[str, Any], max_rows: int = 50) -> str:
    """The report as Markdown: counts, flagged records, hosts, failing links, changes."""
    report = as_report(report)
    failing = fail_on(report)
    seen = _Seen(max_rows)
    for record, links in records_with_failing_links(report, every=False):
        seen.add(record, links)
    down = degraded(report)
    parts = [
        f"> **{md_text(degraded_text(down))}**" if down else "",
        _header(report),
        _counts(report),
        _unpublish(seen, max_rows),
        _hosts(report, failing),
        _failing(seen, max_rows),
        _changes(report.get("changes")),
        _republish(report, max_rows),
        _errors(report, max_rows),
    ]
    # Record text is untrusted: no control character (an ESC sequence in a terminal that
    # shows the step summary, U+2028 in a table row) stays active (textsafe.inert).
    return inert("\n\n".join(p for p in parts if p) + "\n")


def severity(fl: FailingLink, flagged: bool) -> tuple[int, int, int]:
    """Smaller is worse: a flagged record's link, then by outcome, then by role."""
    role = ROLES.index(fl.role) if fl.role in ROLES else len(ROLES)
    return (0 if flagged else 1, _SEVERITY.get(fl.outcome, len(_SEVERITY)), role)


@dataclass
class _Seen:
    """What one pass over the records keeps: the flagged records and the worst links shown,
    and counts of all."""

    max_rows: int
    flagged: list[Mapping[str, Any]] = field(default_factory=list)
    flagged_count: int = 0
    # (-severity, -order, link): a max-heap of the worst rows by way of negated keys.
    worst: list[tuple[tuple[int, ...], int, FailingLink]] = field(default_factory=list)
    link_count: int = 0
    records: set[str] = field(default_factory=set)  # only of the rows beyond the cap
    order: int = 0

    def add(self, record: Mapping[str, Any], links: list[FailingLink]) -> None:
        flagged = bool(record.get("unpublish"))
        if flagged:
            self.flagged_count += 1
            if len(self.flagged) < self.max_rows:
                self.flagged.append(record)
        for fl in links:
            key = tuple(-k for k in severity(fl, flagged))
            entry = (key, -self.order, fl)
            self.order += 1
            if len(self.worst) < self.max_rows:
                heapq.heappush(self.worst, entry)
            elif self.max_rows and entry[:2] > self.worst[0][:2]:
                heapq.heapreplace(self.worst, entry)
        self.link_count += len(links)

    def rows(self) -> list[FailingLink]:
        """The rows shown, worst first (ties in report order)."""
        return [fl for _, _, fl in sorted(self.worst, key=lambda e: e[:2], reverse=True)]


def _header(report: Report) -> str:
    run = report.get("run", {})
    s = report.get("summary", {})
    line = (
        f"## Link report\n\n{s.get('records', 0)} records, {s.get('links', 0)} links, "
        f"{s.get('unique_urls', 0)} unique URLs, {s.get('requests', 0)} requests; "
        f"run started {md_text(run.get('started_at', '?'))}, took "
        f"{float(run.get('duration_s') or 0):.1f} s."
    )
    full = report_url(report)
    if full:
        line += f" Full report: <{full}>"
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
        reasons = "; ".join(_reason(x) for x in r.get("unpublish_reasons", ()))
        title = f" {md_text(r['title'])}" if r.get("title") else ""
        line = f"- {md_code(_where(r, _article_field(r)))}{title}: {reasons}"
        if r.get("archive_url"):
            line += f" (archived copy: {md_url(r['archive_url'])})"
        lines.append(line)
    if seen.flagged_count > max_rows:
        lines.append(f"- … {seen.flagged_count - max_rows} more")
    return "\n".join(lines)


def _reason(text: str) -> str:
    """An unpublish reason (``originalUrl https://... answered 410 Gone ...``) with its dead
    URL as a link."""
    field, _, rest = str(text).partition(" ")
    url, _, why = rest.partition(" ")
    if field and safe_href(url):
        return f"{md_code(field)} {md_url(url)} {md_text(why)}".rstrip()
    return md_text(text)


def _article_field(record: Mapping[str, Any]) -> str | None:
    reasons = record.get("unpublish_reasons") or [""]
    return str(reasons[0]).partition(" ")[0] or None


def _where(record: Mapping[str, Any], field: str | None) -> str:
    """``source:line`` of the record's ``field`` (its link's line), else of the record."""
    line = record.get("line")
    for link in record.get("links") or ():
        if link.get("field") == field and isinstance(link.get("line"), int):
            line = link["line"]
            break
    source = str(record.get("source", ""))
    return f"{source}:{line}" if isinstance(line, int) else source


def _hosts(report: Report, failing: frozenset[str]) -> str:
    """The hosts with failing, rate-limited or blocked URLs, most failures first."""
    hosts = [
        h for h in report_host_stats(report, failing) if h.failures or h.rate_limited or h.blocked
    ]
    if not hosts:
        return ""
    lines = [
        f"### Hosts with failures ({len(hosts)})",
        "",
        "| Host | Failing | URLs | Rate limited | Blocked |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for h in hosts[:HOST_ROWS]:
        lines.append(
            f"| {_cell(md_code(h.host))} | {h.failures} | {h.urls} | {h.rate_limited} | "
            f"{h.blocked} |"
        )
    if len(hosts) > HOST_ROWS:
        lines.append(f"\n… {len(hosts) - HOST_ROWS} more hosts.")
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
        f"### Failing links ({seen.link_count}), worst first",
        "",
        "| Outcome | Record | Field | URL | Why |",
        "| --- | --- | --- | --- | --- |",
    ]
    for fl in seen.rows():
        where = f"{fl.source}:{fl.line}" if fl.line else fl.source
        lines.append(
            f"| {fl.outcome} | {_cell(md_code(where))} | {_cell(md_code(fl.field))} | "
            f"{_cell(md_url(fl.url))} | {_cell(md_text(fl.why))} |"
        )
    if seen.link_count > max_rows:
        lines.append(f"\n… {seen.link_count - max_rows} more failing links: see the full report.")
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
