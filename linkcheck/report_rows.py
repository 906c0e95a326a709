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

from linkcheck.model import RecordError, RecordHealth
from linkcheck.report_html import record_script, url_script_parts
from linkcheck.report_json import RunInfo, make_summary, record_entry, report_head, url_entry
from linkcheck.report_source import (
    RECORD_COLUMNS,
    URL_COLUMNS,
    StoredReport,
    entry_text,
    lookup_links,
    tally,
)
from linkcheck.report_view import Anchors, bad_links, host_of, why

if TYPE_CHECKING:
    from linkcheck.workstore import WorkStore

# Rows inserted per transaction.
PAGE = 1000
_OK = ("ok", "")


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


_URL_SQL = _insert_sql("report_urls", URL_COLUMNS)
_RECORD_SQL = _insert_sql("report_records", RECORD_COLUMNS)
_BAD_SQL = _insert_sql("report_bad_urls", ("url", "outcome", "why"))
_TEXT_SQL = _insert_sql("report_url_entries", ("pos", "entry"))


def write_report_rows(
    work: WorkStore,
    run: RunInfo,
    errors: Sequence[RecordError],
    changes: Mapping[str, Any] | None,
    records: Iterable[AssessedRecord],
) -> StoredReport:
    """Every URL entry (sorted by URL) and record entry (in the given order, each with
    whether it is notable: see ``Report.records``) into the report tables; returns the
    report, its head summarising what was written."""
    db = work.report_db
    by_outcome: Counter[str] = Counter()
    from_cache = 0
    urls = 0

    def url_entries() -> Iterator[dict[str, Any]]:
        nonlocal from_cache, urls
        for result, referrers in work.listed_results(invalid=True):
            entry = url_entry(result)
            entry["referrers"] = referrers
            by_outcome[result.outcome.value] += 1
            from_cache += result.from_cache
            urls += 1
            yield entry

    insert_urls(db, url_entries())

    by_health: Counter[str] = Counter()
    links = unpublish = count = 0

    def record_texts() -> Iterator[tuple[bytes, bool]]:
        nonlocal links, unpublish, count
        for item in records:
            by_health[item.health] += 1
            links += item.links
            unpublish += item.unpublish
            count += 1
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
    return work.report(report_head(run, summary, changes, errors))


class AssessedRecord(NamedTuple):
    """One record's report entry as written (``record_text``), with what the summary and
    the writers count of it; kept as it is by the assessment cache (see run.py)."""

    text: bytes
    notable: bool
    health: str
    links: int
    unpublish: bool


def assessed_record(
    record: RecordHealth, extra: Mapping[str, Any], notable: bool
) -> AssessedRecord:
    """``record``'s entry with the ``extra`` fields the pipeline adds, as written."""
    text = entry_text({**record_entry(record), **extra})
    return AssessedRecord(text, notable, record.health.value, len(record.links), record.unpublish)


def url_row(pos: int, entry: Mapping[str, Any]) -> tuple[Any, ...]:
    """One ``report_urls`` row (``URL_COLUMNS``) of a URL entry."""
    head, tail = url_script_parts(entry)
    return (pos, *tally(entry), host_of(entry["url"]), head, tail)


def insert_urls(db: Any, entries: Iterable[Mapping[str, Any]]) -> None:
    """URL entries, in the contract's order, as rows; a transaction per ``PAGE``."""
    rows: list[tuple[Any, ...]] = []
    texts: list[tuple[int, bytes]] = []
    bad: list[tuple[str, str, str]] = []
    for pos, entry in enumerate(entries):
        rows.append(url_row(pos, entry))
        texts.append((pos, entry_text(entry)))
        if entry["outcome"] != "ok":
            bad.append((entry["url"], entry["outcome"], why(entry)))
        if len(rows) >= PAGE:
            _insert_urls(db, rows, texts, bad)
    _insert_urls(db, rows, texts, bad)


def _insert_urls(db: Any, *rows: list[Any]) -> None:
    with db:
        for sql, page in zip((_URL_SQL, _TEXT_SQL, _BAD_SQL), rows, strict=True):
            if page:
                db.executemany(sql, page)
            page.clear()


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
