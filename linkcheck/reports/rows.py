"""The run's report written as rows of a ``StoredReport``, entry by entry, with its summary.

A run over 100,000 records cannot hold its report as one dict (a million URL entries),
so the pipeline streams each entry into the work store's report tables here and keeps
only the counts the summary needs.

Beside each entry's text a row keeps what the writers would otherwise decode every entry
again for (see ``store.report.create_tables``): the URL's host and "why", the HTML
script's row for the entry, a record's anchor, health, unpublish flag and its links that
are not ``ok``. They are computed once here, from the entry, by the same functions the
writers use on a plain report dict, so both kinds of report render the same bytes.
``store_report`` fills a report's rows from a plain dict the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import orjson

from linkcheck.model import RecordError, RecordHealth, UrlResult
from linkcheck.reports.html import record_script, url_script_parts
from linkcheck.reports.json import RunInfo, make_summary, record_entry, report_head, url_entry
from linkcheck.reports.source import entry_text, notable, tally
from linkcheck.reports.view import Anchors, bad_links, host_of, why
from linkcheck.store.report import LISTS, ReportTables, StagedUrl, StoredReport
from linkcheck.store.work import WorkStore

# Rows inserted per transaction.
PAGE = 1000
_OK = ("ok", "")


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
    tables = work.report_tables()
    rows = url_rows or UrlRows(tables)
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

    insert_records(tables, record_texts())

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
    return tables.report(report_head(run, summary, changes, errors, republish))


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
    """The report's URL rows, added in any order and numbered by ``finish``
    (``store.report.ReportTables`` keeps them staged until then)."""

    def __init__(self, tables: ReportTables) -> None:
        self.tables = tables
        self.added = 0
        # Whether every reused verdict's entry was added (``pipeline.stage_reused``).
        self.reused_done = False

    def add(self, entries: Iterable[Mapping[str, Any]]) -> None:
        rows: list[StagedUrl] = []
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
                self.tables.stage_urls(rows, texts)
                rows, texts = [], []
        self.tables.stage_urls(rows, texts)

    def finish(self) -> tuple[int, Counter[str], int]:
        """Number the rows into the report's tables; (URLs, count by outcome, reused)."""
        return self.tables.finish_urls()


def insert_urls(tables: ReportTables, entries: Iterable[Mapping[str, Any]]) -> None:
    """URL entries, in the contract's order, as rows."""
    rows = UrlRows(tables)
    rows.add(entries)
    rows.finish()


def insert_records(tables: ReportTables, items: Iterable[tuple[bytes, bool]]) -> None:
    """Record entries (as ``entry_text``, with their notable flag), in the contract's order,
    as rows; the URL rows must be there already (links resolve against them)."""
    anchors = Anchors()
    page: list[tuple[bytes, bool]] = []
    pos = 0
    for item in items:
        page.append(item)
        if len(page) >= PAGE:
            tables.insert_records(_record_rows(tables, pos, page, anchors))
            pos += len(page)
            page.clear()
    tables.insert_records(_record_rows(tables, pos, page, anchors))


def store_report(report: Mapping[str, Any], tables: ReportTables | None = None) -> StoredReport:
    """A plain report dict written as a ``StoredReport`` (in memory unless ``tables`` say
    where: tests, benches)."""
    tables = tables or ReportTables.in_memory()
    insert_urls(tables, report.get("urls") or ())
    ok = {u["url"] for u in report.get("urls") or () if u.get("outcome") == "ok"}
    insert_records(tables, ((entry_text(r), notable(r, ok)) for r in report.get("records") or ()))
    return tables.report({k: v for k, v in report.items() if k not in LISTS})


def _record_rows(
    tables: ReportTables, start: int, page: list[tuple[bytes, bool]], anchors: Anchors
) -> list[tuple[Any, ...]]:
    """Rows of a page of records; one lookup of all their links' URLs.

    Each entry is decoded from its text, so the columns hold what a reader of the entry
    computes (a value the pipeline held that JSON spells differently cannot leak in).
    """
    records = [orjson.loads(text) for text, _ in page]
    url_pos, bad_urls = tables.lookup_links(
        lk.get("url") or "" for r in records for lk in _links(r)
    )
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
