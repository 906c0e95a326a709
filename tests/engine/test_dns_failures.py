"""Resolver failures told apart: a name that does not exist against a resolver that could not
answer, through the real engine with a stub in its DNS layer (tests/dnsstub.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import socket
import time
from collections.abc import Iterator

import pytest
from aiohttp import ClientConnectorDNSError, ClientConnectorError

from linkcheck.config import Config, HttpConfig, RetryConfig
from linkcheck.engine.fetch import describe_exception, fetch_all
from linkcheck.engine.netfail import resolver_failure
from linkcheck.engine.outcome import judge
from linkcheck.engine.retrying import is_retryable
from linkcheck.model import FailureKind, Outcome, Role, UrlCheck
from tests.dnsstub import AGAIN, HANG, NXDOMAIN, StubResolver, use_stub_dns
from tests.engine_web import engine_app
from tests.localweb import Host, local_web

CONFIG = Config(
    http=HttpConfig(connect_timeout_s=0.3, request_timeout_s=5.0),
    retry=RetryConfig(max_attempts=3, backoff_base_s=0.0, backoff_max_s=0.0),
)
ACCEPT = frozenset(range(200, 300))


@pytest.fixture(scope="module")
def site() -> Iterator[Host]:
    with local_web() as web:
        app, _ = engine_app()
        yield web.serve(app, "127.0.0.61")


def verdicts(*urls: str, config: Config = CONFIG):
    checks = [UrlCheck(u, frozenset({Role.ORIGINAL})) for u in urls]
    fetched = asyncio.run(fetch_all(checks, config))
    return [judge(f, c, ACCEPT) for f, c in zip(fetched, checks, strict=True)]


def test_nxdomain_is_an_answer_and_eai_again_a_temporary_failure(monkeypatch, site):
    stub = use_stub_dns(
        monkeypatch,
        StubResolver(
            {"alive.example": site.address},
            {"gone.example": NXDOMAIN, "flaky-dns.example": AGAIN},
        ),
    )
    port = site.port
    alive, gone, flaky = verdicts(
        f"http://alive.example:{port}/ok",
        f"http://gone.example:{port}/a",
        f"http://flaky-dns.example:{port}/a",
    )
    assert alive.outcome is Outcome.OK  # the stub answers: names go through it
    assert (gone.outcome, gone.failure) == (Outcome.UNREACHABLE, FailureKind.NXDOMAIN)
    assert gone.error == "DNS: no such name gone.example (NXDOMAIN)"
    assert gone.attempts == 1 and stub.asked.count("gone.example") == 1
    assert (flaky.outcome, flaky.failure) == (Outcome.UNREACHABLE, FailureKind.DNS)
    assert flaky.error == (
        "DNS: temporary failure resolving flaky-dns.example "
        "(EAI_AGAIN: Temporary failure in name resolution)"
    )
    # Temporary: asked again, each attempt a new lookup.
    assert flaky.attempts == 3 and stub.asked.count("flaky-dns.example") == 3


def test_a_resolver_that_answers_on_the_second_try_gives_the_page(monkeypatch, site):
    use_stub_dns(
        monkeypatch, StubResolver({"blip.example": site.address}, fail_first={"blip.example": 1})
    )
    [result] = verdicts(f"http://blip.example:{site.port}/ok")
    assert result.outcome is Outcome.OK and result.attempts == 2


def test_a_resolver_that_never_answers_is_a_bounded_temporary_failure(monkeypatch):
    use_stub_dns(monkeypatch, StubResolver(default=HANG))
    one_try = dataclasses.replace(CONFIG, retry=RetryConfig(max_attempts=1))
    started = time.monotonic()
    [result] = verdicts("http://silent.example/a", config=one_try)
    assert time.monotonic() - started < 3
    assert (result.outcome, result.failure) == (Outcome.UNREACHABLE, FailureKind.DNS)
    assert result.error == (
        "DNS: temporary failure resolving silent.example (EAI_AGAIN: no answer within 0.3 s)"
    )


class _Key:
    host, port, ssl = "x.example", 80, False


@pytest.mark.parametrize(
    ("error", "kind", "text"),
    [
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), FailureKind.NXDOMAIN,
         "DNS: no such name x.example (NXDOMAIN)"),
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
         FailureKind.DNS,
         "DNS: temporary failure resolving x.example "
         "(EAI_AGAIN: Temporary failure in name resolution)"),
        (socket.gaierror(socket.EAI_FAIL, "Non-recoverable failure in name resolution"),
         FailureKind.DNS,
         "DNS: temporary failure resolving x.example "
         "(EAI_FAIL: Non-recoverable failure in name resolution)"),
        (OSError(None, "Could not contact DNS servers"), FailureKind.DNS,
         "DNS: temporary failure resolving x.example (Could not contact DNS servers)"),
    ],
)  # fmt: skip
def test_describe_exception_tells_the_resolver_failures_apart(error, kind, text):
    exc = ClientConnectorDNSError(_Key(), error)  # type: ignore[arg-type]
    assert describe_exception(exc) == (kind, text)


def test_aiodns_codes_are_read_from_the_cause():
    class DNSError(Exception):
        pass

    DNSError.__module__ = "aiodns.error"
    for code, gone in ((4, True), (3, False), (12, False)):
        error = OSError(None, "lookup failed")
        error.__cause__ = DNSError(code, "message")
        assert resolver_failure("x.example", error)[0] is gone


def test_unreachable_network_and_connect_timeout_are_connection_failures():
    down = ClientConnectorError(_Key(), OSError(errno.ENETUNREACH, "Network is unreachable"))  # type: ignore[arg-type]
    assert describe_exception(down) == (
        FailureKind.NETWORK,
        "cannot connect: Network is unreachable",
    )


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A port whose accept queue is full: connecting there times out, like a dropped SYN."""
    server = socket.socket()
    server.bind(("127.0.0.62", 0))
    server.listen(0)
    filler = socket.create_connection(server.getsockname())
    try:
        yield server.getsockname()[1]
    finally:
        filler.close()
        server.close()


def test_a_connect_that_times_out_is_a_connect_timeout(blackhole):
    config = dataclasses.replace(CONFIG, retry=RetryConfig(max_attempts=1))
    [result] = verdicts(f"http://127.0.0.62:{blackhole}/a", config=config)
    assert (result.outcome, result.failure) == (Outcome.TIMEOUT, FailureKind.CONNECT_TIMEOUT)
    assert result.error == "connect timed out"


@pytest.mark.parametrize(
    ("kind", "retried"),
    [
        (FailureKind.DNS, True),
        (FailureKind.NETWORK, True),
        (FailureKind.CONNECT_TIMEOUT, True),
        (FailureKind.NXDOMAIN, False),
        (FailureKind.REFUSED, False),
    ],
)
def test_only_temporary_connection_failures_are_retried(kind, retried):
    from linkcheck.model import Fetched

    assert is_retryable(Fetched("u", None, "u", failure=kind)) is retried
