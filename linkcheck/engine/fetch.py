"""UrlCheck -> Fetched: every unique URL asked once, fast and politely, failures as values.

Layers, each owning one concern (as in httpx): ``fetch_all`` runs a fixed pool
of workers fed by the per-host scheduler, which pulls the URLs lazily (a window
of them at a time, so a generator over a million URLs costs a window's memory);
a worker makes one attempt (``Client.attempt``), then either delivers the answer
or hands the URL back to the scheduler to come back after its wait
(``Client.next_wait``), so a URL waiting to be retried holds no host slot;
``_follow`` walks the redirect chain itself (every hop recorded, checked against
the address policy, sent through its host's gate); ``_send`` is one request.
aiohttp's exceptions are translated in one place, ``describe_exception``, most
specific first.
Nothing here raises for a bad URL: the worst a URL can do is become a
``Fetched`` with ``failure`` set.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import ssl
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from linkcheck.config import Config
from linkcheck.engine.addresses import (
    AddressPolicy,
    BlockedAddressError,
    GuardedResolver,
    blocked_reason,
    literal_address,
)
from linkcheck.engine.anchors import AnchorScan, judged_fragments
from linkcheck.engine.bodies import enough_bytes
from linkcheck.engine.host_policy import HostLimits
from linkcheck.engine.hosts import HostGate, HostPool, Scheduler
from linkcheck.engine.netfail import is_network_unreachable, resolver_failure
from linkcheck.engine.retrying import (
    host_backoff_s,
    is_retryable,
    known_failing,
    retry_wait,
    server_delay,
)
from linkcheck.errors import ConfigError
from linkcheck.model import FailureKind, Fetched, Hop, UrlCheck
from linkcheck.specs import parse_resolve, parse_statuses

Sleep = Callable[[float], Awaitable[None]]
# Whether the body read so far answers every content check (``bodies.enough_bytes``).
Enough = Callable[[bytes | bytearray], bool]

# HEAD answers that say the server does not do HEAD at all, for any URL.
HEAD_UNSUPPORTED = frozenset({405, 501})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Bytes read from a non-2xx body: enough for a bot-wall marker, not a whole error page.
ERROR_BODY_BYTES = 8192
# A body nobody asked for is read this far to keep the connection alive, else dropped.
DRAIN_BYTES = 65_536
# Reads of a body that may stop early start this small and double up to READ_BYTES, so an
# image whose size is in its first bytes costs one 4 KiB read, not 64 KiB.
FIRST_READ_BYTES = 4096
READ_BYTES = 65_536
# After an early stop, a rest this small is read out (and dropped) to keep the connection:
# cheaper than a new TCP connection for the next image on the same host.
REST_DRAIN_BYTES = 16_384
DNS_CACHE_S = 300
# The kernel's receive buffer of each connection. Left alone, Linux grows it to megabytes,
# and a body we stop reading keeps arriving into it until the connection is closed; the
# largest body linkcheck reads (a 256 KiB page) still fits one window.
RECEIVE_BUFFER_BYTES = 262_144


class _Stop(Exception):
    """Ends an attempt with a known failure (loop, too many hops, blocked address)."""

    def __init__(self, kind: FailureKind, text: str) -> None:
        super().__init__(text)
        self.kind = kind
        self.text = text


@dataclass
class _Trail:
    """What one URL's attempts have done so far; survives an exception mid-chain."""

    url: str
    hops: list[Hop] = field(default_factory=list)
    requests: int = 0
    attempts: int = 0
    started: float = 0.0
    # The gate of the host the last request went to (the last hop's).
    gate: HostGate | None = None

    def so_far(self) -> dict[str, Any]:
        """Fetched's bookkeeping fields as of now: the attempt that ends now is the answer
        unless retried, and a retry's answer is built again with the later counts."""
        return {
            "attempts": self.attempts,
            "requests": self.requests,
            "elapsed_ms": round((time.monotonic() - self.started) * 1000),
            "fetched_at": datetime.now(UTC),
        }


