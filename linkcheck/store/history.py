"""The SQLite store that gives linkcheck a memory across runs.

Why a store: a second run over an unchanged site should send almost no
requests (an ``ok`` verdict younger than ``history.ok_max_age_h`` is reused;
failures are always re-checked, lychee-style), conditional requests need the
last ETag/Last-Modified, ``cached_image_changed`` needs what a URL looked like
when first seen, and the unpublish rule needs how long a link has been dead.

Safety: a run row is committed when the run starts (state ``running``); its
results and its ``complete`` state are written by ``finish_run`` in ONE
transaction, so a run killed half way leaves no half-written results, only a
``running`` row that the next open marks ``incomplete`` (unless its process is
still alive). WAL mode lets ``linkcheck runs`` read while a run writes.

Speed: every query that takes URLs takes them all at once, through a temporary
table filled from one JSON array, never one query per URL. A run's verdicts move between
history and its work store inside SQLite (``reuse_into``, ``write_run``: both keep them
in the verdict_rows shape), never as one Python object per row.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shlex
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from linkcheck.errors import LinkcheckError
from linkcheck.health.changes import Observation
from linkcheck.health.gone import SOFT_CODES
from linkcheck.model import FailureKind, Outcome, UrlResult, Validators
from linkcheck.store.verdict_rows import (
    COLUMNS,
    column_list,
    from_row,
    iso,
    parse_iso,
    to_row,
    trusted,
)

# The schema, as SQLite sees it after all migrations. A fresh store is created
# from this text; an older store is brought here by MIGRATIONS, step by step.
# ``PRAGMA user_version`` holds the version.
#
# Changes:
#   0  an empty file: no tables.
#   1  runs (id, started_at, finished_at, config_digest, counts, complete) and
#      results (run_id, url, outcome, status, final_url, etag, last_modified,
#      elapsed_ms, checked_at).
#   2  runs.state ('running' | 'complete' | 'incomplete') and runs.pid;
#      results gain failure, error, redirects, content_type, content_length,
#      image size, cache fields, issues, attempts, from_cache; url_state (latest
#      run and first-seen validators per URL); parse_cache (parsed record files
#      by content hash).
#   3  parse_used: when each parse_cache entry was last used, out of the payload rows
#      (parse_cache.used_at now says when it was stored): marking 10k hits rewrote 80 MB
#      of payloads, a third of a second of every re-run.
#   4  assessed_files: each record file's report rows and what they were made from, so a
#      re-run whose file, settings and verdicts are unchanged does not assess it again.
#   5  url_rows: each URL's report rows for when its latest verdict is reused, so a re-run
#      copies them instead of making ~100,000 of them again.
#   (5) runs.state may be 'degraded': a finished run during which the network looked down
#      (no new column, so no new version: older linkcheck reads it as not complete).
#   6  results.drift (a content_drift's titles and scores), results.page_title (an
#      article page's name when it was found fine) and results.missing_fragments (JSON list);
#      url_state.first_title, the first such name, so drift is also judged against what the
#      page said when it was fine.
SCHEMA_VERSION = 6

SCHEMA = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,           -- UTC, 2026-11-26T03:00:00Z
    finished_at TEXT,                   -- null until finish_run
    config_digest TEXT,
    counts TEXT,                        -- JSON: the report's summary counts
    complete INTEGER NOT NULL DEFAULT 0,  -- 1 once finish_run committed
    state TEXT NOT NULL DEFAULT 'running',  -- running | complete | incomplete | degraded
    pid INTEGER                         -- the process writing it, while running
);

-- One row per URL per run. WITHOUT ROWID keyed by url first: every lookup is by URL.
CREATE TABLE results (
    url TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    status INTEGER,
    final_url TEXT,
    etag TEXT,
    last_modified TEXT,
    elapsed_ms INTEGER,
    checked_at TEXT,                    -- when the verdict was made (kept when reused)
    failure TEXT,
    error TEXT,
    redirects TEXT,                     -- JSON [[url, status], ...] or null
    content_type TEXT,
    content_length INTEGER,
    image_width INTEGER,
    image_height INTEGER,
    cache_fresh INTEGER,
    freshness_lifetime_s INTEGER,
    age_s INTEGER,
    expires TEXT,
    cache_control TEXT,
    cache_date TEXT,
    issues TEXT,                        -- JSON list or null
    attempts INTEGER,
    from_cache INTEGER NOT NULL DEFAULT 0,
    drift TEXT,                         -- JSON [page, record, score, first, score, against]
    page_title TEXT,                    -- an article page's name when found fine
    missing_fragments TEXT,             -- JSON list or null (http.check_fragments)
    PRIMARY KEY (url, run_id)
) WITHOUT ROWID;
CREATE INDEX results_run ON results (run_id);
CREATE INDEX results_failing ON results (run_id, url) WHERE outcome != 'ok';

-- The latest run that has a result for a URL, and what it looked like when first seen ok.
CREATE TABLE url_state (
    url TEXT PRIMARY KEY,
    last_run_id INTEGER NOT NULL,
    first_seen_at TEXT,
    first_etag TEXT,
    first_last_modified TEXT,
    first_content_length INTEGER,
    first_title TEXT                    -- an article page's name, first found fine
) WITHOUT ROWID;

-- Parsed record files by sha256 of their bytes; the payload is the caller's.
CREATE TABLE parse_cache (
    digest TEXT PRIMARY KEY,
    payload BLOB NOT NULL,
    used_at TEXT NOT NULL               -- when stored (the last use is in parse_used)
) WITHOUT ROWID;

-- When each parse_cache entry was last used (prune drops entries unused for long).
CREATE TABLE parse_used (
    digest TEXT PRIMARY KEY,
    used_at TEXT NOT NULL
) WITHOUT ROWID;

-- Each record file's report rows as the last complete run made them, with the fingerprint
-- of everything they were made from (the run.assessment module decides what that is).
CREATE TABLE assessed_files (
    source TEXT PRIMARY KEY,
    fingerprint BLOB NOT NULL,
    rows BLOB NOT NULL
) WITHOUT ROWID;

-- Each URL's report rows for a run that reuses its latest verdict, made from that verdict
-- and cut around the referrer count (the reused_rows module); dropped when a new verdict
-- is made. All in the one format url_rows_format names (rows of another are dropped).
CREATE TABLE url_rows (
    url TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    entry_pre TEXT NOT NULL,
    entry_post TEXT NOT NULL,
    script_pre TEXT NOT NULL,
    script_post TEXT NOT NULL,
    script_tail TEXT NOT NULL
);                                      -- a rowid table: its ~1 KB rows overflow WITHOUT ROWID
CREATE TABLE url_rows_format (format TEXT NOT NULL);
"""

