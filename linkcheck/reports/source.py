"""A report as the renderers read it: the small top-level parts at hand, the big lists streamed.

A run over 100,000 records knows about a million URLs; as dicts their report entries would
take gigabytes. So renderers never ask for "all URLs as a list": they iterate ``urls()`` and
``records()`` in the contract's order, look up the few entries they need with ``lookup``,
and find a URL's row number with ``positions``. Two kinds of report answer those calls:

- ``DictReport``: a report loaded from ``report.json`` (``linkcheck report``) or built in
  memory (tests); everything is a plain dict.
- ``StoredReport``: the entries of a run live in SQLite tables (``create_tables``) as
  orjson rows, in the contract's order; only the head is in memory. Beside each entry a
  row keeps what the writers need of it (host, the HTML script's row, a record's links
  that are not ok...), built once by ``report_rows``, so a writer reads columns and
  counts with SQL instead of decoding every entry again (issue 6: a re-run's reports).

``as_report`` accepts either a ``Report`` or a plain report dict, so callers that hold a
dict (tests, ``linkcheck report``) need not wrap it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

import orjson

# The report's top-level keys in the contract's order; "urls" and "records" are streamed.
TOP_LEVEL = (
    "schema",
    "generated_at",
    "complete",
    "tool",
    "run",
    "summary",
    "changes",
    "urls",
    "records",
    "republish",
    "errors",
)
LISTS = ("urls", "records")
# (url, outcome, elapsed_ms, requests) of a URL entry.
Tally = tuple[str, str, int, int]
# SQLite's limit on bound parameters is 32766 since 3.32; stay well below.
_BATCH = 900


@runtime_checkable
class Report(Protocol):
    """What every renderer reads."""

    @property
    def head(self) -> Mapping[str, Any]:
        """Every top-level key but ``urls`` and ``records``."""
        ...

    def __getitem__(self, key: str) -> Any:
        """A head key (``report["summary"]``); the lists are not available this way."""
        ...

    def get(self, key: str, default: Any = None) -> Any: ...

    def urls(self, outcomes: Collection[str] | None = None) -> Iterator[dict[str, Any]]:
        """URL entries sorted by URL; only those whose outcome is in ``outcomes`` if given."""
        ...

    def records(self, notable_only: bool = False) -> Iterator[dict[str, Any]]:
        """Record entries in the contract's order (source, then record key). With
        ``notable_only`` a report may leave out records that are not flagged to unpublish
        and whose every link is a listed ``ok`` URL (none can have a failing link then,
        unless ``ok`` itself fails the run)."""
        ...

    def url_tallies(self) -> Iterator[Tally]:
        """``tally`` of every URL entry in ``urls()`` order, without decoding the entries."""
        ...

    def lookup(self, urls: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The URL entries of the given URLs that exist."""
        ...

    def url_texts(self) -> Iterator[bytes]:
        """``urls()`` as ``entry_text`` bytes (what report.json holds), in the same order."""
        ...

    def record_texts(self) -> Iterator[bytes]:
        """``records()`` as ``entry_text`` bytes, in the same order."""
        ...

    def positions(self, urls: Iterable[str]) -> dict[str, int]:
        """Each given URL's 0-based index in ``urls()`` order (unknown URLs left out)."""
        ...

    @property
    def url_count(self) -> int: ...

    @property
    def record_count(self) -> int: ...


class _Head:
    """The dict-like access to the head that both kinds share."""

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