def default_window(config: Config) -> int:
    """URLs pulled but not yet delivered, at most: 50 per worker, and never under 5,000.

    Busiest-host-first can only choose among what was pulled. Fed in spread order,
    a window holds each host's share: at 5,000 a host with 0.2% of the run has 10
    URLs at hand, enough for its ``per_host`` slots, and every worker has 50 URLs
    to choose from. 5,000 UrlChecks with their parsed URLs cost about 5 MB; a
    million would cost ~400 MB. Measured: no slower than pulling everything.
    """
    return max(50 * config.http.max_concurrency, 5000)


@dataclass
class _Job:
    """One URL on its way through the engine: where it is, what its attempts did."""

    index: int
    check: UrlCheck
    url: URL
    want_body: bool
    trail: _Trail
    last: Fetched | None = None
    waited_s: float = 0.0


async def fetch_all(
    checks: Iterable[UrlCheck],
    config: Config,
    *,
    on_result: Callable[[Fetched], None] | None = None,
    want_body: Callable[[UrlCheck], bool] | None = None,
    sleep: Sleep | None = None,
    collect: bool = True,
    window: int | None = None,
    deadline: float | None = None,
    engine: EngineStats | None = None,
) -> list[Fetched]:
    """Check every URL once; results in the order of ``checks``.

    ``checks`` is pulled lazily: at most ``window`` URLs (default
    ``default_window(config)``) are taken from it and not yet delivered to
    ``on_result``, so a generator over a million URLs costs a window's memory.
    URLs refused without a request (excluded, blocked, not http) are delivered as
    they are pulled. ``sleep`` replaces the sleep between retries (tests).
    With ``collect=False`` results only go to ``on_result`` and the list is empty.

    ``deadline`` (``time.monotonic()`` seconds; default: ``http.run_deadline_s`` from
    now, when set) ends the checking: what is left is delivered unchecked (its last
    answer when it had one, else ``not_checked``). ``engine`` receives the hosts
    whose limit moved or that were paused, and whether the deadline cut the run.
    """
    wants = want_body or (lambda c: c.wants_body)
    results: dict[int, Fetched] = {}
    open_jobs: dict[int, _Job] = {}

    def deliver(index: int, fetched: Fetched) -> None:
        open_jobs.pop(index, None)
        if collect:
            results[index] = fetched
        if on_result is not None:
            on_result(fetched)

    if deadline is None and config.http.run_deadline_s > 0:
        deadline = time.monotonic() + config.http.run_deadline_s
    async with Client(config, sleep=sleep) as client:

        def admitted() -> Iterator[tuple[str, _Job]]:
            for index, check in enumerate(checks):
                url = client.admit(check)
                if isinstance(url, URL):
                    trail = _Trail(check.url)
                    job = _Job(index, check, url, wants(check), trail)
                    open_jobs[index] = job
                    yield url.host or "", job
                else:
                    deliver(index, url)

        scheduler = Scheduler(
            client.pool, admitted(), window or default_window(config), client.sleep
        )

        workers = config.http.max_concurrency
        if isinstance(checks, Sized):
            workers = min(workers, len(checks))
        cut = False
        try:
            async with asyncio.timeout_at(_loop_time(deadline)):
                async with asyncio.TaskGroup() as group:
                    for _ in range(workers):
                        group.create_task(_work(scheduler, client, deliver))
        except TimeoutError:
            cut = True
        except BaseExceptionGroup as errors:
            # One failure (the source or on_result raised) surfaces as itself.
            if len(errors.exceptions) == 1:
                raise errors.exceptions[0] from None
            raise
        finally:
            rest = scheduler.close()
        if cut:
            _deliver_unchecked([*open_jobs.values()], rest, deliver)
        if engine is not None:
            engine.add(client.pool.adapted(), cut)
    return [results[i] for i in sorted(results)]


async def _work(
    scheduler: Scheduler[_Job], client: Client, deliver: Callable[[int, Fetched], None]
) -> None:
    """One worker: take a URL whose host has a free slot, make one attempt, then deliver
    the answer or give the slot back while the URL waits for its next attempt."""
    while (item := await scheduler.take()) is not None:
        gate, job = item
        retried = False
        try:
            fetched = await client.attempt(job, gate)
            wait = client.next_wait(job, fetched)
            if wait is None:
                deliver(job.index, fetched)
            else:
                job.last, job.waited_s = fetched, job.waited_s + wait
                retried = True
                timed_out = fetched.failure is FailureKind.TIMEOUT
                await scheduler.retry(gate, job, wait, behind=timed_out)
        finally:
            if not retried:
                await scheduler.done(gate)


