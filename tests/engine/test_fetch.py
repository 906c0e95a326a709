"""The engine against a real local web: every outcome, redirects, retries, limits, safety."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from linkcheck.config import Config, HttpConfig, RetryConfig
from linkcheck.engine import fetch
from linkcheck.engine.addresses import AddressPolicy, blocked_reason
from linkcheck.engine.fetch import RECEIVE_BUFFER_BYTES, describe_exception, fetch_all
from linkcheck.engine.outcome import judge
from linkcheck.model import FailureKind, Fetched, Outcome, Role, UrlCheck, Validators
from linkcheck.specs import parse_accept
from tests.engine_web import Stats, engine_app
from tests.localweb import Host, LocalWeb, local_web

ACCEPT = parse_accept("200..=299")
FAST_HTTP = HttpConfig(connect_timeout_s=1, read_timeout_s=1, request_timeout_s=2)
FAST_RETRY = RetryConfig(max_attempts=3, backoff_base_s=0.01, backoff_max_s=0.05)


def make_config(**http: object) -> Config:
    retry = http.pop("retry", FAST_RETRY)
    return Config(http=dataclasses.replace(FAST_HTTP, **http), retry=retry)  # type: ignore[arg-type]


async def no_sleep(_seconds: float) -> None:
    return None


def check(url: str, *roles: Role, validators: Validators | None = None) -> UrlCheck:
    return UrlCheck(url, frozenset(roles or {Role.OTHER}), validators=validators)


def run(checks: list[UrlCheck], config: Config | None = None, **kw: object) -> list[Fetched]:
    kw.setdefault("sleep", no_sleep)
    return asyncio.run(fetch_all(checks, config or make_config(), **kw))  # type: ignore[arg-type]


def verdict(url: str, config: Config | None = None, *roles: Role, **kw: object):
    c = check(url, *roles)
    fetched = run([c], config, **kw)[0]
    return fetched, judge(fetched, c, ACCEPT)


@pytest.fixture(scope="module")
def web() -> Iterator[LocalWeb]:
    with local_web() as w:
        yield w


@pytest.fixture(scope="module")
def site(web: LocalWeb) -> tuple[Host, Stats]:
    app, stats = engine_app()
    return web.serve(app, "127.0.0.1"), stats


def fresh(web: LocalWeb, address: str) -> tuple[Host, Stats]:
    """A new app (fresh counters) on its own address, so host gates don't mix."""
    app, stats = engine_app()
    return web.serve(app, address), stats


# ---------------------------------------------------------------- outcomes


def test_ok_with_head_only(site):
    host, stats = site
    _fetched, result = verdict(host.url("/ok?head"))
    assert result.outcome is Outcome.OK and result.status == 200
    assert result.content_type == "text/html" and result.requests == 1
    assert ("HEAD", "/ok?head") in stats.methods


def test_body_read_for_pages_and_images(site):
    host, _ = site
    fetched = run([check(host.url("/ok"), Role.WEB), check(host.url("/image.png"), Role.IMAGE)])
    assert b"<title>fine</title>" in fetched[0].body
    assert fetched[1].body.startswith(b"\x89PNG") and not fetched[1].body_truncated


@pytest.mark.parametrize(
    ("path", "outcome", "error"),
    [
        ("/status/404", Outcome.BROKEN, "HTTP 404"),
        ("/status/410", Outcome.BROKEN, "HTTP 410"),
        ("/status/403", Outcome.BROKEN, "HTTP 403"),
        ("/status/999", Outcome.BLOCKED, "HTTP 999 bot wall (LinkedIn)"),
        ("/bot-wall", Outcome.BLOCKED, "HTTP 403 bot wall (Cloudflare challenge)"),
    ],
)
def test_final_statuses(site, path, outcome, error):
    host, _ = site
    _, result = verdict(host.url(path))
    assert (result.outcome, result.error) == (outcome, error)