class DictReport(_Head):
    """A report that is one plain dict: a report file as read, or one built by a test."""

    def __init__(self, report: Mapping[str, Any]) -> None:
        self.data = report
        self.head = {k: v for k, v in report.items() if k not in LISTS}
        self._urls: list[dict[str, Any]] = list(report.get("urls") or ())
        self._records: list[dict[str, Any]] = list(report.get("records") or ())
        self._index: dict[str, dict[str, Any]] | None = None
        self._pos: dict[str, int] | None = None

    def urls(self, outcomes: Collection[str] | None = None) -> Iterator[dict[str, Any]]:
        if outcomes is None:
            return iter(self._urls)
        return (u for u in self._urls if u.get("outcome") in outcomes)

    def records(self, notable_only: bool = False) -> Iterator[dict[str, Any]]:
        return iter(self._records)

    def url_texts(self) -> Iterator[bytes]:
        return (entry_text(u) for u in self._urls)

    def url_tallies(self) -> Iterator[Tally]:
        return (tally(u) for u in self._urls)

    def record_texts(self) -> Iterator[bytes]:
        return (entry_text(r) for r in self._records)

    def lookup(self, urls: Iterable[str]) -> dict[str, dict[str, Any]]:
        if self._index is None:
            self._index = {u["url"]: u for u in self._urls}
        return {u: self._index[u] for u in urls if u in self._index}

    def positions(self, urls: Iterable[str]) -> dict[str, int]:
        if self._pos is None:
            self._pos = {u["url"]: i for i, u in enumerate(self._urls)}
        return {u: self._pos[u] for u in urls if u in self._pos}

    @property
    def url_count(self) -> int:
        return len(self._urls)

    @property
    def record_count(self) -> int:
        return len(self._records)


# The URL entries in the order of their rows (``u.pos``); entries are keyed by URL, so the
# pipeline can store them as verdicts come, before the order is known (report_rows.UrlRows).
_ENTRIES = "SELECT e.entry FROM report_urls u JOIN report_url_entries e ON e.url = u.url"


class StoredReport(_Head):
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


def notable(record: Mapping[str, Any], ok_urls: Collection[str]) -> bool:
    """Whether ``records(notable_only=True)`` must keep this record entry."""
    links = record.get("links") or ()
    return bool(record.get("unpublish")) or any(lk.get("url") not in ok_urls for lk in links)


def tally(entry: Mapping[str, Any]) -> Tally:
    """What per-host and per-outcome counts need of a URL entry (kept in columns of a
    stored report, so its counts are SQL rather than a decode of every entry)."""
    requests = entry.get("requests", entry.get("attempts", 0))
    return entry["url"], entry["outcome"], int(entry.get("elapsed_ms") or 0), int(requests or 0)


def entry_text(entry: Mapping[str, Any]) -> bytes:
    """One list entry as report.json holds it: orjson's two-space indent, shifted four
    spaces (the depth of a list entry), its first line unindented."""
    text = orjson.dumps(entry, option=orjson.OPT_INDENT_2, default=str)
    return text.replace(b"\n", b"\n    ")


def as_report(report: Report | Mapping[str, Any]) -> Report:
    """A ``Report`` for either kind of argument."""
    if isinstance(report, DictReport | StoredReport):
        return report
    return DictReport(report)  # type: ignore[arg-type]


def _batches(items: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in dict.fromkeys(items):
        batch.append(item)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def lookup_links(
    db: sqlite3.Connection, urls: Iterable[str]
) -> tuple[dict[str, int], dict[str, tuple[str, str]]]:
    """Of the given URLs: the position of each one listed, and (outcome, why) of each one
    listed that is not ``ok``. Both are read from indexes and small rows only."""
    positions: dict[str, int] = {}
    bad: dict[str, tuple[str, str]] = {}
    for batch in _batches(urls):
        marks = ",".join("?" * len(batch))
        positions.update(
            db.execute(f"SELECT url, pos FROM report_urls WHERE url IN ({marks})", batch)
        )
        for url, outcome, reason in db.execute(
            f"SELECT url, outcome, why FROM report_bad_urls WHERE url IN ({marks})", batch
        ):
            bad[url] = (outcome, reason)
    return positions, bad


def store_report(db: sqlite3.Connection, report: Mapping[str, Any]) -> StoredReport:
    """A plain report dict written into ``db`` as a ``StoredReport`` (tests, and small runs)."""
    # The rows' columns are view data (report_rows builds them with the renderers' helpers,
    # which import this module): imported here, not at the top.
    from linkcheck.reports.rows import insert_records, insert_urls

    create_tables(db)
    insert_urls(db, report.get("urls") or ())
    ok = {u["url"] for u in report.get("urls") or () if u.get("outcome") == "ok"}
    insert_records(db, ((entry_text(r), notable(r, ok)) for r in report.get("records") or ()))
    return StoredReport(db, {k: v for k, v in report.items() if k not in LISTS})