def _deliver_unchecked(
    held: list[_Job], rest: Iterator[_Job], deliver: Callable[[int, Fetched], None]
) -> None:
    """The run deadline passed: the URLs in hand get their last answer, or ``not
    checked``; so do the URLs never pulled (the refused ones deliver themselves)."""
    for job in held:
        deliver(job.index, job.last or _not_checked(job.check.url))
    for job in rest:
        deliver(job.index, _not_checked(job.check.url))


@dataclass
class EngineStats:
    """What the engine tells the report: hosts whose limit moved or that were paused
    (``host_policy.HostLimits`` by host), and whether the run deadline cut the checking."""

    hosts: dict[str, HostLimits] = field(default_factory=dict)
    cut: bool = False

    def add(self, hosts: dict[str, HostLimits], cut: bool) -> None:
        """One fetch pass's numbers (the https twins are a second pass over the same hosts)."""
        for name, limits in hosts.items():
            known = self.hosts.get(name)
            self.hosts[name] = limits if known is None else known.merged(limits)
        self.cut = self.cut or cut


DEADLINE_ERROR = "not checked: run deadline reached"


def _not_checked(url: str) -> Fetched:
    return Fetched(
        url,
        None,
        url,
        error=DEADLINE_ERROR,
        failure=FailureKind.TIMEOUT,
        attempts=0,
        requests=0,
        fetched_at=datetime.now(UTC),
    )


def _loop_time(deadline: float | None) -> float | None:
    """A ``time.monotonic()`` deadline on the running loop's clock (None: none)."""
    if deadline is None:
        return None
    return asyncio.get_running_loop().time() + (deadline - time.monotonic())


