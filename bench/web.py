"""A local web with latency for the engine benchmark: many hosts, one port, one process.

Every bench host name becomes its own loopback address (127.1.x.y), so both
linkcheck and lychee see distinct hosts without any DNS trick (lychee has no
``--resolve``); the server binds each address explicitly (never 0.0.0.0).
Latency and status are pure functions of the path (``plan``), so the bench can
compute the lower bound exactly. With ``--content real`` (bench_pipeline) bodies
are realistic, so content checks do real work: JPEGs of 2 KB (logos) to 400 KB
with real pixel sizes, some behind an EXIF block of up to 40 KB, and HTML pages
of 30-400 KB whose title and h1 come after inline scripts and navigation, AMP
pages for ``/amp/`` paths and 1% soft 404s; every body has an ETag.

    python bench/web.py --addresses 127.1.0.1,127.1.0.2   # prints the port, serves

``--loop uvloop`` serves on uvloop: the server is the same for every client, but
at 64 requests in flight its own event loop can be what both clients wait on.

Noise (``--mix realistic|hostile``): on the noisy hosts (``--noisy``: the busiest
hosts for ``realistic``; every host for ``hostile``) some paths misbehave, chosen
by a hash of the path (``noise``): 503 forever, 429 with ``Retry-After`` once,
a hang past any client timeout, a reset connection, a huge or a gzip-bomb body,
a chain of redirects. The server counts the requests in flight per host (its
local address) and the highest count, served by ``/__stats``, so a bench can
check a client never went past its per-host limit.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import logging
import socket
import struct
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable

from aiohttp import web

PAGE = b"<!doctype html><html><head><title>An article</title></head><body>" + b"x" * 2048
IMAGE = b"\xff\xd8\xff\xe0" + b"\0" * 4096


# Latency range in ms; ``--latency-ms 0-0`` serves at once (memory benchmarks).
LATENCY_MS = (20, 80)


def plan(path: str) -> tuple[float, int]:
    """(latency in seconds, status) for a path: 20..80 ms, 3% 404, 3% 301, else 200."""
    h = zlib.crc32(path.encode())
    low, high = LATENCY_MS
    latency = (low + h % (high - low + 1)) / 1000
    bucket = (h >> 8) % 100
    if path.endswith("?moved"):
        return latency, 200
    return latency, 404 if bucket < 3 else 301 if bucket < 6 else 200


# Per-mix share (in 1/1000) of a noisy host's paths with each misbehaviour, in order.
MIXES: dict[str, tuple[tuple[str, int], ...]] = {
    "clean": (),
    "realistic": (
        ("503", 30),
        ("429", 5),
        ("hang", 3),
        ("reset", 10),
        ("huge", 5),
        ("bomb", 5),
        ("chain", 10),
    ),
    "hostile": (
        ("503", 100),
        ("429", 50),
        ("hang", 30),
        ("reset", 50),
        ("huge", 50),
        ("bomb", 50),
        ("chain", 50),
    ),
}
# What a 429 asks for, in seconds; a hang outlasts every client timeout of the bench.
RETRY_AFTER_S = 1
HANG_S = 60.0
HUGE_BYTES = 64 * 1024 * 1024
CHAIN_HOPS = 3


def noise(path: str, mix: str) -> str | None:
    """The misbehaviour of a noisy host's path under ``mix``, or None (served as planned).

    A hash of its own (not ``plan``'s), so noise falls on 200s, 404s and 301s alike."""
    if "?hop=" in path or path.endswith("?moved"):
        return None
    bucket = zlib.crc32(b"noise" + path.encode()) % 1000
    for kind, share in MIXES[mix]:
        if bucket < share:
            return kind
        bucket -= share
    return None


VARIANTS = 16


def jpeg(width: int, height: int, exif: int, total: int) -> bytes:
    """A JPEG whose SOF (the pixel size) follows an ``exif``-byte APP1 segment."""
    head = b"\xff\xd8"
    if exif:
        head += b"\xff\xe1" + struct.pack(">H", exif + 2) + b"Exif\0\0" + b"\x01" * (exif - 6)
    head += b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3)
    head += b"\x01\x22\x00\x02\x11\x01\x03\x11\x01\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    return head + bytes(range(256)) * ((total - len(head)) // 256 + 1)


