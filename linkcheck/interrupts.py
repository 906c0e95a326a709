"""Ctrl-C and SIGTERM during a check: stop fetching, still write what was found.

CI cancels a job, ``timeout`` ends a command and ``docker stop`` ends a container with
SIGTERM (GitHub Actions sends SIGINT first, then SIGTERM), so both signals mean the same
as a first Ctrl-C: the fetch stops, the URLs checked so far make a report marked
incomplete, the run's work store is removed and the exit code is 130.

People press Ctrl-C twice out of habit, and a second signal may follow the first from
CI: a second interrupt changes nothing (the report is on its way: what is left to do is
bounded, no request is waited for). A third one stops at once, without a report.

The signal handler only counts and asks the event loop to cancel the fetch
(``call_soon_threadsafe``): the cancellation lands at the fetch's next ``await`` when the
fetch is still running, and is dropped when it has already ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

# Interrupts after which one more stops the process at once.
STOP_AT_ONCE_AFTER = 2
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _State:
    """The interrupts seen so far, and the fetch a first one stops (when one is running)."""

    def __init__(self) -> None:
        self.count = 0
        self.fetch: asyncio.Task[Any] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None


_state = _State()


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """SIGINT and SIGTERM handled as described above while the block runs (main thread
    only: elsewhere signals cannot be handled, and the defaults stay)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    _state.count, _state.fetch, _state.loop = 0, None, None
    for sig in _SIGNALS:
        signal.signal(sig, _on_signal)
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
        _state.fetch, _state.loop = None, None


def interrupted() -> bool:
    """Whether an interrupt came while the block of ``handled`` ran."""
    return _state.count > 0


class Stoppable:
    """While the block runs, the current task is the fetch a first interrupt stops (one
    that came before the block stops it at its first ``await``). A stop that comes as the
    block ends finds nothing left to stop, and is dropped there rather than landing in
    the work after it."""

    async def __aenter__(self) -> None:
        task = asyncio.current_task()
        _state.fetch, _state.loop = task, asyncio.get_running_loop()
        if _state.count and task is not None:
            task.cancel()

    async def __aexit__(self, *exc: object) -> None:
        try:
            await asyncio.sleep(0)  # a stop already on its way lands here
        except asyncio.CancelledError:
            pass
        finally:
            _state.fetch, _state.loop = None, None


def _on_signal(signum: int, frame: FrameType | None) -> None:
    _state.count += 1
    name = signal.Signals(signum).name
    if _state.count > STOP_AT_ONCE_AFTER:
        _say(f"linkcheck: {name} again: stopping at once, without a report\n")
        raise KeyboardInterrupt
    if _state.count == 1:
        _say(
            f"linkcheck: {name}: stopping; the report will hold what was checked "
            "(interrupt twice more to stop at once)\n"
        )
    else:
        _say(f"linkcheck: {name}: still writing the report (once more to stop at once)\n")
    loop, fetch = _state.loop, _state.fetch
    if loop is not None and fetch is not None:
        with contextlib.suppress(RuntimeError):  # the loop has just closed
            loop.call_soon_threadsafe(_cancel_fetch, fetch)


def _cancel_fetch(task: asyncio.Task[Any]) -> None:
    """In the loop: stop the fetch if it is still the one running."""
    if _state.fetch is task and not task.done():
        task.cancel()


def _say(text: str) -> None:
    # os.write, not print: a signal may arrive while print is writing to stderr.
    with contextlib.suppress(OSError):
        os.write(2, text.encode("utf-8", "replace"))