class Client:
    """One run's HTTP client: one session, keep-alive, DNS cache, gates, policy."""

    def __init__(self, config: Config, sleep: Sleep | None = None) -> None:
        http = config.http
        self.config = config
        self.sleep: Sleep = sleep or asyncio.sleep
        self.pool = HostPool(
            http.per_host, http.host_interval_ms / 1000, pause_budget_s=http.host_pause_budget_s
        )
        self.policy = AddressPolicy(http.allow_private, http.allow_loopback, http.allow_link_local)
        self._ssl = _ssl_context(http.verify_tls, http.ca_bundle)
        self._extra = [(re.compile(p), dict(h)) for p, h in http.headers.items()]
        self._exclude = [re.compile(p) for p in http.exclude]
        self._include = [re.compile(p) for p in http.include]
        # HEAD answers that often mean "I don't do HEAD" rather than "no such page".
        self._reask = _statuses("http.head_reask", http.head_reask)
        # Host -> why its literal address is refused (None: allowed); decided once per host.
        self._blocked: dict[str, str | None] = {}
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Client:
        http = self.config.http
        resolver = GuardedResolver(
            self.policy, [parse_resolve(e) for e in http.resolve], timeout_s=http.connect_timeout_s
        )
        connector = aiohttp.TCPConnector(
            limit=http.max_concurrency,
            limit_per_host=http.per_host,
            ttl_dns_cache=DNS_CACHE_S,
            resolver=resolver,
            ssl=self._ssl,
            socket_factory=_small_window_socket,
        )
        # No ``total``: each attempt runs under asyncio.timeout(request_timeout_s), which
        # bounds every hop and body read at once; a second timer per request is CPU for nothing.
        timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=http.connect_timeout_s,
            sock_read=http.read_timeout_s,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            headers={"User-Agent": self.config.user_agent, "Accept": "*/*"},
            trust_env=http.trust_env and _environment_matters(),
            max_field_size=16_384,
            max_line_size=16_384,
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._session is not None:
            await self._session.close()

    def admit(self, check: UrlCheck) -> URL | Fetched:
        """The parsed URL to request, or a Fetched without any request when rules or the
        URL itself say so (parsed once here, reused by every request of the URL)."""
        url = check.url
        reason = _excluded(url, self._exclude, self._include)
        kind = FailureKind.EXCLUDED
        if reason is None:
            try:
                parsed = URL(check.request_url or url)  # credentials.py: url is masked
            except (ValueError, TypeError):
                parsed = None
            if parsed is not None and parsed.scheme in ("http", "https") and parsed.host:
                return parsed
            reason, kind = f"not an http(s) URL: {url}", FailureKind.OTHER
        return Fetched(
            url,
            None,
            url,
            error=reason,
            failure=kind,
            attempts=0,
            requests=0,
            fetched_at=datetime.now(UTC),
        )

    async def fetch(self, check: UrlCheck, want_body: bool, url: URL | None = None) -> Fetched:
        """All attempts at one URL, one after the other (``url``: ``check.url`` parsed);
        the last one is the answer. ``fetch_all`` runs the same steps through its
        scheduler, so that a URL waiting to be retried holds no host slot."""
        start = url if url is not None else URL(check.request_url or check.url)
        job = _Job(0, check, start, want_body, _Trail(check.url))
        while True:
            fetched = await self.attempt(job, self.pool.gate(start.host or ""))
            wait = self.next_wait(job, fetched)
            if wait is None:
                return fetched
            job.waited_s += wait
            await self.sleep(wait)

    async def attempt(self, job: _Job, gate: HostGate) -> Fetched:
        """One attempt at the job's URL (all its hops), told to the hosts it reached."""
        trail = job.trail
        if not trail.started:
            trail.started = time.monotonic()
        fetched = await self._attempt(job.check, job.url, job.want_body, trail)
        if fetched.status != 429:  # a 429 already paused its host, in _send
            (trail.gate or gate).answered(trail.url, _overloaded(fetched))
        return fetched

    def next_wait(self, job: _Job, fetched: Fetched) -> float | None:
        """Seconds before the next attempt, or None: ``fetched`` is the answer.

        A URL failing as it did on the last run (history) is not asked again, nor is a
        429 from a host whose pause budget is spent."""
        if not is_retryable(fetched) or known_failing(job.check, fetched):
            return None
        gate = job.trail.gate
        if fetched.status == 429 and gate is not None and gate.limits.exhausted:
            return None
        wait = retry_wait(fetched, job.trail.attempts, job.waited_s, self.config.retry)
        if wait is not None and fetched.failure is FailureKind.TIMEOUT:
            # A timeout has given the server its time already; the URL goes behind its
            # host's other URLs instead of waiting a back-off.
            return 0.0
        return wait

    async def _attempt(self, check: UrlCheck, url: URL, want_body: bool, trail: _Trail) -> Fetched:
        trail.attempts += 1
        trail.hops = []
        trail.url = check.url
        trail.gate = None
        try:
            async with asyncio.timeout(self.config.http.request_timeout_s):
                return await self._follow(check, url, want_body, trail)
        except Exception as exc:  # a failed URL is a value
            kind, text = describe_exception(exc)
            _drop_tracebacks(exc)
            return Fetched(
                check.url,
                None,
                trail.url,
                redirects=tuple(trail.hops),
                error=text,
                failure=kind,
                **trail.so_far(),
            )

    async def _follow(self, check: UrlCheck, url: URL, want_body: bool, trail: _Trail) -> Fetched:
        """One pass down the redirect chain, HEAD first unless the body is wanted.

        HEAD is the cheapest ask; a refusing or lying HEAD (a status in
        ``http.head_reask``) is asked again as GET.
        A host that refused HEAD outright (405/501) and then answered GET is asked
        GET first from then on, and so is a URL whose last answer (history) HEAD would
        re-ask: the verdict was going to be GET's anyway.
        """
        method = "GET" if want_body or check.last_status in self._reask else "HEAD"
        headers = _conditional(check)
        seen = {str(url)}
        while True:
            gate = trail.gate = self._guard(url)
            if gate.get_only:
                method = "GET"
            trail.url = str(url)
            resp = await self._send(method, url, headers, trail, gate)
            if method == "HEAD" and resp.status in self._reask:
                resp.release()  # a HEAD answer has no body: the connection stays open
                head_status, method = resp.status, "GET"
                resp = await self._send(method, url, headers, trail, gate)
                if head_status in HEAD_UNSUPPORTED and resp.status != head_status:
                    gate.get_only = True
            try:
                target = _location(url, resp)
                if target is None:
                    return await self._final(check, want_body, method, url, resp, trail)
                if isinstance(target, str):  # a Location nobody can follow
                    return _answer(check, url, resp, trail, error=target)
                trail.hops.append(Hop(str(url), resp.status))
                await read_capped(resp, DRAIN_BYTES)  # a read-out body keeps the connection
                _check_chain(trail.hops, target, seen, self.config.http.max_redirects)
                seen.add(str(target))
                url = target
            finally:
                resp.release()  # closes the connection instead when the body was not read out

    async def _final(
        self,
        check: UrlCheck,
        want_body: bool,
        method: str,
        url: URL,
        resp: aiohttp.ClientResponse,
        trail: _Trail,
    ) -> Fetched:
        if resp.status == 304:
            return _answer(check, url, resp, trail, not_modified=True)
        if method != "GET":
            return _answer(check, url, resp, trail)
        cap, enough = DRAIN_BYTES, None
        if want_body:
            cap = _body_cap(check, self.config) if resp.status < 300 else ERROR_BODY_BYTES
            enough = self._enough(check) if resp.status < 300 else None
        body, truncated = await read_capped(resp, cap, enough)
        if not want_body:
            body, truncated = b"", False
        return _answer(check, url, resp, trail, body=body, truncated=truncated)

    def _enough(self, check: UrlCheck) -> Enough | None:
        """When the content checks have what they need from a body, or None: read to the cap.

        With ``http.check_fragments``, also not before every fragment wanted from the page
        has been seen among its anchors (fed incrementally: each byte is parsed once).
        """
        config = self.config.content
        wanted = judged_fragments(check.fragments) if self.config.http.check_fragments else ()
        if not wanted:
            if not config.enabled:
                return None
            return lambda body: enough_bytes(check, body, config)
        scan = AnchorScan(wanted)

        def enough(body: bytes) -> bool:
            seen_all = scan.update(body)
            return seen_all and (not config.enabled or enough_bytes(check, body, config))

        return enough

    def _guard(self, url: URL) -> HostGate:
        """The host's gate, once its address passes the policy (decided once per host)."""
        host = url.host
        if url.scheme not in ("http", "https") or not host:
            raise _Stop(FailureKind.OTHER, f"not an http(s) URL: {url}")
        if host not in self._blocked:
            address = literal_address(host)
            self._blocked[host] = None if address is None else blocked_reason(address, self.policy)
        if reason := self._blocked[host]:
            raise _Stop(FailureKind.BLOCKED_ADDRESS, reason)
        return self.pool.gate(host)

    async def _send(
        self, method: str, url: URL, headers: dict[str, str], trail: _Trail, gate: HostGate
    ) -> aiohttp.ClientResponse:
        """One request through its host's gate; a 429 pauses the whole host."""
        assert self._session is not None
        if self._extra:
            headers = {**headers, **self._extra_for(url)}
        await gate.turn()
        trail.requests += 1
        try:
            resp = await self._session.request(
                method, url, headers=headers or None, allow_redirects=False
            )
        except aiohttp.ClientConnectorError:
            trail.requests -= 1  # never reached the server: nothing was sent
            raise
        if resp.status == 429:
            said = server_delay(resp.headers, resp.status) is not None
            pause = host_backoff_s(resp.status, resp.headers, gate.throttled, self.config.retry)
            gate.throttle(pause, said)
        return resp

    def _extra_for(self, url: URL) -> dict[str, str]:
        """The extra headers of every ``http.headers`` pattern matching the WHOLE host:
        ``127\\.0\\.0\\.2`` is not ``127.0.0.20``, so a token never leaks to a look-alike."""
        extra: dict[str, str] = {}
        for pattern, headers in self._extra:
            if pattern.fullmatch(url.host or ""):
                extra.update(headers)
        return extra


