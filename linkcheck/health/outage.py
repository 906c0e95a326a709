"""Whether a run could judge at all: a network that looks down makes a *degraded* run.

Pure. When the machine running linkcheck loses its network (a firewall, a proxy or a
resolver down), every host fails the same way and every article looks dead. Such a run
must say so and flag nothing. It is degraded when either holds:

- at least ``http.degraded_share`` (default half) of the hosts it contacted, and at least
  ``http.degraded_min_hosts`` (default 5) of them, failed at the connection level: every
  URL asked of the host failed before any HTTP answer, with a resolver that could not
  answer, a refused connection, a connect timeout or an unreachable network;
- any of the optional ``http.canary_urls`` (pages known to be up) did not answer ok.

A host whose URLs were already failing that way in the last complete run is old news
(a site long gone, re-checked each night because failures are never reused), not a sign
of a network down tonight: it is left out of both counts. Without it, a re-run that
reuses the verdicts of the healthy hosts and asks only the failing ones again would look
degraded every night.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from linkcheck.health.changes import Observation
from linkcheck.model import FailureKind, Outcome, UrlResult

# Failures to reach a server at all, which a network that is down looks like.
CONNECTION_FAILURES = frozenset(
    {FailureKind.DNS, FailureKind.REFUSED, FailureKind.CONNECT_TIMEOUT, FailureKind.NETWORK}
)
_TRANSPORT = frozenset({Outcome.UNREACHABLE, Outcome.TIMEOUT})


@dataclass(frozen=True)
class Degraded:
    """Why a run could not judge; ``run.degraded`` of the report."""

    reason: str
    failed_hosts: int
    contacted_hosts: int
    failed_canaries: tuple[tuple[str, str], ...] = ()  # (url, why)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "failed_hosts": self.failed_hosts,
            "contacted_hosts": self.contacted_hosts,
            "failed_canaries": [{"url": url, "error": why} for url, why in self.failed_canaries],
        }


@dataclass(frozen=True)
class HostCounts:
    """Of the hosts contacted this run (old news left out): how many, how many failed."""

    contacted: int
    failed: int


def host_counts(
    answered: Mapping[str, bool],
    failed_urls: Iterable[tuple[str, str]],
    recent: Mapping[str, Sequence[Observation]],
) -> HostCounts:
    """Counts from each contacted host's "got any answer" (``answered``) and the
    (host, url) of every URL that failed at the connection level; ``recent`` is history's
    observations by URL (newest first, complete runs only)."""
    silent = {host for host, got in answered.items() if not got}
    news: set[str] = set()
    for host, url in failed_urls:
        if host in silent and host not in news and not _was_unreachable(recent.get(url, ())):
            news.add(host)
    old = silent - news
    return HostCounts(len(answered) - len(old), len(news))


def judge_run(
    hosts: HostCounts,
    canaries: Sequence[UrlResult],
    min_hosts: int,
    share: float,
) -> Degraded | None:
    """The run's ``Degraded``, or None when it could judge."""
    failed = tuple(
        (c.url, c.error or c.outcome.value) for c in canaries if c.outcome is not Outcome.OK
    )
    if failed:
        url, why = failed[0]
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        reason = f"canary URL {url} failed: {why}{more}"
        return Degraded(reason, hosts.failed, hosts.contacted, failed)
    if hosts.failed >= min_hosts and hosts.failed >= share * hosts.contacted:
        reason = (
            f"{hosts.failed} of {hosts.contacted} hosts contacted could not be reached "
            "(DNS not answering, connection refused, connect timeout, network unreachable)"
        )
        return Degraded(reason, hosts.failed, hosts.contacted)
    return None


def _was_unreachable(history: Sequence[Observation]) -> bool:
    return bool(history) and history[0].outcome in _TRANSPORT
