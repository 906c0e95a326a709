"""A record's verdict: its failing links as findings, its health, its unpublish flag.

Pure: the record, its links, the URL results and the findings of the content
checks go in; a ``RecordHealth`` comes out. The unpublish decision is taken by
``unpublish.py`` and passed in, so this module only assembles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from linkcheck.model import Finding, Health, LinkRef, Outcome, Record, RecordHealth, UrlResult

# A link with one of these outcomes makes the record broken; the others only warn:
# they say the server had trouble, not that the page is gone.
BROKEN_OUTCOMES = frozenset({Outcome.BROKEN, Outcome.UNREACHABLE, Outcome.TLS_ERROR})
QUIET_OUTCOMES = frozenset({Outcome.OK, Outcome.EXCLUDED, Outcome.INVALID})
# Record-level codes that make a record broken by themselves: a link field that is no URL,
# an article link that answers with a page that is not the article any more.
BROKEN_CODES = frozenset({"invalid_url", "article_gone"})


def link_findings(links: Sequence[LinkRef], results: Mapping[str, UrlResult]) -> list[Finding]:
    """One ``broken_link`` per link that is not ok, naming the field; bot walls apart."""
    findings = []
    for link in links:
        result = results.get(link.url) if link.url else None
        if result is None or result.outcome in QUIET_OUTCOMES:
            continue
        code = "blocked_link" if result.outcome is Outcome.BLOCKED else "broken_link"
        findings.append(Finding(code, link.field, _why(result)))
    return findings


def _why(result: UrlResult) -> str:
    reason = result.error or (f"HTTP {result.status}" if result.status else result.outcome.value)
    if result.outcome.value not in reason:
        reason = f"{result.outcome.value}: {reason}"
    return reason


def record_health(
    outcomes: Iterable[Outcome], findings: Iterable[Finding], url_issues: Iterable[str]
) -> Health:
    """Broken when a link is dead or unusable; warning for any other finding or URL issue."""
    codes = {f.code for f in findings}
    if BROKEN_OUTCOMES.intersection(outcomes) or codes & BROKEN_CODES:
        return Health.BROKEN
    if codes or any(True for _ in url_issues):
        return Health.WARNING
    return Health.OK


def assess(
    record: Record,
    links: Sequence[LinkRef],
    results: Mapping[str, UrlResult],
    content_findings: Sequence[Finding] = (),
    unpublish_reasons: Sequence[str] = (),
) -> RecordHealth:
    """Assemble the record's verdict from its links' results and the content findings."""
    findings = link_findings(links, results) + list(content_findings)
    linked = [results[link.url] for link in links if link.url and link.url in results]
    health = record_health(
        (r.outcome for r in linked), findings, (code for r in linked for code in r.issues)
    )
    if unpublish_reasons:
        health = Health.BROKEN
    return RecordHealth(
        source=record.source,
        title=record.title,
        published=record.published,
        health=health,
        links=tuple(links),
        issues=tuple(findings),
        unpublish=bool(unpublish_reasons),
        unpublish_reasons=tuple(unpublish_reasons),
        record_key=record.key,
        line=record.line,
    )