def _small_window_socket(addr_info: tuple[Any, ...]) -> socket.socket:
    """A client socket whose receive buffer stays at ``RECEIVE_BUFFER_BYTES``."""
    family, type_, proto = addr_info[:3]
    sock = socket.socket(family=family, type=type_, proto=proto)
    # A platform without it keeps its default: only the bound on waste is lost.
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
    return sock


def _overloaded(fetched: Fetched) -> bool:
    """An answer that may mean the host is overloaded (``host_policy``): a 502/503/504,
    a timeout or a reset."""
    if fetched.failure is not None:
        return fetched.failure in (FailureKind.TIMEOUT, FailureKind.RESET)
    return fetched.status in (502, 503, 504)


async def read_capped(
    resp: aiohttp.ClientResponse, cap: int, enough: Enough | None = None
) -> tuple[bytes, bool]:
    """At most ``cap`` DECODED bytes, streamed; fewer once ``enough(body so far)`` is True.

    aiohttp inflates in bounded chunks, so a gzip bomb costs ``cap`` bytes. A body
    left half-read is never handed back to the pool: a small known rest is read out
    (the connection is kept), anything else closes the connection. ``truncated``
    says the returned bytes are not the whole body.
    """
    # One growing buffer, handed to ``enough`` as it is: no list of chunks joined again
    # at every step (with 128 bodies in flight, those copies were tens of MB).
    buffer = bytearray()
    step = FIRST_READ_BYTES if enough is not None else READ_BYTES
    while len(buffer) < cap:
        chunk = await resp.content.read(min(cap - len(buffer), step))
        if not chunk:
            break
        buffer += chunk
        if enough is not None and enough(buffer):
            break
        step = min(step * 2, READ_BYTES)
    size = len(buffer)
    body = bytes(buffer)
    del buffer
    if resp.content.at_eof():
        return body, False
    if enough is not None:
        await _finish_or_close(resp, size)
    return body, True


