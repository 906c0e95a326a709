"""The unpublish rule: definitive death, long enough, never on transient failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from linkcheck.changes import Streak
from linkcheck.config import UnpublishConfig
from linkcheck.model import FailureKind, LinkRef, Outcome, Record, Role, UrlResult
from linkcheck.unpublish import article_link, unpublish_decision

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
URL = "https://news.test/a"


def record(published: object = True, **fields: object) -> Record:
    return Record("_news/a.md", 0, {"published": published, "originalUrl": URL, **fields})


def result(outcome: Outcome, status: int | None = None, failure=None) -> UrlResult:
    return UrlResult(URL, outcome, status, URL, failure=failure, checked_at=NOW)


def decide(res: UrlResult, streak: Streak | None = None, rec: Record | None = None, **config):
    return unpublish_decision(rec or record(), URL, res, streak, UnpublishConfig(**config), NOW)


def test_a_404_flags_after_one_run_by_default_with_a_reason_that_says_since_when() -> None:
    since = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    flag, reasons, when = decide(result(Outcome.BROKEN, 404), Streak(3, since))
    assert flag and reasons == ["originalUrl: HTTP 404 Not Found since 2026-11-20 (3 runs)"]
    assert when == "2026-11-20T03:00:00Z"


def test_without_history_the_streak_is_this_run() -> None:
    flag, reasons, when = decide(result(Outcome.BROKEN, 410))
    assert flag and reasons == ["originalUrl: HTTP 410 Gone since 2026-11-26 (1 run)"]
    assert when == "2026-11-26T03:00:00Z"


def test_min_runs_waits_unless_410_counts_at_once() -> None:
    assert decide(result(Outcome.BROKEN, 404), Streak(2, NOW), min_runs=3)[:2] == (False, [])
    assert decide(result(Outcome.BROKEN, 404), Streak(3, NOW), min_runs=3)[0]
    assert decide(result(Outcome.BROKEN, 410), Streak(1, NOW), min_runs=3)[0]
    assert not decide(result(Outcome.BROKEN, 410), None, min_runs=3, immediate_gone=False)[0]


def test_min_days_flags_a_streak_old_enough_even_with_few_runs() -> None:
    old = Streak(2, NOW - timedelta(days=8))
    assert decide(result(Outcome.BROKEN, 404), old, min_runs=5, min_days=7)[0]
    young = Streak(2, NOW - timedelta(days=6))
    assert not decide(result(Outcome.BROKEN, 404), young, min_runs=5, min_days=7)[0]


def test_dns_and_refused_are_definitive_and_dns_may_count_at_once() -> None:
    dns = result(Outcome.UNREACHABLE, failure=FailureKind.NXDOMAIN)
    refused = result(Outcome.UNREACHABLE, failure=FailureKind.REFUSED)
    assert decide(dns)[1] == ["originalUrl: name does not resolve since 2026-11-26 (1 run)"]
    assert decide(refused)[1] == ["originalUrl: connection refused since 2026-11-26 (1 run)"]
    assert not decide(dns, Streak(1, NOW), min_runs=2)[0]
    assert decide(dns, Streak(1, NOW), min_runs=2, immediate_dns=True)[0]


@pytest.mark.parametrize(
    "res",
    [
        result(Outcome.TIMEOUT, failure=FailureKind.TIMEOUT),
        result(Outcome.SERVER_ERROR, 503),
        result(Outcome.RATE_LIMITED, 429),
        result(Outcome.BLOCKED, 403),
        result(Outcome.UNREACHABLE, failure=FailureKind.RESET),
        result(Outcome.TLS_ERROR, failure=FailureKind.TLS),
        result(Outcome.OK, 200),
    ],
)
def test_transient_failures_never_flag_whatever_the_streak(res: UrlResult) -> None:
    assert decide(res, Streak(50, NOW - timedelta(days=90)), min_days=1) == (False, [], None)


def test_only_a_boolean_true_published_record_is_flagged() -> None:
    gone = result(Outcome.BROKEN, 410)
    for published in (False, None, "true"):
        assert decide(gone, rec=record(published)) == (False, [], None)


def test_webUrl_is_named_when_there_is_no_originalUrl_and_archive_is_suggested() -> None:
    rec = Record("_news/a.md", 0, {"published": True, "webUrl": URL})
    flag, reasons, _ = unpublish_decision(
        rec, URL, result(Outcome.BROKEN, 404), None, UnpublishConfig(), NOW,
        archived="https://web.archive.org/web/2020/https://news.test/a",
    )  # fmt: skip
    assert flag and reasons == [
        "webUrl: HTTP 404 Not Found since 2026-11-26 (1 run); "
        "archived copy: https://web.archive.org/web/2020/https://news.test/a"
    ]


def test_article_link_prefers_originalUrl_then_webUrl() -> None:
    web = LinkRef("r", "webUrl", Role.WEB, URL, URL)
    original = LinkRef("r", "originalUrl", Role.ORIGINAL, "x", "https://o.test/")
    related = LinkRef("r", "related[0].originalUrl", Role.ORIGINAL, "y", "https://r.test/")
    invalid = LinkRef("r", "originalUrl", Role.ORIGINAL, "javascript:x", None)
    assert article_link([related, web, original]) is original
    assert article_link([invalid, web]) is web
    assert article_link([related]) is None
