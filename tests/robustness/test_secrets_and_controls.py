"""Passwords in URLs are sent and shown nowhere; control characters from records never act.

The local web answers a page only to the right basic-auth password, so an ``ok`` proves the
request carried it; then every file and stream the run wrote is searched for the password
(report.json, HTML, Markdown, JUnit, SARIF, stdout, stderr, the step summary, the
annotations and the history store's bytes).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from linkcheck.cli import main
from linkcheck.credentials import mask_text, split_userinfo
from tests.localweb import Host, local_web

SECRET = "hunter2"
GOOD_AUTH = "Basic " + base64.b64encode(f"admin:{SECRET}".encode()).decode()


@pytest.fixture(scope="module")
def site() -> Iterator[Host]:
    async def private(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != GOOD_AUTH:
            return web.Response(status=401, text="who are you?")
        return web.Response(
            text="<!doctype html><title>Hi</title><h1>Hi</h1>", content_type="text/html"
        )

    async def echo(request: web.Request) -> web.Response:
        # A server that puts credentials into the Location it sends back.
        target = f"http://someone:{SECRET}3@{request.host}/private"
        raise web.HTTPFound(target)

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404, text="no")

    app = web.Application()
    app.router.add_get("/private", private)
    app.router.add_get("/echo", echo)
    app.router.add_get("/missing", missing)
    with local_web() as lw:
        yield lw.serve(app, "127.0.0.12")


def with_password(site: Host, path: str, user: str = "admin") -> str:
    return site.url(path).replace("http://", f"http://{user}:{SECRET}@")


def run(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "linkcheck.cli", *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path
    )


def everything_written(tmp_path: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}


def test_a_password_in_a_url_is_sent_and_written_nowhere(site: Host, tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "a.md").write_text(
        "---\ntitle: 'Private, see " + with_password(site, "/private") + "'\n"
        f"originalUrl: '{with_password(site, '/private')}'\n"
        f"webUrl: '{with_password(site, '/missing')}'\n"
        f"ampWebUrl: '{with_password(site, '/echo', user='')}'\n"
        f"website: 'http://admin:{SECRET}@bad host/'\n"
        "images:\n  - url: /private\n---\n"
    )
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"}
    base = with_password(site, "")
    args = ["check", "records", "-o", "out", "--history", "h.sqlite", "--progress", "never",
            "--formats", "json,html,markdown,junit,sarif", "--base-url", base]  # fmt: skip
    for _ in range(2):  # the second run reuses what history kept
        done = run(tmp_path, *args, env=env)
        assert done.returncode == 1, done.stderr
        assert SECRET not in done.stdout + done.stderr
        assert "::error " in done.stdout  # the annotations were printed, masked
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    outcomes = {u["url"]: u["outcome"] for u in report["urls"]}
    private = site.url("/private").replace("http://", "http://admin:***@")
    assert outcomes[private] == "ok"  # the request carried the password
    assert outcomes[site.url("/missing").replace("http://", "http://admin:***@")] == "broken"
    echo = next(u for u in report["urls"] if u["url"].endswith("/echo"))
    assert echo["final_url"] == site.url("/private").replace("http://", "http://someone:***@")
    assert report["run"]["config"]["site"]["base_url"].startswith("http://admin:***@")
    written = everything_written(tmp_path)
    assert len([name for name in written if "out/" in name]) == 5 and str(summary) in written
    assert any(name.endswith("h.sqlite") for name in written)
    leaks = [
        name for name, data in written.items() if SECRET.encode() in data and "records" not in name
    ]
    assert leaks == []
    listed = run(tmp_path, "links", "records", "--base-url", base)
    assert listed.returncode == 0 and SECRET not in listed.stdout + listed.stderr
    assert "http://admin:***@" in listed.stdout


def test_the_unpublish_diff_of_a_record_with_a_password_shows_it_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "a.md"
    page.write_text(f"---\npublished: true\noriginalUrl: http://admin:{SECRET}@a.test/\n---\n")
    out = tmp_path / "out"
    main(["check", str(tmp_path), "-o", str(out), "--no-history-enabled", "--progress", "never",
          "--http-exclude", ".*"])  # fmt: skip
    report = json.loads((out / "report.json").read_text())
    report["records"][0]["unpublish"] = True
    (tmp_path / "r.json").write_text(json.dumps(report))
    capsys.readouterr()
    main(["unpublish", str(tmp_path / "r.json"), "--base-dir", "/"])
    printed = capsys.readouterr().out
    assert "+published: false" in printed and "http://admin:***@a.test/" in printed
    assert SECRET not in printed


def test_masking_keeps_the_user_and_hides_a_lone_name_that_may_be_a_token() -> None:
    assert split_userinfo("https://admin:pw@h.test/a@b") == (
        "https://admin:***@h.test/a@b",
        "https://admin:pw@h.test/a@b",
    )
    assert split_userinfo("https://ghp_token@h.test/") == (
        "https://***@h.test/",
        "https://ghp_token@h.test/",
    )
    assert split_userinfo("https://h.test/a@b?c=d@e") == ("https://h.test/a@b?c=d@e", None)
    assert mask_text("failed: http://u:p@a.test/ then https://x:y@b.test") == (
        "failed: http://u:***@a.test/ then https://x:***@b.test"
    )
    assert mask_text("mail me: someone@example.com") == "mail me: someone@example.com"


ESC_TITLE = "\x1b]0;pwned\x07\x1b[2J\x1b[31mRed\u202eevil\u2028line"


def test_control_characters_from_records_never_reach_the_terminal_or_markdown_raw(
    site: Host, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    name = "evil\x1b[31m.md"
    (folder / name).write_text(
        f"---\ntitle: {json.dumps(ESC_TITLE)}\npublished: true\n"
        f'originalUrl: "{site.url("/missing")}"\n"field\\e[1m": "{site.url("/missing")}?x"\n---\n'
    )
    (folder / "bad\x1b[2J.json").write_text("{not json")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    args = ["check", str(folder), "-o", str(tmp_path / "out"), "--no-history-enabled",
            "--progress", "never", "--formats", "json,markdown"]  # fmt: skip
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\u202e" not in out + err and "\u2028" not in out + err
    assert "\\x1b" in out + err  # shown, not dropped
    for path in (tmp_path / "out" / "report.md", summary):
        text = path.read_text()
        assert "\x1b" not in text and "\u202e" not in text and "\u2028" not in text
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["records"][0]["title"] == ESC_TITLE  # the data itself is kept as it is

    assert main(["links", str(folder)]) == 2  # an unreadable input
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err

    record = report["records"][0]
    record["unpublish"] = True
    (tmp_path / "r.json").write_text(json.dumps(report))
    main(["unpublish", str(tmp_path / "r.json"), "--base-dir", "/"])
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "-published: true" in out
