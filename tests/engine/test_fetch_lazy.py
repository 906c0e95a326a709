"""fetch_all pulls its URLs lazily: bounded memory, hosts kept polite, nobody starved.

The pipeline hands fetch_all a generator over its SQLite work table; these
tests count in that generator (pulled) and in on_result (delivered), against
a real local web of several hosts that count their own concurrent requests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from linkcheck.config import Config, HttpConfig, RetryConfig
from linkcheck.engine.fetch import default_window, fetch_all
from linkcheck.engine.hosts import spread_order
from linkcheck.model import FailureKind, Fetched, Role, UrlCheck
from tests.localweb import Host, LocalWeb, local_web

ROLES = frozenset({Role.OTHER})


def make_config(**http: object) -> Config:
    base = HttpConfig(connect_timeout_s=2, read_timeout_s=2, request_timeout_s=5)
    retry = RetryConfig(max_attempts=1)
    return Config(http=dataclasses.replace(base, **http), retry=retry)  # type: ignore[arg-type]


@dataclasses.dataclass
class Everyone:
    """Requests in flight over all hosts (every app runs in LocalWeb's one loop)."""

    in_flight: int = 0
    peak: int = 0


@dataclasses.dataclass
class Counting:
    """One host's server: answers after ``delay_s``, counts requests and peak concurrency."""

    delay_s: float = 0.0
    everyone: Everyone = dataclasses.field(default_factory=Everyone)
    in_flight: int = 0
    peak: int = 0
    hits: Counter[str] = dataclasses.field(default_factory=Counter)

    def app(self) -> web.Application:
        async def answer(request: web.Request) -> web.Response:
            self.hits[request.path_qs] += 1
            self.in_flight += 1
            self.everyone.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.everyone.peak = max(self.everyone.peak, self.everyone.in_flight)
            try:
                await asyncio.sleep(self.delay_s)
                return web.Response(text="ok")
            finally:
                self.in_flight -= 1
                self.everyone.in_flight -= 1

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", answer)
        return app


class Ledger:
    """Counts pulls (in the source) and deliveries (in on_result); keeps the peak gap."""

    def __init__(self) -> None:
        self.pulled = 0
        self.delivered: list[Fetched] = []
        self.peak_open = 0
        self.pulled_at_delivery: list[int] = []
        self.delivered_at: list[tuple[float, str]] = []

    def source(self, urls: list[str]) -> Iterator[UrlCheck]:
        for url in urls:
            self.pulled += 1
            self.peak_open = max(self.peak_open, self.pulled - len(self.delivered))
            yield UrlCheck(url, ROLES)

    def on_result(self, fetched: Fetched) -> None:
        self.delivered.append(fetched)
        self.pulled_at_delivery.append(self.pulled)
        self.delivered_at.append((time.monotonic(), fetched.url))


@pytest.fixture(scope="module")
def lweb() -> Iterator[LocalWeb]:
    with local_web() as w:
        yield w


def serve(
    lweb: LocalWeb, address: str, delay_s: float = 0.0, everyone: Everyone | None = None
) -> tuple[Host, Counting]:
    server = Counting(delay_s, everyone or Everyone())
    return lweb.serve(server.app(), address), server


def fetch(urls: list[str], config: Config, ledger: Ledger, window: int) -> list[Fetched]:
    return asyncio.run(
        fetch_all(ledger.source(urls), config, on_result=ledger.on_result, window=window)
    )


# ---------------------------------------------------------------- the window


def test_generator_of_thousands_is_pulled_within_the_window(lweb):
    shares = {"127.0.4.1": 2400, "127.0.4.2": 1400, "127.0.4.3": 800, "127.0.4.4": 400}
    hosts = {address: serve(lweb, address, delay_s=0.001) for address in shares}
    pairs = [
        (address, hosts[address][0].url(f"/{address}/{i}"))
        for address, n in shares.items()
        for i in range(n)
    ]
    urls = spread_order(pairs)
    ledger = Ledger()
    got = fetch(urls, make_config(max_concurrency=16, per_host=4), ledger, window=200)

    assert [f.url for f in got] == urls  # collect=True: input order, each once
    assert Counter(f.url for f in ledger.delivered) == Counter(urls)
    assert all(f.status == 200 for f in got)
    # The window was used to the full, never exceeded.
    assert ledger.peak_open == 200
    for address, (_, server) in hosts.items():
        assert sum(server.hits.values()) == shares[address]  # HEAD only, once each
        assert server.peak <= 4
    assert hosts["127.0.4.1"][1].peak == 4  # the busiest host had all its slots in use


def test_one_slow_host_filling_the_window_does_not_stall_the_others(lweb):
    slow, slow_server = serve(lweb, "127.0.4.5", delay_s=0.25)
    fast, _ = serve(lweb, "127.0.4.6")
    slow_urls = [slow.url(f"/s{i}") for i in range(10)]
    fast_urls = [fast.url(f"/f{i}") for i in range(40)]
    ledger = Ledger()
    # The window's first fill is nothing but the slow host's URLs (2 slots, 0.25 s each).
    fetch(slow_urls + fast_urls, make_config(max_concurrency=8, per_host=2), ledger, window=10)

    order = [url for _, url in ledger.delivered_at]
    assert sorted(order) == sorted(slow_urls + fast_urls)
    last_fast = max(order.index(u) for u in fast_urls)
    slow_before = sum(1 for u in order[:last_fast] if u in slow_urls)
    # Every fast URL went through while the slow host still had most of its URLs to do.
    assert slow_before <= 4
    assert ledger.peak_open <= 10 and slow_server.peak <= 2


def test_pulls_past_a_busy_host_when_the_window_allows(lweb):
    slow, _ = serve(lweb, "127.0.4.7", delay_s=0.3)
    fast, _ = serve(lweb, "127.0.4.8")
    slow_urls = [slow.url(f"/s{i}") for i in range(4)]
    fast_urls = [fast.url(f"/f{i}") for i in range(30)]
    ledger = Ledger()
    fetch(slow_urls + fast_urls, make_config(max_concurrency=8, per_host=2), ledger, window=100)

    first_slow = min(i for i, (_, url) in enumerate(ledger.delivered_at) if url in slow_urls)
    # The slow host's slots were full, so the fast URLs behind its queue were pulled at once.
    assert {url for _, url in ledger.delivered_at[:first_slow]} == set(fast_urls)


def test_requests_in_flight_never_pass_max_concurrency(lweb):
    everyone = Everyone()
    hosts = [serve(lweb, f"127.0.4.{n}", 0.02, everyone)[0] for n in (11, 12, 13, 14)]
    urls = spread_order((h.address, h.url(f"/{i}")) for h in hosts for i in range(15))
    ledger = Ledger()
    got = fetch(urls, make_config(max_concurrency=6, per_host=4), ledger, window=50)
    assert len(got) == 60 and everyone.peak == 6


def test_refused_urls_are_delivered_as_they_are_pulled(lweb):
    host, server = serve(lweb, "127.0.4.9")
    urls = [host.url("/a"), host.url("/skip/1"), "mailto:x@example.com", host.url("/b")]
    urls += [host.url("/skip/2")]
    ledger = Ledger()
    config = make_config(exclude=("/skip/",))
    got = fetch(urls, config, ledger, window=2)

    refused = {
        f.url: ledger.pulled_at_delivery[i]
        for i, f in enumerate(ledger.delivered)
        if f.requests == 0
    }
    # Delivered before anything after them was pulled.
    assert refused == {urls[1]: 2, urls[2]: 3, urls[4]: 5}
    assert [f.failure for f in got] == [
        None,
        FailureKind.EXCLUDED,
        FailureKind.OTHER,
        None,
        FailureKind.EXCLUDED,
    ]
    assert sorted(server.hits) == ["/a", "/b"]


def test_a_failing_source_surfaces_as_its_own_error(lweb):
    host, _ = serve(lweb, "127.0.4.10")

    def source() -> Iterator[UrlCheck]:
        yield UrlCheck(host.url("/one"), ROLES)
        raise RuntimeError("work table gone")

    with pytest.raises(RuntimeError, match="work table gone"):
        asyncio.run(fetch_all(source(), make_config(), window=5))


def test_empty_source_ends_at_once():
    started = time.monotonic()
    assert asyncio.run(fetch_all(iter(()), make_config())) == []
    assert time.monotonic() - started < 1


def test_default_window_scales_with_concurrency():
    assert default_window(make_config(max_concurrency=64)) == 5000
    assert default_window(make_config(max_concurrency=256)) == 12_800


# ---------------------------------------------------------------- spread_order


def test_spread_order_interleaves_in_proportion():
    items = [("a", f"a{i}") for i in range(4)] + [("b", "b0"), ("b", "b1"), ("c", "c0")]
    # Keys: a .125 .375 .625 .875, b .25 .75, c .5.
    assert spread_order(items) == ["a0", "b0", "a1", "c0", "a2", "b1", "a3"]


def test_spread_order_is_stable_and_case_blind():
    items = [("X", 1), ("y", 2), ("x", 3), ("Y", 4)]
    # x and y: keys .25 and .75 each; ties go in input order.
    assert spread_order(items) == [1, 2, 3, 4]
    assert spread_order([]) == []


hosts_and_counts = st.dictionaries(
    st.sampled_from("abcdefgh"), st.integers(min_value=1, max_value=60), min_size=1
)


@given(hosts_and_counts, st.randoms(use_true_random=False))
def test_spread_order_keeps_each_hosts_share_in_every_prefix(counts, rnd):
    items = [(host, (host, i)) for host, n in counts.items() for i in range(n)]
    rnd.shuffle(items)
    out = spread_order(items)
    assert sorted(out) == sorted(item for _, item in items)  # every item once
    for host in counts:  # a host's own items keep their input order
        assert [x for x in out if x[0] == host] == [x for _, x in items if x[0] == host]
    total, n_hosts = len(out), len(counts)
    seen: Counter[str] = Counter()
    for k, (host, _) in enumerate(out, start=1):
        seen[host] += 1
        for h, n in counts.items():
            assert abs(seen[h] - k * n / total) <= 1.5 * n_hosts * n / total + 1.5