# The tables added by versions 2 to 5 (each marker starts a table's comment).
_V2_MARKER = "-- The latest run"
_V3_MARKER = "-- When each parse_cache entry"
_V4_MARKER = "-- Each record file's report rows"
_V5_MARKER = "-- Each URL's report rows"

_V1 = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, finished_at TEXT,
    config_digest TEXT, counts TEXT, complete INTEGER NOT NULL DEFAULT 0);
CREATE TABLE results (
    url TEXT NOT NULL, run_id INTEGER NOT NULL, outcome TEXT NOT NULL, status INTEGER,
    final_url TEXT, etag TEXT, last_modified TEXT, elapsed_ms INTEGER, checked_at TEXT,
    PRIMARY KEY (url, run_id)) WITHOUT ROWID;
CREATE INDEX results_run ON results (run_id);
"""

# fmt: off
_V2_COLUMNS = {
    "runs": ["state TEXT NOT NULL DEFAULT 'running'", "pid INTEGER"],
    "results": [
        "failure TEXT", "error TEXT", "redirects TEXT", "content_type TEXT",
        "content_length INTEGER", "image_width INTEGER", "image_height INTEGER",
        "cache_fresh INTEGER", "freshness_lifetime_s INTEGER", "age_s INTEGER",
        "expires TEXT", "cache_control TEXT", "cache_date TEXT", "issues TEXT",
        "attempts INTEGER", "from_cache INTEGER NOT NULL DEFAULT 0",
    ],
}
# fmt: on


def _migrate_1_to_2(db: sqlite3.Connection) -> None:
    for table, columns in _V2_COLUMNS.items():
        for column in columns:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
    db.execute(
        "UPDATE runs SET state = CASE WHEN complete = 1 THEN 'complete' ELSE 'incomplete' END"
    )
    db.execute("CREATE INDEX results_failing ON results (run_id, url) WHERE outcome != 'ok'")
    _run_script(db, _V2_MARKER + SCHEMA.split(_V2_MARKER, 1)[1].split(_V3_MARKER, 1)[0])
    db.execute(
        "INSERT INTO url_state (url, last_run_id) SELECT url, MAX(run_id) FROM results GROUP BY url"
    )
    db.execute(
        """UPDATE url_state SET (first_seen_at, first_etag, first_last_modified) = (
               SELECT checked_at, etag, last_modified FROM results r
               WHERE r.url = url_state.url AND r.outcome = 'ok' ORDER BY r.run_id LIMIT 1)"""
    )


def _migrate_2_to_3(db: sqlite3.Connection) -> None:
    _run_script(db, _V3_MARKER + SCHEMA.split(_V3_MARKER, 1)[1].split(_V4_MARKER, 1)[0])
    db.execute("INSERT INTO parse_used (digest, used_at) SELECT digest, used_at FROM parse_cache")


_V6_COLUMNS = {
    "results": ["drift TEXT", "page_title TEXT", "missing_fragments TEXT"],
    "url_state": ["first_title TEXT"],
}


def _migrate_5_to_6(db: sqlite3.Connection) -> None:
    for table, columns in _V6_COLUMNS.items():
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for column in columns:
            if column.split()[0] not in have:  # url_state made by 1 -> 2 has it already
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


# MIGRATIONS[n] brings a version-n store to version n + 1, inside one transaction.
MIGRATIONS = {
    0: lambda db: _run_script(db, _V1),
    1: _migrate_1_to_2,
    2: _migrate_2_to_3,
    3: lambda db: _run_script(db, _V4_MARKER + SCHEMA.split(_V4_MARKER, 1)[1].split(_V5_MARKER)[0]),
    4: lambda db: _run_script(db, _V5_MARKER + SCHEMA.split(_V5_MARKER, 1)[1]),
    5: _migrate_5_to_6,
}

# A results row is a verdict_rows row with its run id after the URL.
_RESULT_COLUMNS = ("url", "run_id", *COLUMNS[1:])
_SELECT_RESULT = column_list("r.")


# A URL's latest validators, status and failure, and its page's first name found fine.
LastAnswer = tuple[Validators | None, int | None, str | None, str | None]
# (etag, last_modified, content_length) of a URL's first ok answer.
FirstSeen = tuple[str | None, str | None, int | None]


class HistoryError(LinkcheckError):
    """The store cannot be opened or is from a newer linkcheck."""


# SQLite's names for a file that is not, or no longer, a whole database.
_DAMAGED = {"SQLITE_CORRUPT", "SQLITE_NOTADB"}


def storage_error(exc: sqlite3.Error, path: Path) -> HistoryError:
    """The one line for an SQLite error met while using the store at ``path``.

    A damaged store is not moved aside or replaced behind the user's back: it holds the
    streaks that decide unpublishing, a damaged copy may be worth keeping, and one that
    keeps getting damaged (a CI cache shared by two jobs) should be noticed. The line
    says so and gives the exact commands that start a fresh store.
    """
    name = getattr(exc, "sqlite_errorname", "")
    reason = " ".join(str(exc).split())
    if name not in _DAMAGED and "malformed" not in reason and "not a database" not in reason:
        return HistoryError(f"{path}: cannot use the history store: {reason}")
    moves = [f"mv {_quote(path)} {_quote(path)}.broken"]
    for suffix in ("-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            moves.append(f"mv {_quote(f'{path}{suffix}')} {_quote(f'{path}.broken{suffix}')}")
    return HistoryError(
        f"{path}: the history store is damaged ({reason}); move it aside to start a fresh "
        f"one (its memory of past runs is lost): {' && '.join(moves)}"
    )


def _quote(path: str | Path) -> str:
    return shlex.quote(str(path))


@dataclass(frozen=True)
class RunInfo:
    """One row of ``runs``, for ``linkcheck runs`` and the report's ``changes``."""

    id: int
    started_at: str
    finished_at: str | None
    config_digest: str | None
    counts: Mapping[str, Any]
    state: str

    @property
    def complete(self) -> bool:
        return self.state == "complete"


