"""The retry predicate, waits and stops, without any server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from linkcheck.config import RetryConfig
from linkcheck.engine.retrying import host_backoff_s, is_retryable, parse_retry_after, retry_wait
from linkcheck.model import FailureKind, Fetched


def fetched(status: int | None = None, failure: FailureKind | None = None, **headers: str):
    return Fetched("http://x/", status, "http://x/", headers=headers, failure=failure)


@pytest.mark.parametrize(
    ("value", "retry"),
    [
        (fetched(500), True),
        (fetched(502), True),
        (fetched(503), True),
        (fetched(504), True),
        (fetched(429), True),
        (fetched(501), False),
        (fetched(200), False),
        (fetched(404), False),
        (fetched(403), False),
        (fetched(410), False),
        (fetched(999), False),
        (fetched(503, **{"cf-mitigated": "challenge"}), False),
        (fetched(failure=FailureKind.TIMEOUT), True),
        (fetched(failure=FailureKind.RESET), True),
        (fetched(failure=FailureKind.OTHER), True),
        (fetched(failure=FailureKind.DNS), True),
        (fetched(failure=FailureKind.NXDOMAIN), False),
        (fetched(failure=FailureKind.CONNECT_TIMEOUT), True),
        (fetched(failure=FailureKind.NETWORK), True),
        (fetched(failure=FailureKind.REFUSED), False),
        (fetched(failure=FailureKind.TLS), False),
        (fetched(failure=FailureKind.REDIRECT_LOOP), False),
        (fetched(failure=FailureKind.BLOCKED_ADDRESS), False),
    ],
)
def test_one_predicate_decides(value, retry):
    assert is_retryable(value) is retry


def test_retry_after_seconds_and_dates():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert parse_retry_after("-5") is None


def test_host_backoff_prefers_what_the_server_asked_capped():
    config = RetryConfig(backoff_base_s=0.5, backoff_max_s=4, retry_after_cap_s=30)
    assert host_backoff_s(429, {"retry-after": "7"}, 0, config) == 7
    assert host_backoff_s(429, {"retry-after": "999"}, 0, config) == 30
    assert [host_backoff_s(503, {}, n, config) for n in range(5)] == [0.5, 1, 2, 4, 4]


def drive(answers: list[Fetched], config: RetryConfig) -> tuple[Fetched, int, list[float]]:
    """Ask ``retry_wait`` after each canned answer, as the engine does; waits are recorded."""
    waits: list[float] = []
    calls = 0
    while True:
        calls += 1
        answer = answers[min(calls, len(answers)) - 1]
        wait = retry_wait(answer, calls, sum(waits), config)
        if wait is None:
            return answer, calls, waits
        waits.append(wait)


def test_retries_until_success():
    config = RetryConfig(max_attempts=5, backoff_base_s=0.1, backoff_max_s=1)
    result, calls, waits = drive([fetched(500), fetched(502), fetched(200)], config)
    assert result.status == 200 and calls == 3 and len(waits) == 2
    assert 0.1 <= waits[0] <= 0.2 and 0.2 <= waits[1] <= 0.3  # exponential plus jitter


def test_gives_up_after_max_attempts_with_the_last_answer():
    result, calls, waits = drive([fetched(503)], RetryConfig(max_attempts=3, backoff_base_s=0))
    assert result.status == 503 and calls == 3 and len(waits) == 2


def test_retry_after_is_the_wait():
    result, _calls, waits = drive(
        [fetched(429, **{"retry-after": "3"}), fetched(200)], RetryConfig()
    )
    assert result.status == 200 and waits == [3.0]


def test_retry_after_beyond_cap_stops():
    config = RetryConfig(retry_after_cap_s=10)
    result, calls, waits = drive([fetched(429, **{"retry-after": "60"})], config)
    assert result.status == 429 and calls == 1 and waits == []


def test_total_wait_is_bounded():
    config = RetryConfig(max_attempts=10, max_total_wait_s=5, retry_after_cap_s=30)
    _result, calls, waits = drive([fetched(503, **{"retry-after": "2"})], config)
    assert waits == [2.0, 2.0] and calls == 3


def test_no_retry_for_a_404():
    _result, calls, waits = drive([fetched(404)], RetryConfig())
    assert calls == 1 and waits == []


@pytest.mark.parametrize(
    "junk", ["²", "١٢", "1e9", "5 s", "Thu, 01 Jan 99999 12:00:00 GMT", "\x00", ", , ,", "-1"]
)
def test_junk_retry_after_is_ignored_without_an_error(junk):
    assert parse_retry_after(junk) is None
    assert host_backoff_s(429, {"retry-after": junk}, 0, RetryConfig(backoff_base_s=0.5)) == 0.5
