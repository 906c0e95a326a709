"""A record's health: which link outcomes break it, which only warn, and bot walls apart."""

from __future__ import annotations

import pytest

from linkcheck.health.record import assess
from linkcheck.model import Finding, Health, LinkRef, Outcome, Record, Role, UrlResult

URL = "https://example.test/a"


def verdict(
    outcome: Outcome, issues: tuple[str, ...] = (), status: int | None = None, **extra: object
) -> UrlResult:
    return UrlResult(url=URL, outcome=outcome, status=status, final_url=URL, issues=issues, **extra)


def judge(result: UrlResult | None, findings: tuple[Finding, ...] = (), reasons=()):  # type: ignore[no-untyped-def]
    record = Record("_news/a.md", 0, {"title": "A", "published": True}, line=1)
    link = LinkRef(record.key, "originalUrl", Role.ORIGINAL, URL, URL, line=3)
    results = {URL: result} if result else {}
    return assess(record, [link], results, findings, reasons)


@pytest.mark.parametrize(
    ("outcome", "health", "codes"),
    [
        (Outcome.OK, Health.OK, []),
        (Outcome.EXCLUDED, Health.OK, []),
        (Outcome.BROKEN, Health.BROKEN, ["broken_link"]),
        (Outcome.UNREACHABLE, Health.BROKEN, ["broken_link"]),
        (Outcome.TLS_ERROR, Health.BROKEN, ["broken_link"]),
        (Outcome.SERVER_ERROR, Health.WARNING, ["broken_link"]),
        (Outcome.TIMEOUT, Health.WARNING, ["broken_link"]),
        (Outcome.RATE_LIMITED, Health.WARNING, ["broken_link"]),
        (Outcome.BLOCKED, Health.WARNING, ["blocked_link"]),
    ],
)
def test_link_outcomes_decide_health(outcome: Outcome, health: Health, codes: list[str]) -> None:
    judged = judge(verdict(outcome, error="HTTP 404" if outcome is Outcome.BROKEN else None))
    assert judged.health is health
    assert [f.code for f in judged.issues] == codes
    assert all(f.field == "originalUrl" for f in judged.issues)


def test_a_broken_link_says_why() -> None:
    judged = judge(verdict(Outcome.BROKEN, status=404, error="HTTP 404"))
    assert judged.issues[0].message == "broken: HTTP 404"


def test_url_issues_and_content_findings_only_warn() -> None:
    assert judge(verdict(Outcome.OK, ("soft_404",))).health is Health.WARNING
    mojibake = (Finding("mojibake", "title", "broken encoding"),)
    assert judge(verdict(Outcome.OK), mojibake).health is Health.WARNING


def test_an_invalid_url_field_breaks_the_record() -> None:
    invalid = (Finding("invalid_url", "webUrl", "unsafe scheme javascript:"),)
    assert judge(None, invalid).health is Health.BROKEN


def test_an_unpublish_flag_breaks_the_record_and_keeps_its_reasons() -> None:
    judged = judge(verdict(Outcome.BROKEN, status=410), reasons=["originalUrl: HTTP 410 Gone"])
    assert judged.unpublish and judged.health is Health.BROKEN
    assert judged.unpublish_reasons == ("originalUrl: HTTP 410 Gone",)
    assert (judged.record_key, judged.line, judged.title) == ("_news/a.md", 1, "A")