@dataclass(frozen=True)
class HistoryRow:
    """One past result of one URL, for ``linkcheck history URL``."""

    run_id: int
    started_at: str
    outcome: str
    status: int | None
    final_url: str | None
    error: str | None
    checked_at: str | None
    from_cache: bool
    elapsed_ms: int | None


class HistoryStore:
    """The store at ``path`` (folders created); use as a context manager."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._touched: dict[str, str] = {}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # check_same_thread=False: a run writes its results from a worker thread while it
            # builds the report (run.check); never two threads at once.
            self.db = sqlite3.connect(
                self.path, timeout=_OPEN_WAIT_S, isolation_level=None, check_same_thread=False
            )
            _wal(self.db)
            self.db.execute("PRAGMA synchronous=NORMAL")
            # Temporary tables (``_wanted``: up to a key per URL of the run) on disk, paged
            # through a small cache, not in memory.
            self.db.execute("PRAGMA temp_store=FILE")
            self._migrate()
            self._mark_abandoned_runs()
        except sqlite3.DatabaseError as exc:
            raise storage_error(exc, self.path) from None
        except OSError as exc:
            raise HistoryError(f"{self.path}: cannot create history store: {exc}") from None

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._flush_touched()
        self.db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _migrate(self) -> None:
        """Create or upgrade the schema. Two runs may open a new store at the same moment:
        the version is read again once this one holds the write lock, so the second finds
        the first one's tables made and does nothing."""
        if self._version() == SCHEMA_VERSION:
            return
        with self._transaction() as db:
            version = self._version()
            if version != SCHEMA_VERSION:
                upgrade(db, version)

    def _version(self) -> int:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"{self.path}: history store version {version} is newer than this "
                f"linkcheck understands ({SCHEMA_VERSION}); upgrade linkcheck or use another path"
            )
        return int(version)

    def _mark_abandoned_runs(self) -> None:
        """A run left 'running' by a process that is gone never finished: say so."""
        rows = self.db.execute("SELECT id, pid FROM runs WHERE state = 'running'").fetchall()
        dead = [(run_id,) for run_id, pid in rows if not _alive(pid)]
        if dead:
            with self._transaction() as db:
                db.executemany("UPDATE runs SET state = 'incomplete' WHERE id = ?", dead)

    # ------------------------------------------------------------ writing a run

    def start_run(self, started_at: datetime, config_digest: str | None = None) -> int:
        """Commit a ``running`` row at once, so a killed run leaves a trace."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (started_at, config_digest, state, pid) "
                "VALUES (?, ?, 'running', ?)",
                (iso(started_at), config_digest, os.getpid()),
            )
        return int(cursor.lastrowid or 0)

    def finish_run(
        self,
        run_id: int,
        results: Iterable[UrlResult],
        counts: Mapping[str, Any] | None = None,
        finished_at: datetime | None = None,
    ) -> None:
        """Write every result and mark the run complete, all or nothing."""
        self.write_results(run_id, results)
        self.complete_run(run_id, counts, finished_at)

    def write_results(self, run_id: int, results: Iterable[UrlResult]) -> None:
        """First half of ``finish_run``: open the run's transaction and write its results.

        ``complete_run`` commits it, ``abandon_run`` rolls it back. Written 10,000 rows at a
        time: a first run's million verdicts never sit in one list.
        """
        self.db.execute("BEGIN IMMEDIATE")
        try:
            batch: list[tuple[Any, ...]] = []
            for r in results:
                batch.append(_result_row(run_id, r))
                if len(batch) >= _ROWS_PER_INSERT:
                    _insert_rows(self.db, batch)
                    batch = []
            _insert_rows(self.db, batch)
            _update_url_state(self.db, run_id)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def write_run(self, run_id: int, work: Path, now: datetime) -> None:
        """``write_results`` for a run whose verdicts are in the work store at ``work`` (the
        verdict_rows exchange shape): copied inside SQLite, no Python object per row, so
        it runs beside the report writer in a thread without taking the GIL per row. A
        verdict without a time gets ``now``."""
        self._attach(work)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(_COPY_FROM_WORK, {"run": run_id, "now": iso(now)})
            _update_url_state(self.db, run_id)
        except BaseException:
            self.db.execute("ROLLBACK")
            self._detach()
            raise

    def keep_url_rows(
        self, make: Callable[[Sequence[Any]], Sequence[str] | None], format: str
    ) -> int:
        """After ``write_run``, in its transaction: ``make`` the kept report rows
        (``url_rows``) of each of the run's verdicts that has none (its new verdicts, or
        all of them when the rows kept were made in another ``format``); returns how many
        were made."""
        if self.url_rows_format() != format:
            self.db.execute("DELETE FROM url_rows")
            self.db.execute("DELETE FROM url_rows_format")
            self.db.execute("INSERT INTO url_rows_format VALUES (?)", (format,))
        # NOT EXISTS reads the url index only, not the ~1 KB rows.
        rows = self.db.execute(
            f"SELECT {column_list('r.')} FROM work.results r "
            "WHERE NOT EXISTS (SELECT 1 FROM url_rows p WHERE p.url = r.url)"
        )
        made = 0
        while page := rows.fetchmany(1000):  # ~1.5 MB of rows at a time
            kept = [(row[0], *parts) for row in page if (parts := make(row))]
            # Written while the select reads on: only URLs it has passed.
            self.db.executemany("INSERT INTO url_rows VALUES (?, ?, ?, ?, ?, ?, ?)", kept)
            made += len(kept)
        return made

    def url_rows_format(self) -> str | None:
        """The format of the kept report rows (``keep_url_rows``), None before any."""
        row = self.db.execute("SELECT format FROM url_rows_format").fetchone()
        return row[0] if row else None

    @contextlib.contextmanager
    def attached(self, **files: Path) -> Iterator[sqlite3.Connection]:
        """This store's connection with each of ``files`` (other SQLite files) attached
        under its name, for statements that join history's tables with a run's; detached
        on leaving. Only between runs' writes: ``write_run`` attaches its work store too."""
        for name, path in files.items():
            self._attach(path, name)
        try:
            yield self.db
        finally:
            for name in files:
                self.db.execute(f"DETACH DATABASE {name}")

    def complete_run(
        self,
        run_id: int,
        counts: Mapping[str, Any] | None = None,
        finished_at: datetime | None = None,
        assessed: Iterable[tuple[str, bytes, bytes]] = (),
        degraded: bool = False,
    ) -> None:
        """Second half of ``finish_run``: mark the run complete (or ``degraded``) and commit
        its results, with the files it ``assessed`` (source, fingerprint, rows; see
        ``assessed_files``).

        After ``write_run``, files the run did not read are forgotten from assessed_files.
        A degraded run (the network looked down) keeps its results for ``linkcheck
        history``, but it is not complete: streaks, flapping and "since the previous
        run" never see it.
        """
        finished = iso(finished_at or datetime.now(UTC))
        try:
            self.db.execute(
                "UPDATE runs SET finished_at = ?, counts = ?, complete = 1, state = ?,"
                " pid = NULL WHERE id = ?",
                (
                    finished,
                    json.dumps(dict(counts or {}), sort_keys=True),
                    "degraded" if degraded else "complete",
                    run_id,
                ),
            )
            if self._attached():
                self.db.execute(
                    "DELETE FROM assessed_files WHERE source NOT IN (SELECT source FROM work.files)"
                )
            self.db.executemany("INSERT OR REPLACE INTO assessed_files VALUES (?, ?, ?)", assessed)
            self._flush_touched()
        except BaseException:
            self.db.execute("ROLLBACK")
            self._detach()
            raise
        self.db.execute("COMMIT")
        self._detach()

    def end_incomplete(self, run_id: int) -> None:
        """The run ended without completing (interrupted, or its report not written)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE runs SET state = 'incomplete', pid = NULL "
                "WHERE id = ? AND state = 'running'",
                (run_id,),
            )

    def abandon_run(self) -> None:
        """Roll back results written by ``write_results`` for a run that will not complete."""
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")
        self._detach()

    # ------------------------------------------------------------ reading for a run

    def reusable_results(
        self, urls: Iterable[str], now: datetime, max_age: timedelta
    ) -> dict[str, UrlResult]:
        """URLs whose latest verdict is ``ok`` and younger than ``max_age``: not requested again.

        A failing URL is never reused: it is always checked again.
        """
        query = (
            f"SELECT {_REUSED_COLUMNS} FROM temp.wanted w CROSS JOIN url_state s "
            f"ON s.url = w.url {_REUSABLE}"
        )
        with self._wanted(urls):
            rows = self.db.execute(query, (iso(now - max_age),)).fetchall()
        return {row[0]: from_row(row) for row in rows}

    def reuse_into(self, work: Path, now: datetime, max_age: timedelta) -> int:
        """``reusable_results`` for every URL of the work store at ``work`` that has no
        verdict yet, written straight into its results (the verdict_rows exchange shape):
        a re-run reuses ~95% of its URLs, and building each as a Python object only to
        store it again was most of a re-run's bookkeeping. Returns how many were reused."""
        return self._into_work(work, _REUSE_INTO_WORK, (iso(now - max_age),))

    def recall_assessments(self, work: Path) -> int:
        """Copy into the work store at ``work`` (its ``assessed_before``) what assessed_files
        holds for its files; returns how many."""
        return self._into_work(
            work,
            "INSERT INTO work.assessed_before (source, fingerprint, rows) "
            "SELECT a.source, a.fingerprint, a.rows FROM work.files f "
            "CROSS JOIN assessed_files a ON a.source = f.source",
            (),
        )

    def first_seen_into(self, work: Path) -> int:
        """Copy into the work store at ``work`` (its ``first_seen``) what each of its image
        URLs was when first seen ok (``first_seen``), without holding them in memory."""
        return self._into_work(
            work,
            "INSERT INTO work.first_seen (url, etag, last_modified, content_length) "
            "SELECT s.url, s.first_etag, s.first_last_modified, s.first_content_length "
            "FROM work.image_urls u CROSS JOIN url_state s ON s.url = u.url "
            f"WHERE s.first_seen_at IS NOT NULL AND {_FIRST_SEEN_TRUSTED}",
            (),
        )

    def _into_work(self, work: Path, sql: str, parameters: Sequence[Any]) -> int:
        """Run one statement that fills the work store at ``work`` from this store."""
        self._attach(work)
        try:
            self.db.execute("BEGIN")
            try:
                count = self.db.execute(sql, parameters).rowcount
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        finally:
            self._detach()
        return count

    def _attach(self, path: Path, name: str = "work") -> None:
        """A run's SQLite file (its work store by default) as schema ``name``; it is thrown
        away, so no journal and no sync."""
        self.db.execute(f"ATTACH DATABASE ? AS {name}", (str(path),))
        self.db.execute(f"PRAGMA {name}.journal_mode = OFF")
        self.db.execute(f"PRAGMA {name}.synchronous = OFF")

    def _attached(self) -> bool:
        return any(name == "work" for _, name, _ in self.db.execute("PRAGMA database_list"))

    def _detach(self) -> None:
        if self._attached():
            self.db.execute("DETACH DATABASE work")

    def latest_results(self, urls: Iterable[str]) -> dict[str, UrlResult]:
        """Each URL's latest stored verdict, whatever it was (for a 304: what did not change)."""
        query = (
            f"SELECT {_SELECT_RESULT} FROM temp.wanted w CROSS JOIN url_state s ON s.url = w.url "
            f"CROSS JOIN results r ON r.url = s.url AND r.run_id = s.last_run_id WHERE {_TRUSTED}"
        )
        with self._wanted(urls):
            rows = self.db.execute(query).fetchall()
        return {row[0]: from_row(row, from_cache=False) for row in rows}

    def validators(self, urls: Iterable[str]) -> dict[str, Validators]:
        """The latest ETag / Last-Modified of each URL, for If-None-Match / If-Modified-Since."""
        return {url: found for url, (found, *_) in self.last_answers(urls).items() if found}

    def last_answers(self, urls: Iterable[str]) -> dict[str, LastAnswer]:
        """Each URL's latest validators (``validators``), HTTP status and transport failure
        (a failure without any attempt, such as a URL the run deadline left unchecked, is
        no answer: None), where known, and the name its page had when first found fine
        (content drift)."""
        query = (
            "SELECT r.url, r.etag, r.last_modified, r.status, "
            "CASE WHEN r.attempts > 0 THEN r.failure END, "
            "CASE WHEN typeof(s.first_title) = 'text' THEN s.first_title END "
            "FROM temp.wanted w CROSS JOIN url_state s ON s.url = w.url "
            f"CROSS JOIN results r ON r.url = s.url AND r.run_id = s.last_run_id WHERE {_TRUSTED}"
        )
        with self._wanted(urls):
            rows = self.db.execute(query).fetchall()
        return {
            url: (Validators(etag, modified) if etag or modified else None, status, failure, title)
            for url, etag, modified, status, failure, title in rows
        }

    def first_seen(self, urls: Iterable[str]) -> dict[str, FirstSeen]:
        """(etag, last_modified, content_length) the first time each URL answered ok."""
        query = (
            "SELECT s.url, s.first_etag, s.first_last_modified, s.first_content_length "
            "FROM temp.wanted w CROSS JOIN url_state s ON s.url = w.url "
            f"WHERE s.first_seen_at IS NOT NULL AND {_FIRST_SEEN_TRUSTED}"
        )
        with self._wanted(urls):
            rows = self.db.execute(query).fetchall()
        return {url: (etag, lm, length) for url, etag, lm, length in rows}

    def previous_run(self, before: int | None = None) -> RunInfo | None:
        """The latest complete run (before run id ``before`` when given)."""
        rows = self.db.execute(
            "SELECT id, started_at, finished_at, config_digest, counts, state FROM runs "
            "WHERE state = 'complete' AND id < ? AND typeof(started_at) = 'text' "
            "ORDER BY id DESC LIMIT 1",
            (before if before is not None else 2**62,),
        ).fetchall()
        return _run_info(rows[0]) if rows else None

    def recent_observations(
        self,
        urls: Iterable[str],
        runs: int = 30,
        before: int | None = None,
        every: bool = False,
    ) -> dict[str, list[Observation]]:
        """Each URL's results in the last ``runs`` complete runs, newest first.

        Only URLs with at least one non-ok result in that window are returned
        (unless ``every``): a URL that is absent was ok (or unseen) throughout, which
        is all that streaks, flapping and newly-broken/fixed need to know. A degraded
        run is not complete: it is never in the window.
        """
        window = self.db.execute(
            "SELECT id, started_at FROM runs WHERE state = 'complete' AND id < ? "
            "AND typeof(id) = 'integer' AND typeof(started_at) = 'text' ORDER BY id DESC LIMIT ?",
            (before if before is not None else 2**62, runs),
        ).fetchall()
        if not window:
            return {}
        started = dict(window)
        marks = ",".join("?" * len(started))
        ids = list(started)
        failed = (
            ""
            if every
            else f"AND w.url IN (SELECT url FROM results WHERE outcome != 'ok' "
            f"AND run_id IN ({marks})) "
        )
        query = (
            "SELECT r.url, r.run_id, r.outcome, r.status, r.failure, r.checked_at, r.issues "
            "FROM temp.wanted w CROSS JOIN results r ON r.url = w.url "
            f"WHERE r.run_id IN ({marks}) AND {_TRUSTED} {failed}ORDER BY r.url, r.run_id DESC"
        )
        found: dict[str, list[Observation]] = {}
        with self._wanted(urls):
            rows = self.db.execute(query, ids if every else ids + ids)
            for url, run_id, outcome, status, failure, checked, issues in rows:
                found.setdefault(url, []).append(
                    Observation(
                        run_id=run_id,
                        started_at=parse_iso(started[run_id]) or datetime.min.replace(tzinfo=UTC),
                        outcome=_enum(Outcome, outcome) or Outcome.INVALID,
                        status=status,
                        failure=_enum(FailureKind, failure),
                        checked_at=parse_iso(checked),
                        issues=_issues(issues),
                    )
                )
        return found

    # ------------------------------------------------------------ parsed-file cache

    def cached_parses(
        self, digests: Iterable[str], now: datetime | None = None
    ) -> dict[str, bytes]:
        """Payloads stored for these file digests; a hit counts as a use (saved at finish)."""
        with self._wanted(digests):
            rows = self.db.execute(
                "SELECT p.digest, p.payload FROM temp.wanted w CROSS JOIN parse_cache p "
                "ON p.digest = w.url"
            ).fetchall()
        stamp = iso(now or datetime.now(UTC))
        self._touched.update((d, stamp) for d, _ in rows)
        return {digest: bytes(payload) for digest, payload in rows}

    def store_parses(self, items: Mapping[str, bytes], now: datetime | None = None) -> None:
        stamp = iso(now or datetime.now(UTC))
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO parse_cache (digest, payload, used_at) VALUES (?, ?, ?)",
                [(digest, payload, stamp) for digest, payload in items.items()],
            )
            db.executemany(
                "INSERT OR REPLACE INTO parse_used (digest, used_at) VALUES (?, ?)",
                [(digest, stamp) for digest in items],
            )

    def _flush_touched(self) -> None:
        if not self._touched:
            return
        touched, self._touched = self._touched, {}
        in_tx = self.db.in_transaction
        if not in_tx:
            self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany(
            "UPDATE parse_used SET used_at = ? WHERE digest = ?",
            [(stamp, d) for d, stamp in touched.items()],
        )
        if not in_tx:
            self.db.execute("COMMIT")

    # ------------------------------------------------------------ commands and upkeep

    def url_history(self, url: str, limit: int = 50) -> list[HistoryRow]:
        rows = self.db.execute(
            "SELECT r.run_id, runs.started_at, r.outcome, r.status, r.final_url, r.error, "
            "r.checked_at, r.from_cache, r.elapsed_ms FROM results r "
            "JOIN runs ON runs.id = r.run_id WHERE r.url = ? "
            f"AND {_TRUSTED} AND typeof(runs.started_at) = 'text' "
            "ORDER BY r.run_id DESC LIMIT ?",
            (url, limit),
        ).fetchall()
        return [HistoryRow(*row[:7], bool(row[7]), row[8]) for row in rows]

    def list_runs(self, limit: int = 20) -> list[RunInfo]:
        rows = self.db.execute(
            "SELECT id, started_at, finished_at, config_digest, counts, state FROM runs "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [_run_info(row) for row in rows]

    def prune(
        self,
        retention_runs: int,
        parse_max_age: timedelta | None = None,
        now: datetime | None = None,
    ) -> int:
        """Keep the newest ``retention_runs`` runs; drop parse-cache entries unused for long.

        Returns the number of runs removed. URLs last seen in a removed run are forgotten.
        """
        keep = self.db.execute(
            "SELECT MIN(id) FROM (SELECT id FROM runs ORDER BY id DESC LIMIT ?)",
            (retention_runs,),
        ).fetchone()[0]
        removed = 0
        with self._transaction() as db:
            if keep is not None:
                db.execute("DELETE FROM results WHERE run_id < ?", (keep,))
                db.execute(
                    "DELETE FROM url_rows WHERE url IN "
                    "(SELECT url FROM url_state WHERE last_run_id < ?)",
                    (keep,),
                )
                db.execute("DELETE FROM url_state WHERE last_run_id < ?", (keep,))
                removed = db.execute("DELETE FROM runs WHERE id < ?", (keep,)).rowcount
            if parse_max_age is not None:
                cutoff = iso((now or datetime.now(UTC)) - parse_max_age)
                db.execute(
                    "DELETE FROM parse_cache WHERE digest IN "
                    "(SELECT digest FROM parse_used WHERE used_at < ?)",
                    (cutoff,),
                )
                db.execute("DELETE FROM parse_used WHERE used_at < ?", (cutoff,))
        return removed

    # ------------------------------------------------------------ helpers

    @contextlib.contextmanager
    def _wanted(self, keys: Iterable[str]) -> Iterator[None]:
        """The keys in a temporary table, so one query serves 100k of them.

        Filled 10,000 keys at a time, each batch one JSON array unpacked by SQLite's
        json_each (half the time of binding them one row at a time): a million keys never
        sit in one list, and the table itself lives in a temporary file.
        """
        self.db.execute(
            "CREATE TEMP TABLE IF NOT EXISTS wanted (url TEXT PRIMARY KEY) WITHOUT ROWID"
        )
        self.db.execute("DELETE FROM temp.wanted")
        keys = iter(keys)
        while batch := list(itertools.islice(keys, _WANTED_BATCH)):
            self.db.execute(
                "INSERT OR IGNORE INTO temp.wanted (url) SELECT value FROM json_each(?)",
                (json.dumps(batch),),
            )
        try:
            yield
        finally:
            self.db.execute("DELETE FROM temp.wanted")


_WANTED_BATCH = 10_000


def open_history(config: Any) -> HistoryStore | None:
    """The store named by a ``HistoryConfig``, or None when history is disabled."""
    return HistoryStore(config.path) if config.enabled else None


# ---------------------------------------------------------------- rows


def upgrade(db: sqlite3.Connection, version: int) -> None:
    """Bring a store at ``version`` to SCHEMA_VERSION; an empty one is created from SCHEMA."""
    if version == 0 and not _tables(db):
        _run_script(db, SCHEMA)
    else:
        for step in range(version, SCHEMA_VERSION):
            MIGRATIONS[step](db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


# How long opening waits for another process that holds the store (also the busy timeout).
_OPEN_WAIT_S = 10.0


def _wal(db: sqlite3.Connection) -> None:
    """Switch to WAL. SQLite answers "locked" at once, without its busy wait, when another
    process is switching the same new file at that moment (two runs starting together):
    try again for a while."""
    deadline = time.monotonic() + _OPEN_WAIT_S
    pause = 0.005
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


def _tables(db: sqlite3.Connection) -> list[str]:
    return [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Like executescript, but inside the caller's transaction (executescript commits)."""
    for statement in _statements(script):
        db.execute(statement)


def _statements(script: str) -> list[str]:
    text = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    return [s.strip() for s in text.split(";") if s.strip()]


def _alive(pid: Any) -> bool:
    if type(pid) is not int or not 0 < pid < 2**31:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


# A stored verdict row that a run could have written (the rest is treated as absent).
_TRUSTED = trusted("r")
# The latest verdict of a URL, when it is ok and not older than the cutoff.
# An ok that is really a gone page (gone.SOFT_CODES) is asked again, as a failure would be:
# each run of a soft-dead streak must be its own answer.
_REUSABLE = (
    "CROSS JOIN results r ON r.url = s.url AND r.run_id = s.last_run_id "
    f"WHERE r.outcome = 'ok' AND r.checked_at >= ? AND {_TRUSTED} "
    "AND (r.issues IS NULL OR NOT ("
    + " OR ".join(f"""r.issues LIKE '%"{code}"%'""" for code in SOFT_CODES)
    + "))"
)
# What a URL was when first seen ok, as a run writes it.
_FIRST_SEEN_TRUSTED = (
    "typeof(s.url) = 'text' AND typeof(s.first_etag) IN ('text', 'null') "
    "AND typeof(s.first_last_modified) IN ('text', 'null') "
    "AND (s.first_content_length IS NULL "
    "OR (typeof(s.first_content_length) = 'integer' AND s.first_content_length >= 0))"
)
# A reused verdict: no request was made for it this run.
_REUSED_COLUMNS = ", ".join(
    {"attempts": "0", "from_cache": "1"}.get(name, f"r.{name}") for name in COLUMNS
)
_REUSE_INTO_WORK = f"""
INSERT INTO work.results ({column_list()}, requests, referrers)
SELECT {_REUSED_COLUMNS}, 0, u.referrers
FROM work.urls u CROSS JOIN url_state s ON s.url = u.url {_REUSABLE}
AND NOT EXISTS (SELECT 1 FROM work.results w WHERE w.url = u.url)
"""
_COPY_FROM_WORK = f"""
INSERT OR REPLACE INTO results ({", ".join(_RESULT_COLUMNS)})
SELECT url, :run, {
    ", ".join(
        "COALESCE(checked_at, :now)" if name == "checked_at" else name for name in COLUMNS[1:]
    )
} FROM work.results
"""


_INSERT_JSON_ROWS = (
    f"INSERT OR REPLACE INTO results ({', '.join(_RESULT_COLUMNS)}) SELECT "
    + ", ".join(f"value ->> {i}" for i in range(len(_RESULT_COLUMNS)))
    + " FROM json_each(?)"
)


def _insert_results(
    db: sqlite3.Connection, rows: list[tuple[Any, ...]], run_id: int | None = None
) -> None:
    """Insert ``rows`` and bring url_state up to date with every row of the run."""
    if run_id is None:
        if not rows:
            return
        run_id = rows[0][1]
    _insert_rows(db, rows)
    _update_url_state(db, run_id)


_ROWS_PER_INSERT = 10_000


def _insert_rows(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Insert result rows in URL order, one statement per 10k rows given as one JSON array
    (json_each): executemany takes and drops the GIL once per row, and the run calls this
    from a worker thread while its main thread writes the report, so each row waited for a
    GIL switch (5 ms)."""
    rows = sorted(rows, key=lambda row: row[0])
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        db.execute(_INSERT_JSON_ROWS, (json.dumps(rows[start : start + _ROWS_PER_INSERT]),))


def _update_url_state(db: sqlite3.Connection, run_id: int) -> None:
    # A verdict made anew (not reused) makes the report rows kept for the old one wrong.
    db.execute(
        "DELETE FROM url_rows WHERE url IN "
        "(SELECT url FROM results WHERE run_id = ? AND NOT from_cache)",
        (run_id,),
    )
    # first_seen_* is filled once, from the first ok answer, and never overwritten.
    db.execute(
        """INSERT INTO url_state (url, last_run_id, first_seen_at, first_etag,
                                  first_last_modified, first_content_length, first_title)
           SELECT url, run_id,
                  CASE WHEN outcome = 'ok' THEN checked_at END,
                  CASE WHEN outcome = 'ok' THEN etag END,
                  CASE WHEN outcome = 'ok' THEN last_modified END,
                  CASE WHEN outcome = 'ok' THEN content_length END,
                  CASE WHEN outcome = 'ok' THEN page_title END
           FROM results WHERE run_id = ?
           ON CONFLICT (url) DO UPDATE SET
               last_run_id = MAX(last_run_id, excluded.last_run_id),
               first_title = COALESCE(first_title, excluded.first_title),
               first_etag = CASE WHEN first_seen_at IS NULL
                                 THEN excluded.first_etag ELSE first_etag END,
               first_last_modified = CASE WHEN first_seen_at IS NULL
                                 THEN excluded.first_last_modified ELSE first_last_modified END,
               first_content_length = CASE WHEN first_seen_at IS NULL
                                 THEN excluded.first_content_length ELSE first_content_length END,
               first_seen_at = COALESCE(first_seen_at, excluded.first_seen_at)""",
        (run_id,),
    )


def _result_row(run_id: int, r: UrlResult) -> tuple[Any, ...]:
    url, *rest = to_row(r)
    if rest[6] is None:  # checked_at
        rest[6] = iso(datetime.now(UTC))
    return (url, run_id, *rest)


def _issues(text: str | None) -> tuple[str, ...]:
    """A stored issues list; anything that is not a JSON list of strings is none."""
    if not text:
        return ()
    try:
        value = json.loads(text)
    except ValueError:
        return ()
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _enum(kind: Any, value: str | None) -> Any:
    """The member whose value is ``value``: a dict lookup (calling an enum is slow on 100k rows)."""
    return kind._value2member_map_.get(value) if value is not None else None


def _run_info(row: Sequence[Any]) -> RunInfo:
    """A ``runs`` row as a RunInfo; a value of the wrong kind (a tampered store) is shown as
    unknown rather than trusted."""
    run_id, started, finished, digest, counts, state = row
    try:
        parsed = json.loads(counts) if isinstance(counts, str) else {}
    except (ValueError, RecursionError):
        parsed = {}
    return RunInfo(
        run_id if type(run_id) is int else 0,
        _text(started) or "?",
        _text(finished),
        _text(digest),
        parsed if isinstance(parsed, dict) else {},
        state if state in ("running", "complete", "incomplete", "degraded") else "incomplete",
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# ---------------------------------------------------------------- formatters


def format_url_history(rows: Sequence[HistoryRow]) -> str:
    """``linkcheck history URL``: one line per run, newest first."""
    if not rows:
        return "no results recorded for this URL\n"
    lines = [f"{'run':>5}  {'started':20}  {'outcome':12}  {'status':>6}  detail"]
    for row in rows:
        detail = row.error or ""
        if row.final_url and row.outcome == "ok" and detail == "":
            detail = f"-> {row.final_url}" if row.from_cache is False else "(reused)"
        if row.from_cache:
            detail = f"reused verdict of {row.checked_at}"
        status = "" if row.status is None else str(row.status)
        lines.append(
            f"{row.run_id:>5}  {row.started_at:20}  {row.outcome:12}  {status:>6}  {detail}"
        )
    return "\n".join(lines) + "\n"


def format_runs(rows: Sequence[RunInfo]) -> str:
    """``linkcheck runs``: one line per run, newest first."""
    if not rows:
        return "no runs recorded\n"
    lines = [f"{'run':>5}  {'started':20}  {'finished':20}  {'state':10}  counts"]
    for run in rows:
        counts = " ".join(f"{k}={v}" for k, v in sorted(run.counts.items()) if _scalar(v))
        lines.append(
            f"{run.id:>5}  {run.started_at:20}  {run.finished_at or '-':20}  "
            f"{run.state:10}  {counts}"
        )
    return "\n".join(lines) + "\n"


def _scalar(value: Any) -> bool:
    return isinstance(value, int | float | str) and not isinstance(value, bool)
