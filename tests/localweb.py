"""A real local web for tests: aiohttp apps served on 127.x.y.z addresses.

Each app runs on its own loopback address (a distinct "host") on an ephemeral
port, in one background thread with its own event loop, so the code under test
can use ``asyncio.run`` as the CLI does. Nothing here ever leaves 127.0.0.0/8.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aiohttp import web


@dataclass(frozen=True)
class Host:
    address: str
    port: int
    scheme: str = "http"

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.address}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path


class LocalWeb:
    """Serves several aiohttp apps, one per loopback address, from one thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._runners: list[web.AppRunner] = []
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def serve(self, app: web.Application, address: str = "127.0.0.1", ssl_context=None) -> Host:
        """Start ``app`` on ``address`` (port chosen by the OS); returns where it listens."""
        future = asyncio.run_coroutine_threadsafe(self._start(app, address, ssl_context), self.loop)
        port = future.result(timeout=10)
        return Host(address, port, "https" if ssl_context else "http")

    async def _start(self, app: web.Application, address: str, ssl_context) -> int:
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1)
        await runner.setup()
        site = web.TCPSite(runner, address, 0, ssl_context=ssl_context)
        await site.start()
        self._runners.append(runner)
        return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def close(self) -> None:
        async def stop() -> None:
            for runner in self._runners:
                await runner.cleanup()
            # Handlers still sleeping (hanging routes) end here, not when the loop is collected.
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(timeout=15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


@contextmanager
def local_web() -> Iterator[LocalWeb]:
    web_ = LocalWeb()
    try:
        yield web_
    finally:
        web_.close()
