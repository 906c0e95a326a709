"""The unpublish rule: only evidence of a gone article, long enough, with a reason an editor can
check by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from linkcheck.config import UnpublishConfig
from linkcheck.health.changes import Streak
from linkcheck.health.unpublish import article_gone, article_link, unpublish_decision
from linkcheck.model import FailureKind, LinkRef, Outcome, Record, Role, UrlResult

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
URL = "https://news.test/a"
ORIGINAL = LinkRef("_news/a.md", "originalUrl", Role.ORIGINAL, URL, URL)


def record(published: object = True, **fields: object) -> Record:
    return Record("_news/a.md", 0, {"published": published, "originalUrl": URL, **fields})


def result(outcome: Outcome, status: int | None = None, failure=None, issues=(), final=URL):
    return UrlResult(URL, outcome, status, final, failure=failure, issues=tuple(issues),
                     checked_at=NOW)  # fmt: skip


def decide(res: UrlResult, streak: Streak | None = None, rec: Record | None = None, **config):
    return unpublish_decision(
        rec or record(), ORIGINAL, res, streak, UnpublishConfig(**config), NOW
    )


def test_a_404_flags_after_one_run_by_default_naming_field_url_answer_and_since() -> None:
    since = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    flag, reasons, when = decide(result(Outcome.BROKEN, 404), Streak(3, since))
    assert flag and reasons == [
        f"originalUrl {URL} answered 404 Not Found on 3 runs since 2026-11-20"
    ]
    assert when == "2026-11-20T03:00:00Z"


def test_without_history_the_streak_is_this_run() -> None:
    flag, reasons, when = decide(result(Outcome.BROKEN, 410))
    assert flag and reasons == [f"originalUrl {URL} answered 410 Gone on 1 run since 2026-11-26"]
    assert when == "2026-11-26T03:00:00Z"


def test_a_capped_streak_says_it_may_be_longer() -> None:
    _, reasons, _ = decide(result(Outcome.BROKEN, 404), Streak(30, NOW, capped=True))
    assert reasons[0].endswith("answered 404 Not Found on 30+ runs since 2026-11-26")


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


def test_nxdomain_is_evidence_and_may_count_at_once() -> None:
    gone = result(Outcome.UNREACHABLE, failure=FailureKind.NXDOMAIN)
    assert decide(gone)[1] == [
        f"originalUrl {URL} has a host name that does not exist (news.test: NXDOMAIN) "
        "on 1 run since 2026-11-26"
    ]
    assert not decide(gone, Streak(1, NOW), min_runs=2)[0]
    assert decide(gone, Streak(1, NOW), min_runs=2, immediate_dns=True)[0]


def test_a_refused_connection_never_flags_on_its_first_run() -> None:
    refused = result(Outcome.UNREACHABLE, failure=FailureKind.REFUSED)
    assert decide(refused, Streak(1, NOW)) == (False, [], "2026-11-26T03:00:00Z")
    assert not decide(refused, Streak(1, NOW - timedelta(days=9)), min_days=1)[0]
    since = NOW - timedelta(days=1)
    assert decide(refused, Streak(2, since))[1] == [
        f"originalUrl {URL} refused the connection on 2 runs since 2026-11-25"
    ]
    assert not decide(refused, Streak(2, since), min_runs=3)[0]


def test_a_soft_dead_page_flags_only_after_soft_min_runs() -> None:
    soft = result(Outcome.OK, 200, issues=["soft_404"])
    assert not decide(soft, Streak(2, NOW))[0]
    flag, reasons, _ = decide(soft, Streak(3, NOW - timedelta(days=2)))
    assert flag and reasons == [
        f"originalUrl {URL} is a page that says it is missing (soft_404) on 3 runs since 2026-11-24"
    ]
    home = result(Outcome.OK, 200, issues=["redirect_to_home"], final="https://news.test/")
    assert decide(home, Streak(1, NOW), soft_min_runs=1)[1] == [
        f"originalUrl {URL} redirects to the site's front page https://news.test/ "
        "(redirect_to_home) on 1 run since 2026-11-26"
    ]


@pytest.mark.parametrize(
    "res",
    [
        result(Outcome.BROKEN, 403),
        result(Outcome.BROKEN, 401),
        result(Outcome.BROKEN, 451),
        result(Outcome.BLOCKED, 999),
        result(Outcome.TIMEOUT, failure=FailureKind.TIMEOUT),
        result(Outcome.SERVER_ERROR, 503),
        result(Outcome.RATE_LIMITED, 429),
        result(Outcome.BLOCKED, 403),
        result(Outcome.UNREACHABLE, failure=FailureKind.RESET),
        result(Outcome.UNREACHABLE, failure=FailureKind.DNS),
        result(Outcome.TLS_ERROR, failure=FailureKind.TLS),
        result(Outcome.OK, 200),
    ],
)
def test_answers_that_are_no_evidence_never_flag_whatever_the_streak(res: UrlResult) -> None:
    assert decide(res, Streak(50, NOW - timedelta(days=90)), min_days=1) == (False, [], None)


def test_dead_statuses_decide_which_statuses_flag() -> None:
    assert decide(result(Outcome.BROKEN, 403), dead_statuses=(403, 404, 410))[0]
    assert not decide(result(Outcome.BROKEN, 404), dead_statuses=(410,))[0]


def test_only_a_boolean_true_published_record_is_flagged() -> None:
    gone = result(Outcome.BROKEN, 410)
    for published in (False, None, "true"):
        assert decide(gone, rec=record(published)) == (False, [], None)


def test_the_reason_names_the_link_actually_used_and_the_archive() -> None:
    # originalUrl is not a checkable URL: webUrl is the article link, and the reason says so.
    rec = Record("_news/a.md", 0, {"published": True, "originalUrl": "javascript:void(0)",
                                   "webUrl": URL})  # fmt: skip
    invalid = LinkRef("_news/a.md", "originalUrl", Role.ORIGINAL, "javascript:void(0)", None)
    web = LinkRef("_news/a.md", "webUrl", Role.WEB, URL, URL)
    article = article_link([invalid, web])
    assert article is web
    flag, reasons, _ = unpublish_decision(
        rec, article, result(Outcome.BROKEN, 404), None, UnpublishConfig(), NOW,
        archived="https://web.archive.org/web/2020/https://news.test/a",
    )  # fmt: skip
    assert flag and reasons == [
        f"webUrl {URL} answered 404 Not Found on 1 run since 2026-11-26; "
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


def test_article_gone_names_the_code_on_the_article_link() -> None:
    finding = article_gone(ORIGINAL, result(Outcome.OK, 200, issues=["cache_stale", "soft_404"]))
    assert finding is not None and (finding.code, finding.field) == ("article_gone", "originalUrl")
    assert finding.message == f"{URL} is a page that says it is missing (soft_404)"
    assert article_gone(ORIGINAL, result(Outcome.OK, 200, issues=["cache_stale"])) is None
    assert article_gone(None, result(Outcome.OK, 200, issues=["soft_404"])) is None
