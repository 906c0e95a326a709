"""The report's entries as rows of SQLite tables: written by the pipeline, read by the renderers.

A run over 100,000 records knows about a million URLs; as dicts their report entries would
take gigabytes. So a run's report lives in tables of its work store (``create_tables``), an
entry a row in the contract's order, kept as the exact text report.json holds; only the
report's head is in memory. ``StoredReport`` answers the renderers' ``Report`` interface
(``reports.source``) from these tables; ``ReportTables`` is how the report's rows are written.

Beside each entry a row keeps a few values the renderers would otherwise decode every entry
again for (the URL's host, the HTML report's script rows, a record's anchor...): the
renderers make them (``reports.rows``); this module only stores and reads them back.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson

# The report's lists that are streamed from rows, never held as one value.
LISTS = ("urls", "records")
# (url, outcome, elapsed_ms, requests) of a URL entry.
Tally = tuple[str, str, int, int]
# SQLite's limit on bound parameters is 32766 since 3.32; stay well below.
_BATCH = 900


class HeadAccess:
    """Dict-like access to the report's head: every top-level key but the lists."""

    head: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        if key in LISTS:
            raise KeyError(f"{key}: a streamed list; iterate report.{key}() instead")
        return self.head[key]

    def get(self, key: str, default: Any = None) -> Any:
        if key in LISTS:
            raise KeyError(f"{key}: a streamed list; iterate report.{key}() instead")
        return self.head.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.head or key in LISTS


# The URL entries in the order of their rows (``u.pos``); entries are keyed by URL, so the
# pipeline can store them as verdicts come, before the order is known (report_rows.UrlRows).
_ENTRIES = "SELECT e.entry FROM report_urls u JOIN report_url_entries e ON e.url = u.url"


