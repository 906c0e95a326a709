"""Run a coroutine on asyncio's own loop, or on uvloop when asked and installed.

Checking links is mostly waiting, but at 64 requests in flight the Python event
loop's own work per request (selector, callbacks, transports) is what is left
between linkcheck's wall time and the network's lower bound. uvloop (libuv) does
that work in C: 1-2 % less wall time on the engine bench. It is not the default:
with it, the process's memory grew with every request (+83 MB over 100,000
requests, past the 300 MB target at a million), so it is opt-in
(``LINKCHECK_LOOP=uvloop``, ``pip install 'linkcheck[uvloop]'``; not on Windows).
Otherwise, and wherever uvloop fails to import, ``run`` is exactly ``asyncio.run``.

Both paths go through ``asyncio.Runner``, which is what ``asyncio.run`` is made
of, so Ctrl-C behaves the same on either loop: the first SIGINT cancels the main
task (run.py turns that into a partial report), and ``KeyboardInterrupt`` is
raised once the task has unwound.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def loop_factory(use_uvloop: bool | None = None) -> LoopFactory | None:
    """uvloop's loop constructor, or None (asyncio's default loop) when absent or not wanted.

    ``None``: wanted when the environment says ``LINKCHECK_LOOP=uvloop``. (The test suite
    keeps it off: uvloop resolves names and connects in C, where its loopback-only guard
    cannot see.)
    """
    if use_uvloop is None:
        use_uvloop = os.environ.get("LINKCHECK_LOOP") == "uvloop"
    if not use_uvloop:
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def loop_name(use_uvloop: bool | None = None) -> str:
    """Which loop ``run`` would use: "uvloop" or "asyncio"; for bench and debug output."""
    return "asyncio" if loop_factory(use_uvloop) is None else "uvloop"


def run(coro: Coroutine[Any, Any, T], *, use_uvloop: bool | None = None) -> T:
    """``asyncio.run(coro)``, on uvloop when asked and installed (see ``loop_factory``)."""
    with asyncio.Runner(loop_factory=loop_factory(use_uvloop)) as runner:
        return runner.run(coro)
