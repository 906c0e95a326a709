"""A history store planted in a checkout or a CI cache: data only, checked, never code.

Each test runs a check, tampers with one table of the store it wrote, runs again and
looks at what the second run made of it: a planted entry is dropped (the file parsed
again, the URL asked again, the entry made again), never executed, never a crash.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from linkcheck.cli import main
from linkcheck.inputs import parse_cache as inputs
from linkcheck.inputs.payload import checked_parse, pack_parse
from linkcheck.inputs.records import parse_bytes
from tests.localweb import Host
from tests.test_incremental import Site, by_path, check, serving, write_site


class Planted:
    """Unpickling this creates ``path``: proof that the store's bytes were run as code."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.mkdir, (str(self.path),))


@pytest.fixture
def site() -> Iterator[tuple[Site, Host]]:
    with serving() as served:
        yield served


def store(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "history.sqlite", isolation_level=None)


def titles(report: dict) -> set[str]:
    return {r["title"] for r in report["records"]}


def test_a_pickled_parse_cache_entry_is_never_loaded(site, tmp_path: Path) -> None:
    _, host = site
    write_site(tmp_path / "records", host)
    check(tmp_path)
    marker = tmp_path / "code-ran"
    evil = pickle.dumps(Planted(marker))
    with store(tmp_path) as db:
        assert db.execute("UPDATE parse_cache SET payload = ?", (evil,)).rowcount == 2
    _, report = check(tmp_path)
    assert not marker.exists()
    assert titles(report) == {"Alive", "Dead"} and report["errors"] == []
    with store(tmp_path) as db:  # the dropped entries were replaced by fresh ones
        payloads = [bytes(p) for (p,) in db.execute("SELECT payload FROM parse_cache")]
    assert evil not in payloads and len(payloads) == 2


def test_a_parse_cache_entry_that_lies_is_dropped_and_the_file_parsed_again(
    site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, host = site
    folder = write_site(tmp_path / "records", host)
    check(tmp_path)
    with store(tmp_path) as db:
        rows = db.execute("SELECT digest, payload FROM parse_cache").fetchall()
        for digest, payload in rows:
            head, _, body = bytes(payload).partition(b"\n")
            fields = orjson.loads(head)
            fields[5] = [
                ["x", "originalUrl", "original", "x", "http://evil.test/", None, None, None]
            ]
            db.execute(
                "UPDATE parse_cache SET payload = ? WHERE digest = ?",
                (orjson.dumps(fields) + b"\n" + body, digest),
            )
    parsed: list[str] = []
    real = inputs.parse_many

    def counting(items):  # type: ignore[no-untyped-def]
        parsed.extend(Path(source).name for source, _ in items)
        return real(items)

    monkeypatch.setattr(inputs, "parse_many", counting)
    _, report = check(tmp_path)
    assert sorted(parsed) == ["a.md", "b.md"]
    assert not any("evil" in u["url"] for u in report["urls"])
    assert titles(report) == {"Alive", "Dead"}
    assert folder.is_dir()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: b"",
        lambda p: b"\x80\x04K\x01.",  # a pickle
        lambda p: p.replace(b'"title":2', b'"title":"2"'),  # a line that is no number
        lambda p: p.replace(b"[[0,", b"[[-1,"),  # a record number below 0
        lambda p: p.replace(b'"a.md",1,', b'"a.md",2,'),  # a count that does not match
        lambda p: p.replace(b"[[[0,1,", b"[[[0,9,"),  # a typed place that is not there
        lambda p: p.partition(b"\n")[0],  # no body
        lambda p: p.replace(b"\n", b"\n[[[", 1),
        lambda p: p[:-5],
        lambda p: p.replace(b'"date"', b'"pickle"').replace(b"[[[", b"[[[[", 1),
        lambda p: p.partition(b"\n")[0] + b"\n" + orjson.dumps([[[0, {}, 1, {"a": "x"}]], [], {}]),
        lambda p: (
            p.partition(b"\n")[0]
            + b"\n"
            + orjson.dumps([[[0, {"d": "x"}, 1, {}]], [[["d"], "date"]], {}])
        ),
    ],
)
def test_checked_parse_refuses_what_a_run_could_not_have_written(mangle) -> None:  # type: ignore[no-untyped-def]
    data = b'---\ntitle: "Alive"\ndate: 2021-02-03\noriginalUrl: "https://a.test/"\n---\n'
    read = parse_bytes("a.md", data)
    good = pack_parse(read, {}, {}).payload
    assert checked_parse(good, "a.md", read.digest) is not None  # type: ignore[arg-type]
    assert checked_parse(mangle(good), "a.md", read.digest) is None  # type: ignore[arg-type]


def test_the_cache_gives_back_dates_binary_and_huge_numbers_exactly() -> None:
    data = (
        b"---\ntitle: x\ndate: 2021-02-03 10:00:00 +01:00\nday: 2021-02-03\n"
        b"blob: !!binary aGVsbG8=\nhuge: 123456789012345678901234567890\nnan: .nan\n"
        b'"\\u0000": 1\n---\n'
    )
    read = parse_bytes("a.md", data)
    assert read.errors == ()
    stored = checked_parse(pack_parse(read, {}, {}).payload, "a.md", read.digest)  # type: ignore[arg-type]
    assert stored is not None
    back = inputs.unpack_parse(stored.payload)[0].records[0].fields
    fields = dict(read.records[0].fields)
    assert repr(back.pop("nan")) == repr(fields.pop("nan")) == "nan"
    assert back == fields


