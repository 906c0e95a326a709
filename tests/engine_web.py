"""The local web the engine tests talk to: one route per behaviour, with counters.

``engine_app()`` returns an aiohttp app and its ``Stats``; the app runs in
LocalWeb's thread, the tests read the stats from theirs (plain ints and lists,
updated between awaits, so no locks are needed).
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import time
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001a5f645400000000049454e44ae426082"
)
HUGE_BYTES = 50 * 1024 * 1024
# 64 MiB of zeros gzip to about 64 KiB: small on the wire, huge once inflated.
BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)


@dataclass
class Stats:
    hits: Counter[str] = field(default_factory=Counter)
    methods: list[tuple[str, str]] = field(default_factory=list)
    starts: list[tuple[float, str]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    huge_sent: int = 0
    huge_done: bool | None = None  # False once the client hung up mid-body
    throttled_at: float | None = None
    headers: list[dict[str, str]] = field(default_factory=list)


def engine_app() -> tuple[web.Application, Stats]:
    stats = Stats()

    @web.middleware
    async def count(request: web.Request, handler):  # type: ignore[no-untyped-def]
        stats.hits[request.path_qs] += 1
        stats.methods.append((request.method, request.path_qs))
        stats.starts.append((time.monotonic(), request.path_qs))
        stats.headers.append(dict(request.headers))
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            return await handler(request)
        finally:
            stats.in_flight -= 1

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="<html><title>fine</title></html>", content_type="text/html")

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=PNG_1x1, content_type="image/png")

    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="status")

    async def head_refused(request: web.Request) -> web.Response:
        if request.method == "HEAD":
            return web.Response(status=405)
        return await ok(request)

    async def head_lies(request: web.Request) -> web.Response:
        if request.method == "HEAD":
            return web.Response(status=404)
        return await ok(request)

    async def flaky(request: web.Request) -> web.Response:
        """Fails with ``code`` for the first ``fail`` requests of this query, then 200."""
        fails = int(request.query.get("fail", "1"))
        code = int(request.query.get("code", "500"))
        if stats.hits[request.path_qs] <= fails:
            headers = {"Retry-After": request.query["after"]} if "after" in request.query else {}
            return web.Response(status=code, headers=headers, text="try later")
        return await ok(request)

    async def throttle_once(request: web.Request) -> web.Response:
        if stats.throttled_at is None:
            stats.throttled_at = time.monotonic()
            return web.Response(status=429, headers={"Retry-After": "1"})
        return await ok(request)

    async def redirect(request: web.Request) -> web.Response:
        code = int(request.match_info["code"])
        to = request.query.get("to", "/ok")
        return web.Response(status=code, headers={"Location": to})

    async def chain(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n == 0:
            return await ok(request)
        return web.Response(status=302, headers={"Location": f"/chain/{n - 1}"})

    async def loop(request: web.Request) -> web.Response:
        other = "b" if request.match_info["side"] == "a" else "a"
        return web.Response(status=301, headers={"Location": f"/loop/{other}"})

    async def reset(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.abort()
        await asyncio.sleep(0.05)
        return web.Response(text="never seen")

    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return await ok(request)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("s", "0.05")))
        return await ok(request)

    async def huge(request: web.Request) -> web.StreamResponse:
        # A small send buffer: what this side has written is then what reached the
        # client's socket (give or take 64 KiB), not what waits in this side's kernel.
        sock = request.transport.get_extra_info("socket") if request.transport else None
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65_536)
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        resp.content_length = HUGE_BYTES
        await resp.prepare(request)
        chunk = b"<p>" + b"x" * 16_381
        stats.huge_done = True
        try:
            while stats.huge_sent < HUGE_BYTES:
                await resp.write(chunk)
                stats.huge_sent += len(chunk)
        except (ConnectionError, RuntimeError):
            stats.huge_done = False
            raise
        except asyncio.CancelledError:
            stats.huge_done = False
            raise
        return resp

    async def bomb(request: web.Request) -> web.Response:
        return web.Response(
            body=BOMB, headers={"Content-Encoding": "gzip", "Content-Type": "text/html"}
        )

    async def bot_wall(request: web.Request) -> web.Response:
        headers = {"cf-mitigated": "challenge", "Server": "cloudflare", "cf-ray": "1-AMS"}
        return web.Response(status=403, headers=headers, text="Just a moment...")

    async def etag(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(text="versioned", headers={"ETag": '"v1"'})

    app = web.Application(middlewares=[count])
    app.router.add_get("/ok", ok)
    app.router.add_get("/image.png", image)
    app.router.add_get("/status/{code}", status)
    app.router.add_route("*", "/head-refused", head_refused)
    app.router.add_route("*", "/head-lies", head_lies)
    app.router.add_get("/flaky", flaky)
    app.router.add_get("/throttle-once", throttle_once)
    app.router.add_get("/redirect/{code}", redirect)
    app.router.add_get("/chain/{n}", chain)
    app.router.add_get("/loop/{side}", loop)
    app.router.add_get("/reset", reset)
    app.router.add_get("/hang", hang)
    app.router.add_get("/slow", slow)
    app.router.add_get("/huge", huge)
    app.router.add_get("/bomb", bomb)
    app.router.add_get("/bot-wall", bot_wall)
    app.router.add_get("/etag", etag)
    return app, stats
