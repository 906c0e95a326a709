"""A file's record entries as history keeps them between runs, and checked when read back.

The assessment reuses a file's report entries when nothing they were made from changed
(``assessment.py``). They come back from the history store, which may have been planted
(a CI cache, a checkout), and go into report.json as they are: so they are kept as data
(JSON, never pickle or marshal) and each one read back must be a record entry of the
report's schema, for that file, agreeing with the counts kept beside it. Anything else
and the file is judged again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from linkcheck.reports.rows import AssessedRecord
from linkcheck.reports.shapecheck import ShapeError, check_entry


def rows_data(rows: Sequence[AssessedRecord]) -> bytes:
    """``rows`` as the bytes history keeps."""
    return orjson.dumps(
        [[r.text.decode(), r.notable, r.health, r.links, r.unpublish] for r in rows]
    )


def kept_rows(data: Any, source: str) -> list[AssessedRecord] | None:
    """The rows ``rows_data`` made for the file ``source``; None when ``data`` is anything
    else (then the file's records are judged again)."""
    try:
        rows = orjson.loads(data)
        if type(rows) is not list or not rows:
            return None
        return [_row(row, source) for row in rows]
    except (ShapeError, ValueError, TypeError):
        return None


def _row(row: Any, source: str) -> AssessedRecord:
    if type(row) is not list or len(row) != 5 or type(row[0]) is not str:
        raise ValueError("not a kept row")
    text, notable, health, links, unpublish = row
    entry = orjson.loads(text)
    check_entry("record", entry)
    agrees = (
        entry["source"] == source
        and type(notable) is bool
        and entry["health"] == health
        and type(links) is int
        and len(entry["links"]) == links
        and unpublish is False
        and entry["unpublish"] is False
    )
    if not agrees:
        raise ValueError("a kept row that does not agree with its entry")
    return AssessedRecord(text.encode(), notable, health, links, unpublish)
