"""The run's report written as rows of a ``StoredReport``, entry by entry, with its summary.

A run over 100,000 records cannot hold its report as one dict (a million URL entries),
so the pipeline streams each entry into the work store's report tables here and keeps
only the counts the summary needs.

Beside each entry's text a row keeps what the writers would otherwise decode every entry
again for (see ``report_source.create_tables``): the URL's host and "why", the HTML
script's row for the entry, a record's anchor, health, unpublish flag and its links that
are not ``ok``. They are computed once here, from the entry, by the same functions the
writers use on a plain report dict, so both kinds of report render the same bytes.
``report_source.store_report`` fills its rows with ``insert_urls`` and ``insert_records``
too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from linkcheck.model import RecordError, RecordHealth, UrlResult
from linkcheck.reports.html import record_script, url_script_parts
from linkcheck.reports.json import RunInfo, make_summary, record_entry, report_head, url_entry
from linkcheck.reports.source import (
    RECORD_COLUMNS,
    StoredReport,
    entry_text,
    lookup_links,
    tally,
)
from linkcheck.reports.view import Anchors, bad_links, host_of, why

if TYPE_CHECKING:
    from linkcheck.store.work import WorkStore

# Rows inserted per transaction.
PAGE = 1000
_OK = ("ok", "")


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


_RECORD_SQL = _insert_sql("report_records", RECORD_COLUMNS)


def write_report_rows(
    work: WorkStore,
    run: RunInfo,
    errors: Sequence[RecordError],
    changes: Mapping[str, Any] | None,
    records: Iterable[AssessedRecord],
    url_rows: UrlRows | None = None,
) -> StoredReport:
    """Every URL entry (sorted by URL) and record entry (in the given order, each with
    whether it is notable: see ``Report.records``) into the report tables; returns the
    report, its head summarising what was written. ``url_rows`` may hold the entries of
    the reused verdicts already (``stage_reused``)."""
    db = work.report_db
    rows = url_rows or UrlRows(db, by_url=True)
    reused = False if rows.reused_done else None  # the reused ones are in already
    rows.add(listed_entry(r, refs) for r, refs in work.listed_results(True, reused=reused))
    urls, by_outcome, from_cache = rows.finish()

    by_health: Counter[str] = Counter()
    links = unpublish = count = 0
    republish: list[dict[str, str]] = []

    def record_texts() -> Iterator[tuple[bytes, bool]]:
        nonlocal links, unpublish, count
        for item in records:
            by_health[item.health] += 1
            links += item.links
            unpublish += item.unpublish
            count += 1
            if item.republish:
                republish.append(dict(zip(REPUBLISH_KEYS, item.republish, strict=True)))
            yield item.text, item.notable

    insert_records(db, record_texts())

    summary = make_summary(
        run,
        records=count,
        links=links,
        unique_urls=urls,
        by_outcome=by_outcome,
        by_health=by_health,
        unpublish=unpublish,
        from_cache=from_cache,
        errors=len(errors),
    )
    summary["republish"] = len(republish)
    return work.report(report_head(run, summary, changes, errors, republish))


# An entry of the report's ``republish`` list, as AssessedRecord.republish holds it.
REPUBLISH_KEYS = ("source", "record", "field", "url")


class AssessedRecord(NamedTuple):
    """One record's report entry as written (``record_text``), with what the summary and
    the writers count of it; kept as it is by the assessment cache (see run.py)."""

    text: bytes
    notable: bool
    health: str
    links: int
    unpublish: bool
    # (source, record, field, url) when the record is a candidate to publish again.
    republish: tuple[str, str, str, str] | None = None


def assessed_record(
    record: RecordHealth,
    extra: Mapping[str, Any],
    notable: bool,
    republish: tuple[str, str, str, str] | None = None,
) -> AssessedRecord:
    """``record``'s entry with the ``extra`` fields the pipeline adds, as written."""
    text = entry_text({**record_entry(record), **extra})
    return AssessedRecord(
        text, notable, record.health.value, len(record.links), record.unpublish, republish
    )


def listed_entry(result: UrlResult, referrers: int) -> dict[str, Any]:
    """A listed verdict's ``urls[]`` entry."""
    entry = url_entry(result)
    entry["referrers"] = referrers
    return entry


