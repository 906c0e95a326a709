"""What is worth retrying, and how long to wait: one predicate, one wait, one stop.

Only transient failures are retried: a reset connection, a timeout, a resolver
that could not answer, an unreachable network, 429 and 5xx (except 501, "not
implemented", which no retry will change). A name the resolver says does not
exist, a refused connection, TLS errors, redirect loops and every other 4xx are
answers, not accidents. A bot wall is never retried (asking again does not help).

Waits: ``Retry-After`` (seconds or an HTTP date) when the server sent one,
else exponential back-off with jitter. A ``Retry-After`` longer than
``retry_after_cap_s`` ends the retries (the URL is reported rate_limited or
server_error) rather than retrying early against the server's explicit wish.
``max_total_wait_s`` bounds all waiting for one URL.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import tenacity

from linkcheck.config import RetryConfig
from linkcheck.engine.outcome import bot_wall
from linkcheck.model import FailureKind, Fetched, UrlCheck

TRANSIENT_FAILURES = frozenset(
    {
        FailureKind.RESET,
        FailureKind.TIMEOUT,
        FailureKind.CONNECT_TIMEOUT,
        FailureKind.DNS,  # the resolver could not answer; "no such name" is an answer
        FailureKind.NETWORK,
        FailureKind.OTHER,
    }
)
THROTTLE_STATUSES = frozenset({429, 503})


def is_retryable(fetched: Fetched) -> bool:
    """The one predicate: would asking again plausibly give a different answer?"""
    if fetched.failure is not None:
        return fetched.failure in TRANSIENT_FAILURES
    status = fetched.status
    if status is None or not (status == 429 or (500 <= status <= 599 and status != 501)):
        return False
    # Asked last: most answers are not 429/5xx, and a bot wall is never worth asking again.
    return bot_wall(status, fetched.headers, fetched.body) is None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delay-seconds or HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is True, and float("²") fails
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def server_delay(headers: Mapping[str, str], status: int | None) -> float | None:
    """The wait a throttling answer (429/503) asks for, if it says."""
    if status not in THROTTLE_STATUSES:
        return None
    return parse_retry_after(headers.get("retry-after"))


def host_backoff_s(
    status: int, headers: Mapping[str, str], times_throttled: int, config: RetryConfig
) -> float:
    """How long a whole host pauses after a 429/503: what it asked (capped), else exponential."""
    asked = server_delay(headers, status)
    if asked is not None:
        return min(asked, config.retry_after_cap_s)
    return min(config.backoff_base_s * 2**times_throttled, config.backoff_max_s)


def backoff_s(attempts: int, config: RetryConfig) -> float:
    """Exponential back-off with jitter after ``attempts`` attempts: base * 2^(attempts-1)
    plus up to base, capped at ``backoff_max_s`` (tenacity's ``wait_exponential_jitter``).

    The engine's scheduler makes the attempts itself, so that a URL waiting for its retry
    holds no host slot (tenacity's retry loop would hold it); tenacity still gives the
    schedule of the waits."""
    state = tenacity.RetryCallState(None, None, (), {})  # type: ignore[arg-type]
    state.attempt_number = attempts
    return float(_wait(config.backoff_base_s, config.backoff_max_s)(state))


@functools.lru_cache(maxsize=8)
def _wait(base_s: float, max_s: float) -> tenacity.wait_exponential_jitter:
    return tenacity.wait_exponential_jitter(multiplier=base_s, max=max_s, jitter=base_s)


def wait_before_retry(fetched: Fetched, attempts: int, config: RetryConfig) -> float:
    """What the server asked (429/503 Retry-After), else the back-off."""
    asked = server_delay(fetched.headers, fetched.status)
    return asked if asked is not None else backoff_s(attempts, config)


def stops(attempts: int, wait_s: float, waited_s: float, config: RetryConfig) -> bool:
    """No more attempts: the last was made, the server asks too long a wait, or the
    URL's waits would pass ``max_total_wait_s``."""
    return (
        attempts >= config.max_attempts
        or wait_s > config.retry_after_cap_s
        or waited_s + wait_s > config.max_total_wait_s
    )


def retry_wait(
    fetched: Fetched, attempts: int, waited_s: float, config: RetryConfig
) -> float | None:
    """Seconds to wait before asking again after ``attempts`` attempts, or None: final."""
    if not is_retryable(fetched):
        return None
    wait = wait_before_retry(fetched, attempts, config)
    return None if stops(attempts, wait, waited_s, config) else wait


def known_failing(check: UrlCheck, fetched: Fetched) -> bool:
    """The URL failed the same way on the last run (history): one attempt is enough.

    Same way: the same transport failure (a timeout again), or the same HTTP status."""
    if fetched.failure is not None:
        return check.last_failure == fetched.failure.value
    return check.last_failure is None and fetched.status == check.last_status
