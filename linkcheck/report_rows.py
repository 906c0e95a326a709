"""The run's report written as rows of a ``StoredReport``, entry by entry, with its summary.

``report_json.build_report`` makes the same report as one dict; a run over 100,000
records cannot hold that (a million URL entries), so the pipeline streams each entry
into the work store's report tables here and keeps only the counts the summary needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from linkcheck import __version__
from linkcheck.model import Health, Outcome, RecordError, RecordHealth
from linkcheck.report_json import SCHEMA, RunInfo, _iso, record_entry, url_entry
from linkcheck.report_source import StoredReport
from linkcheck.workstore import PAGE, WorkStore


def write_report_rows(
    work: WorkStore,
    run: RunInfo,
    errors: Sequence[RecordError],
    changes: Mapping[str, Any] | None,
    records: Iterable[tuple[RecordHealth, Mapping[str, Any]]],
) -> StoredReport:
    """Every URL entry (sorted by URL) and record entry (in the given order) into the report
    tables; returns the report, its head summarising what was written."""
    db = work.report_db
    by_outcome: Counter[str] = Counter()
    from_cache = 0
    rows: list[tuple[int, str, str, bytes]] = []
    urls = 0
    for urls, (result, referrers) in enumerate(work.listed_results(invalid=True), start=1):
        entry = url_entry(result)
        entry["referrers"] = referrers
        by_outcome[result.outcome.value] += 1
        from_cache += result.from_cache
        rows.append((urls - 1, result.url, result.outcome.value, orjson.dumps(entry)))
        if len(rows) >= PAGE:
            _insert(db, "INSERT INTO report_urls VALUES (?, ?, ?, ?)", rows)
    _insert(db, "INSERT INTO report_urls VALUES (?, ?, ?, ?)", rows)

    by_health: Counter[str] = Counter()
    links = unpublish = count = 0
    record_rows: list[tuple[int, bytes]] = []
    for record, extra in records:
        by_health[record.health.value] += 1
        links += len(record.links)
        unpublish += record.unpublish
        record_rows.append((count, orjson.dumps({**record_entry(record), **extra})))
        count += 1
        if len(record_rows) >= PAGE:
            _insert(db, "INSERT INTO report_records VALUES (?, ?)", record_rows)
    _insert(db, "INSERT INTO report_records VALUES (?, ?)", record_rows)

    summary = {
        "records": count + len(errors),
        "records_with_errors": len(errors),
        "links": links,
        "unique_urls": urls,
        "requests": run.requests,
        "by_outcome": {o.value: by_outcome.get(o.value, 0) for o in Outcome},
        "by_health": {h.value: by_health.get(h.value, 0) for h in Health},
        "unpublish": unpublish,
        "from_cache": from_cache,
        "errors": len(errors),
        "skipped_files": run.skipped_files,
    }
    return work.report(report_head(run, summary, changes, errors))


def _insert(db: Any, sql: str, rows: list[Any]) -> None:
    if rows:
        with db:
            db.executemany(sql, rows)
        rows.clear()


def report_head(
    run: RunInfo,
    summary: Mapping[str, Any],
    changes: Mapping[str, Any] | None,
    errors: Sequence[RecordError],
) -> dict[str, Any]:
    """Every top-level key of the report but the two lists, in the contract's order."""
    return {
        "schema": SCHEMA,
        "generated_at": _iso(run.finished_at),
        "complete": run.complete,
        "tool": {"name": "linkcheck", "version": __version__},
        "run": {
            "started_at": _iso(run.started_at),
            "finished_at": _iso(run.finished_at),
            "duration_s": round((run.finished_at - run.started_at).total_seconds(), 3),
            "config": dict(run.config),
        },
        "summary": dict(summary),
        "changes": dict(changes) if changes is not None else None,
        "errors": [{"source": e.source, "line": e.line, "message": e.message} for e in errors],
    }