class UrlRows:
    """The report's URL rows, added in any order and numbered by ``finish``.

    A re-run adds the entries of its reused verdicts while its requests are in flight
    (``stage_reused``: ~95% of them, a quarter of a re-run's work otherwise), and the rest
    once they are known. Rows wait in a staging table, keyed by URL (a later entry for a
    URL replaces an earlier one), and are numbered in URL order (``by_url``) or in the
    order they came.
    """

    def __init__(self, db: Any, by_url: bool = False) -> None:
        self.db = db
        self.by_url = by_url
        self.added = 0
        # Whether every reused verdict's entry was added (``run.stage_reused``).
        self.reused_done = False
        with db:
            db.execute("DROP TABLE IF EXISTS staged_urls")
            db.execute(
                "CREATE TABLE staged_urls (url TEXT PRIMARY KEY, seq INTEGER NOT NULL, "
                "outcome TEXT NOT NULL, elapsed_ms INTEGER NOT NULL, requests INTEGER NOT NULL, "
                "host TEXT NOT NULL, script_head TEXT NOT NULL, script_tail TEXT NOT NULL, "
                "why TEXT, from_cache INTEGER NOT NULL) WITHOUT ROWID"
            )

    def add(self, entries: Iterable[Mapping[str, Any]]) -> None:
        rows: list[tuple[Any, ...]] = []
        texts: list[tuple[str, bytes]] = []
        for entry in entries:
            url, outcome, elapsed, requests = tally(entry)
            head, tail = url_script_parts(entry)
            rows.append(
                (
                    url, self.added, outcome, elapsed, requests, host_of(url), head, tail,
                    why(entry) if outcome != "ok" else None, bool(entry.get("from_cache")),
                )
            )  # fmt: skip
            texts.append((url, entry_text(entry)))
            self.added += 1
            if len(rows) >= PAGE:
                self._insert(rows, texts)
        self._insert(rows, texts)

    def _insert(self, rows: list[tuple[Any, ...]], texts: list[tuple[str, bytes]]) -> None:
        """A page of rows; the entries go to their final table at once (copying ~150 MB
        of them again at 100,000 URLs cost more than all the rest of ``finish``)."""
        _insert(self.db, f"INSERT OR REPLACE INTO staged_urls VALUES ({', '.join('?' * 10)})", rows)
        _insert(self.db, "INSERT OR REPLACE INTO report_url_entries VALUES (?, ?)", texts)

    def finish(self) -> tuple[int, Counter[str], int]:
        """Number the rows into the report's tables; (URLs, count by outcome, reused)."""
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


def insert_urls(db: Any, entries: Iterable[Mapping[str, Any]]) -> None:
    """URL entries, in the contract's order, as rows."""
    rows = UrlRows(db)
    rows.add(entries)
    rows.finish()


def insert_records(db: Any, items: Iterable[tuple[bytes, bool]]) -> None:
    """Record entries (as ``entry_text``, with their notable flag), in the contract's order,
    as rows; the URL rows must be there already (links resolve against them)."""
    anchors = Anchors()
    page: list[tuple[bytes, bool]] = []
    pos = 0
    for item in items:
        page.append(item)
        if len(page) >= PAGE:
            _insert(db, _RECORD_SQL, _record_rows(db, pos, page, anchors))
            pos += len(page)
            page.clear()
    _insert(db, _RECORD_SQL, _record_rows(db, pos, page, anchors))


def _record_rows(
    db: Any, start: int, page: list[tuple[bytes, bool]], anchors: Anchors
) -> list[tuple[Any, ...]]:
    """Rows of a page of records; one lookup of all their links' URLs.

    Each entry is decoded from its text, so the columns hold what a reader of the entry
    computes (a value the pipeline held that JSON spells differently cannot leak in).
    """
    records = [orjson.loads(text) for text, _ in page]
    url_pos, bad_urls = lookup_links(db, (lk.get("url") or "" for r in records for lk in _links(r)))
    # Listed and ok, or listed and not: what bad_links asks of each link's URL.
    index = dict.fromkeys(url_pos, _OK)
    index.update(bad_urls)
    rows = []
    for pos, ((text, is_notable), record) in enumerate(zip(page, records, strict=True), start):
        anchor = anchors.next(record)
        bad = bad_links(record, index)
        health = record.get("health")
        rows.append(
            (
                pos,
                is_notable,
                anchor,
                health if isinstance(health, str) else None,
                bool(record.get("unpublish")),
                orjson.dumps(bad) if bad else None,
                record_script(record, anchor, url_pos),
                text,
            )
        )
    return rows


def _links(record: Mapping[str, Any]) -> list[Any]:
    return record.get("links", ())  # type: ignore[no-any-return]


def _insert(db: Any, sql: str, rows: list[Any]) -> None:
    if rows:
        with db:
            db.executemany(sql, rows)
        rows.clear()
