"""What changed since the previous run; streaks and flapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from linkcheck.health.changes import (
    Observation,
    compute_changes,
    failing_streak,
    is_flapping,
)
from linkcheck.model import Outcome, UrlResult

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
OK, BROKEN, TIMEOUT = Outcome.OK, Outcome.BROKEN, Outcome.TIMEOUT


def history(*outcomes: Outcome) -> list[Observation]:
    """Newest first: history(a, b) means the previous run saw a, the one before saw b."""
    return [
        Observation(run_id=10 - i, started_at=NOW - timedelta(days=i + 1), outcome=o,
                    status=404 if o is BROKEN else None)
        for i, o in enumerate(outcomes)
    ]  # fmt: skip


def now(outcome: Outcome, **kw) -> UrlResult:
    return UrlResult("https://a.test/", outcome, kw.pop("status", None), "", checked_at=NOW, **kw)


def test_changes_sort_urls_into_newly_broken_fixed_still_broken() -> None:
    current = {
        "https://new.test/": now(BROKEN),
        "https://unseen.test/": now(TIMEOUT),
        "https://fixed.test/": now(OK),
        "https://still.test/": now(Outcome.SERVER_ERROR),
        "https://fine.test/": now(OK),
        "https://blocked.test/": now(Outcome.BLOCKED),
    }
    recent = {
        "https://new.test/": history(OK, BROKEN),
        "https://fixed.test/": history(TIMEOUT),
        "https://still.test/": history(BROKEN, TIMEOUT, OK),
        "https://blocked.test/": history(BROKEN),
    }
    changes = compute_changes({"id": 9, "started_at": "x"}, current, recent, NOW)
    assert changes["previous_run"] == {"id": 9, "started_at": "x"}
    assert changes["newly_broken"] == ["https://new.test/", "https://unseen.test/"]
    assert changes["fixed"] == ["https://fixed.test/"]
    assert changes["still_broken"] == [
        {"url": "https://still.test/", "consecutive_runs": 3, "since": "2026-11-24T03:00:00Z"}
    ]
    assert changes["flapping"] == []


def test_without_a_previous_run_every_failure_is_new() -> None:
    changes = compute_changes(None, {"https://a.test/": now(BROKEN)}, {}, NOW)
    assert changes == {"previous_run": None, "newly_broken": ["https://a.test/"], "fixed": [],
                       "still_broken": [], "flapping": []}  # fmt: skip


def test_flapping_counts_switches_between_ok_and_failing_in_the_window() -> None:
    assert is_flapping(OK, history(BROKEN, OK, TIMEOUT))  # 3 switches
    assert not is_flapping(OK, history(BROKEN, OK))  # 2 switches
    assert is_flapping(OK, history(BROKEN, Outcome.BLOCKED, OK, TIMEOUT))  # blocked is skipped
    assert not is_flapping(OK, history(BROKEN, OK, TIMEOUT), window=3)
    assert is_flapping(OK, history(BROKEN, OK), min_changes=2)
    recent = {"https://a.test/": history(BROKEN, OK, TIMEOUT)}
    assert compute_changes(None, {"https://a.test/": now(OK)}, recent, NOW)["flapping"] == [
        "https://a.test/"
    ]


def test_a_failing_streak_stops_at_the_first_non_failing_run() -> None:
    streak = failing_streak(now(TIMEOUT), history(BROKEN, Outcome.BLOCKED, BROKEN), NOW)
    assert (streak.runs, streak.since) == (2, NOW - timedelta(days=1))
    assert failing_streak(now(OK), history(BROKEN), NOW).runs == 0