class StoredReport(HeadAccess):
    """A report whose entries are rows of an SQLite database (see ``create_tables``).

    ``report_urls.pos`` and ``report_records.pos`` are the entries' 0-based places in the
    contract's order; the writer inserts them in that order. An entry is kept as its
    ``entry_text``: report.json is then written by copying rows, with no decoding.
    """

    def __init__(self, db: sqlite3.Connection, head: Mapping[str, Any]) -> None:
        self.db = db
        self.head = head

    def urls(self, outcomes: Collection[str] | None = None) -> Iterator[dict[str, Any]]:
        if outcomes is None:
            rows = self.db.execute(_ENTRIES + " ORDER BY u.pos")
        else:
            marks = ",".join("?" * len(outcomes))
            rows = self.db.execute(
                f"{_ENTRIES} WHERE u.outcome IN ({marks}) ORDER BY u.pos",
                list(outcomes),
            )
        return (orjson.loads(entry) for (entry,) in rows)

    def records(self, notable_only: bool = False) -> Iterator[dict[str, Any]]:
        where = "WHERE notable " if notable_only else ""
        rows = self.db.execute(f"SELECT entry FROM report_records {where}ORDER BY pos")
        return (orjson.loads(entry) for (entry,) in rows)

    def url_texts(self) -> Iterator[bytes]:
        rows = self.db.execute(_ENTRIES + " ORDER BY u.pos")
        return (entry for (entry,) in rows)

    def url_tallies(self) -> Iterator[Tally]:
        return iter(
            self.db.execute(
                "SELECT url, outcome, elapsed_ms, requests FROM report_urls ORDER BY pos"
            )
        )

    def record_texts(self) -> Iterator[bytes]:
        rows = self.db.execute("SELECT entry FROM report_records ORDER BY pos")
        return (entry for (entry,) in rows)

    def lookup(self, urls: Iterable[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for batch in _batches(urls):
            marks = ",".join("?" * len(batch))
            for url, entry in self.db.execute(
                "SELECT u.url, e.entry FROM report_urls u JOIN report_url_entries e "
                f"ON e.url = u.url WHERE u.url IN ({marks})",
                batch,
            ):
                found[url] = orjson.loads(entry)
        return found

    def positions(self, urls: Iterable[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for batch in _batches(urls):
            marks = ",".join("?" * len(batch))
            found.update(
                self.db.execute(f"SELECT url, pos FROM report_urls WHERE url IN ({marks})", batch)
            )
        return found

    @property
    def url_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM report_urls").fetchone()[0]

    @property
    def record_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM report_records").fetchone()[0]

    # What follows reads the columns built when the rows were written (see create_tables):
    # counts and per-host numbers in SQL, the HTML script's rows as stored text.

    def host_sums(self, failing: Collection[str]) -> list[tuple[Any, ...]]:
        """Per host: (host, URLs, requests, failing, slowest ms (at least 0), total ms,
        rate limited, blocked), what ``report_view.HostTally`` adds up, in no order."""
        marks = ",".join("?" * len(failing))
        return self.db.execute(
            "SELECT host, count(*), sum(requests), "
            f"sum(outcome IN ({marks})), max(0, max(elapsed_ms)), sum(elapsed_ms), "
            "sum(outcome = 'rate_limited'), sum(outcome = 'blocked') "
            "FROM report_urls GROUP BY host",
            list(failing),
        ).fetchall()

    def outcome_counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT outcome, count(*) FROM report_urls GROUP BY outcome"))

    def url_scripts(self) -> Iterator[tuple[str, str, str]]:
        """(script_head, host, script_tail) of each URL, in ``urls()`` order."""
        return iter(
            self.db.execute("SELECT script_head, host, script_tail FROM report_urls ORDER BY pos")
        )

    def record_scripts(self) -> Iterator[str]:
        """The HTML script's row of each record, in ``records()`` order."""
        rows = self.db.execute("SELECT script FROM report_records ORDER BY pos")
        return (script for (script,) in rows)

    def health_counts(self) -> dict[str | None, int]:
        return dict(self.db.execute("SELECT health, count(*) FROM report_records GROUP BY health"))

    def flagged(self, limit: int) -> tuple[int, list[tuple[dict[str, Any], str]]]:
        """How many records are flagged to unpublish, and the first ``limit`` (with anchors)."""
        count = self.db.execute("SELECT count(*) FROM report_records WHERE unpublish").fetchone()
        rows = self.db.execute(
            "SELECT entry, anchor FROM report_records WHERE unpublish ORDER BY pos LIMIT ?",
            (limit,),
        )
        return count[0], [(orjson.loads(e), a) for e, a in rows]

    def problems(self, limit: int) -> tuple[int, list[tuple[dict[str, Any], str]]]:
        """How many records are flagged or not ``ok``, and the first ``limit`` of them worst
        first (flagged before not, then broken, warning, ok, other; then in order)."""
        where = "WHERE unpublish OR health IS NOT 'ok'"
        count = self.db.execute(f"SELECT count(*) FROM report_records {where}").fetchone()[0]
        order = (
            "unpublish DESC, CASE health WHEN 'broken' THEN 0 WHEN 'warning' THEN 1 "
            "WHEN 'ok' THEN 2 ELSE 3 END, pos"
        )
        # Ranked on the small columns first: only the entries of the rows shown are read.
        chosen = [
            pos
            for (pos,) in self.db.execute(
                f"SELECT pos FROM report_records {where} ORDER BY {order} LIMIT ?", (limit,)
            )
        ]
        found: dict[int, tuple[dict[str, Any], str]] = {}
        for start in range(0, len(chosen), _BATCH):
            batch = chosen[start : start + _BATCH]
            marks = ",".join("?" * len(batch))
            for pos, entry, anchor in self.db.execute(
                f"SELECT pos, entry, anchor FROM report_records WHERE pos IN ({marks})", batch
            ):
                found[pos] = (orjson.loads(entry), anchor)
        return count, [found[pos] for pos in chosen]

    def bad_link_records(
        self, notable_only: bool = False
    ) -> Iterator[tuple[dict[str, Any], list[list[Any]]]]:
        """Records in order, each with its ``bad_links`` ([] if none); with ``notable_only``
        only those that have some or are flagged to unpublish."""
        where = "WHERE bad_links IS NOT NULL OR unpublish " if notable_only else ""
        rows = self.db.execute(f"SELECT entry, bad_links FROM report_records {where}ORDER BY pos")
        return ((orjson.loads(e), orjson.loads(b) if b else []) for e, b in rows)


# What each table row holds, in insert order. Beyond the entry text, columns keep what the
# writers need of every entry, computed once when the row is written (report_rows):
#   report_urls.host         report_view.host_of(url): per-host numbers are a GROUP BY
#   report_urls.script_head  the HTML script's row of the entry (report_html.url_script_parts)
#   report_urls.script_tail  before and after its host's index, which only the whole list fixes
#   report_url_entries       (url, entry): the long URL entries apart, so a scan of the other
#                            columns (a GROUP BY, the script's rows) reads ~30 MB, not ~200 MB,
#                            at 100,000 URLs
#   report_records.anchor    the record's HTML anchor (report_view.Anchors over all records)
#   report_records.health    the entry's health when it is a string, else NULL
#   report_records.unpublish the entry's unpublish flag as 0/1
#   report_bad_urls          (url, outcome, why) of every URL that is not ``ok``: few, so a
#                            record's links are resolved without reading the big rows
#   report_records.bad_links JSON [[link index, outcome, why], ...] of the links whose URL is
#                            not ``ok`` (an unlisted one ``invalid``, "not checked"); NULL if none
#   report_records.script    the HTML script's row of the record (report_html.record_script)
URL_COLUMNS = (
    "pos",
    "url",
    "outcome",
    "elapsed_ms",
    "requests",
    "host",
    "script_head",
    "script_tail",
)
RECORD_COLUMNS = ("pos", "notable", "anchor", "health", "unpublish", "bad_links", "script", "entry")


def create_tables(db: sqlite3.Connection) -> None:
    """The tables a ``StoredReport`` reads (columns: ``URL_COLUMNS``, ``RECORD_COLUMNS``).

    A record's entry comes last in its row: it is long, and SQLite reaches a column stored
    after it only by reading through it.
    """
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS report_urls (
            pos INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, outcome TEXT NOT NULL,
            elapsed_ms INTEGER NOT NULL, requests INTEGER NOT NULL,
            host TEXT NOT NULL, script_head TEXT NOT NULL, script_tail TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS report_url_entries (
            url TEXT PRIMARY KEY, entry BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS report_bad_urls (
            url TEXT PRIMARY KEY, outcome TEXT NOT NULL, why TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS report_records (
            pos INTEGER PRIMARY KEY, notable INTEGER NOT NULL,
            anchor TEXT NOT NULL, health TEXT, unpublish INTEGER NOT NULL, bad_links BLOB,
            script TEXT NOT NULL, entry BLOB NOT NULL);
        """
    )


class ReportTables:
    """Writes a report's rows into ``db`` (tables made by ``create_tables``).

    URL rows may come in any order (a re-run adds its reused verdicts first): they wait in a
    staging table keyed by URL (a later row for a URL replaces an earlier one) and are
    numbered by ``finish_urls``, in URL order (``by_url``) or in the order they came. Record
    rows come in the contract's order, after the URL rows.
    """

    def __init__(self, db: sqlite3.Connection, by_url: bool = False) -> None:
        self.db = db
        self.by_url = by_url
        create_tables(db)
        with db:
            db.execute("DROP TABLE IF EXISTS staged_urls")
            db.execute(
                "CREATE TABLE staged_urls (url TEXT PRIMARY KEY, seq INTEGER NOT NULL, "
                "outcome TEXT NOT NULL, elapsed_ms INTEGER NOT NULL, requests INTEGER NOT NULL, "
                "host TEXT NOT NULL, script_head TEXT NOT NULL, script_tail TEXT NOT NULL, "
                "why TEXT, from_cache INTEGER NOT NULL) WITHOUT ROWID"
            )

    @classmethod
    def in_memory(cls, by_url: bool = False) -> ReportTables:
        """Tables in a private in-memory database (a report built from a dict, tests)."""
        return cls(sqlite3.connect(":memory:"), by_url)

    def stage_urls(self, rows: Sequence[StagedUrl], texts: Sequence[tuple[str, bytes]]) -> None:
        """A page of URL rows and their entries' texts; the entries go to their final table
        at once (copying ~150 MB of them again at 100,000 URLs cost more than all the rest
        of ``finish_urls``)."""
        _insert(self.db, f"INSERT OR REPLACE INTO staged_urls VALUES ({', '.join('?' * 10)})", rows)
        _insert(self.db, "INSERT OR REPLACE INTO report_url_entries VALUES (?, ?)", texts)

    def finish_urls(self) -> tuple[int, Counter[str], int]:
        """Number the staged rows into the report's tables; (URLs, count by outcome, reused)."""
        order = "url" if self.by_url else "seq"
        with self.db:
            self.db.execute(
                "INSERT INTO report_urls (pos, url, outcome, elapsed_ms, requests, host, "
                f"script_head, script_tail) SELECT row_number() OVER (ORDER BY {order}) - 1, "
                "url, outcome, elapsed_ms, requests, host, script_head, script_tail "
                f"FROM staged_urls ORDER BY {order}"
            )
            self.db.execute(
                "INSERT INTO report_bad_urls (url, outcome, why) "
                "SELECT url, outcome, why FROM staged_urls WHERE outcome != 'ok'"
            )
            counts = self.db.execute(
                "SELECT outcome, count(*), sum(from_cache) FROM staged_urls GROUP BY outcome"
            ).fetchall()
            self.db.execute("DROP TABLE staged_urls")
        by_outcome = Counter({outcome: n for outcome, n, _ in counts})
        return sum(by_outcome.values()), by_outcome, sum(cached for _, _, cached in counts)

    def insert_records(self, rows: Sequence[Sequence[Any]]) -> None:
        """Record rows (``RECORD_COLUMNS``), in the contract's order."""
        _insert(self.db, _RECORD_SQL, rows)

    def lookup_links(
        self, urls: Iterable[str]
    ) -> tuple[dict[str, int], dict[str, tuple[str, str]]]:
        """Of the given URLs: the position of each one listed, and (outcome, why) of each
        one listed that is not ``ok``. Both are read from indexes and small rows only."""
        positions: dict[str, int] = {}
        bad: dict[str, tuple[str, str]] = {}
        for batch in _batches(urls):
            marks = ",".join("?" * len(batch))
            positions.update(
                self.db.execute(f"SELECT url, pos FROM report_urls WHERE url IN ({marks})", batch)
            )
            for url, outcome, reason in self.db.execute(
                f"SELECT url, outcome, why FROM report_bad_urls WHERE url IN ({marks})", batch
            ):
                bad[url] = (outcome, reason)
        return positions, bad

    def report(self, head: Mapping[str, Any]) -> StoredReport:
        return StoredReport(self.db, head)


# A staged URL row: (url, seq, outcome, elapsed_ms, requests, host, script_head,
# script_tail, why or None, from_cache).
StagedUrl = tuple[str, int, str, int, int, str, str, str, str | None, bool]
_RECORD_SQL = (
    f"INSERT INTO report_records ({', '.join(RECORD_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(RECORD_COLUMNS))})"
)


def _batches(items: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in dict.fromkeys(items):
        batch.append(item)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(db: sqlite3.Connection, sql: str, rows: Sequence[Any]) -> None:
    if rows:
        with db:
            db.executemany(sql, rows)