def html(n: int, amp: bool) -> bytes:
    """A news page: inline script, then nav, then the h1, then paragraphs."""
    title = "Page not found" if n == 0 else f"Generated article {n} | Provider News"
    canonical = '<link rel="canonical" href="/articles/x">' if amp else ""
    script = "<script>" + "var x=1;" * (250 * (1 + n % 8)) + "</script>"
    nav = "<nav>" + '<a href="/section">Section</a> ' * (150 * (1 + n % 10)) + "</nav>"
    paragraphs = "<p>" + "Words of the article. " * (1500 * (1 + n % 12)) + "</p>"
    text = (
        f"<!doctype html><html{' amp' if amp else ''} lang=en><head><meta charset=utf-8>"
        f'<title>{title}</title><meta property="og:title" content="{title}">{canonical}'
        f"{script}</head><body>{nav}<h1>{title}</h1>{paragraphs}</body></html>"
    )
    return text.encode()


def real_bodies() -> dict[str, list[bytes]]:
    """Bodies by kind, VARIANTS each, built once (the server must stay cheap)."""
    logos = [jpeg(50, 50, 0, 2000 + 300 * n) for n in range(VARIANTS)]
    photos = [
        jpeg(400 + 100 * n, 300 + 60 * n, (0, 2_000, 12_000, 40_000)[n % 4], 60_000 + 22_000 * n)
        for n in range(VARIANTS)
    ]
    pages = [html(n, amp=False) for n in range(VARIANTS)]
    amp = [html(n + 1, amp=True) for n in range(VARIANTS)]
    return {"logo": logos, "image": photos, "page": pages, "amp": amp}


def real_kind(path: str) -> str:
    if path.endswith((".jpg", ".jpeg", ".png")):
        return "logo" if "/organizations/" in path else "image"
    return "amp" if "/amp/" in path else "page"


class Flight:
    """Requests in flight per host (the server's local address), and the most at once."""

    def __init__(self) -> None:
        self.now: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.first_start: float | None = None
        self.last_end: float | None = None

    def enter(self, host: str) -> None:
        self.now[host] += 1
        self.peak[host] = max(self.peak[host], self.now[host])
        if self.first_start is None:
            self.first_start = time.time()

    def leave(self, host: str) -> None:
        self.now[host] -= 1
        self.last_end = time.time()

    def clear(self) -> None:
        self.peak.clear()
        self.first_start = self.last_end = None

    def stats(self) -> dict[str, float]:
        times = {"first_start": self.first_start, "last_end": self.last_end}
        return {
            "peak_per_host": max(self.peak.values(), default=0),
            **{k: v for k, v in times.items() if v is not None},
        }


