"""The SQLite store: runs, results, reuse, validators, first-seen, migrations, crash safety."""

from __future__ import annotations

import dataclasses
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from linkcheck.model import CacheInfo, FailureKind, Hop, Outcome, UrlResult, Validators
from linkcheck.store import history
from linkcheck.store.history import HistoryError, HistoryStore, format_runs, format_url_history

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def result(url: str, outcome: Outcome = Outcome.OK, at: datetime = T0, **kw) -> UrlResult:
    status = {Outcome.OK: 200, Outcome.BROKEN: 404}.get(outcome)
    return UrlResult(
        url=url, outcome=outcome, status=kw.pop("status", status), final_url=url, checked_at=at,
        **kw,
    )  # fmt: skip


def one_run(store: HistoryStore, results: list[UrlResult], at: datetime = T0) -> int:
    run_id = store.start_run(at, "digest")
    store.finish_run(run_id, results, {"unique_urls": len(results)}, at + timedelta(minutes=1))
    return run_id


def columns(db: sqlite3.Connection) -> set[tuple[str, str, str]]:
    found = set()
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        if table.startswith("sqlite_"):
            continue
        for row in db.execute(f"PRAGMA table_info({table})"):
            found.add((table, row[1], row[2]))
    return found


def test_a_new_store_is_created_with_its_folders_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "history.sqlite"
    with HistoryStore(path) as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION
    assert path.is_file()


def test_an_ok_verdict_is_reused_with_every_field_but_not_once_too_old(tmp_path: Path) -> None:
    cache = CacheInfo(True, 3600, 5, etag='"e1"', last_modified="Mon", cache_control="max-age=9")
    rich = result(
        "https://a.test/x", redirects=(Hop("https://a.test/y", 301),), cache=cache,
        issues=("cache_stale",), content_length=123, image_size=(40, 30), content_type="image/png",
        elapsed_ms=84,
    )  # fmt: skip
    soft = result("https://a.test/soft", issues=("cache_stale", "soft_404"))
    with HistoryStore(tmp_path / "h.sqlite") as store:
        one_run(store, [rich, soft, result("https://a.test/broken", Outcome.BROKEN)])
        fresh = store.reusable_results(
            [
                "https://a.test/x",
                "https://a.test/soft",
                "https://a.test/broken",
                "https://a.test/new",
            ],
            T0 + timedelta(hours=23),
            timedelta(hours=24),
        )
        stale = store.reusable_results(
            ["https://a.test/x"], T0 + timedelta(hours=25), timedelta(hours=24)
        )
    # Failures, soft-dead pages and unknown URLs are checked again.
    assert list(fresh) == ["https://a.test/x"]
    got = fresh["https://a.test/x"]
    assert got.from_cache and got.requests == 0 and got.outcome is Outcome.OK
    assert got.redirects == rich.redirects and got.permanent_redirect
    assert got.cache == cache and got.issues == ("cache_stale",)
    assert (got.content_length, got.image_size, got.content_type) == (123, (40, 30), "image/png")
    assert got.checked_at == T0
    assert stale == {}


