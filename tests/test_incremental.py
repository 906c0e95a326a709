"""Runs that remember: reuse, conditional requests, the parse cache, streaks, archives, commands."""

from __future__ import annotations

import contextlib
import json
import struct
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from linkcheck.cli import main
from linkcheck.inputs import parse_cache as inputs
from linkcheck.reports.schema import validate_report
from tests.localweb import Host, local_web


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x10" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


class Site:
    """A small site whose answers the tests change between runs; counts what it is asked."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.asked: list[tuple[str, str]] = []  # (method, path)
        self.conditional: Counter[str] = Counter()
        self.logo_etag = '"v1"'
        self.logo = png(50, 50)
        self.dead = {"/gone"}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path] += 1
        self.asked.append((request.method, request.path))
        if "If-None-Match" in request.headers:
            self.conditional[request.path] += 1
        if request.path in self.dead:
            return web.Response(status=404, text="Not Found")
        if request.path == "/logo.png":
            if request.headers.get("If-None-Match") == self.logo_etag:
                return web.Response(status=304, headers={"ETag": self.logo_etag})
            return web.Response(
                body=self.logo, content_type="image/png", headers={"ETag": self.logo_etag}
            )
        if request.path == "/archive/wayback/available":
            snapshot = f"http://archive.test/web/2020/{request.query['url']}"
            closest = {"available": True, "url": snapshot, "timestamp": "20200101000000"}
            return web.json_response({"archived_snapshots": {"closest": closest}})
        html = "<!doctype html><title>Story</title><h1>Story</h1>"
        return web.Response(text=html, content_type="text/html")


@contextlib.contextmanager
def serving() -> Iterator[tuple[Site, Host]]:
    """A ``Site`` served on its own loopback host."""
    state = Site()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", state.handle)
    with local_web() as lw:
        yield state, lw.serve(app, "127.0.0.4")


@pytest.fixture
def site() -> Iterator[tuple[Site, Host]]:
    with serving() as served:
        yield served


def write_site(folder: Path, host: Host) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.md").write_text(
        "---\n"
        'title: "Alive"\n'
        f'originalUrl: "{host.url("/story")}"\n'
        "published: true\n"
        "images:\n"
        f'  - url: "{host.url("/logo.png")}"\n'
        "    width: 50\n"
        "    height: 50\n"
        "    isCached: true\n"
        "---\n"
    )
    (folder / "b.md").write_text(
        f'---\ntitle: "Dead"\noriginalUrl: "{host.url("/gone")}"\npublished: true\n---\n'
    )
    return folder


def check(tmp_path: Path, *extra: str) -> tuple[int, dict]:
    out = tmp_path / "out"
    code = main(
        [
            "check",
            str(tmp_path / "records"),
            "-o",
            str(out),
            "--history",
            str(tmp_path / "history.sqlite"),
            "--progress",
            "never",
            *extra,
        ]
    )
    report = json.loads((out / "report.json").read_text())
    validate_report(report)
    return code, report


def by_path(report: dict) -> dict[str, dict]:
    return {entry["url"].split(":", 2)[2].split("/", 1)[1]: entry for entry in report["urls"]}


def test_second_run_reuses_ok_verdicts_and_rechecks_failures(site, tmp_path: Path) -> None:
    state, host = site
    write_site(tmp_path / "records", host)
    _, first = check(tmp_path)
    state.hits.clear()
    _, second = check(tmp_path)
    urls = by_path(second)
    assert urls["story"]["from_cache"] is True and urls["logo.png"]["from_cache"] is True
    assert urls["gone"]["from_cache"] is False
    assert set(state.hits) == {"/gone"}
    assert second["summary"]["requests"] < first["summary"]["requests"]
    assert second["changes"]["previous_run"] is not None
    assert [s["consecutive_runs"] for s in second["changes"]["still_broken"]] == [2]


def test_conditional_requests_and_a_changed_cached_image(site, tmp_path: Path) -> None:
    state, host = site
    write_site(tmp_path / "records", host)
    check(tmp_path, "--history-ok-max-age-h", "0")
    _, second = check(tmp_path, "--history-ok-max-age-h", "0")
    assert state.conditional["/logo.png"] == 1
    logo = by_path(second)["logo.png"]
    assert logo["outcome"] == "ok" and logo["status"] == 304
    assert logo["image_size"] == [50, 50]
    record = next(r for r in second["records"] if r["source"].endswith("a.md"))
    assert "cached_image_changed" not in {i["code"] for i in record["issues"]}

    state.logo_etag, state.logo = '"v2"', png(60, 40)
    _, third = check(tmp_path, "--history-ok-max-age-h", "0")
    record = next(r for r in third["records"] if r["source"].endswith("a.md"))
    codes = {i["code"] for i in record["issues"]}
    assert {"cached_image_changed", "image_size_mismatch"} <= codes


def test_unchanged_files_are_not_parsed_again(
    site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, host = site
    folder = write_site(tmp_path / "records", host)
    check(tmp_path)
    parsed: list[str] = []
    real = inputs.parse_many

    def counting(items):  # type: ignore[no-untyped-def]
        parsed.extend(Path(source).name for source, _ in items)
        return real(items)

    monkeypatch.setattr(inputs, "parse_many", counting)
    _, second = check(tmp_path)
    assert parsed == []
    assert second["summary"]["records"] == 2
    (folder / "b.md").write_text((folder / "b.md").read_text().replace("Dead", "Still dead"))
    _, third = check(tmp_path)
    assert parsed == ["b.md"]
    assert {r["title"] for r in third["records"]} == {"Alive", "Still dead"}


def test_findings_of_the_record_alone_come_from_the_parse_cache_and_follow_the_config(
    site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, host = site
    folder = write_site(tmp_path / "records", host)
    (folder / "c.md").write_text(
        "---\n"
        'title: "CafÃ© crÃ¨me"\n'
        f'originalUrl: "{host.url("/story")}"\n'
        "images:\n"
        f'  - url: "{host.url("/logo.png")}"\n'
        "    width: 50\n"
        "---\n"
    )
    _, first = check(tmp_path)
    computed: list[str] = []
    real = inputs.record_only_findings

    def counting(record, links):  # type: ignore[no-untyped-def]
        computed.append(record.key)
        return real(record, links)

    monkeypatch.setattr(inputs, "record_only_findings", counting)
    _, second = check(tmp_path)
    assert computed == []
    issues = {r["source"]: r["issues"] for r in first["records"]}
    assert {r["source"]: r["issues"] for r in second["records"]} == issues
    codes = {i["code"] for i in next(v for k, v in issues.items() if k.endswith("c.md"))}
    assert {"mojibake", "missing_field"} <= codes
    # Reused verdicts get their referrer counts from this run's links.
    referrers = {u["url"]: u["referrers"] for u in first["urls"]}
    assert {u["url"]: u["referrers"] for u in second["urls"]} == referrers
    assert referrers[host.url("/logo.png")] == 2
    _, third = check(tmp_path, "--no-content-mojibake")
    assert computed == []
    assert "mojibake" not in {i["code"] for r in third["records"] for i in r["issues"]}


def test_unpublish_waits_for_min_runs_and_suggests_an_archived_copy(site, tmp_path: Path) -> None:
    _, host = site
    write_site(tmp_path / "records", host)
    settings = [
        "--unpublish-min-runs",
        "2",
        "--archive-enabled",
        "--archive-endpoint",
        host.url("/archive/wayback/available"),
    ]
    _, first = check(tmp_path, *settings)
    dead = next(r for r in first["records"] if r["source"].endswith("b.md"))
    assert dead["unpublish"] is False and dead["health"] == "broken"
    _, second = check(tmp_path, *settings)
    dead = next(r for r in second["records"] if r["source"].endswith("b.md"))
    assert dead["unpublish"] is True
    gone = host.url("/gone")
    assert dead["unpublish_reasons"][0].startswith(
        f"originalUrl {gone} answered 404 Not Found on 2 runs since "
    )
    assert dead["archive_url"].startswith("http://archive.test/web/2020/")
    assert dead["unpublish_since"] == first["run"]["started_at"]


def test_runs_and_history_commands(site, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _, host = site
    write_site(tmp_path / "records", host)
    check(tmp_path)
    check(tmp_path)
    capsys.readouterr()
    store = str(tmp_path / "history.sqlite")
    assert main(["runs", "--history", store]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all("complete" in line for line in lines[1:])
    assert main(["history", host.url("/gone"), "--history", store]) == 0
    out = capsys.readouterr().out
    assert out.count("broken") == 2 and "404" in out


def test_report_command_rerenders_a_saved_report(site, tmp_path: Path) -> None:
    _, host = site
    write_site(tmp_path / "records", host)
    check(tmp_path)
    saved = tmp_path / "out" / "report.json"
    targets = {fmt: tmp_path / f"again.{fmt}" for fmt in ("html", "markdown", "junit", "sarif")}
    args = [f"--{fmt}={path}" for fmt, path in targets.items()]
    assert main(["report", str(saved), *args]) == 0
    assert "<!doctype html>" in targets["html"].read_text().lower()
    assert "b.md" in targets["markdown"].read_text()
    assert "<testsuite" in targets["junit"].read_text()
    assert json.loads(targets["sarif"].read_text())["version"] == "2.1.0"


def test_report_command_refuses_what_is_not_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    bogus = tmp_path / "x.json"
    bogus.write_text('{"hello": 1}')
    assert main(["report", str(bogus), "--html", str(tmp_path / "x.html")]) == 2
    assert "not a linkcheck report" in capsys.readouterr().err


def test_a_stored_parse_gives_back_every_record_link_and_error(tmp_path: Path) -> None:
    page = tmp_path / "a.md"
    page.write_text(
        "---\ntitle: A\npublished: true\noriginalUrl: https://a.test/x\nwebUrl: 'not a url'\n"
        "images:\n  - url: https://a.test/i.png\n---\nbody\n",
        encoding="utf-8",
    )
    broken = tmp_path / "b.md"
    broken.write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    for path in (page, broken):
        read = inputs.read_files([str(path)])[0]
        links = inputs.extract_all(read.records, None)
        stored = inputs.pack_parse(read, links, {})
        head = inputs.unpack_head(stored.payload)
        assert head == stored
        assert (head.records, head.errors, head.skipped) == (len(read.records), read.errors, False)
        assert inputs.unpack_parse(stored.payload) == (read, links, {})
    assert [row[1] for row in stored.links] == []  # the broken file has no links
    assert head.errors and head.errors[0].line  # its error keeps the line


def test_a_url_whose_head_was_refused_last_run_is_asked_get_first(site, tmp_path: Path) -> None:
    state, host = site
    write_site(tmp_path / "records", host)

    def gone() -> list[str]:
        asked = [method for method, path in state.asked if path == "/gone"]
        state.asked.clear()
        return asked

    # Without content checks a link is asked HEAD first; HEAD's 404 is asked again as GET.
    check(tmp_path, "--no-content-enabled")
    assert gone() == ["HEAD", "GET"]
    check(tmp_path, "--no-content-enabled")
    assert gone() == ["GET"]
    check(tmp_path, "--no-content-enabled", "--http-head-reask", "")
    assert gone() == ["HEAD"]