def make_app(
    counts: Counter[str],
    real: bool = False,
    mix: str = "clean",
    noisy: frozenset[str] | None = None,
) -> web.Application:
    """The app; ``noisy`` None means every host is noisy."""
    bodies = real_bodies() if real else {}
    bomb = gzip.compress(b"\0" * HUGE_BYTES, compresslevel=9) if mix != "clean" else b""
    flight = Flight()
    seen: Counter[str] = Counter()

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path == "/__stats":
            return web.json_response({**counts, **flight.stats()})
        if request.path == "/__reset":
            counts.clear()
            flight.clear()
            seen.clear()
            return web.Response(text="ok")
        counts[request.method] += 1
        host = request.transport.get_extra_info("sockname")[0] if request.transport else ""
        flight.enter(host)
        try:
            kind = noise(request.path_qs, mix) if noisy is None or host in noisy else None
            if kind is not None:
                counts[kind] += 1
                seen[request.path_qs] += 1
                return await misbehave(request, kind, seen[request.path_qs])
            return await serve_planned(request)
        finally:
            flight.leave(host)

    async def misbehave(request: web.Request, kind: str, nth: int) -> web.StreamResponse:
        latency = plan(request.path_qs)[0]
        await asyncio.sleep(latency)
        if kind == "503":
            return web.Response(status=503, text="broken route")
        if kind == "429" and nth == 1:
            return web.Response(status=429, headers={"Retry-After": str(RETRY_AFTER_S)})
        if kind == "hang":
            await asyncio.sleep(HANG_S)
        if kind == "reset":
            reset(request)
            raise ConnectionResetError("reset by the bench web")
        if kind == "huge":
            if request.method == "HEAD":
                return web.Response(content_type="text/html")
            return await stream_huge(request)
        if kind == "bomb":
            headers = {"Content-Encoding": "gzip", "Content-Type": "text/html"}
            return web.Response(body=bomb, headers=headers)
        if kind == "chain":
            moved = request.url.with_query({"hop": "1"})
            return web.Response(status=302, headers={"Location": str(moved)})
        return await serve_planned(request)

    async def serve_planned(request: web.Request) -> web.StreamResponse:
        hop = int(request.query.get("hop", "0") or 0)
        if 0 < hop < CHAIN_HOPS:
            await asyncio.sleep(plan(request.path_qs)[0])
            moved = request.url.with_query({"hop": str(hop + 1)})
            return web.Response(status=302, headers={"Location": str(moved)})
        latency, status = plan(request.path_qs)
        await asyncio.sleep(latency)
        if status == 301:
            # Absolute: a path such as //lede/x would read as a network-path reference.
            moved = str(request.url.with_query(None)) + "?moved"
            return web.Response(status=301, headers={"Location": moved})
        if status == 404:
            return web.Response(status=404, text="not here")
        is_image = request.path.endswith((".jpg", ".jpeg", ".png"))
        if real:
            kind = real_kind(request.path)
            n = zlib.crc32(request.path.encode()) % VARIANTS
            headers = {"ETag": f'"{kind}-{n}"', "Cache-Control": "max-age=86400"}
            if request.headers.get("If-None-Match") == headers["ETag"]:
                return web.Response(status=304, headers=headers)
            return web.Response(
                body=bodies[kind][n],
                content_type="image/jpeg" if is_image else "text/html",
                headers=headers,
            )
        body = IMAGE if is_image else PAGE
        return web.Response(body=body, content_type="image/jpeg" if is_image else "text/html")

    async def stream_huge(request: web.Request) -> web.StreamResponse:
        is_image = request.path.endswith((".jpg", ".jpeg", ".png"))
        # A small send buffer here, so what this server has written is what reached the
        # client's socket (give or take 64 KiB), not what sits in this side's kernel.
        sock = request.transport.get_extra_info("socket") if request.transport else None
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65_536)
        resp = web.StreamResponse(headers={"Content-Length": str(HUGE_BYTES)})
        resp.content_type = "image/jpeg" if is_image else "text/html"
        await resp.prepare(request)
        head = IMAGE[:4] if is_image else PAGE[:64]
        chunk = head + b"x" * (65_536 - len(head))
        sent = 0
        try:
            while sent < HUGE_BYTES:
                await resp.write(chunk)
                sent += len(chunk)
        finally:
            counts["huge_bytes_sent"] += sent
        return resp

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def reset(request: web.Request) -> None:
    """Close the connection with a TCP reset (linger 0), not an orderly FIN."""
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport else None
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if transport is not None:
        transport.abort()


async def serve(
    addresses: list[str],
    real: bool = False,
    mix: str = "clean",
    noisy: frozenset[str] | None = None,
    port: int = 0,
) -> None:
    counts: Counter[str] = Counter()
    # A reset is this server's own doing: not an error worth a traceback.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    # handler_cancellation: a client that hangs up ends the handler (a hang stops counting
    # as in flight when its client gives up).
    runner = web.AppRunner(
        make_app(counts, real, mix, noisy),
        access_log=None,
        handle_signals=True,
        handler_cancellation=True,
    )
    await runner.setup()
    first = web.TCPSite(runner, addresses[0], port, backlog=1024)
    await first.start()
    port = first._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    for address in addresses[1:]:
        await web.TCPSite(runner, address, port, backlog=1024).start()
    print(port, flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", required=True, help="comma-separated 127.x.y.z")
    parser.add_argument("--content", choices=("tiny", "real"), default="tiny")
    parser.add_argument("--latency-ms", default="20-80", help="MIN-MAX per request")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--mix", choices=tuple(MIXES), default="clean")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--noisy", help="comma-separated addresses that misbehave (default: all)")
    args = parser.parse_args()
    global LATENCY_MS
    low, high = (int(n) for n in args.latency_ms.split("-"))
    LATENCY_MS = (low, high)
    addresses = args.addresses.split(",")
    if not all(a.startswith("127.") for a in addresses):
        sys.exit("bench/web.py serves on loopback addresses only")
    with asyncio.Runner(loop_factory=loop_factory(args.loop)) as runner:
        noisy = frozenset(args.noisy.split(",")) if args.noisy else None
        runner.run(serve(addresses, args.content == "real", args.mix, noisy, args.port))


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    if name == "asyncio":
        return None
    import uvloop

    return uvloop.new_event_loop


if __name__ == "__main__":
    main()