def test_head_refused_falls_back_to_get(site):
    host, stats = site
    _, result = verdict(host.url("/head-refused"))
    assert result.outcome is Outcome.OK and result.requests == 2
    assert [m for m, p in stats.methods if p == "/head-refused"] == ["HEAD", "GET"]


def test_head_that_lies_is_asked_again_with_get(site):
    host, _ = site
    _, result = verdict(host.url("/head-lies"))
    assert result.outcome is Outcome.OK and result.status == 200 and result.requests == 2


def test_host_that_refuses_head_is_asked_get_first_from_then_on(web):
    host, stats = fresh(web, "127.0.0.27")
    paths = [f"/head-refused?n={i}" for i in range(4)] + ["/head-lies?n=0", "/head-lies?n=1"]
    got = run([check(host.url(p)) for p in paths], make_config(per_host=1, max_concurrency=1))
    assert [f.status for f in got] == [200] * 6
    # One 405 to HEAD, then GET: the rest of the host's URLs cost one request each.
    assert [m for m, _ in stats.methods] == ["HEAD"] + ["GET"] * 6
    assert [f.requests for f in got] == [2, 1, 1, 1, 1, 1]


def test_head_404_confirmed_by_get_keeps_head_first(web):
    host, stats = fresh(web, "127.0.0.28")
    paths = ["/head-lies?n=0", "/status/404?n=1", "/head-lies?n=2"]
    got = run([check(host.url(p)) for p in paths], make_config(per_host=1, max_concurrency=1))
    assert [f.status for f in got] == [200, 404, 200]
    # A 404 says nothing about HEAD support: every URL is asked HEAD first.
    assert [m for m, _ in stats.methods] == ["HEAD", "GET"] * 3


def test_404_is_not_retried(site):
    host, stats = site
    _, result = verdict(host.url("/status/404?once"))
    assert result.attempts == 1 and stats.hits["/status/404?once"] == 2  # HEAD + GET


def test_500_recovers_after_two_failures(site):
    host, _stats = site
    _, result = verdict(host.url("/flaky?fail=2&k=a"))
    assert result.outcome is Outcome.OK and result.attempts == 3 and result.requests == 3


def test_503_that_never_recovers_is_server_error(site):
    host, stats = site
    _, result = verdict(host.url("/flaky?fail=99&code=503&k=b"))
    assert result.outcome is Outcome.SERVER_ERROR and result.error == "HTTP 503"
    assert result.attempts == 3 and stats.hits["/flaky?fail=99&code=503&k=b"] == 3


def test_429_then_ok_honours_retry_after(web):
    host, _ = fresh(web, "127.0.0.20")
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    started = time.monotonic()
    _, result = verdict(host.url("/flaky?fail=1&code=429&after=1"), sleep=sleep)
    assert result.outcome is Outcome.OK and result.attempts == 2
    assert waits == [1.0] and time.monotonic() - started >= 0.95


def test_429_that_persists_is_rate_limited(site):
    host, _ = site
    config = make_config(retry=dataclasses.replace(FAST_RETRY, max_attempts=2))
    _, result = verdict(host.url("/flaky?fail=9&code=429&k=c"), config)
    assert result.outcome is Outcome.RATE_LIMITED and result.attempts == 2


def test_retry_after_beyond_the_cap_stops_retrying(site):
    host, _stats = site
    config = make_config(retry=dataclasses.replace(FAST_RETRY, retry_after_cap_s=0.5))
    _, result = verdict(host.url("/flaky?fail=9&code=503&after=3600"), config)
    assert result.outcome is Outcome.SERVER_ERROR and result.attempts == 1


# ---------------------------------------------------------------- redirects


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect_codes_are_followed_and_recorded(site, code):
    host, _ = site
    _, result = verdict(host.url(f"/redirect/{code}"))
    assert result.outcome is Outcome.OK and result.final_url == host.url("/ok")
    assert [(h.url, h.status) for h in result.redirects] == [(host.url(f"/redirect/{code}"), code)]
    assert result.permanent_redirect is (code in (301, 308))


