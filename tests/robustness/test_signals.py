"""SIGTERM is Ctrl-C; a second interrupt still gets the report; a third stops at once.

Each test runs `linkcheck check` in a child process against a local web whose /slow route
keeps the fetch busy, interrupts it once a request is in flight, and looks at what is left:
the report, the exit code, and the run's work store in the child's own TMPDIR.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from linkcheck.reports.schema import validate_report
from tests.localweb import Host, local_web

HITS: list[str] = []


def app() -> web.Application:
    async def page(request: web.Request) -> web.Response:
        return web.Response(
            text="<!doctype html><title>A</title><h1>A</h1>", content_type="text/html"
        )

    async def slow(request: web.Request) -> web.Response:
        HITS.append(request.path_qs)
        await asyncio.sleep(30)
        return web.Response(text="late")

    application = web.Application()
    application.router.add_get("/ok", page)
    application.router.add_get("/slow", slow)
    return application


@pytest.fixture(scope="module")
def site() -> Iterator[Host]:
    with local_web() as lw:
        yield lw.serve(app(), "127.0.0.9")


def start(site: Host, tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[bytes], Path]:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "a.md").write_text(f'---\ntitle: "A"\noriginalUrl: "{site.url("/ok")}"\n---\n')
    for n in range(3):
        (folder / f"s{n}.md").write_text(
            f'---\ntitle: "S"\noriginalUrl: "{site.url(f"/slow?n={n}")}"\n---\n'
        )
    # Enough records that judging them and writing the report takes a while (~0.5 s):
    # interrupts sent a little apart still land before the report is written.
    many = [{"title": f"R{n}", "originalUrl": f"ftp://x.test/{n}"} for n in range(4000)]
    (folder / "many.json").write_text(json.dumps(many))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(scratch)}
    command = [sys.executable, "-m", "linkcheck.cli", "check", str(folder), "-o",
               str(tmp_path / "out"), "--history", str(tmp_path / "h.sqlite"),
               "--progress", "never", *extra]  # fmt: skip
    seen = len(HITS)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(HITS) < seen + 3:
        time.sleep(0.05)
    assert len(HITS) >= seen + 3, "the slow requests never arrived"
    return proc, scratch


def report(tmp_path: Path) -> dict:
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    validate_report(data)
    return data


def test_sigterm_is_handled_like_ctrl_c(site: Host, tmp_path: Path) -> None:
    proc, scratch = start(site, tmp_path)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    found = report(tmp_path)
    assert found["complete"] is False
    assert {u["outcome"] for u in found["urls"]} == {"ok", "invalid"}  # no slow one
    assert len(found["urls"]) == 4001
    assert list(scratch.iterdir()) == []  # the work store is gone
    assert b"SIGTERM" in err and b"Traceback" not in err


def test_two_quick_interrupts_still_write_the_report(site: Host, tmp_path: Path) -> None:
    proc, scratch = start(site, tmp_path)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.02)  # two signals at once would be one (signals are not queued)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert report(tmp_path)["complete"] is False
    assert list(scratch.iterdir()) == []
    assert b"Traceback" not in err


def test_ctrl_c_then_sigterm_as_ci_sends_them_still_write_the_report(
    site: Host, tmp_path: Path
) -> None:
    proc, _ = start(site, tmp_path)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert report(tmp_path)["complete"] is False


def test_a_third_interrupt_stops_at_once_and_leaves_no_work_store(
    site: Host, tmp_path: Path
) -> None:
    proc, scratch = start(site, tmp_path)
    for _ in range(3):
        proc.send_signal(signal.SIGINT)
        time.sleep(0.02)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert list(scratch.iterdir()) == []
    assert b"Traceback" not in err


def test_an_interrupted_run_is_not_complete_in_history(site: Host, tmp_path: Path) -> None:
    proc, _ = start(site, tmp_path)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    runs = subprocess.run(
        [sys.executable, "-m", "linkcheck.cli", "runs", "--history", str(tmp_path / "h.sqlite")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "incomplete" in runs and " complete " not in runs