async def _finish_or_close(resp: aiohttp.ClientResponse, consumed: int) -> None:
    """Read out a small known rest so the connection can be reused; else close it now."""
    rest = _unread_bytes(resp, consumed)
    if rest is not None and rest <= REST_DRAIN_BYTES:
        try:
            while await resp.content.read(READ_BYTES):
                pass  # dropped: only the connection is wanted
        except (aiohttp.ClientError, OSError):
            pass  # the answer is already in hand; the connection is closed below
        if resp.content.at_eof():
            return
    resp.close()


def _unread_bytes(resp: aiohttp.ClientResponse, consumed: int) -> int | None:
    """Bytes of the body not read yet, when Content-Length says so (identity encoding only)."""
    if resp.headers.get("Content-Encoding", "identity").lower() != "identity":
        return None
    try:
        length = int(resp.headers.get("Content-Length", ""))
    except ValueError:
        return None
    return max(length - consumed, 0)


def describe_exception(exc: BaseException) -> tuple[FailureKind, str]:
    """The one translation of client errors, most specific first (TLS before connect)."""
    if isinstance(exc, _Stop):
        return exc.kind, exc.text
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        cert = exc.certificate_error
        reason = getattr(cert, "verify_message", None) or getattr(cert, "reason", None) or cert
        return FailureKind.TLS, f"TLS certificate error: {reason}"
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return FailureKind.TLS, f"TLS handshake failed: {_short(exc)}"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        if isinstance(exc.os_error, BlockedAddressError):
            return FailureKind.BLOCKED_ADDRESS, str(exc.os_error)
        gone, text = resolver_failure(exc.host, exc.os_error)
        return (FailureKind.NXDOMAIN if gone else FailureKind.DNS), text
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return FailureKind.CONNECT_TIMEOUT, "connect timed out"
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return FailureKind.TIMEOUT, "read timed out"
    if isinstance(exc, TimeoutError):
        return FailureKind.TIMEOUT, "timed out"
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, ConnectionRefusedError):
            return FailureKind.REFUSED, "connection refused"
        if is_network_unreachable(exc.os_error):
            return FailureKind.NETWORK, f"cannot connect: {exc.os_error.strerror or exc.os_error}"
        return FailureKind.OTHER, f"cannot connect: {exc.os_error.strerror or exc.os_error}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return FailureKind.RESET, "server closed the connection"
    if isinstance(exc, ConnectionResetError | aiohttp.ClientPayloadError):
        return FailureKind.RESET, "connection reset"
    if isinstance(exc, aiohttp.InvalidURL):
        return FailureKind.OTHER, f"invalid URL: {exc}"
    if isinstance(exc, aiohttp.ClientResponseError):
        return FailureKind.OTHER, f"bad response: {exc.message}"
    if isinstance(exc, aiohttp.ClientError | OSError | ValueError):
        return FailureKind.OTHER, f"{type(exc).__name__}: {_short(exc)}"
    return FailureKind.OTHER, f"unexpected {type(exc).__name__}: {_short(exc)}"


