"""History keeps each verdict's report rows for the runs that reuse it; they are the rows
a re-run would make itself, and a new verdict replaces them (linkcheck/reused_rows.py)."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkcheck.model import Outcome, UrlResult
from linkcheck.reports.html import embed_json, url_script_parts
from linkcheck.reports.json import url_entry_from_row
from linkcheck.reports.source import entry_text
from linkcheck.reports.view import host_of
from linkcheck.store.reused_rows import ROWS_FORMAT, reused_url_rows
from linkcheck.store.verdict_rows import COLUMNS, to_row
from tests.localweb import Host
from tests.reports.test_report_streaming import _verdicts
from tests.test_incremental import Site, check, serving, write_site


@given(result=_verdicts, referrers=st.integers(0, 10**6))
def test_kept_rows_joined_to_a_count_are_the_rows_a_rerun_makes(
    result: UrlResult, referrers: int
) -> None:
    row = to_row(dataclasses.replace(result, outcome=Outcome.OK))
    kept = reused_url_rows(row)
    assert kept is not None
    # What run.stage_reused makes of the reused verdict: no attempt, no request, from history.
    reused = list(row)
    reused[COLUMNS.index("attempts")], reused[COLUMNS.index("from_cache")] = 0, 1
    entry = url_entry_from_row(reused, 0, referrers)
    head, tail = url_script_parts(entry)
    count = str(referrers)
    assert (kept.entry_pre + count + kept.entry_post).encode() == entry_text(entry)
    assert kept.script_pre + count + kept.script_post == head
    assert kept.script_tail == tail
    assert kept.host == host_of(entry["url"])


def test_a_verdict_never_reused_or_that_holds_the_mark_keeps_no_rows() -> None:
    broken = UrlResult("https://a.test/", Outcome.BROKEN, 404, "https://a.test/")
    assert reused_url_rows(to_row(broken)) is None
    odd = "https://a.test/,987654321012,"
    assert reused_url_rows(to_row(UrlResult(odd, Outcome.OK, 200, odd))) is None


@pytest.fixture
def site() -> Iterator[tuple[Site, Host]]:
    with serving() as served:
        yield served


def history(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "history.sqlite")


def logo(report: dict) -> dict:
    return next(u for u in report["urls"] if u["url"].endswith("/logo.png"))


def reused(report: dict) -> list[str]:
    """The reused URLs' entries, as report.json writes them."""
    return [json.dumps(u) for u in report["urls"] if u["from_cache"]]


def html_urls(tmp_path: Path, entries: list[str]) -> list[str]:
    """The rows of report.html's script data that hold these entries' URLs."""
    html = (tmp_path / "out" / "report.html").read_text()
    urls = [json.loads(e)["url"] for e in entries]
    # A row: ["url", outcome, status, ..., host, from_cache, "url-<anchor>", age, lifetime]
    row = r'\[{},[^\n]*?,"url-[0-9a-f]{{12}}",[^\]]*\]'
    found = [re.search(row.format(re.escape(embed_json(url))), html) for url in urls]
    assert all(found)
    return [match[0] for match in found]  # type: ignore[index]


def test_a_rerun_copies_the_kept_rows_and_makes_the_same_report(site, tmp_path: Path) -> None:
    _, host = site
    records = write_site(tmp_path / "records", host)
    # Text the HTML script escapes (<, >, &) and text beyond ASCII, through SQL's joins.
    odd = host.url("/café?q=<b>&r=1")
    (records / "d.md").write_text(f'---\ntitle: "Odd"\nwebUrl: "{odd}"\n---\n')
    check(tmp_path)
    with history(tmp_path) as db:
        kept = {url for (url,) in db.execute("SELECT url FROM url_rows")}
    assert host.url("/logo.png") in kept and host.url("/story") in kept
    assert any("caf" in url for url in kept)
    assert host.url("/gone") not in kept  # a failing verdict is asked again, never reused

    made = tmp_path / "made"
    made.mkdir()
    shutil.copy(tmp_path / "history.sqlite", made / "history.sqlite")
    shutil.copytree(tmp_path / "records", made / "records")
    with history(made) as db:
        db.execute("DELETE FROM url_rows")
    _, copied = check(tmp_path)
    _, rendered = check(made)
    assert logo(copied)["from_cache"] and logo(copied)["referrers"] == 1
    # The failing URL is asked again by each run (its time differs); the reused ones are not.
    assert reused(copied) == reused(rendered) and len(reused(copied)) == 3
    assert html_urls(tmp_path, reused(copied)) == html_urls(made, reused(copied))


def test_kept_rows_are_used_until_a_new_verdict_replaces_them(site, tmp_path: Path) -> None:
    _, host = site
    write_site(tmp_path / "records", host)
    check(tmp_path)
    with history(tmp_path) as db:
        db.execute("UPDATE url_rows SET entry_pre = replace(entry_pre, 'image/png', 'image/kept')")
    _, reused = check(tmp_path)
    assert logo(reused)["content_type"] == "image/kept"  # copied, not made again
    _, asked = check(tmp_path, "--history-ok-max-age-h", "0")
    assert logo(asked)["content_type"] == "image/png"
    _, reused_again = check(tmp_path)
    assert logo(reused_again)["content_type"] == "image/png"


def test_rows_kept_by_another_linkcheck_are_not_used_and_are_made_again(
    site, tmp_path: Path
) -> None:
    _, host = site
    write_site(tmp_path / "records", host)
    check(tmp_path)
    with history(tmp_path) as db:
        count = db.execute("SELECT count(*) FROM url_rows").fetchone()[0]
        db.execute("UPDATE url_rows SET entry_pre = replace(entry_pre, 'image/png', 'image/kept')")
        db.execute("UPDATE url_rows_format SET format = 'url-rows-0 linkcheck 0.0.1'")
    _, other = check(tmp_path)
    assert logo(other)["content_type"] == "image/png"  # made in Python, not copied
    with history(tmp_path) as db:
        assert db.execute("SELECT count(*) FROM url_rows").fetchone()[0] == count
        assert db.execute("SELECT format FROM url_rows_format").fetchall() == [(ROWS_FORMAT,)]
        kept = db.execute("SELECT entry_pre FROM url_rows").fetchall()
    assert all("image/kept" not in text for (text,) in kept)
