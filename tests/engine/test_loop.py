"""linkcheck.engine.loop: uvloop when installed, asyncio's loop otherwise; Ctrl-C alike."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from linkcheck.engine.loop import loop_factory, loop_name, run
from tests.localweb import local_web

ROOT = Path(__file__).resolve().parents[2]


# uvloop is a dependency everywhere but Windows, where only the fallback exists.
needs_uvloop = pytest.mark.skipif(sys.platform == "win32", reason="no uvloop on Windows")


async def running_loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


@needs_uvloop
def test_runs_on_asyncio_unless_the_environment_asks_for_uvloop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run(running_loop_module()) == "asyncio"
    assert loop_name() == "asyncio"
    monkeypatch.setenv("LINKCHECK_LOOP", "uvloop")
    assert run(running_loop_module()) == "uvloop"
    assert loop_name() == "uvloop"
    assert run(running_loop_module(), use_uvloop=False) == "asyncio"


def test_use_uvloop_false_runs_on_asyncio() -> None:
    assert run(running_loop_module(), use_uvloop=False) == "asyncio"
    assert loop_name(use_uvloop=False) == "asyncio"


def test_falls_back_to_asyncio_when_uvloop_cannot_be_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # None in sys.modules makes `import uvloop` raise ImportError, as on Windows.
    monkeypatch.setitem(sys.modules, "uvloop", None)
    monkeypatch.setenv("LINKCHECK_LOOP", "uvloop")
    assert loop_factory() is None
    assert run(running_loop_module()) == "asyncio"


@needs_uvloop
def test_exceptions_propagate_and_the_loop_is_closed() -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    async def fail() -> None:
        loops.append(asyncio.get_running_loop())
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        run(fail(), use_uvloop=True)
    assert type(loops[0]).__module__.startswith("uvloop") and loops[0].is_closed()


@needs_uvloop
def test_aiohttp_client_talks_to_the_local_web_on_uvloop() -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)

    async def get(url: str) -> tuple[str, int, str]:
        async with aiohttp.ClientSession() as session, session.get(url) as resp:
            return await running_loop_module(), resp.status, await resp.text()

    with local_web() as lw:
        host = lw.serve(app, "127.0.0.2")
        assert run(get(host.url("/")), use_uvloop=True) == ("uvloop", 200, "hello")


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from linkcheck.engine.loop import run

    async def main():
        print("ready", flush=True)
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            print("cancelled", flush=True)
            raise

    try:
        run(main(), use_uvloop=sys.argv[1] == "uvloop")
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(130)
    """
)


@pytest.mark.parametrize("loop", [pytest.param("uvloop", marks=needs_uvloop), "asyncio"])
def test_sigint_cancels_the_main_task_then_raises_keyboard_interrupt(loop: str) -> None:
    """run.py's partial report relies on this: SIGINT -> CancelledError inside, then ^C out."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, loop],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert out.split() == ["cancelled", "interrupted"]
    assert proc.returncode == 130