def test_kept_record_entries_that_are_not_data_or_not_entries_are_judged_again(
    site, tmp_path: Path
) -> None:
    _, host = site
    write_site(tmp_path / "records", host)
    check(tmp_path)
    marker = tmp_path / "code-ran"
    kinds = [
        pickle.dumps(Planted(marker)),
        b"[1, 2",
        orjson.dumps([["{}", True, "ok", 0, False]]),
        orjson.dumps([['{"source": "elsewhere.md"}', True, "ok", 0, False]]),
    ]
    for rows in kinds:
        with store(tmp_path) as db:
            db.execute("UPDATE assessed_files SET rows = ?", (rows,))
        _, report = check(tmp_path)
        assert titles(report) == {"Alive", "Dead"}
    assert not marker.exists()


def test_kept_entries_of_the_wrong_shape_are_judged_again(site, tmp_path: Path) -> None:
    _, host = site
    write_site(tmp_path / "records", host)
    check(tmp_path)
    with store(tmp_path) as db:
        for source, rows in db.execute("SELECT source, rows FROM assessed_files").fetchall():
            kept = orjson.loads(rows)
            for row in kept:
                entry = orjson.loads(row[0])
                entry["health"] = row[2] = "splendid"  # agrees with the count kept beside it
                entry["title"] = "Tampered"
                row[0] = orjson.dumps(entry).decode()
            db.execute(
                "UPDATE assessed_files SET rows = ? WHERE source = ?", (orjson.dumps(kept), source)
            )
    _, report = check(tmp_path)
    assert titles(report) == {"Alive", "Dead"}


@pytest.mark.parametrize(
    "column, value",
    [
        ("status", "'two hundred'"),
        ("status", "200000"),
        ("outcome", "'fine'"),
        ("redirects", "'[[1, 2, 3]]'"),
        ("redirects", "'not json'"),
        ("issues", "'[\"</script>\"]'"),
        ("issues", "'{\"a\": 1}'"),
        ("elapsed_ms", "-5"),
        ("error", "x'00ff'"),
        ("failure", "'cosmic rays'"),
    ],
)
def test_stored_verdicts_of_the_wrong_kind_are_asked_again(
    site, tmp_path: Path, column: str, value: str
) -> None:
    state, host = site
    write_site(tmp_path / "records", host)
    check(tmp_path)
    with store(tmp_path) as db:
        db.execute(f"UPDATE results SET {column} = {value}")
    state.hits.clear()
    _, report = check(tmp_path)
    assert state.hits["/story"] == 1 and state.hits["/logo.png"] >= 1
    story = by_path(report)["story"]
    assert story["outcome"] == "ok" and story["status"] == 200 and not story["from_cache"]
    assert main(["history", host.url("/story"), "--history", str(tmp_path / "history.sqlite")]) == 0
    assert main(["runs", "--history", str(tmp_path / "history.sqlite")]) == 0


def test_kept_report_rows_that_would_break_the_page_are_made_again(site, tmp_path: Path) -> None:
    _, host = site
    write_site(tmp_path / "records", host)
    check(tmp_path)
    evil = "</script><script>alert(1)</script>"
    with store(tmp_path) as db:
        db.execute("UPDATE url_rows SET script_tail = ? || script_tail", (evil,))
        db.execute("UPDATE url_rows SET entry_pre = '{\"url\": ' || entry_pre")
    _, report = check(tmp_path)
    assert by_path(report)["logo.png"]["from_cache"] is True
    html = (tmp_path / "out" / "report.html").read_text()
    assert "alert(1)" not in html


def test_kept_report_rows_of_another_url_are_not_used(site, tmp_path: Path) -> None:
    _, host = site
    write_site(tmp_path / "records", host)
    check(tmp_path)
    with store(tmp_path) as db:
        db.execute("UPDATE url_rows SET entry_pre = replace(entry_pre, 'logo.png', 'other.png')")
    _, report = check(tmp_path)
    logo = by_path(report)["logo.png"]
    assert logo["url"].endswith("/logo.png") and logo["from_cache"] is True


def test_runs_rows_of_the_wrong_kind_are_shown_and_skipped_safely(
    site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, host = site
    write_site(tmp_path / "records", host)
    check(tmp_path)
    with store(tmp_path) as db:
        db.execute(
            "INSERT INTO runs (started_at, counts, state, pid) "
            "VALUES (7, '[1, 2]', 'running', 99999999999999999999999)"
        )
        db.execute(
            "INSERT INTO runs (started_at, counts, state, pid) VALUES (x'00', '{', 'x', 'a')"
        )
    _, report = check(tmp_path)
    assert report["changes"]["previous_run"] is not None
    assert main(["runs", "--history", str(tmp_path / "history.sqlite")]) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_kept_rows_of_a_url_beyond_ascii_and_with_markup_pass_the_checks(
    site, tmp_path: Path
) -> None:
    _, host = site
    records = write_site(tmp_path / "records", host)
    odd = host.url("/café?q=<b>&r=1")
    (records / "d.md").write_text(f'---\ntitle: "Odd"\nwebUrl: "{odd}"\n---\n')
    check(tmp_path)
    with store(tmp_path) as db:
        changed = db.execute(
            "UPDATE url_rows SET entry_pre = replace(entry_pre, 'text/html', 'text/kept') "
            "WHERE url LIKE '%caf%'"
        ).rowcount
    assert changed == 1
    _, report = check(tmp_path)
    entry = next(u for u in report["urls"] if "caf" in u["url"])
    assert entry["from_cache"] and entry["content_type"] == "text/kept"  # copied, not remade
