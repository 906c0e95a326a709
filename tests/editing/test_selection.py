"""`linkcheck unpublish --only/--skip/--paths-from`: apply the subset an editor reviewed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from linkcheck.cli import main
from linkcheck.editing.selection import Selection, read_paths, select

MD = '---\ntitle: "{0}"\noriginalUrl: "https://news.test/{0}"\npublished: true\n---\n'
YML = "- title: one\n  published: true\n- title: two\n  published: true\n"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site" / "_news"
    folder.mkdir(parents=True)
    for name in ("a", "b", "c"):
        (folder / f"{name}.md").write_text(MD.format(name))
    (folder / "news.yml").write_text(YML)
    return tmp_path / "site"


def write_report(site: Path, tmp_path: Path) -> Path:
    records = []
    for key in ("_news/a.md", "_news/b.md", "_news/c.md", "_news/news.yml#0", "_news/news.yml#1"):
        source = key.partition("#")[0]
        digest = hashlib.sha256((site / source).read_bytes()).hexdigest()
        records.append({"source": source, "record": key, "title": None, "published": True,
                        "health": "broken", "links": [], "issues": [], "unpublish": True,
                        "unpublish_reasons": ["..."], "sha256": digest})  # fmt: skip
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report_around(records)))
    return path


def report_around(records: list[dict]) -> dict:
    """A report that `unpublish` accepts (it checks the report's schema) around ``records``."""
    when = "2026-11-26T03:00:00Z"
    summary = {"records": len(records), "records_with_errors": 0, "links": 0, "unique_urls": 0,
               "requests": 0, "by_outcome": {}, "unpublish": len(records)}  # fmt: skip
    return {"schema": "linkcheck-report/1", "generated_at": when,
            "tool": {"name": "linkcheck", "version": "0"},
            "run": {"started_at": when, "finished_at": when, "duration_s": 0, "config": {}},
            "summary": summary, "urls": [], "records": records, "errors": []}  # fmt: skip


def unpublished(site: Path) -> list[str]:
    found = [f"_news/{p.name}" for p in sorted(site.glob("_news/*.md"))
             if "published: false" in p.read_text()]  # fmt: skip
    yml = (site / "_news" / "news.yml").read_text().split("- title")
    found += [f"_news/news.yml#{i}" for i, part in enumerate(yml[1:]) if "published: false" in part]
    return found


def unpublish(report: Path, site: Path, *extra: str) -> int:
    return main(["unpublish", str(report), "--apply", "--base-dir", str(site), *extra])


def test_only_applies_just_the_records_named(site, tmp_path, capsys) -> None:
    report = write_report(site, tmp_path)
    assert unpublish(report, site, "--only", "_news/a.md", "_news/news.yml#1") == 0
    assert unpublished(site) == ["_news/a.md", "_news/news.yml#1"]
    out = capsys.readouterr().out
    assert "unpublished _news/a.md" in out and "_news/b.md" not in out


def test_skip_applies_all_but_the_records_named(site, tmp_path) -> None:
    report = write_report(site, tmp_path)
    assert unpublish(report, site, "--skip", "_news/b.md", "_news/news.yml") == 0
    assert unpublished(site) == ["_news/a.md", "_news/c.md"]


def test_a_path_that_resolves_to_the_record_file_names_it(site, tmp_path, monkeypatch) -> None:
    report = write_report(site, tmp_path)
    monkeypatch.chdir(site / "_news")
    assert (
        unpublish(report, site, "--only", "./c.md", str(site / "_news" / "x" / ".." / "b.md")) == 0
    )
    assert unpublished(site) == ["_news/b.md", "_news/c.md"]


def test_a_name_that_is_not_flagged_writes_nothing(site, tmp_path, capsys) -> None:
    report = write_report(site, tmp_path)
    assert unpublish(report, site, "--only", "_news/a.md", "_news/typo.md") == 2
    assert unpublished(site) == []
    err = capsys.readouterr().err
    assert "--only: not a record flagged in the report: _news/typo.md (nothing written)" in err


def test_paths_from_a_list_or_the_html_reports_csv(site, tmp_path) -> None:
    report = write_report(site, tmp_path)
    listing = tmp_path / "reviewed.txt"
    listing.write_text("# agreed with the desk\n_news/c.md\n\n")
    assert unpublish(report, site, "--paths-from", str(listing)) == 0
    assert unpublished(site) == ["_news/c.md"]
    exported = tmp_path / "records.csv"
    exported.write_text(
        'record,source,title,unpublish\r\n"_news/news.yml#0",_news/news.yml,"one, really",yes\r\n'
    )
    assert read_paths(exported) == ["_news/news.yml#0"]
    report = write_report(site, tmp_path)  # the files changed: new digests
    assert unpublish(report, site, "--paths-from", str(exported)) == 0
    assert unpublished(site) == ["_news/c.md", "_news/news.yml#0"]


def test_read_paths_undoes_the_exports_formula_guard(tmp_path) -> None:
    exported = tmp_path / "records.csv"
    exported.write_text("record,title\n'-odd.md,x\n'plain.md,y\n")
    assert read_paths(exported) == ["-odd.md", "'plain.md"]


def test_select_leaves_the_report_alone_without_a_selection() -> None:
    report = {"records": [{"source": "a.md", "unpublish": True}]}
    assert select(report, Selection()) == report
    chosen = select(report, Selection(skip=("a.md",)))
    assert chosen["records"] == [{"source": "a.md", "unpublish": False}]
    assert report["records"][0]["unpublish"] is True  # a copy
