"""The run's working set on disk: records, unique URLs, verdicts and the report's rows.

A run over 100,000 records handles ~1.7M links and ~1M unique URLs. As Python objects the
records, links and verdicts took ~8 KB per URL (811 MB at 10,000 records), so a run keeps
them here instead, in a throw-away SQLite file, and holds only one batch at a time: records
are read a batch of files at a time, URLs are fed to the fetch from an ordered queue table,
verdicts are written as they arrive, and each record is assessed with just its own links'
verdicts. The report's entries go to a second file (``StoredReport``) so that the history
writer can read verdicts here while the report is being written there.

Nothing in here must survive the run: both files are deleted by ``close``. Durability is
therefore switched off (no journal, no fsync): a crash loses only what is thrown away anyway.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import tempfile
import weakref
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from linkcheck.health.recordchecks import ImageSeen
from linkcheck.inputs.lint import RecordOnly
from linkcheck.inputs.parse_cache import StoredParse, unpack_parse
from linkcheck.model import (
    LinkRef,
    Record,
    Role,
    UrlCheck,
    UrlResult,
)
from linkcheck.store.report import ReportTables
from linkcheck.store.verdict_rows import COLUMN_TYPES, COLUMNS, column_list, from_row, to_row

ROLE_BITS = {role: 1 << n for n, role in enumerate(Role)}
_BITS_BY_VALUE = {role.value: bit for role, bit in ROLE_BITS.items()}
# Rows fetched per query when streaming; also the size of a write batch.
PAGE = 1000
# SQLite's page cache per connection (negative: KiB). Enough for the indexes' hot pages.
CACHE_KIB = 16_384

RecordRow = tuple[Record, list[LinkRef], RecordOnly | None, str | None]


_SCHEMA = """
CREATE TABLE files (seq INTEGER PRIMARY KEY, source TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE file_links (file INTEGER NOT NULL, field TEXT NOT NULL, role INTEGER NOT NULL,
    url TEXT NOT NULL);
CREATE INDEX file_links_file ON file_links (file);
CREATE TABLE urls (
    url TEXT PRIMARY KEY, host TEXT NOT NULL, roles INTEGER NOT NULL,
    referrers INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE invalid (
    raw TEXT PRIMARY KEY, reason TEXT, referrers INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE originals (url TEXT NOT NULL, record TEXT NOT NULL);
CREATE TABLE titles (url TEXT NOT NULL, title TEXT NOT NULL);
CREATE INDEX titles_url ON titles (url);
CREATE TABLE fragments (url TEXT NOT NULL, fragment TEXT NOT NULL);
CREATE INDEX fragments_url ON fragments (url);
CREATE TABLE results (
    {verdict}, requests INTEGER, referrers INTEGER, PRIMARY KEY (url)) WITHOUT ROWID;
CREATE TABLE twins (url TEXT PRIMARY KEY, twin TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE requested (url TEXT PRIMARY KEY, request_url TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE queue (pos INTEGER PRIMARY KEY, url TEXT NOT NULL);
CREATE TABLE first_seen (
    url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, content_length INTEGER) WITHOUT ROWID;
CREATE TABLE assessed_before (
    source TEXT PRIMARY KEY, fingerprint BLOB NOT NULL, rows BLOB NOT NULL) WITHOUT ROWID;
CREATE VIEW image_urls AS SELECT url FROM urls WHERE roles & {images};
""".format(
    verdict=", ".join(f"{name} {COLUMN_TYPES.get(name, 'TEXT')}" for name in COLUMNS),
    images=sum(bit for role, bit in ROLE_BITS.items() if role.is_image),
)
# What this run's assessments are staged as, in the report file (the history writer reads
# the work file meanwhile): history keeps them for the next run.
_ASSESSED = """
CREATE TABLE assessed (
    source TEXT PRIMARY KEY, fingerprint BLOB NOT NULL, rows BLOB NOT NULL) WITHOUT ROWID
"""
# A verdict's content for fingerprints (``link_digests``): every column but those that
# change when the same answer is given again (or reused); the Date and Age apart.
_DATED = ("cache_date", "age_s")
_VOLATILE = {"url", "attempts", "from_cache", "elapsed_ms", "checked_at", *_DATED}


def _content(alias: str) -> str:
    return f"json_array({', '.join(f'{alias}.{c}' for c in COLUMNS if c not in _VOLATILE)})"


_LINK_TEXT = f"""json_array(
    fl.field, fl.url,
    CASE WHEN r.url IS NOT NULL THEN {_content("r")} END,
    CASE WHEN fl.role = {ROLE_BITS[Role.CDN_AMP]} AND r.outcome = 'ok'
         THEN json_array(r.cache_date, r.age_s) END,
    CASE WHEN fs.url IS NOT NULL AND (r.url IS NULL OR fs.etag IS NOT r.etag
              OR fs.last_modified IS NOT r.last_modified
              OR fs.content_length IS NOT r.content_length)
         THEN json_array(fs.etag, fs.last_modified, fs.content_length) END,
    CASE WHEN tr.url IS NOT NULL THEN {_content("tr")} END)"""
_LINK_TEXTS = f"""SELECT fl.file, group_concat({_LINK_TEXT}, char(30)) FROM file_links fl
LEFT JOIN results r ON r.url = fl.url LEFT JOIN first_seen fs ON fs.url = fl.url
LEFT JOIN twins t ON t.url = fl.url LEFT JOIN results tr ON tr.url = t.twin
WHERE fl.file IN"""
# A verdict row as stored here: the verdict_rows shape, then requests and referrers.
_RESULT = f"{column_list()}, requests, referrers"
# Each invalid link as a listed verdict row (key, kind 2, verdict row, requests, referrers):
# the raw text stands for the URL, the reason is the error.
_INVALID = "SELECT raw, 2, {}, 0, referrers FROM invalid".format(
    ", ".join(
        {"url": "raw", "outcome": "'invalid'", "final_url": "raw", "error": "reason"}.get(
            name, "NULL"
        )
        for name in COLUMNS
    )
)
_INSERT_RESULT = f"INSERT OR REPLACE INTO results VALUES ({', '.join('?' * (len(COLUMNS) + 2))})"


def _connect(path: Path) -> sqlite3.Connection:
    # Transactions as the sqlite3 module opens them: one per batch (``with db``), not
    # one per inserted row.
    db = sqlite3.connect(path, check_same_thread=False)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return db


class WorkStore:
    """One run's throw-away tables; see the module docstring."""

    def __init__(self, directory: str | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="linkcheck-run-", dir=directory))
        self.db = _connect(self.dir / "work.sqlite")
        self.db.executescript(_SCHEMA)
        self.report_db = _connect(self.report_path)
        self._tables = ReportTables(self.report_db, by_url=True)
        self.report_db.execute(_ASSESSED)
        self._results: list[tuple[Any, ...]] = []
        self._files = 0  # files stored so far: the next one's seq
        # Removed at the latest when the store is garbage or the interpreter exits.
        self._remove = weakref.finalize(self, shutil.rmtree, self.dir, ignore_errors=True)

    @property
    def path(self) -> Path:
        """The store's verdict file, for the history store to copy verdicts in and out."""
        return self.dir / "work.sqlite"

    @property
    def report_path(self) -> Path:
        """The report's rows' file, for history to copy the rows it kept into."""
        return self.dir / "report.sqlite"

    def close(self) -> None:
        for db in (self.db, self.report_db):
            db.close()
        self._remove()

    def __enter__(self) -> WorkStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ records and links

    def add_files(self, parses: Iterable[StoredParse]) -> None:
        """Files' records with their links; ``end_of_records`` then makes the unique-URL table.

        A file is kept as the parse cache keeps it (``inputs.StoredParse``), its links
        listed from their plain values: no record is rebuilt before the report.
        """
        invalid: dict[str, list[Any]] = {}
        originals = []
        stored = []
        file_links = []
        requested = []
        titles = []
        fragments = []
        for parse in parses:
            if not parse.records:
                continue
            self._files += 1
            stored.append((self._files, parse.source, parse.payload))
            for key, field, role, raw, url, _, reason, request, title, fragment in parse.links:
                if url is None:
                    seen = invalid.setdefault(raw, [reason, 0])
                    seen[1] += 1
                    continue
                file_links.append((self._files, field, _BITS_BY_VALUE[role], url))
                if field == "originalUrl":
                    originals.append((url, key))
                if request is not None:
                    requested.append((url, request))
                if title is not None:
                    titles.append((url, title))
                if fragment is not None:
                    fragments.append((url, fragment))
        with self.db:
            self.db.executemany("INSERT INTO files (seq, source, data) VALUES (?, ?, ?)", stored)
            # Appended as they come (cheap); grouped into unique URLs once by end_of_records.
            self.db.executemany("INSERT INTO file_links VALUES (?, ?, ?, ?)", file_links)
            self.db.executemany(
                "INSERT INTO invalid (raw, reason, referrers) VALUES (?, ?, ?) "
                "ON CONFLICT (raw) DO UPDATE SET referrers = referrers + excluded.referrers",
                ((raw, reason, count) for raw, (reason, count) in invalid.items()),
            )
            self.db.executemany("INSERT INTO originals VALUES (?, ?)", originals)
            self.db.executemany("INSERT INTO titles VALUES (?, ?)", titles)
            self.db.executemany("INSERT INTO fragments VALUES (?, ?)", fragments)
            # A masked URL's first password wins (credentials.py).
            self.db.executemany("INSERT OR IGNORE INTO requested VALUES (?, ?)", requested)

    def end_of_records(self) -> None:
        """One row per unique URL: its host, every role it plays (each link row holds one
        role bit, so the sum of the distinct bits is their union) and its link count."""
        self.db.create_function("host_of", 1, _host, deterministic=True)
        with self.db:
            self.db.execute(
                "INSERT INTO urls (url, host, roles, referrers) "
                "SELECT url, host_of(url), sum(DISTINCT role), count(*) FROM file_links "
                "GROUP BY url"
            )

    def files(self) -> Iterator[tuple[int, str, bytes]]:
        """Every file's seq, source and ``inputs.StoredParse`` payload, in the report's order."""
        rows = self.db.execute("SELECT seq, source, data FROM files ORDER BY source, seq")
        return _paged(rows)

    def assessed_before(self, sources: Iterable[str]) -> dict[str, tuple[bytes, bytes]]:
        """(fingerprint, rows) that history kept for these files (``recall_assessments``)."""
        select = "SELECT source, fingerprint, rows FROM assessed_before"
        return {source: (fp, rows) for source, fp, rows in self._lookup(select, "source", sources)}

    def stage_assessed(self, items: Sequence[tuple[str, bytes, bytes]]) -> None:
        """This run's (source, fingerprint, rows) of files, for history (``assessed_now``)."""
        with self.report_db:
            self.report_db.executemany("INSERT OR REPLACE INTO assessed VALUES (?, ?, ?)", items)

    def assessed_now(self) -> Iterator[tuple[str, bytes, bytes]]:
        return _paged(self.report_db.execute("SELECT source, fingerprint, rows FROM assessed"))

    def duplicate_originals(self) -> dict[str, list[str]]:
        """originalUrl -> the keys of every record that has it, for URLs held by two or more."""
        found: dict[str, list[str]] = {}
        rows = self.db.execute(
            "SELECT url, record FROM originals WHERE url IN "
            "(SELECT url FROM originals GROUP BY url HAVING count(DISTINCT record) > 1) "
            "ORDER BY url, rowid"
        )
        for url, record in rows:
            keys = found.setdefault(url, [])
            if record not in keys:
                keys.append(record)
        return found

    # ------------------------------------------------------------ unique URLs

    def iter_urls(self) -> Iterator[str]:
        """Every unique URL, sorted."""
        return (url for (url,) in self.db.execute("SELECT url FROM urls ORDER BY url"))

    def first_seen_for(self, urls: Iterable[str]) -> dict[str, ImageSeen]:
        """What these image URLs were when first seen ok (``HistoryStore.first_seen_into``)."""
        select = "SELECT url, etag, last_modified, content_length FROM first_seen"
        return {row[0]: ImageSeen(*row[1:]) for row in self._lookup(select, "url", urls)}

    def queue_unknown(self) -> int:
        """Queue every URL without a verdict yet, each host's URLs spread evenly over the queue.

        The i-th of a host's n URLs sorts at (i + 0.5) / n: any stretch of the queue holds
        each host's share, so the fetch, which pulls a window at a time, always has the
        busiest hosts' URLs at hand.
        """
        with self.db:
            self.db.execute("DELETE FROM queue")
            self.db.execute(
                "INSERT INTO queue (url) SELECT url FROM ("
                " SELECT u.url, u.host, (row_number() OVER w - 0.5) / count(*) OVER h AS spread"
                " FROM urls u WHERE NOT EXISTS (SELECT 1 FROM results r WHERE r.url = u.url)"
                " WINDOW w AS (PARTITION BY u.host ORDER BY u.url), h AS (PARTITION BY u.host))"
                " ORDER BY spread, host, url"
            )
        return self.db.execute("SELECT count(*) FROM queue").fetchone()[0]

    def queued_checks(self) -> Iterator[UrlCheck]:
        """The queue's checks in order, a page at a time (the queue is not changed meanwhile)."""
        last = 0
        while True:
            rows = self.db.execute(
                "SELECT q.pos, u.url, u.roles, u.referrers, r.request_url, "
                "(SELECT json_group_array(DISTINCT t.title) FROM titles t WHERE t.url = u.url), "
                "(SELECT json_group_array(DISTINCT f.fragment) FROM fragments f "
                "WHERE f.url = u.url) "
                "FROM queue q "
                "JOIN urls u ON u.url = q.url LEFT JOIN requested r ON r.url = u.url "
                "WHERE q.pos > ? ORDER BY q.pos LIMIT ?",
                (last, PAGE),
            ).fetchall()
            if not rows:
                return
            for pos, url, roles, referrers, request, titles, fragments in rows:
                last = pos
                yield _check(url, roles, referrers, request, titles, fragments)

    # ------------------------------------------------------------ verdicts

    def put_result(self, result: UrlResult) -> None:
        """Buffer a verdict; written a page at a time (``flush``)."""
        self._results.append((*to_row(result), result.requests, result.referrers))
        if len(self._results) >= PAGE:
            self.flush()

    def put_results(self, results: Iterable[UrlResult]) -> None:
        for result in results:
            self.put_result(result)
        self.flush()

    def flush(self) -> None:
        if self._results:
            with self.db:
                self.db.executemany(_INSERT_RESULT, self._results)
            self._results = []

    def results_for(self, urls: Iterable[str]) -> dict[str, UrlResult]:
        """The verdicts of the given URLs that have one."""
        self.flush()
        rows = self._lookup(f"SELECT {_RESULT} FROM results", "url", urls)
        return {row[0]: _verdict(row) for row in rows}

    def most_linked_results(self, limit: int) -> dict[str, UrlResult]:
        """The verdicts of the ``limit`` URLs that the most links point to, if more than one."""
        self.flush()
        rows = self.db.execute(
            f"SELECT {column_list('r.')}, r.requests, r.referrers FROM urls u "
            "JOIN results r ON r.url = u.url WHERE u.referrers > 1 "
            "ORDER BY u.referrers DESC LIMIT ?",
            (limit,),
        )
        return {row[0]: _verdict(row) for row in _paged(rows)}

    def link_digests(self, files: Sequence[int]) -> dict[int, bytes]:
        """For each file (its ``files()`` seq), one digest of what its links' checks read:
        each link's field and URL, its verdict's content (not its times, attempts or
        reuse), the response's Date and Age only for a working AMP cache copy (``cdn_stale``
        dates it by them), what an image was when first seen unless that is what it is now,
        and its https twin's verdict. SQLite joins each link's text (its index keeps a
        file's links in the order they were added), so one string per file, not one value
        per link, crosses into Python: ``assessment`` fingerprints files with it."""
        found: dict[int, bytes] = {}
        for start in range(0, len(files), 500):
            batch = list(files[start : start + 500])
            marks = ",".join("?" * len(batch))
            for file, text in self.db.execute(f"{_LINK_TEXTS} ({marks}) GROUP BY fl.file", batch):
                found[file] = hashlib.blake2b(text.encode(), digest_size=16).digest()
        return found

    def _lookup(self, select: str, column: str, keys: Iterable[str]) -> Iterator[Any]:
        """Rows of ``select`` whose ``column`` is one of ``keys``, 500 keys a query."""
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), 500):
            batch = wanted[start : start + 500]
            marks = ",".join("?" * len(batch))
            yield from self.db.execute(f"{select} WHERE {column} IN ({marks})", batch)

    def unjudged_urls(self) -> list[str]:
        """Every URL without a verdict yet, sorted (an offline run excludes them)."""
        self.flush()
        query = (
            "SELECT u.url FROM urls u WHERE NOT EXISTS "
            "(SELECT 1 FROM results r WHERE r.url = u.url) ORDER BY u.url"
        )
        return [url for (url,) in self.db.execute(query)]

    def has_result(self, url: str) -> bool:
        self.flush()
        row = self.db.execute("SELECT 1 FROM results WHERE url = ?", (url,)).fetchone()
        return row is not None

    def with_results(self, urls: Iterable[str]) -> set[str]:
        """Those of ``urls`` that have a verdict (one query per page, not one per URL)."""
        self.flush()
        return {row[0] for row in self._lookup("SELECT url FROM results", "url", urls)}

    def ok_urls(self, prefix: str) -> Iterator[str]:
        """URLs whose verdict is ``ok`` and that start with ``prefix`` (for https twins)."""
        self.flush()
        rows = self.db.execute(
            "SELECT url FROM results WHERE outcome = 'ok' AND substr(url, 1, ?) = ?",
            (len(prefix), prefix),
        )
        return (url for (url,) in rows.fetchall())

    def listed_results(
        self, invalid: bool = False, reused: bool | None = None
    ) -> Iterator[tuple[UrlResult, int]]:
        """The verdicts the report lists with their referrer counts, sorted by URL: every
        record URL with a verdict (no https twins) and, with ``invalid``, an ``invalid``
        verdict for every link that is no checkable URL, keyed by its raw text (it wins
        over a URL spelled the same). ``reused``: only the verdicts reused from history
        (True), or none of them (False)."""
        self.flush()
        checked = (
            f"SELECT u.url, 1, {column_list('r.')}, r.requests, u.referrers FROM urls u "
            "JOIN results r ON r.url = u.url"
        )
        if reused is not None:
            checked += f" WHERE r.from_cache = {int(reused)}"
        if not invalid:
            rows = self.db.execute(f"{checked} ORDER BY u.url")
            return ((_verdict(row[2:]), row[-1]) for row in _paged(rows))
        rows = self.db.execute(f"{checked} UNION ALL {_INVALID} ORDER BY 1, 2")
        return _last_of_each(_paged(rows))

    def listed_keys(self) -> Iterator[str]:
        """The keys ``listed_results(invalid=True)`` has, in no particular order."""
        self.flush()
        rows = self.db.execute(
            "SELECT url FROM urls u WHERE EXISTS (SELECT 1 FROM results r WHERE r.url = u.url) "
            "UNION SELECT raw FROM invalid"
        )
        return (url for (url,) in _paged(rows))

    def listed_where(
        self, outcomes: Collection[str], urls: Collection[str], issues: Collection[str] = ()
    ) -> dict[str, UrlResult]:
        """The listed verdicts (invalid links included) whose outcome is one of ``outcomes``,
        whose key is one of ``urls``, or that are ``ok`` with one of ``issues``: history's
        few URLs of interest, not all of them (one pass over the verdicts)."""
        self.flush()
        marks = ",".join("?" * len(outcomes))
        coded = "".join(" OR (r.outcome = 'ok' AND r.issues LIKE ?)" for _ in issues)
        rows = self.db.execute(
            f"SELECT {column_list('r.')}, r.requests, r.referrers FROM results r "
            f"JOIN urls u ON u.url = r.url WHERE r.outcome IN ({marks}){coded}",
            [*outcomes, *(f'%"{code}"%' for code in issues)],
        )
        found = {row[0]: _verdict(row) for row in _paged(rows)}
        listed = self.results_for(urls)
        found.update((url, result) for url, result in listed.items() if self._is_url(url))
        for row in self.db.execute(_INVALID).fetchall():
            if row[0] in urls or "invalid" in outcomes:
                found[row[0]] = _verdict(row[2:])
        return found

    def host_answers(self, failures: Collection[str]) -> dict[str, bool]:
        """Each host asked this run (a request tried, not reused or excluded): whether any
        of its URLs got past the ``failures`` (connection-level) to some answer."""
        self.flush()
        marks = ",".join("?" * len(failures))
        rows = self.db.execute(
            "SELECT u.host, max(r.failure IS NULL OR r.failure NOT IN "
            f"({marks})) FROM results r JOIN urls u ON u.url = r.url "
            "WHERE r.attempts > 0 GROUP BY u.host",
            list(failures),
        )
        return {host: bool(answered) for host, answered in rows}

    def failed_by_host(self, failures: Collection[str]) -> Iterator[tuple[str, str]]:
        """(host, url) of each URL asked this run that ended in one of ``failures``."""
        self.flush()
        marks = ",".join("?" * len(failures))
        rows = self.db.execute(
            "SELECT u.host, r.url FROM results r JOIN urls u ON u.url = r.url "
            f"WHERE r.attempts > 0 AND r.failure IN ({marks})",
            list(failures),
        )
        return _paged(rows)

    def _is_url(self, url: str) -> bool:
        return self.db.execute("SELECT 1 FROM urls WHERE url = ?", (url,)).fetchone() is not None

    # ------------------------------------------------------------ https twins

    def has_twins(self) -> bool:
        return self.db.execute("SELECT 1 FROM twins LIMIT 1").fetchone() is not None

    def set_twins(self, twins: Mapping[str, str]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO twins VALUES (?, ?)", twins.items())

    def twins_for(self, urls: Iterable[str]) -> dict[str, str]:
        return dict(self._lookup("SELECT url, twin FROM twins", "url", urls))

    # ------------------------------------------------------------ the report

    def report_tables(self) -> ReportTables:
        """Where the run's report is written (in the report file, beside this one)."""
        return self._tables


def file_records(payload: bytes) -> Iterator[RecordRow]:
    """A file's records, each with its links, ``RecordOnly`` findings (when the parse cache
    had them) and file digest, in record-key order, from its ``inputs.StoredParse`` payload."""
    read, by_record, only = unpack_parse(payload)
    for record in sorted(read.records, key=lambda r: r.key):
        yield record, by_record.get(record.key, []), only.get(record.key), read.digest


def _verdict(row: Sequence[Any]) -> UrlResult:
    """A results row (``_RESULT``) as the verdict it holds."""
    return from_row(row[:-2], requests=row[-2] or 0, referrers=row[-1] or 0)


def _paged(cursor: sqlite3.Cursor) -> Iterator[Any]:
    """A cursor's rows, read ahead a page at a time (the connection may be used meanwhile:
    another cursor's writes do not disturb a page already fetched)."""
    while rows := cursor.fetchmany(PAGE):
        yield from rows


def _last_of_each(rows: Iterable[Sequence[Any]]) -> Iterator[tuple[UrlResult, int]]:
    """Of consecutive rows (key, kind, *verdict row) with the same key, the last, as its
    verdict and referrer count."""
    held: Sequence[Any] | None = None
    for row in rows:
        if held is not None and held[0] != row[0]:
            yield _verdict(held[2:]), held[-1]
        held = row
    if held is not None:
        yield _verdict(held[2:]), held[-1]


def _check(
    url: str,
    roles: int,
    referrers: int,
    request: str | None = None,
    titles: str | None = None,
    fragments: str | None = None,
) -> UrlCheck:
    """A queued URL's check; ``titles`` and ``fragments`` are JSON arrays: its articles'
    titles and its links' fragments."""
    return UrlCheck(
        url,
        _roles(roles),
        referrers,
        request_url=request,
        titles=_texts(titles),
        fragments=_texts(fragments),
    )


def _texts(array: str | None) -> tuple[str, ...]:
    return tuple(json.loads(array)) if array and array != "[]" else ()


_ROLE_SETS: dict[int, frozenset[Role]] = {}


def _roles(bits: int) -> frozenset[Role]:
    """One shared frozenset per combination of roles (most URLs have one role)."""
    found = _ROLE_SETS.get(bits)
    if found is None:
        found = frozenset(role for role, bit in ROLE_BITS.items() if bits & bit)
        _ROLE_SETS[bits] = found
    return found


# scheme://[userinfo@]host: the URLs are normalised already (lower-case host, IDNA), so
# this gives the host yarl would, at a fortieth of the cost on 100k distinct URLs.
_HOST = re.compile(r"[^:/?#]*://(?:[^@/?#]*@)?(\[[^\]/?#]*\]|[^:/?#]*)")


def _host(url: str) -> str:
    """The host the queue spreads by."""
    found = _HOST.match(url)
    return found.group(1) if found else ""
