"""The report rows of a reused verdict, made once and kept in history.

A re-run reuses ~95% of its verdicts, and made each one's report rows again (its entry in
report.json, its row of report.html's script): ~20 µs a verdict, two seconds of CPU in a
10,000-record re-run, spent while its failing URLs were fetched and slowing that fetch.
A reused verdict's rows depend on nothing but the verdict and how many links point at it
(its ``referrers``), so history keeps them (``url_rows``), made when the verdict was
(``HistoryStore.keep_url_rows``) and cut around that count; a re-run joins them to its
counts inside SQLite (``stage_page``) and makes in Python only the rows
history does not have.

The rows are exactly what ``report_json.url_entry_from_row`` and the report writers make
of the reused verdict: tests/test_reused_rows.py checks both ways give the same bytes.
``ROWS_FORMAT`` names linkcheck's version: rows an older linkcheck made are not used, and
are replaced by the first run that keeps rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from linkcheck import __version__
from linkcheck.reports.html import url_script_parts
from linkcheck.reports.json import url_entry_from_row
from linkcheck.reports.source import entry_text
from linkcheck.reports.view import host_of
from linkcheck.store.verdict_rows import COLUMNS, column_list

ROWS_FORMAT = f"url-rows-2 linkcheck {__version__}"
# Stands for the referrer count while the rows are made, and is cut out of them.
_MARK = 987_654_321_012
_ATTEMPTS = COLUMNS.index("attempts")
_FROM_CACHE = COLUMNS.index("from_cache")


class KeptRows(NamedTuple):
    """A reused verdict's report rows, each cut where its referrer count goes."""

    host: str
    entry_pre: str
    entry_post: str
    script_pre: str
    script_post: str
    script_tail: str


def reused_url_rows(row: Sequence[Any]) -> KeptRows | None:
    """The report rows a re-run makes of ``row`` (a verdict in the verdict_rows shape) when
    it reuses it: no attempt, no request, from history. None for a verdict that is never
    reused (not ``ok``) or whose rows hold the mark elsewhere."""
    reused = list(row)
    reused[_ATTEMPTS], reused[_FROM_CACHE] = 0, 1
    entry = url_entry_from_row(reused, 0, _MARK)
    if entry["outcome"] != "ok":
        return None
    entry_parts = entry_text(entry).decode().split(f'"referrers": {_MARK}')
    head, tail = url_script_parts(entry)
    script_parts = head.split(f",{_MARK},")
    if len(entry_parts) != 2 or len(script_parts) != 2:
        return None
    return KeptRows(
        host_of(entry["url"]),
        entry_parts[0] + '"referrers": ',
        entry_parts[1],
        script_parts[0] + ",",
        "," + script_parts[1],
        tail,
    )


# The reused verdicts of a page of the run's URLs (``:after`` < url <= ``:until``) whose
# rows history kept, on a connection to history with the run's work store attached as
# ``work`` and its report store as ``report``.
_VERDICTS = "FROM work.urls u CROSS JOIN work.results r ON r.url = u.url"
_REUSED_IN_PAGE = "u.url > :after AND u.url <= :until AND r.from_cache"
# Kept rows as a run makes them (history is untrusted: it may come from a CI cache or a
# checkout): the entry is JSON that starts with this URL and an ok outcome (so report.json
# stays JSON, and the entry is this URL's); the script row is JSON with nothing that could
# end the page's <script> (no < or >: embed_json escapes them). Checked once per page into
# temp.kept_ok, which the copies then join: one JSON parse of each, the entry's start
# compared as text (a URL as checked is printable ASCII, which orjson and SQLite's
# json_quote spell alike); ~3.5 us a row. The rest are made again in Python, like rows
# never kept.
_ENTRY = "p.entry_pre || '0' || p.entry_post"
_SCRIPT = "p.script_pre || '0' || p.script_post || ',0,' || p.script_tail"
_ENTRY_START = (
    "'{' || char(10) || '      \"url\": ' || json_quote(u.url) || ',' || char(10)"
    ' || \'      "outcome": "ok",\''
)
_SCRIPT_PARTS = ("p.script_pre", "p.script_post", "p.script_tail", "p.host")
_NO_MARKUP = " AND ".join(f"instr({part}, '{c}') = 0" for part in _SCRIPT_PARTS for c in "<>")
_ROWS_OK = f"""typeof(p.entry_pre) = 'text' AND typeof(p.entry_post) = 'text'
AND typeof(p.script_pre) = 'text' AND typeof(p.script_post) = 'text'
AND typeof(p.script_tail) = 'text' AND typeof(p.host) = 'text'
AND substr(p.entry_pre, 1, length({_ENTRY_START})) = {_ENTRY_START}
AND {_NO_MARKUP}
AND json_valid({_ENTRY}) AND json_valid({_SCRIPT})"""
_CHECK_KEPT = f"""INSERT INTO temp.kept_ok (url) SELECT u.url {_VERDICTS}
CROSS JOIN url_rows p ON p.url = u.url
WHERE {_REUSED_IN_PAGE} AND r.outcome = 'ok' AND {_ROWS_OK}"""
_KEPT = """FROM temp.kept_ok k CROSS JOIN work.urls u ON u.url = k.url
CROSS JOIN work.results r ON r.url = u.url CROSS JOIN url_rows p ON p.url = u.url"""
_STAGE_ENTRIES = f"""INSERT OR REPLACE INTO report.report_url_entries (url, entry)
SELECT u.url, CAST(p.entry_pre || u.referrers || p.entry_post AS BLOB) {_KEPT}"""
# A reused verdict is ok: it has no "why", and counts no request.
_STAGE_URLS = f"""INSERT OR REPLACE INTO report.staged_urls (url, seq, outcome, elapsed_ms,
    requests, host, script_head, script_tail, why, from_cache)
SELECT u.url, :seq, 'ok', COALESCE(r.elapsed_ms, 0), 0, p.host,
    p.script_pre || u.referrers || p.script_post, p.script_tail, NULL, 1 {_KEPT}"""


def stage_page(
    db: Any, after: str, size: int, seq: int, kept: bool
) -> tuple[str | None, list[tuple[Any, ...]]]:
    """Copy the kept rows of the reused verdicts among the run's next ``size`` URLs after
    ``after`` into the report's staging tables (``report_rows.UrlRows``), on history's
    connection with ``work`` and ``report`` attached (``HistoryStore.attached``). Returns
    the page's last URL (None: no URL was left) and its reused verdicts history kept no
    rows for (the verdict_rows columns, requests, referrers), to be made in Python; all of
    them when ``kept`` is false (the rows kept are in another format)."""
    ((until,),) = db.execute(
        "SELECT max(url) FROM (SELECT url FROM work.urls WHERE url > ? ORDER BY url LIMIT ?)",
        (after, size),
    ).fetchall()
    if until is None:
        return None, []
    page = {"after": after, "until": until, "seq": seq}
    db.execute("CREATE TEMP TABLE IF NOT EXISTS kept_ok (url TEXT PRIMARY KEY) WITHOUT ROWID")
    db.execute("DELETE FROM temp.kept_ok")
    if kept:  # history's connection commits each statement (autocommit)
        db.execute(_CHECK_KEPT, page)
        db.execute(_STAGE_ENTRIES, page)
        db.execute(_STAGE_URLS, page)
    return until, db.execute(_MISSING, page).fetchall()


_MISSING = f"""SELECT {column_list("r.")}, r.requests, u.referrers
{_VERDICTS} LEFT JOIN temp.kept_ok k ON k.url = u.url
WHERE {_REUSED_IN_PAGE} AND k.url IS NULL ORDER BY u.url"""
