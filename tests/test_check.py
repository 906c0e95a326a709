"""`linkcheck check` end to end: records on disk, a local web, the reports and the exit code."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web

from linkcheck.cli import main
from linkcheck.reports.schema import validate_report
from tests.localweb import Host, local_web

# Requests the slow route has received: the Ctrl-C test waits for one before interrupting.
SLOW_HITS: list[str] = []


def site_app() -> web.Application:
    app = web.Application()

    async def page(request: web.Request) -> web.Response:
        return web.Response(
            text="<!doctype html><title>A story</title><h1>A story</h1>", content_type="text/html"
        )

    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=410, text="Gone")

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404, text="Not Found")

    async def slow(request: web.Request) -> web.Response:
        SLOW_HITS.append(request.path_qs)
        await _sleep(float(request.query.get("s", "20")))
        return web.Response(text="late")

    async def busy(request: web.Request) -> web.Response:
        return web.Response(status=503, text="down")

    app.router.add_get("/ok", page)
    app.router.add_get("/ok2", page)
    app.router.add_get("/gone", gone)
    app.router.add_get("/missing", missing)
    app.router.add_get("/slow", slow)
    app.router.add_get("/busy", busy)
    return app


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


@pytest.fixture(scope="module")
def site() -> Host:
    with local_web() as lw:
        yield lw.serve(site_app(), "127.0.0.3")


def write_records(folder: Path, site: Host) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "alive.md").write_text(
        f'---\ntitle: "Alive"\noriginalUrl: "{site.url("/ok")}"\npublished: true\n---\nbody\n'
    )
    (folder / "dead.md").write_text(
        "---\n"
        'title: "Dead"\n'
        f'originalUrl: "{site.url("/gone")}"\n'
        f'webUrl: "{site.url("/ok2")}"\n'
        "published: true\n"
        "---\n"
    )
    (folder / "unpublished-dead.md").write_text(
        f'---\ntitle: "Old"\noriginalUrl: "{site.url("/missing")}"\npublished: false\n---\n'
    )
    (folder / "flaky.md").write_text(
        f'---\ntitle: "Flaky"\noriginalUrl: "{site.url("/busy")}"\npublished: true\n---\n'
    )
    (folder / "bad.md").write_text('---\ntitle: "never closed"\noriginalUrl: x\n')


def run_cli(args: list[str], tmp_path: Path) -> tuple[int, dict]:
    out = tmp_path / "out"
    code = main(
        [
            *args,
            "--output-dir",
            str(out),
            "--history",
            str(tmp_path / "history.sqlite"),
            "--retry-max-attempts",
            "2",
            "--retry-backoff-base-s",
            "0.01",
            "--progress",
            "never",
        ]
    )
    report = json.loads((out / "report.json").read_text())
    validate_report(report)
    return code, report


def test_check_writes_valid_reports_and_fails_on_dead_links(
    site: Host, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    write_records(tmp_path / "records", site)
    code, report = run_cli(["check", str(tmp_path / "records")], tmp_path)
    assert code == 1
    outcomes = {u["url"].rsplit("/", 1)[1]: u["outcome"] for u in report["urls"]}
    assert outcomes == {
        "ok": "ok",
        "ok2": "ok",
        "gone": "broken",
        "missing": "broken",
        "busy": "server_error",
    }
    records = {Path(r["source"]).name: r for r in report["records"]}
    assert records["dead.md"]["unpublish"] is True
    assert "410" in records["dead.md"]["unpublish_reasons"][0]
    assert records["unpublished-dead.md"]["unpublish"] is False
    assert records["flaky.md"]["unpublish"] is False
    assert records["flaky.md"]["health"] == "warning"
    assert records["alive.md"]["health"] == "ok"
    assert [i["field"] for i in records["dead.md"]["issues"]] == ["originalUrl"]
    # Every record is accounted for: four read, one in errors with its file.
    assert report["summary"]["records"] == 5
    assert len(report["errors"]) == 1 and "bad.md" in report["errors"][0]["source"]
    err = capsys.readouterr().err
    assert "bad.md" in err and "Traceback" not in err
    out_dir = tmp_path / "out"
    assert (out_dir / "report.html").is_file() and (out_dir / "report.md").is_file()


def test_check_exits_0_when_nothing_fails(site: Host, tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "a.md").write_text(f'---\ntitle: "A"\noriginalUrl: "{site.url("/ok")}"\n---\n')
    code, report = run_cli(["check", str(folder)], tmp_path)
    assert code == 0
    assert report["summary"]["by_outcome"]["ok"] == 1
    assert report["complete"] is True


def test_github_step_summary_and_annotations(
    site: Host, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    write_records(tmp_path / "records", site)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    run_cli(["check", str(tmp_path / "records")], tmp_path)
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "dead.md" in text
    out = capsys.readouterr().out
    assert "::error file=" in out and "dead.md,line=3" in out


def test_ctrl_c_writes_a_partial_report(site: Host, tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "a.md").write_text(f'---\ntitle: "A"\noriginalUrl: "{site.url("/ok")}"\n---\n')
    (folder / "b.md").write_text(f'---\ntitle: "B"\noriginalUrl: "{site.url("/slow?s=30")}"\n---\n')
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "linkcheck.cli",
            "check",
            str(folder),
            "-o",
            str(out),
            "--history",
            str(tmp_path / "h.sqlite"),
            "--progress",
            "never",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    seen = len(SLOW_HITS)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(SLOW_HITS) == seen:
        time.sleep(0.1)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=20)
    assert proc.returncode == 130
    report = json.loads((out / "report.json").read_text())
    validate_report(report)
    assert report["complete"] is False
    assert [u["outcome"] for u in report["urls"]] == ["ok"]


def test_links_command_prints_every_link(
    site: Host, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    write_records(tmp_path / "records", site)
    code = main(["links", str(tmp_path / "records")])
    out = capsys.readouterr().out
    assert code == 2  # bad.md could not be read
    assert out.count(site.base) == 5
    assert "5 links" in out.splitlines()[-1]


def test_an_unreadable_record_fails_the_run(site: Host, tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "a.md").write_text(f'---\ntitle: "A"\noriginalUrl: "{site.url("/ok")}"\n---\n')
    (folder / "b.md").write_text("---\ntitle: [unclosed\n---\n")
    code, report = run_cli(["check", str(folder)], tmp_path)
    assert code == 1
    assert report["summary"]["by_outcome"]["ok"] == 1 and len(report["errors"]) == 1


def test_run_deadline_reports_what_is_left_unchecked(site: Host, tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "late.md").write_text(
        f'---\ntitle: "Late"\noriginalUrl: "{site.url("/slow?s=20&k=deadline")}"\n'
        f'webUrl: "{site.url("/ok")}"\npublished: true\n---\n'
    )
    started = time.monotonic()
    code, report = run_cli(["check", str(folder), "--http-run-deadline-s", "1"], tmp_path)
    assert time.monotonic() - started < 5  # not the 20 s the page takes
    late = next(u for u in report["urls"] if "deadline" in u["url"])
    assert late["outcome"] == "timeout" and late["error"] == "not checked: run deadline reached"
    assert report["run"]["deadline_reached"] is True and report["summary"]["records"] == 1
    assert code == 0  # a timeout is not in fail_on, and nothing is flagged for it
    assert report["records"][0]["unpublish"] is False


def test_a_url_failing_as_on_the_last_run_is_asked_once(site: Host, tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "busy.md").write_text(
        f'---\ntitle: "Busy"\noriginalUrl: "{site.url("/busy?k=known")}"\npublished: true\n---\n'
    )
    attempts = []
    for _ in range(2):  # the same history store: the second run knows the 503
        _, report = run_cli(["check", str(folder)], tmp_path)  # 2 attempts at most
        attempts.append(report["urls"][0]["attempts"])
    assert attempts == [2, 1]
