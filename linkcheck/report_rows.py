"""The run's report written as rows of a ``StoredReport``, entry by entry, with its summary.

A run over 100,000 records cannot hold its report as one dict (a million URL entries),
so the pipeline streams each entry into the work store's report tables here and keeps
only the counts the summary needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from linkcheck.model import RecordError, RecordHealth
from linkcheck.report_json import RunInfo, make_summary, record_entry, report_head, url_entry
from linkcheck.report_source import StoredReport, entry_text, tally
from linkcheck.workstore import PAGE, WorkStore


def write_report_rows(
    work: WorkStore,
    run: RunInfo,
    errors: Sequence[RecordError],
    changes: Mapping[str, Any] | None,
    records: Iterable[tuple[RecordHealth, Mapping[str, Any], bool]],
) -> StoredReport:
    """Every URL entry (sorted by URL) and record entry (in the given order, each with
    whether it is notable: see ``Report.records``) into the report tables; returns the
    report, its head summarising what was written."""
    db = work.report_db
    by_outcome: Counter[str] = Counter()
    from_cache = 0
    rows: list[tuple[Any, ...]] = []
    urls = 0
    for urls, (result, referrers) in enumerate(work.listed_results(invalid=True), start=1):
        entry = url_entry(result)
        entry["referrers"] = referrers
        by_outcome[result.outcome.value] += 1
        from_cache += result.from_cache
        rows.append((urls - 1, *tally(entry), entry_text(entry)))
        if len(rows) >= PAGE:
            _insert(db, "INSERT INTO report_urls VALUES (?, ?, ?, ?, ?, ?)", rows)
    _insert(db, "INSERT INTO report_urls VALUES (?, ?, ?, ?, ?, ?)", rows)

    by_health: Counter[str] = Counter()
    links = unpublish = count = 0
    record_rows: list[tuple[int, bool, bytes]] = []
    for record, extra, is_notable in records:
        by_health[record.health.value] += 1
        links += len(record.links)
        unpublish += record.unpublish
        record_rows.append((count, is_notable, entry_text({**record_entry(record), **extra})))
        count += 1
        if len(record_rows) >= PAGE:
            _insert(db, "INSERT INTO report_records VALUES (?, ?, ?)", record_rows)
    _insert(db, "INSERT INTO report_records VALUES (?, ?, ?)", record_rows)

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


def _insert(db: Any, sql: str, rows: list[Any]) -> None:
    if rows:
        with db:
            db.executemany(sql, rows)
        rows.clear()