def test_relative_location_is_resolved(site):
    host, _ = site
    _, result = verdict(host.url("/redirect/302?to=../ok"))
    assert result.outcome is Outcome.OK and result.final_url == host.url("/ok")


def test_chain_of_hops(site):
    host, _ = site
    _, result = verdict(host.url("/chain/3"))
    assert result.outcome is Outcome.OK and len(result.redirects) == 3 and result.requests == 4


def test_redirect_loop(site):
    host, _ = site
    _, result = verdict(host.url("/loop/a"))
    assert result.outcome is Outcome.UNREACHABLE and result.failure is FailureKind.REDIRECT_LOOP
    a, b = host.url("/loop/a"), host.url("/loop/b")
    assert result.error == f"redirect loop: {a} -> {b} -> {a}" and result.attempts == 1


def test_too_many_redirects(site):
    host, _ = site
    _, result = verdict(host.url("/chain/9"), make_config(max_redirects=3))
    assert result.failure is FailureKind.TOO_MANY_REDIRECTS
    assert result.outcome is Outcome.UNREACHABLE and len(result.redirects) == 4
    assert result.error.startswith("too many redirects (>3): ")


def test_redirect_to_another_scheme_is_broken_not_followed(site):
    host, _ = site
    _, result = verdict(host.url("/redirect/302?to=mailto:x@example.org"))
    assert result.outcome is Outcome.BROKEN and "non-http(s) Location" in result.error


# ---------------------------------------------------------------- transport failures


def test_connection_reset(site):
    host, _ = site
    _, result = verdict(host.url("/reset"))
    assert result.outcome is Outcome.UNREACHABLE and result.failure is FailureKind.RESET
    assert result.attempts == 3


def test_hanging_server_times_out_within_bound(site):
    host, _ = site
    config = make_config(
        read_timeout_s=0.2,
        request_timeout_s=0.3,
        retry=dataclasses.replace(FAST_RETRY, max_attempts=2),
    )
    started = time.monotonic()
    _, result = verdict(host.url("/hang"), config)
    assert result.outcome is Outcome.TIMEOUT and result.failure is FailureKind.TIMEOUT
    assert result.attempts == 2 and time.monotonic() - started < 1.5


def test_connection_refused():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _, result = verdict(f"http://127.0.0.1:{port}/")
    assert result.outcome is Outcome.UNREACHABLE and result.failure is FailureKind.REFUSED
    assert result.error == "connection refused" and result.requests == 0 and result.attempts == 1


def test_name_that_does_not_resolve():
    _, result = verdict("http://no-such-host.invalid/page")
    assert result.outcome is Outcome.UNREACHABLE and result.failure is FailureKind.NXDOMAIN
    assert result.error == "DNS: no such name no-such-host.invalid (NXDOMAIN)"
    assert result.attempts == 1


# ---------------------------------------------------------------- bodies


def test_huge_body_stops_reading_at_the_cap(web):
    host, stats = fresh(web, "127.0.0.21")
    fetched = run([check(host.url("/huge"), Role.WEB)], make_config(max_page_bytes=65_536))[0]
    assert len(fetched.body) == 65_536 and fetched.body_truncated
    deadline = time.monotonic() + 5
    while stats.huge_done is not False and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stats.huge_done is False  # the server saw linkcheck hang up
    assert stats.huge_sent < 1_000_000  # closed at once: the rest never left the server


def test_client_sockets_keep_a_small_receive_window():
    # Left to autotuning, a receive buffer grows to megabytes of a body nobody reads; one
    # set explicitly stays put (Linux reports twice the value set, for its bookkeeping).
    sock = fetch._small_window_socket((socket.AF_INET, socket.SOCK_STREAM, 0, "", ()))
    with sock:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == 2 * RECEIVE_BUFFER_BYTES


def test_gzip_bomb_is_read_only_to_the_cap(site):
    host, _ = site
    started = time.monotonic()
    fetched = run([check(host.url("/bomb"), Role.WEB)], make_config(max_page_bytes=100_000))[0]
    assert len(fetched.body) == 100_000 and fetched.body_truncated
    assert fetched.body == b"\0" * 100_000 and time.monotonic() - started < 1.5


