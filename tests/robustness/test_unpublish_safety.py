"""`unpublish --apply` edits only files under the roots the run read, and edits them in place.

A report is data anyone may have written: each test starts from a real report (a check of a
small site whose article answers 410 Gone), changes what a hostile or careless report could
say, and looks at what unpublish did with it.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from linkcheck.cli import main
from linkcheck.editing.unpublish import run_unpublish
from tests.localweb import Host, local_web

FLAGGED = "---\ntitle: Gone\npublished: true\noriginalUrl: {url}\n---\nBody.\n"


@pytest.fixture(scope="module")
def site() -> Iterator[Host]:
    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=410, text="Gone")

    app = web.Application()
    app.router.add_get("/{tail:.*}", gone)
    with local_web() as lw:
        yield lw.serve(app, "127.0.0.11")


def checked(tmp_path: Path, site: Host, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A real report of ``site/_news`` (one record flagged), made from ``tmp_path/site``."""
    root = tmp_path / "site"
    (root / "_news").mkdir(parents=True)
    (root / "_news" / "a.md").write_text(FLAGGED.format(url=site.url("/a")))
    monkeypatch.chdir(root)
    main(["check", "_news", "-o", "out", "--no-history-enabled", "--progress", "never"])
    report = json.loads((root / "out" / "report.json").read_text())
    assert report["run"]["roots"] == ["_news"]
    assert [r["source"] for r in report["records"] if r["unpublish"]] == ["_news/a.md"]
    return report


def unpublish(report: dict, tmp_path: Path, *extra: str) -> int:
    path = tmp_path / "site" / "out" / "report.json"
    path.write_text(json.dumps(report))
    return main(["unpublish", str(path), "--apply", *extra])


def aimed_at(report: dict, source: str, data: bytes) -> dict:
    """The report with its flagged record pointing at ``source`` (sha256 of ``data``)."""
    record = next(r for r in report["records"] if r["unpublish"])
    record["source"] = record["record"] = source
    record["sha256"] = hashlib.sha256(data).hexdigest()
    return report


@pytest.mark.parametrize(
    "source",
    ["../victim.md", "{victim}", "_news/../../victim.md", "_news/../out/../../victim.md"],
)
def test_a_source_outside_the_roots_is_refused_in_one_line(
    tmp_path: Path,
    site: Host,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    source: str,
) -> None:
    report = checked(tmp_path, site, monkeypatch)
    victim = tmp_path / "victim.md"
    victim.write_text(FLAGGED.format(url="https://x.test/"))
    before = victim.read_bytes()
    capsys.readouterr()
    source = source.format(victim=victim)
    assert unpublish(aimed_at(report, source, before), tmp_path) == 1
    assert victim.read_bytes() == before
    out = capsys.readouterr().out
    assert f"{source}: refused: " in out and "outside the roots the run read (_news)" in out


