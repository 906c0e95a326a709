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

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tenacity import AsyncRetrying, RetryCallState, retry_if_result, wait_exponential_jitter

from linkcheck.config import RetryConfig
from linkcheck.engine.outcome import bot_wall
from linkcheck.model import FailureKind, Fetched

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
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
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


class _Wait:
    def __init__(self, config: RetryConfig) -> None:
        self._backoff = wait_exponential_jitter(
            multiplier=config.backoff_base_s, max=config.backoff_max_s, jitter=config.backoff_base_s
        )

    def __call__(self, state: RetryCallState) -> float:
        fetched = state.outcome.result() if state.outcome else None
        if fetched is not None:
            asked = server_delay(fetched.headers, fetched.status)
            if asked is not None:
                return asked
        return self._backoff(state)


class _Stop:
    def __init__(self, config: RetryConfig) -> None:
        self._config = config

    def __call__(self, state: RetryCallState) -> bool:
        config = self._config
        wait = state.upcoming_sleep
        return (
            state.attempt_number >= config.max_attempts
            or wait > config.retry_after_cap_s
            or state.idle_for + wait > config.max_total_wait_s
        )


def retrying(
    config: RetryConfig, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
) -> AsyncRetrying:
    """A tenacity controller whose attempts return Fetched values; the last one is kept."""
    return AsyncRetrying(
        sleep=sleep,
        retry=retry_if_result(is_retryable),
        wait=_Wait(config),
        stop=_Stop(config),
        retry_error_callback=_last_result,
    )


def _last_result(state: RetryCallState) -> Fetched:
    assert state.outcome is not None
    return state.outcome.result()