def test_a_reused_verdict_keeps_its_age_so_it_expires_on_time(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite") as store:
        one_run(store, [result("https://a.test/x")])
        later = T0 + timedelta(hours=20)
        reused = store.reusable_results(["https://a.test/x"], later, timedelta(hours=24))
        one_run(store, list(reused.values()), at=later)
        again = store.reusable_results(
            ["https://a.test/x"], T0 + timedelta(hours=25), timedelta(hours=24)
        )
        assert store.url_history("https://a.test/x")[0].from_cache is True
    assert again == {}


def test_validators_are_the_latest_and_first_seen_is_the_first_ok(tmp_path: Path) -> None:
    url = "https://a.test/img.png"

    def seen(etag: str, length: int) -> UrlResult:
        return result(url, cache=CacheInfo(True, 1, 0, etag=etag), content_length=length)

    with HistoryStore(tmp_path / "h.sqlite") as store:
        one_run(store, [result(url, Outcome.TIMEOUT)])
        assert store.first_seen([url]) == {}
        one_run(store, [seen('"v1"', 100)], T0 + timedelta(days=1))
        one_run(store, [seen('"v2"', 200)], T0 + timedelta(days=2))
        assert store.validators([url, "https://other.test/"]) == {url: Validators('"v2"', None)}
        latest = store.latest_results([url, "https://other.test/"])
        assert list(latest) == [url] and latest[url].content_length == 200
        assert not latest[url].from_cache
        assert store.first_seen([url]) == {url: ('"v1"', None, 100)}


def test_previous_run_and_recent_observations_only_for_urls_that_failed(tmp_path: Path) -> None:
    urls = ["https://a.test/1", "https://a.test/2"]
    with HistoryStore(tmp_path / "h.sqlite") as store:
        assert store.previous_run() is None
        assert store.recent_observations(urls) == {}
        first = one_run(store, [result(urls[0]), result(urls[1], Outcome.BROKEN)])
        second = one_run(
            store,
            [result(urls[0]), result(urls[1], Outcome.UNREACHABLE, failure=FailureKind.DNS)],
            T0 + timedelta(days=1),
        )
        current = store.start_run(T0 + timedelta(days=2))
        assert store.previous_run().id == second
        assert store.previous_run(before=second).id == first
        seen = store.recent_observations(urls, runs=30, before=current)
        assert list(seen) == [urls[1]]
        assert [o.run_id for o in seen[urls[1]]] == [second, first]
        assert seen[urls[1]][0].failure is FailureKind.DNS
        assert seen[urls[1]][0].started_at == T0 + timedelta(days=1)
        assert [o.run_id for o in store.recent_observations(urls, runs=1)[urls[1]]] == [second]


def test_parse_cache_round_trip_and_entries_unused_for_long_are_pruned(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite") as store:
        store.store_parses({"old": b"1", "used": b"2"}, now=T0)
        later = T0 + timedelta(days=30)
        assert store.cached_parses(["used", "missing"], now=later) == {"used": b"2"}
        assert store.cached_parses(["missing"]) == {}
        run_id = store.start_run(later)
        store.finish_run(run_id, [])  # saves the "used" mark with the run
        store.prune(60, parse_max_age=timedelta(days=7), now=later)
        assert store.cached_parses(["old", "used"]) == {"used": b"2"}


def keep_rows(store: HistoryStore, *urls: str) -> None:
    with store.db:
        store.db.executemany(
            "INSERT INTO url_rows VALUES (?, 'a.test', '', '', '', '', '')",
            [(url,) for url in urls],
        )


def kept_rows(store: HistoryStore) -> list[str]:
    return [url for (url,) in store.db.execute("SELECT url FROM url_rows ORDER BY url")]


def test_prune_keeps_the_newest_runs(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite") as store:
        ids = [one_run(store, [result(f"https://a.test/{i}")]) for i in range(5)]
        keep_rows(store, "https://a.test/0", "https://a.test/4")
        assert store.prune(2) == 3
        assert [r.id for r in store.list_runs(10)] == ids[:2:-1]
        assert store.url_history("https://a.test/0") == []
        assert len(store.url_history("https://a.test/4")) == 1
        assert store.first_seen(["https://a.test/0"]) == {}
        assert kept_rows(store) == ["https://a.test/4"]


def test_a_new_verdict_drops_the_report_rows_kept_for_the_old_one(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite") as store:
        one_run(store, [result("https://a.test/new"), result("https://a.test/reused")])
        keep_rows(store, "https://a.test/new", "https://a.test/reused")
        reused = dataclasses.replace(result("https://a.test/reused"), from_cache=True)
        one_run(store, [result("https://a.test/new"), reused], T0 + timedelta(days=1))
        assert kept_rows(store) == ["https://a.test/reused"]


def test_formatters_show_runs_and_a_urls_history(tmp_path: Path) -> None:
    url = "https://a.test/x"
    with HistoryStore(tmp_path / "h.sqlite") as store:
        one_run(store, [result(url, Outcome.BROKEN, error="HTTP 404")])
        one_run(store, [result(url)], T0 + timedelta(days=1))
        store.start_run(T0 + timedelta(days=2))
        text = format_url_history(store.url_history(url))
        runs = format_runs(store.list_runs(10))
    assert text.splitlines()[1].split()[:4] == ["2", "2026-11-21T03:00:00Z", "ok", "200"]
    assert "broken" in text.splitlines()[2] and "HTTP 404" in text
    assert "running" in runs.splitlines()[1] and "unique_urls=1" in runs
    assert format_url_history([]) == "no results recorded for this URL\n"
    assert format_runs([]) == "no runs recorded\n"


# ---------------------------------------------------------------- migrations and failures


def test_a_version_1_store_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    db = sqlite3.connect(path)
    db.executescript(history._V1)
    db.execute(
        "INSERT INTO runs (id, started_at, finished_at, complete) "
        "VALUES (1, '2026-11-19T03:00:00Z', '2026-11-19T03:01:00Z', 1), "
        "(2, '2026-11-20T03:00:00Z', NULL, 0)"
    )
    db.execute(
        "INSERT INTO results (url, run_id, outcome, status, final_url, etag, checked_at) "
        "VALUES ('https://a.test/x', 1, 'ok', 200, 'https://a.test/x', '\"e\"', "
        "'2026-11-19T03:00:30Z')"
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with HistoryStore(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION
        assert [r.state for r in store.list_runs()] == ["incomplete", "complete"]
        reused = store.reusable_results(["https://a.test/x"], T0, timedelta(hours=24))
        assert reused["https://a.test/x"].cache.etag == '"e"'
        assert store.first_seen(["https://a.test/x"]) == {"https://a.test/x": ('"e"', None, None)}
        migrated = columns(store.db)
    fresh = sqlite3.connect(":memory:")
    history.upgrade(fresh, 0)
    assert migrated == columns(fresh)


def test_the_migration_chain_from_version_0_gives_the_documented_schema() -> None:
    chained = sqlite3.connect(":memory:")
    for step in range(history.SCHEMA_VERSION):
        history.MIGRATIONS[step](chained)
    fresh = sqlite3.connect(":memory:")
    history.upgrade(fresh, 0)
    assert columns(chained) == columns(fresh)


def test_a_store_from_a_newer_linkcheck_or_not_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite"
    db = sqlite3.connect(newer)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(HistoryError, match="version 99 is newer"):
        HistoryStore(newer)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database, just some bytes" * 100)
    with pytest.raises(HistoryError, match=r"junk\.sqlite: the history store is damaged"):
        HistoryStore(junk)


KILLED_WRITER = """
import sys, time
from datetime import UTC, datetime
from linkcheck.store import history
from linkcheck.model import Outcome, UrlResult
store = history.HistoryStore(sys.argv[1])
run_id = store.start_run(datetime.now(UTC))
rows = [history._result_row(run_id, UrlResult(f"https://k.test/{i}", Outcome.OK, 200, "x"))
        for i in range(5000)]
store.db.execute("BEGIN IMMEDIATE")
history._insert_results(store.db, rows)
print(run_id, flush=True)
time.sleep(60)
"""


def test_a_run_killed_while_writing_leaves_no_results_and_is_marked_incomplete(
    tmp_path: Path,
) -> None:
    path = tmp_path / "h.sqlite"
    with HistoryStore(path) as store:
        one_run(store, [result("https://a.test/x")])
    writer = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILLED_WRITER), str(path)],
        stdout=subprocess.PIPE, cwd=ROOT, text=True,
    )  # fmt: skip
    try:
        killed_run = int(writer.stdout.readline())
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
        writer.stdout.close()
    with HistoryStore(path) as store:
        states = {r.id: r.state for r in store.list_runs()}
        assert states[killed_run] == "incomplete"
        assert store.url_history("https://k.test/1") == []
        assert store.previous_run().id != killed_run
        next_run = one_run(store, [result("https://a.test/y")], T0 + timedelta(days=1))
        assert store.previous_run().id == next_run
        assert len(store.reusable_results(["https://a.test/x"], T0, timedelta(hours=1))) == 1


def test_many_results_are_written_and_read_back_in_one_batch(tmp_path: Path) -> None:
    """20k here keeps the suite fast; docs/readme/history-unpublish.md has the 100k numbers."""
    urls = [f"https://host{i % 50}.test/page/{i}" for i in range(20_000)]
    with HistoryStore(tmp_path / "h.sqlite") as store:
        started = time.perf_counter()
        one_run(store, [result(u, cache=CacheInfo(True, 60, 0, etag='"e"')) for u in urls])
        reused = store.reusable_results(urls, T0, timedelta(hours=24))
        validators = store.validators(urls)
        elapsed = time.perf_counter() - started
    assert len(reused) == len(validators) == len(urls)
    assert elapsed < 10


def test_a_version_2_store_keeps_its_parse_cache_and_when_each_entry_was_used(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v2.sqlite"
    db = sqlite3.connect(path)
    for step in range(2):
        history.MIGRATIONS[step](db)
    db.execute(
        "INSERT INTO parse_cache (digest, payload, used_at) VALUES "
        "('old', x'31', '2026-10-01T03:00:00Z'), ('new', x'32', '2026-11-25T03:00:00Z')"
    )
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    with HistoryStore(path) as store:
        used = dict(store.db.execute("SELECT digest, used_at FROM parse_used"))
        assert used == {"old": "2026-10-01T03:00:00Z", "new": "2026-11-25T03:00:00Z"}
        store.prune(60, parse_max_age=timedelta(days=7), now=T0 + timedelta(days=1))
        assert store.cached_parses(["old", "new"]) == {"new": b"2"}


def test_a_degraded_run_is_kept_but_never_in_the_window(tmp_path: Path) -> None:
    url = "https://a.test/1"
    with HistoryStore(tmp_path / "h.sqlite") as store:
        first = one_run(store, [result(url, Outcome.BROKEN)])
        outage = store.start_run(T0 + timedelta(days=1))
        store.write_results(outage, [result(url, Outcome.UNREACHABLE, failure=FailureKind.REFUSED)])
        store.complete_run(outage, {}, T0 + timedelta(days=1, minutes=1), degraded=True)
        current = store.start_run(T0 + timedelta(days=2))
        assert store.previous_run(before=current).id == first
        seen = store.recent_observations([url], before=current)
        assert [o.run_id for o in seen[url]] == [first]
        assert [row.run_id for row in store.url_history(url)] == [outage, first]
        assert [run.state for run in store.list_runs()] == ["running", "degraded", "complete"]


def test_stored_issues_are_read_as_data(tmp_path: Path) -> None:
    url = "https://a.test/soft"
    with HistoryStore(tmp_path / "h.sqlite") as store:
        run_id = one_run(store, [result(url, Outcome.BROKEN, issues=("soft_404",))])
        assert store.recent_observations([url])[url][0].issues == ("soft_404",)
        # A row whose issues are not what a run writes is not trusted (verdict_rows.trusted):
        # it is not an observation at all, rather than one read half.
        for garbage in ("not json", '{"a": 1}', '["soft_404", 3, null]'):
            store.db.execute("UPDATE results SET issues = ? WHERE run_id = ?", (garbage, run_id))
            assert url not in store.recent_observations([url])