def _drop_tracebacks(exc: BaseException) -> None:
    """Forget the frames a failure went through, once its text is taken.

    A failed TLS handshake's exception and the connection's frames refer to each other,
    and each such cycle holds asyncio's 256 KiB TLS buffer until the garbage collector
    runs: hundreds of failing https hosts held over 80 MB. Without the frames, reference
    counting frees the buffer at once.
    """
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        err = stack.pop()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        err.__traceback__ = None
        os_error = getattr(err, "os_error", None)
        stack += [err.__cause__, err.__context__]
        stack += [os_error] if isinstance(os_error, BaseException) else []


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


# ---------------------------------------------------------------- helpers


def _excluded(
    url: str, exclude: list[re.Pattern[str]], include: list[re.Pattern[str]]
) -> str | None:
    for pattern in exclude:
        if pattern.search(url) and not any(p.search(url) for p in include):
            return f"excluded by rule {pattern.pattern!r}"
    return None


def _statuses(key: str, spec: str) -> frozenset[int]:
    try:
        return parse_statuses(spec)
    except ValueError as exc:  # load_config checks this too; a Config built by hand may not
        raise ConfigError(f"{key}: {exc}") from None


def _ssl_context(verify: bool, ca_bundle: str | None) -> ssl.SSLContext | bool:
    if not verify:
        return False
    if ca_bundle is None:
        return True
    try:
        return ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"http.ca_bundle: cannot load {ca_bundle}: {exc}") from None


def _environment_matters() -> bool:
    """Whether trust_env would change anything: a proxy variable or a netrc file.

    aiohttp looks both up in a worker thread for every request when trust_env
    is on, which halves throughput; when neither exists there is nothing to trust.
    """
    netrc = os.environ.get("NETRC") or os.path.expanduser("~/.netrc")
    return bool(urllib.request.getproxies()) or os.path.isfile(netrc)


def _conditional(check: UrlCheck) -> dict[str, str]:
    validators = check.validators
    headers: dict[str, str] = {}
    if validators is not None and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators is not None and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _location(url: URL, resp: aiohttp.ClientResponse) -> URL | str | None:
    """Where a redirect points: a URL, a text saying why it can't be followed, or None."""
    if resp.status not in REDIRECTS:
        return None
    location = resp.headers.get("Location")
    if not location:
        return None
    try:
        target = url.join(URL(location))
    except (ValueError, TypeError):
        return f"HTTP {resp.status} to an invalid Location {location[:100]!r}"
    if target.scheme not in ("http", "https") or not target.host:
        return f"HTTP {resp.status} to a non-http(s) Location {location[:100]!r}"
    return target.with_fragment(None)


def _check_chain(hops: list[Hop], target: URL, seen: set[str], max_redirects: int) -> None:
    chain = " -> ".join([h.url for h in hops] + [str(target)])
    if str(target) in seen:
        raise _Stop(FailureKind.REDIRECT_LOOP, f"redirect loop: {chain}")
    if len(hops) > max_redirects:
        raise _Stop(
            FailureKind.TOO_MANY_REDIRECTS, f"too many redirects (>{max_redirects}): {chain}"
        )


def _body_cap(check: UrlCheck, config: Config) -> int:
    images_only = all(r.is_image for r in check.roles) and bool(check.roles)
    return config.http.max_image_bytes if images_only else config.http.max_page_bytes


def _headers(raw: CIMultiDictProxy[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _answer(
    check: UrlCheck,
    url: URL,
    resp: aiohttp.ClientResponse,
    trail: _Trail,
    *,
    body: bytes = b"",
    truncated: bool = False,
    not_modified: bool = False,
    error: str | None = None,
) -> Fetched:
    return Fetched(
        url=check.url,
        status=resp.status,
        final_url=str(url),
        redirects=tuple(trail.hops),
        headers=_headers(resp.headers),
        body=body,
        body_truncated=truncated,
        error=error,
        not_modified=not_modified,
        **trail.so_far(),
    )
