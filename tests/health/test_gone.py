"""What counts as evidence that an article is gone, and how streaks of it are counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from linkcheck.health.changes import Observation
from linkcheck.health.gone import Evidence, GoneRule, gone_streak
from linkcheck.model import FailureKind, Outcome, UrlResult

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
RULE = GoneRule()
OK, BROKEN = Outcome.OK, Outcome.BROKEN


def seen(days_ago: int, outcome: Outcome, status=None, failure=None, issues=()) -> Observation:
    return Observation(100 - days_ago, NOW - timedelta(days=days_ago), outcome, status, failure,
                       issues=tuple(issues))  # fmt: skip


def now(outcome: Outcome, status=None, failure=None, issues=()) -> UrlResult:
    return UrlResult("https://a.test/", outcome, status, "https://a.test/", failure=failure,
                     issues=tuple(issues), checked_at=NOW)  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "evidence"),
    [
        (now(BROKEN, 404), Evidence.STATUS),
        (now(BROKEN, 410), Evidence.STATUS),
        (now(Outcome.UNREACHABLE, failure=FailureKind.NXDOMAIN), Evidence.NXDOMAIN),
        (now(Outcome.UNREACHABLE, failure=FailureKind.REFUSED), Evidence.REFUSED),
        (now(OK, 200, issues=["cache_stale", "soft_404"]), Evidence.SOFT),
        (now(OK, 200, issues=["redirect_to_home"]), Evidence.SOFT),
        # No evidence either way: the page may well be there.
        (now(BROKEN, 401), None),
        (now(BROKEN, 403), None),
        (now(BROKEN, 451), None),
        (now(BROKEN, 400), None),
        (now(Outcome.BLOCKED, 999), None),
        (now(Outcome.BLOCKED, 403), None),
        (now(Outcome.SERVER_ERROR, 503), None),
        (now(Outcome.RATE_LIMITED, 429), None),
        (now(Outcome.TIMEOUT, failure=FailureKind.TIMEOUT), None),
        (now(Outcome.TIMEOUT, failure=FailureKind.CONNECT_TIMEOUT), None),
        (now(Outcome.UNREACHABLE, failure=FailureKind.RESET), None),
        (now(Outcome.UNREACHABLE, failure=FailureKind.DNS), None),
        (now(Outcome.UNREACHABLE, failure=FailureKind.NETWORK), None),
        (now(Outcome.TLS_ERROR, failure=FailureKind.TLS), None),
        (now(BROKEN, None), None),  # a missing site file: the build may lag
        (now(OK, 200, issues=["cache_stale"]), None),
    ],
)
def test_only_answers_that_say_gone_are_evidence(answer: UrlResult, evidence) -> None:
    assert RULE.of_result(answer) is evidence


def test_dead_statuses_are_configurable() -> None:
    assert GoneRule(frozenset({404, 410, 403})).of_result(now(BROKEN, 403)) is Evidence.STATUS
    assert GoneRule(frozenset({410})).of_result(now(BROKEN, 404)) is None


def test_a_streak_skips_answers_that_are_no_evidence_and_ends_at_a_clean_ok() -> None:
    history = [
        seen(1, Outcome.TIMEOUT, failure=FailureKind.TIMEOUT),
        seen(2, BROKEN, 404),
        seen(3, BROKEN, 403),  # neither counts nor breaks
        seen(4, Outcome.UNREACHABLE, failure=FailureKind.REFUSED),
        seen(5, OK, 200, issues=["soft_404"]),  # gone too, softly
        seen(6, OK, 200),
        seen(7, BROKEN, 404),
    ]
    streak = gone_streak(now(BROKEN, 410), history, RULE, NOW)
    assert (streak.runs, streak.since, streak.capped) == (4, NOW - timedelta(days=5), False)
    assert gone_streak(now(BROKEN, 403), history, RULE, NOW).runs == 0
    assert gone_streak(now(BROKEN, 404), [], RULE, NOW).runs == 1


def test_a_streak_that_fills_the_window_is_capped() -> None:
    history = [seen(1, BROKEN, 404), seen(2, BROKEN, 404)]
    assert gone_streak(now(BROKEN, 404), history, RULE, NOW, window=2).capped
    assert not gone_streak(now(BROKEN, 404), history, RULE, NOW, window=3).capped