def test_conditional_request_gets_304(site):
    host, stats = site
    c = check(host.url("/etag"), Role.WEB, validators=Validators(etag='"v1"'))
    fetched = run([c])[0]
    assert fetched.not_modified and fetched.status == 304
    assert judge(fetched, c, ACCEPT).outcome is Outcome.OK
    assert stats.headers[-1]["If-None-Match"] == '"v1"'


# ---------------------------------------------------------------- options and safety


def test_user_agent_and_extra_headers_per_host(site):
    host, stats = site
    config = make_config(user_agent="probe/1", headers={r"^127\.0\.0\.1$": {"X-Token": "t"}})
    verdict(host.url("/ok?ua"), config)
    sent = stats.headers[-1]
    assert sent["User-Agent"] == "probe/1" and sent["X-Token"] == "t"


def test_exclude_and_include_rules(site):
    host, stats = site
    config = make_config(exclude=(r"/status/",), include=(r"/status/200",))
    out = run([check(host.url("/status/404?ex")), check(host.url("/status/200?in"))], config)
    assert out[0].failure is FailureKind.EXCLUDED and out[0].requests == 0
    assert judge(out[0], check(out[0].url), ACCEPT).outcome is Outcome.EXCLUDED
    assert "/status/" in out[0].error and stats.hits["/status/404?ex"] == 0
    assert out[1].status == 200


def test_metadata_address_is_excluded_without_connection():
    started = time.monotonic()
    _, result = verdict("http://169.254.169.254/latest/meta-data/")
    assert result.outcome is Outcome.EXCLUDED and result.failure is FailureKind.BLOCKED_ADDRESS
    assert result.requests == 0 and "169.254.169.254" in result.error
    assert time.monotonic() - started < 0.5


def test_name_resolving_to_metadata_is_excluded():
    config = make_config(resolve=("metadata.example:80:169.254.169.254",))
    _, result = verdict("http://metadata.example/", config)
    assert result.outcome is Outcome.EXCLUDED and result.failure is FailureKind.BLOCKED_ADDRESS
    assert "metadata.example resolves to a blocked address 169.254.169.254" in result.error


def test_redirect_to_metadata_is_excluded(site):
    host, _ = site
    _, result = verdict(host.url("/redirect/302?to=http://169.254.169.254/x"))
    assert result.outcome is Outcome.EXCLUDED and len(result.redirects) == 1


def test_loopback_can_be_refused(site):
    host, stats = site
    _, result = verdict(host.url("/ok?lo"), make_config(allow_loopback=False))
    assert result.outcome is Outcome.EXCLUDED and stats.hits["/ok?lo"] == 0


def test_address_policy_ranges():
    default = AddressPolicy()
    assert blocked_reason("169.254.169.254", default)
    assert blocked_reason("fe80::1", default)
    assert blocked_reason("fd00:ec2::254", default)
    assert blocked_reason("100.100.100.200", default)
    assert blocked_reason("::ffff:169.254.169.254", default)
    assert blocked_reason("10.0.0.1", default) is None
    assert blocked_reason("10.0.0.1", AddressPolicy(allow_private=False))
    assert blocked_reason("93.184.216.34", AddressPolicy(False, False, False)) is None
    assert blocked_reason("169.254.169.254", AddressPolicy(allow_link_local=True)) is None


def test_describe_exception_prefers_tls_over_connect():
    class FakeKey:
        host, port, ssl = "x", 443, True

    cert_error = ssl.SSLCertVerificationError("certificate verify failed")
    from aiohttp import ClientConnectorCertificateError, ClientConnectorError

    exc = ClientConnectorCertificateError(FakeKey(), cert_error)  # type: ignore[arg-type]
    assert describe_exception(exc)[0] is FailureKind.TLS
    refused = ClientConnectorError(FakeKey(), ConnectionRefusedError(111, "refused"))  # type: ignore[arg-type]
    assert describe_exception(refused) == (FailureKind.REFUSED, "connection refused")
    assert describe_exception(RuntimeError("boom"))[0] is FailureKind.OTHER


