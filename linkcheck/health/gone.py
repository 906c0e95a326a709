"""What counts as evidence that an article is gone, and for how many runs it has been so.

Pure. Unpublishing takes an article off a site, so only answers that say *this is gone*
count, each with its own weight (the unpublish rule in unpublish.py decides when enough
is enough):

- ``status``: the article link answered a status in ``unpublish.dead_statuses`` (404
  and 410 by default);
- ``nxdomain``: the resolver answered that the link's host name does not exist;
- ``refused``: the server refused the connection. A server that is down for the night
  refuses too, so this counts only through the streak rule, never on its first run;
- ``soft``: a 2xx page that is really gone (``soft_404``, ``redirect_to_home``,
  ``parked_domain``). A heuristic, so it counts only after ``unpublish.soft_min_runs``.

Everything else — 401, 403, 451, other 4xx, bot walls, 5xx, 429, timeouts, resets, TLS
errors, a resolver that could not answer — is *no evidence either way*: it neither
counts nor ends a streak. Only a clean ``ok`` (no soft code) ends one. So one flaky
night neither takes an article down nor restarts a clock that was already running.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from linkcheck.config import UnpublishConfig
from linkcheck.health.changes import Observation, Streak
from linkcheck.model import FailureKind, Outcome, UrlResult

# URL issue codes that say a 2xx article page is not the article any more, in the order
# a record names them.
SOFT_CODES = ("soft_404", "redirect_to_home", "parked_domain")


class Evidence(StrEnum):
    """Why an answer says the article is gone."""

    STATUS = "status"
    NXDOMAIN = "nxdomain"
    REFUSED = "refused"
    SOFT = "soft"


@dataclass(frozen=True)
class GoneRule:
    """Which answers are evidence: the statuses from ``unpublish.dead_statuses``."""

    dead_statuses: frozenset[int] = frozenset({404, 410})

    @classmethod
    def of(cls, config: UnpublishConfig) -> GoneRule:
        return cls(frozenset(config.dead_statuses))

    def evidence(
        self,
        outcome: Outcome,
        status: int | None,
        failure: FailureKind | None,
        issues: Iterable[str] = (),
    ) -> Evidence | None:
        """The evidence one answer gives, or None when it says nothing about the article."""
        if outcome is Outcome.BROKEN:
            return Evidence.STATUS if status in self.dead_statuses else None
        if outcome is Outcome.UNREACHABLE:
            if failure is FailureKind.NXDOMAIN:
                return Evidence.NXDOMAIN
            return Evidence.REFUSED if failure is FailureKind.REFUSED else None
        if outcome is Outcome.OK and soft_code(issues) is not None:
            return Evidence.SOFT
        return None

    def of_result(self, result: UrlResult) -> Evidence | None:
        return self.evidence(result.outcome, result.status, result.failure, result.issues)

    def of_observation(self, seen: Observation) -> Evidence | None:
        return self.evidence(seen.outcome, seen.status, seen.failure, seen.issues)


def soft_code(issues: Iterable[str]) -> str | None:
    """The first soft-dead code among a URL's issues."""
    found = set(issues)
    return next((code for code in SOFT_CODES if code in found), None)


def clean_ok(outcome: Outcome, issues: Iterable[str]) -> bool:
    """An ``ok`` that is the article: the one answer that ends a streak."""
    return outcome is Outcome.OK and soft_code(issues) is None


def gone_streak(
    current: UrlResult,
    history: Sequence[Observation],
    rule: GoneRule,
    now: datetime,
    window: int | None = None,
) -> Streak:
    """Runs (this one included) whose answer was evidence, counted back to the last clean
    ``ok``; answers that are no evidence are skipped. No evidence now: no streak.

    ``history`` holds the URL's earlier observations, newest first, from complete runs
    only: a degraded run never enters it, so a streak reads as if the outage never was.
    """
    if rule.of_result(current) is None:
        return Streak(0, None)
    runs, since = 1, current.checked_at or now
    for seen in history:
        if clean_ok(seen.outcome, seen.issues):
            return Streak(runs, since)
        if rule.of_observation(seen) is not None:
            runs, since = runs + 1, seen.started_at
    return Streak(runs, since, capped=window is not None and len(history) >= window)
