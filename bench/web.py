"""A local web with latency for the engine benchmark: many hosts, one port, one process.

Every bench host name becomes its own loopback address (127.1.x.y), so both
linkcheck and lychee see distinct hosts without any DNS trick (lychee has no
``--resolve``); the server binds each address explicitly (never 0.0.0.0).
Latency and status are pure functions of the path (``plan``), so the bench can
compute the lower bound exactly.

    python bench/web.py --addresses 127.1.0.1,127.1.0.2   # prints the port, serves
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import zlib
from collections import Counter

from aiohttp import web

PAGE = b"<!doctype html><html><head><title>An article</title></head><body>" + b"x" * 2048
IMAGE = b"\xff\xd8\xff\xe0" + b"\0" * 4096


def plan(path: str) -> tuple[float, int]:
    """(latency in seconds, status) for a path: 20..80 ms, 3% 404, 3% 301, else 200."""
    h = zlib.crc32(path.encode())
    latency = (20 + h % 61) / 1000
    bucket = (h >> 8) % 100
    if path.endswith("?moved"):
        return latency, 200
    return latency, 404 if bucket < 3 else 301 if bucket < 6 else 200


def make_app(counts: Counter[str]) -> web.Application:
    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path == "/__stats":
            return web.json_response(dict(counts))
        if request.path == "/__reset":
            counts.clear()
            return web.Response(text="ok")
        counts[request.method] += 1
        latency, status = plan(request.path_qs)
        await asyncio.sleep(latency)
        if status == 301:
            # Absolute: a path such as //lede/x would read as a network-path reference.
            moved = str(request.url.with_query(None)) + "?moved"
            return web.Response(status=301, headers={"Location": moved})
        if status == 404:
            return web.Response(status=404, text="not here")
        is_image = request.path.endswith((".jpg", ".jpeg", ".png"))
        body = IMAGE if is_image else PAGE
        return web.Response(body=body, content_type="image/jpeg" if is_image else "text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


async def serve(addresses: list[str]) -> None:
    counts: Counter[str] = Counter()
    runner = web.AppRunner(make_app(counts), access_log=None, handle_signals=True)
    await runner.setup()
    first = web.TCPSite(runner, addresses[0], 0, backlog=1024)
    await first.start()
    port = first._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    for address in addresses[1:]:
        await web.TCPSite(runner, address, port, backlog=1024).start()
    print(port, flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", required=True, help="comma-separated 127.x.y.z")
    args = parser.parse_args()
    addresses = args.addresses.split(",")
    if not all(a.startswith("127.") for a in addresses):
        sys.exit("bench/web.py serves on loopback addresses only")
    asyncio.run(serve(addresses))


if __name__ == "__main__":
    main()
