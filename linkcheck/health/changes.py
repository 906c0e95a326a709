"""What changed since the previous run: newly broken, fixed, still broken, flapping.

Pure: takes this run's verdicts and each URL's recent observations (newest
first, as ``HistoryStore.recent_observations`` returns them) and builds the
report's additive ``changes`` object. ``Observation`` and ``Streak`` are shared
with the unpublish rule's streaks (gone.py).

Choices, written down:
- "failing" is any of broken, unreachable, tls_error, server_error, timeout,
  rate_limited. ``blocked``, ``invalid`` and ``excluded`` are neither failing
  nor ok: they say nothing about whether the page works.
- A URL's "previous" verdict is its latest earlier observation, which is the
  previous run's result whenever the URL was in the previous run.
- newly_broken: failing now, and not failing before (ok, never seen, or
  neutral). Without any previous run every failing URL is newly broken.
- fixed: ok now, failing before. A URL that left the site is not "fixed".
- still_broken: failing now and before; ``consecutive_runs`` counts this run
  and the unbroken run of failing observations before it, ``since`` is the
  start of the first run of that streak.
- flapping: at least ``min_changes`` (default 3) switches between ok and
  failing among the last ``window`` (default 10) observations, this run
  included; neutral observations are skipped, not counted as switches.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from linkcheck.model import FailureKind, Outcome, UrlResult

FAILING = frozenset(
    {
        Outcome.BROKEN,
        Outcome.UNREACHABLE,
        Outcome.TLS_ERROR,
        Outcome.SERVER_ERROR,
        Outcome.TIMEOUT,
        Outcome.RATE_LIMITED,
    }
)

FLAP_WINDOW = 10
FLAP_MIN_CHANGES = 3


@dataclass(frozen=True)
class Observation:
    """One past verdict on one URL, in one run."""

    run_id: int
    started_at: datetime
    outcome: Outcome
    status: int | None = None
    failure: FailureKind | None = None
    checked_at: datetime | None = None
    issues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Streak:
    """How many consecutive runs (this one included) a condition has held, and since when."""

    runs: int
    since: datetime | None
    capped: bool = False  # the streak fills the whole look-back window: it may be longer


def failing_streak(
    current: UrlResult,
    history: Sequence[Observation],
    now: datetime,
    window: int | None = None,
) -> Streak:
    """This run plus the unbroken failing observations right before it."""
    if current.outcome not in FAILING:
        return Streak(0, None)
    runs, since = 1, current.checked_at or now
    for seen in history:
        if seen.outcome not in FAILING:
            return Streak(runs, since)
        runs, since = runs + 1, seen.started_at
    return Streak(runs, since, capped=window is not None and len(history) >= window)


def is_flapping(
    current: Outcome,
    history: Sequence[Observation],
    window: int = FLAP_WINDOW,
    min_changes: int = FLAP_MIN_CHANGES,
) -> bool:
    """Switched between ok and failing ``min_changes`` times or more in the last ``window`` runs."""
    outcomes = [current, *(seen.outcome for seen in history[: max(window - 1, 0)])]
    states = [o is Outcome.OK for o in outcomes if o is Outcome.OK or o in FAILING]
    switches = sum(1 for a, b in itertools.pairwise(states) if a != b)
    return switches >= min_changes


def compute_changes(
    previous_run: Mapping[str, Any] | None,
    current: Mapping[str, UrlResult],
    recent: Mapping[str, Sequence[Observation]],
    now: datetime,
    window: int = FLAP_WINDOW,
    min_changes: int = FLAP_MIN_CHANGES,
    streak_window: int | None = None,
) -> dict[str, Any]:
    """The report's ``changes`` object.

    ``previous_run`` is ``{"id", "started_at"}`` of the latest complete run or
    None; ``recent`` maps a URL to its earlier observations, newest first (a
    URL missing from it was ok or unseen before).
    """
    newly_broken, fixed, still_broken, flapping = [], [], [], []
    for url in sorted(current):
        result = current[url]
        history = recent.get(url, ())
        before = history[0].outcome if history else None
        now_failing = result.outcome in FAILING
        if now_failing and before in FAILING:
            streak = failing_streak(result, history, now, streak_window)
            still_broken.append(
                {"url": url, "consecutive_runs": streak.runs, "since": iso_utc(streak.since)}
            )
        elif now_failing:
            newly_broken.append(url)
        elif result.outcome is Outcome.OK and before in FAILING:
            fixed.append(url)
        if history and is_flapping(result.outcome, history, window, min_changes):
            flapping.append(url)
    return {
        "previous_run": dict(previous_run) if previous_run else None,
        "newly_broken": newly_broken,
        "fixed": fixed,
        "still_broken": still_broken,
        "flapping": flapping,
    }


def iso_utc(moment: datetime | None) -> str | None:
    """Fixed-width UTC text (2026-11-20T03:00:00Z), so stored times compare as strings."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
