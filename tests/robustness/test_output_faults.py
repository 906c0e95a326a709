"""Reports that cannot be written: found before fetching when possible, else one line and
exit 2, and the history does not record a run whose report nobody got."""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from linkcheck import output
from linkcheck.cli import main
from tests.localweb import Host, local_web
from tests.robustness.test_inputs_and_config import one_line, run_check, without_override

ASKED: list[str] = []


@pytest.fixture(scope="module")
def site() -> Iterator[Host]:
    async def page(request: web.Request) -> web.Response:
        ASKED.append(request.path)
        return web.Response(
            text="<!doctype html><title>A</title><h1>A</h1>", content_type="text/html"
        )

    app = web.Application()
    app.router.add_get("/{tail:.*}", page)
    with local_web() as lw:
        yield lw.serve(app, "127.0.0.10")


def records(tmp_path: Path, site: Host) -> Path:
    folder = tmp_path / "records"
    folder.mkdir(exist_ok=True)
    (folder / "a.md").write_text(f'---\ntitle: "A"\noriginalUrl: "{site.url("/a")}"\n---\n')
    return folder


def check(tmp_path: Path, site: Host, out: Path) -> int:
    return main(["check", str(records(tmp_path, site)), "-o", str(out), "--history",
                 str(tmp_path / "h.sqlite"), "--progress", "never"])  # fmt: skip


def states(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "h.sqlite") as db:
        return [state for (state,) in db.execute("SELECT state FROM runs ORDER BY id")]


@pytest.mark.parametrize("where", ["file", "report.json is a folder", "in /proc"])
def test_an_output_folder_that_cannot_take_the_reports_stops_the_run_before_fetching(
    tmp_path: Path, site: Host, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    out = tmp_path / "out"
    if where == "file":
        out.write_text("not a folder")
    elif where == "report.json is a folder":
        (out / "report.json").mkdir(parents=True)
    else:
        out = Path("/proc/linkcheck-reports")
    asked = len(ASKED)
    assert check(tmp_path, site, out) == 2
    assert one_line(capsys).startswith(f"linkcheck: error: {out}")
    assert len(ASKED) == asked  # nothing was fetched
    assert not (tmp_path / "h.sqlite").exists()


def test_an_unwritable_output_folder_stops_the_run_before_fetching(
    tmp_path: Path, site: Host
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    asked = len(ASKED)
    try:
        done = run_check(tmp_path, str(records(tmp_path, site)))
    finally:
        out.chmod(0o755)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        f"linkcheck: error: {out}: cannot write reports into it: permission denied"
    )
    assert len(ASKED) == asked
    assert without_override  # the helper that made permissions apply, even to root


def test_a_full_disk_while_writing_is_one_line_exit_2_and_no_completed_run(
    tmp_path: Path, site: Host, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert check(tmp_path, site, out) == 0
    assert states(tmp_path) == ["complete"]
    capsys.readouterr()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output.os, "fsync", full)
    before = (out / "report.json").read_bytes()
    assert check(tmp_path, site, out) == 2
    assert one_line(capsys) == (
        f"linkcheck: error: {out / 'report.json'}: cannot write: no space left on device"
    )
    assert (out / "report.json").read_bytes() == before  # the old report is left whole
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")] == []
    assert states(tmp_path) == ["complete", "incomplete"]
    monkeypatch.undo()
    assert check(tmp_path, site, out) == 0  # the next run is not confused by it
    assert states(tmp_path) == ["complete", "incomplete", "complete"]


def test_the_report_command_says_in_one_line_when_it_cannot_write(
    tmp_path: Path, site: Host, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    check(tmp_path, site, out)
    capsys.readouterr()
    folder = tmp_path / "x.html"
    folder.mkdir()
    assert main(["report", str(out / "report.json"), "--html", str(folder)]) == 2
    assert one_line(capsys).startswith(f"linkcheck: error: {folder}: cannot write: ")