def test_a_symlink_leading_out_of_the_roots_is_refused(
    tmp_path: Path, site: Host, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = checked(tmp_path, site, monkeypatch)
    victim = tmp_path / "victim.md"
    victim.write_text(FLAGGED.format(url="https://x.test/"))
    link = tmp_path / "site" / "_news" / "b.md"
    link.symlink_to(victim)
    before = victim.read_bytes()
    capsys.readouterr()
    assert unpublish(aimed_at(report, "_news/b.md", before), tmp_path) == 1
    assert victim.read_bytes() == before and link.is_symlink()
    assert f"_news/b.md: refused: _news/b.md leads to {victim}, outside" in capsys.readouterr().out


def test_made_up_roots_outside_the_base_folder_are_refused(
    tmp_path: Path, site: Host, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = checked(tmp_path, site, monkeypatch)
    victim = tmp_path / "victim.md"
    victim.write_text(FLAGGED.format(url="https://x.test/"))
    before = victim.read_bytes()
    report["run"]["roots"] = ["/", ".."]
    report["run"]["started_at"] = "2999-01-01T00:00:00Z"  # a made-up future start
    capsys.readouterr()
    assert unpublish(aimed_at(report, str(victim), before), tmp_path) == 1
    assert victim.read_bytes() == before
    assert "none of the report's roots (/, ..) is inside" in capsys.readouterr().out


def test_a_report_without_roots_may_edit_only_under_the_base_folder(
    tmp_path: Path, site: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = checked(tmp_path, site, monkeypatch)
    del report["run"]["roots"]
    victim = tmp_path / "victim.md"
    victim.write_text(FLAGGED.format(url="https://x.test/"))
    before = victim.read_bytes()
    assert unpublish(aimed_at(report, "../victim.md", before), tmp_path) == 1
    assert victim.read_bytes() == before
    del report["records"][0]["sha256"]
    report = checked_again(tmp_path, report)
    assert unpublish(report, tmp_path) == 0
    assert "published: false" in (tmp_path / "site" / "_news" / "a.md").read_text()


def checked_again(tmp_path: Path, report: dict) -> dict:
    record = next(r for r in report["records"] if r["unpublish"])
    record["source"] = record["record"] = "_news/a.md"
    record["sha256"] = hashlib.sha256(
        (tmp_path / "site" / "_news" / "a.md").read_bytes()
    ).hexdigest()
    return report


def test_a_symlinked_record_inside_the_roots_edits_its_target_and_stays_a_link(
    tmp_path: Path, site: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = checked(tmp_path, site, monkeypatch)
    news = tmp_path / "site" / "_news"
    (news / "shared").mkdir()
    target = news / "shared" / "story.md"
    target.write_text(FLAGGED.format(url="https://x.test/"))
    link = news / "b.md"
    link.symlink_to("shared/story.md")
    assert unpublish(aimed_at(report, "_news/b.md", target.read_bytes()), tmp_path) == 0
    assert link.is_symlink() and os.readlink(link) == "shared/story.md"
    assert "published: false" in target.read_text()


def test_owner_group_and_mode_are_kept(
    tmp_path: Path, site: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = checked(tmp_path, site, monkeypatch)
    path = tmp_path / "site" / "_news" / "a.md"
    path.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(path, 1234, 5678)
    before = path.stat()
    assert unpublish(checked_again(tmp_path, report), tmp_path) == 0
    after = path.stat()
    assert "published: false" in path.read_text()
    assert after.st_ino != before.st_ino  # replaced atomically, not rewritten in place
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)
    assert stat.S_IMODE(after.st_mode) == 0o640


def flagged_report(base: Path, entries: list[tuple[str, str]]) -> dict:
    records = []
    for source, key in entries:
        data = (base / source).read_bytes()
        records.append({"source": source, "record": key, "title": None, "published": True,
                        "health": "broken", "links": [], "issues": [], "unpublish": True,
                        "unpublish_reasons": ["gone"],
                        "sha256": hashlib.sha256(data).hexdigest()})  # fmt: skip
    return {"schema": "linkcheck-report/1", "generated_at": "2026-11-26T03:00:00Z",
            "run": {"started_at": "2026-11-26T02:59:00Z", "roots": ["."]},
            "records": records}  # fmt: skip


def test_published_true_followed_by_a_tab_is_edited(tmp_path: Path) -> None:
    (tmp_path / "tab.md").write_bytes(b"---\ntitle: a\npublished: true\t\n---\n")
    (tmp_path / "tab2.md").write_bytes(b"---\ntitle: a\npublished: true\t# why\n---\n")
    report = flagged_report(tmp_path, [("tab.md", "tab.md"), ("tab2.md", "tab2.md")])
    _, problems = run_unpublish(report, tmp_path, apply=True, log_path=None)
    assert problems == []
    assert (tmp_path / "tab.md").read_bytes() == b"---\ntitle: a\npublished: false\t\n---\n"
    assert (tmp_path / "tab2.md").read_bytes() == b"---\ntitle: a\npublished: false\t# why\n---\n"


def test_records_inside_json_pages_and_yaml_lists_are_edited_one_by_one(tmp_path: Path) -> None:
    page = b'{"page": 1, "value": [{"title": "x", "published": true},\n {"title": "y", "published": true}]}\n'  # noqa: E501
    (tmp_path / "page.json").write_bytes(page)
    listed = b"- title: x\n  published: true\n- title: y\n  published: true # keep\n"
    (tmp_path / "list.yml").write_bytes(listed)
    report = flagged_report(tmp_path, [("page.json", "page.json#1"), ("list.yml", "list.yml#1")])
    _, problems = run_unpublish(report, tmp_path, apply=True, log_path=None)
    assert problems == []
    assert (tmp_path / "page.json").read_bytes() == page.replace(
        b'"y", "published": true', b'"y", "published": false'
    )
    assert (tmp_path / "list.yml").read_bytes() == listed.replace(b"true # keep", b"false # keep")


def test_a_record_that_cannot_be_edited_safely_is_refused_with_its_reason(tmp_path: Path) -> None:
    (tmp_path / "page.json").write_bytes(b'{"value": [{"title": "x"}, {"title": "y"}]}\n')
    (tmp_path / "list.yml").write_bytes(b"- title: x\n  published: 'true'\n")
    report = flagged_report(tmp_path, [("page.json", "page.json#1"), ("list.yml", "list.yml")])
    _, problems = run_unpublish(report, tmp_path, apply=True, log_path=None)
    assert problems == [
        "list.yml: refused: published is \"'true'\", not a boolean; edit it by hand",
        "page.json: refused: the record has no published key; add `published: false` by hand "
        "(keys are only added to Markdown front matter)",
    ]


@pytest.mark.parametrize(
    "text",
    [
        b"not json",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"n": ' + b"1" * 5000 + b"}",
        b'{"schema": "linkcheck-report/1", "records": "all of them"}',
        b"\xff\xfe{}",
        b'{"schema": "linkcheck-report/1", "generated_at": "2026-11-26T03:00:00Z", '
        b'"tool": {}, "run": {}, "summary": {}, "urls": [], "records": [], "errors": []}',
    ],
)
@pytest.mark.parametrize("command", ["report", "unpublish"])
def test_a_report_that_is_not_one_is_one_line_for_report_and_unpublish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: bytes, command: str
) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(text)
    extra = ["--html", str(tmp_path / "x.html")] if command == "report" else []
    assert main([command, str(path), *extra]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"linkcheck: error: {path}")
    assert not (tmp_path / "x.html").exists()


def test_a_real_report_with_a_mistyped_entry_is_refused_before_anything_is_edited(
    tmp_path: Path, site: Host, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = checked(tmp_path, site, monkeypatch)
    report["records"][0]["unpublish"] = "yes"
    capsys.readouterr()
    assert unpublish(report, tmp_path) == 2
    assert "$.records[0].unpublish: expected boolean" in capsys.readouterr().err
    assert "published: true" in (tmp_path / "site" / "_news" / "a.md").read_text()