# ---------------------------------------------------------------- TLS and pins


@pytest.fixture(scope="module")
def tls(web: LocalWeb, tmp_path_factory) -> tuple[Host, Host, Path]:
    """A server with a cert from our test CA, one from a CA nobody trusts, and the CA file."""
    ca, rogue = trustme.CA(), trustme.CA()
    trusted_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.30", "www.vice.com").configure_cert(trusted_ctx)
    rogue_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    rogue.issue_cert("127.0.0.31").configure_cert(rogue_ctx)
    good = web.serve(engine_app()[0], "127.0.0.30", ssl_context=trusted_ctx)
    bad = web.serve(engine_app()[0], "127.0.0.31", ssl_context=rogue_ctx)
    bundle = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return good, bad, bundle


def test_tls_with_test_ca(tls):
    good, _, bundle = tls
    _, result = verdict(good.url("/ok"), make_config(ca_bundle=str(bundle)))
    assert result.outcome is Outcome.OK


def test_untrusted_certificate_is_tls_error(tls):
    _, bad, bundle = tls
    _, result = verdict(bad.url("/ok"), make_config(ca_bundle=str(bundle)))
    assert result.outcome is Outcome.TLS_ERROR and result.failure is FailureKind.TLS
    assert result.error.startswith("TLS certificate error") and result.attempts == 1


def test_resolve_pin_keeps_the_real_name_for_sni(tls):
    good, _, bundle = tls
    config = make_config(ca_bundle=str(bundle), resolve=(f"www.vice.com:{good.port}:127.0.0.30",))
    _, result = verdict(f"https://www.vice.com:{good.port}/ok", config)
    assert result.outcome is Outcome.OK and result.final_url.startswith("https://www.vice.com:")


# ---------------------------------------------------------------- politeness


def test_per_host_concurrency_is_respected(web):
    host, stats = fresh(web, "127.0.0.22")
    other, other_stats = fresh(web, "127.0.0.23")
    urls = [host.url(f"/slow?s=0.05&i={i}") for i in range(24)]
    urls += [other.url(f"/slow?s=0.05&i={i}") for i in range(24)]
    started = time.monotonic()
    out = run([check(u) for u in urls], make_config(per_host=3, max_concurrency=64))
    assert all(f.status == 200 for f in out)
    assert stats.max_in_flight == 3 and other_stats.max_in_flight == 3
    # 8 rounds of 50 ms per host, both hosts in parallel: well under the serial 2.4 s.
    assert time.monotonic() - started < 1.2


def test_global_concurrency_is_respected(web):
    host, stats = fresh(web, "127.0.0.24")
    urls = [host.url(f"/slow?s=0.03&i={i}") for i in range(12)]
    run([check(u) for u in urls], make_config(per_host=6, max_concurrency=2))
    assert stats.max_in_flight == 2


def test_minimum_interval_between_requests(web):
    host, stats = fresh(web, "127.0.0.25")
    run([check(host.url(f"/ok?i={i}")) for i in range(5)], make_config(host_interval_ms=80))
    starts = sorted(t for t, _ in stats.starts)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 5 and min(gaps) >= 0.07


def test_429_backs_off_the_whole_host(web):
    host, stats = fresh(web, "127.0.0.26")
    urls = [host.url("/throttle-once")] + [host.url(f"/slow?s=0.02&i={i}") for i in range(8)]
    out = run([check(u) for u in urls], make_config(per_host=4))
    assert all(f.status == 200 for f in out)
    assert stats.throttled_at is not None
    later = [t for t, p in stats.starts if t > stats.throttled_at + 0.01]
    # Everything sent after the 429 waited out the one-second back-off.
    assert later and min(later) >= stats.throttled_at + 0.95
