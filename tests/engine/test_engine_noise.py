"""The engine on a noisy local web: retries hold no slot, the adaptive host limit,
the pause budget, known failures, the run deadline, headers by whole host."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator

import pytest

from linkcheck.config import Config, HttpConfig, RetryConfig
from linkcheck.engine.fetch import DEADLINE_ERROR, EngineStats, fetch_all
from linkcheck.engine.outcome import judge
from linkcheck.model import FailureKind, Fetched, Outcome, Role, UrlCheck
from linkcheck.specs import parse_accept
from tests.engine_web import Stats, engine_app
from tests.localweb import Host, LocalWeb, local_web

FAST_HTTP = HttpConfig(connect_timeout_s=1, read_timeout_s=1, request_timeout_s=2)
RETRY = RetryConfig(max_attempts=3, backoff_base_s=0.01, backoff_max_s=0.02)


def config(retry: RetryConfig = RETRY, **http: object) -> Config:
    return Config(http=dataclasses.replace(FAST_HTTP, **http), retry=retry)  # type: ignore[arg-type]


def run(checks: list[UrlCheck], cfg: Config, engine: EngineStats | None = None) -> list[Fetched]:
    """fetch_all with real sleeping: waits and pauses are part of what is tested."""
    return asyncio.run(fetch_all(checks, cfg, sleep=asyncio.sleep, engine=engine))


def check(url: str, **known: object) -> UrlCheck:
    return UrlCheck(url, frozenset({Role.OTHER}), **known)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def web() -> Iterator[LocalWeb]:
    with local_web() as w:
        yield w


def fresh(web: LocalWeb, address: str) -> tuple[Host, Stats]:
    app, stats = engine_app()
    return web.serve(app, address), stats


def starts(stats: Stats, path: str) -> list[float]:
    return [t for t, p in stats.starts if p == path]


def test_a_retry_waiting_its_back_off_holds_no_slot(web):
    host, stats = fresh(web, "127.0.0.40")
    retry = dataclasses.replace(RETRY, backoff_base_s=0.3, backoff_max_s=0.3)
    flaky = "/flaky?fail=1&code=500&k=slot"
    urls = [host.url(flaky)] + [host.url(f"/slow?s=0.02&i={i}") for i in range(3)]
    out = run([check(u) for u in urls], config(retry, per_host=1))
    assert all(f.status == 200 for f in out)
    first, again = starts(stats, flaky)
    # While the flaky URL waited ~0.3 s, the host's one slot served the other URLs.
    assert all(
        first < t < again for t in (starts(stats, f"/slow?s=0.02&i={i}")[0] for i in range(3))
    )


def test_a_timed_out_url_is_retried_behind_the_hosts_other_urls(web):
    host, stats = fresh(web, "127.0.0.41")
    cfg = config(dataclasses.replace(RETRY, max_attempts=2), per_host=1, request_timeout_s=0.3)
    others = [f"/slow?s=0.01&i={i}" for i in range(4)]
    out = run([check(host.url("/hang"))] + [check(host.url(p)) for p in others], cfg)
    assert out[0].failure is FailureKind.TIMEOUT and out[0].attempts == 2
    last_other = max(starts(stats, p)[0] for p in others)
    assert starts(stats, "/hang")[1] > last_other


def test_one_url_failing_for_ever_neither_pauses_nor_slows_its_host(web):
    host, stats = fresh(web, "127.0.0.42")
    urls = [host.url("/flaky?fail=99&code=503&k=one")]
    urls += [host.url(f"/slow?s=0.05&i={i}") for i in range(24)]
    engine = EngineStats()
    started = time.monotonic()
    out = run([check(u) for u in urls], config(per_host=4), engine)
    assert out[0].status == 503 and out[0].attempts == 3
    assert engine.hosts == {} and stats.max_in_flight == 4
    assert time.monotonic() - started < 1.5  # 24 x 50 ms at 4 in flight, no pause


def test_failures_across_many_urls_of_a_host_lower_its_limit(web):
    host, _ = fresh(web, "127.0.0.43")
    urls = [host.url(f"/flaky?fail=99&code=503&k=burst{i}") for i in range(12)]
    engine = EngineStats()
    run([check(u) for u in urls], config(per_host=4), engine)
    limits = engine.hosts["127.0.0.43"]
    assert limits.lowest < 4 and limits.highest == 4 and limits.paused_s == 0


def test_a_host_that_keeps_rate_limiting_is_bounded_by_its_pause_budget(web):
    host, _ = fresh(web, "127.0.0.44")
    urls = [host.url(f"/flaky?fail=99&code=429&after=1&i={i}") for i in range(24)]
    engine = EngineStats()
    started = time.monotonic()
    out = run([check(u) for u in urls], config(per_host=6, host_pause_budget_s=2), engine)
    elapsed = time.monotonic() - started
    accept = parse_accept("200..=299")
    assert {judge(f, check(f.url), accept).outcome for f in out} == {Outcome.RATE_LIMITED}
    limits = engine.hosts["127.0.0.44"]
    # Paused for what it asked, within the budget; it said how long, so its limit stayed.
    assert limits.paused_s == pytest.approx(2.0, abs=0.01) and limits.lowest == 6
    # Each 429 asks for 1 s; unbounded, 24 URLs x 3 attempts would pause for a minute.
    assert elapsed < 6


def test_a_url_failing_as_it_did_last_run_gets_one_attempt(web):
    host, _ = fresh(web, "127.0.0.45")
    cfg = config(request_timeout_s=0.3)
    hang = host.url("/hang?k=known")
    broken = host.url("/flaky?fail=99&code=503&k=known")
    new = host.url("/flaky?fail=99&code=503&k=new")
    out = run(
        [
            check(hang, last_failure="timeout"),
            check(broken, last_status=503),
            check(new, last_status=200),
        ],
        cfg,
    )
    assert [f.attempts for f in out] == [1, 1, 3]


def test_a_url_failing_differently_from_last_run_is_retried(web):
    host, _ = fresh(web, "127.0.0.46")
    out = run(
        [check(host.url("/flaky?fail=99&code=503&k=other"), last_failure="timeout")], config()
    )
    assert out[0].attempts == 3


def test_the_run_deadline_reports_what_is_left_unchecked(web):
    host, _ = fresh(web, "127.0.0.47")
    urls = [host.url("/hang?k=deadline")] + [host.url(f"/slow?s=0.1&i={i}") for i in range(30)]
    cfg = config(per_host=2, run_deadline_s=0.6)
    engine = EngineStats()
    started = time.monotonic()
    out = run([check(u) for u in urls], cfg, engine)
    assert time.monotonic() - started < 1.5
    assert [f.url for f in out] == urls and engine.cut
    unchecked = [f for f in out if f.error == DEADLINE_ERROR]
    assert len(unchecked) > 10 and all(f.attempts == 0 for f in unchecked)
    accept = parse_accept("200..=299")
    assert {judge(f, check(f.url), accept).outcome for f in unchecked} == {Outcome.TIMEOUT}


def test_extra_headers_go_only_to_a_host_their_pattern_matches_whole(web):
    near, near_stats = fresh(web, "127.0.0.48")
    exact, exact_stats = fresh(web, "127.0.0.4")
    cfg = config(headers={r"127\.0\.0\.4": {"X-Token": "secret"}})
    run([check(near.url("/ok")), check(exact.url("/ok"))], cfg)
    assert "X-Token" not in near_stats.headers[-1]
    assert exact_stats.headers[-1]["X-Token"] == "secret"


def test_a_429_without_retry_after_halves_the_hosts_limit(web):
    host, _ = fresh(web, "127.0.0.50")
    urls = [host.url(f"/flaky?fail=1&code=429&k=plain{i}") for i in range(8)]
    engine = EngineStats()
    out = run([check(u) for u in urls], config(per_host=4), engine)
    assert all(f.status == 200 for f in out)
    assert engine.hosts["127.0.0.50"].lowest < 4
