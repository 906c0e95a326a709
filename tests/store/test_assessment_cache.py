"""History keeps each file's report rows; a re-run reuses them only when nothing they were
made from changed (linkcheck/assessment.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.localweb import Host
from tests.test_incremental import Site, check, png, serving, write_site


@pytest.fixture
def site() -> Iterator[tuple[Site, Host]]:
    with serving() as served:
        yield served


def kept(tmp_path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        rows = db.execute("SELECT source, rows FROM assessed_files").fetchall()
    return {Path(source).name: orjson.loads(data) for source, data in rows}


def tamper(tmp_path: Path, name: str) -> None:
    """Change the title in the kept entry of ``name``: a reused entry shows it."""
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        for source, data in db.execute("SELECT source, rows FROM assessed_files").fetchall():
            if Path(source).name == name:
                rows = [
                    (text.replace('"Alive"', '"Kept"'), *rest) for text, *rest in orjson.loads(data)
                ]
                db.execute(
                    "UPDATE assessed_files SET rows = ? WHERE source = ?",
                    (orjson.dumps(rows), source),
                )


def title(report: dict, name: str) -> str:
    return next(r["title"] for r in report["records"] if Path(r["source"]).name == name)


def test_an_unchanged_file_is_not_assessed_again_and_a_flagged_one_always_is(
    site, tmp_path: Path
) -> None:
    _, host = site
    records = write_site(tmp_path / "records", host)
    # A broken image (asked again every run) in a record that is not flagged.
    (records / "c.md").write_text(
        "---\ntitle: Alive\npublished: true\n"
        f"originalUrl: {host.url('/story')}\nimages:\n  - url: {host.url('/gone')}\n---\n"
    )
    _, first = check(tmp_path)
    # b.md is flagged to unpublish (its article is gone): its entry says since when.
    assert set(kept(tmp_path)) == {"a.md", "c.md"}
    tamper(tmp_path, "a.md")
    tamper(tmp_path, "c.md")
    _, second = check(tmp_path)
    # The same answer again (a new Date) makes the same fingerprint.
    assert title(second, "c.md") == title(second, "a.md") == "Kept"
    assert title(second, "b.md") == "Dead"
    assert second["summary"]["by_health"] == first["summary"]["by_health"]
    assert second["summary"]["links"] == first["summary"]["links"] == 5
    assert second["summary"]["unpublish"] == first["summary"]["unpublish"] == 1


@pytest.mark.parametrize("change", ["answer", "file", "setting"])
def test_what_a_record_is_judged_from_changing_makes_it_assessed_again(
    site, tmp_path: Path, change: str
) -> None:
    state, host = site
    records = write_site(tmp_path / "records", host)
    check(tmp_path)
    tamper(tmp_path, "a.md")
    extra: tuple[str, ...] = ()
    if change == "answer":  # asked again (max age 0), the logo has changed
        state.logo, state.logo_etag = png(60, 50), '"v2"'
        extra = ("--history-ok-max-age-h", "0")
    elif change == "file":
        page = records / "a.md"
        page.write_text(page.read_text().replace("isCached: true", "isCached: false"))
    else:
        extra += ("--no-content-image-size",)
    _, second = check(tmp_path, *extra)
    assert title(second, "a.md") == "Alive"
    issues = {i["code"] for r in second["records"] for i in r["issues"]}
    assert ("image_size_mismatch" in issues) is (change == "answer")


# Record fields that name the moment of the run (a flag's check time), not the judgement.
TIMED = {"unpublish_since"}


def test_pinned_verdicts_judge_records_as_the_others_do(
    site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linkcheck import assessment

    _, host = site
    records = write_site(tmp_path / "records", host)
    # The logo and the story linked twice: the most linked URLs to pin.
    (records / "c.md").write_text(
        f"---\ntitle: Again\noriginalUrl: {host.url('/story')}\nimages:\n"
        f"  - url: {host.url('/logo.png')}\n    width: 40\n    height: 50\n---\n"
    )
    reports = []
    for pin_after in (0, 10**9):  # the most linked URLs read up front, or never
        monkeypatch.setattr(assessment._Verdicts, "PIN_AFTER", pin_after)
        _, report = check(tmp_path, "--no-history-enabled")
        reports.append([{k: v for k, v in r.items() if k not in TIMED} for r in report["records"]])
    assert reports[0] == reports[1]
    issues = {i["code"] for r in reports[0] for i in r["issues"]}
    assert {"image_size_mismatch", "broken_link"} <= issues
