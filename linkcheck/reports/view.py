"""View data shared by the renderers: what fails, why, where, and per-host numbers.

Every renderer (HTML, Markdown, JUnit, SARIF, annotations, terminal) reads a ``Report``
(report_source), never the pipeline's dataclasses, so ``linkcheck report report.json``
renders a stored report exactly like a fresh run. The definitions of "failing" and
"why" live here once so the formats agree with each other.

A report may hold a million URLs, so nothing here keeps one object per URL or per
record: records stream by in batches, and a link's URL is resolved from the few failing
URLs (one filtered pass) or, for the rest, only asked whether it is listed at all.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import re
import tempfile
from collections import ChainMap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

from linkcheck.reports.source import Report, as_report, tally
from linkcheck.store.report import StoredReport, Tally

DEFAULT_FAIL_ON = ("broken", "unreachable", "tls_error", "invalid")
OUTCOMES = (
    "ok",
    "broken",
    "server_error",
    "rate_limited",
    "blocked",
    "timeout",
    "unreachable",
    "tls_error",
    "invalid",
    "excluded",
)
# Outcomes that say something went wrong with a link, failing the run or not.
NOT_OK = frozenset(OUTCOMES) - {"ok", "excluded"}
ROLES = ("original", "web", "amp", "cdn_amp", "image", "provider_image", "other", "body")
HEALTHS = ("ok", "warning", "broken")
NO_HOST = "(no host)"
# Records resolved per batch: one ``positions`` query of their links' URLs per batch.
RECORD_BATCH = 500
# A listed URL whose outcome does not fail the run (its full entry is never loaded).
_LISTED: Mapping[str, Any] = {"outcome": ""}
# Spooled text stays in memory up to this size, then moves to a temporary file; it is
# read back in pieces of SPOOL_READ characters.
SPOOL_BYTES = 1 << 20
SPOOL_READ = 1 << 18


@dataclass(frozen=True)
class FailingLink:
    """One link of one record whose URL's outcome is in fail_on."""

    record: str
    source: str
    title: str | None
    field: str
    role: str
    url: str
    line: int | None
    outcome: str
    why: str


@dataclass(frozen=True)
class HostStats:
    host: str
    urls: int
    requests: int
    failures: int
    slowest_ms: int
    avg_ms: int
    rate_limited: int
    blocked: int
    # The fewest and most requests the host was allowed in flight, and the seconds it
    # was paused (429s): the engine's adaptive limit (``run.host_limits``); None when
    # the report does not say.
    limit_min: int | None = None
    limit_max: int | None = None
    paused_s: float = 0.0

    @property
    def slowed(self) -> bool:
        """The engine lowered this host's limit or paused it."""
        return self.paused_s > 0 or (self.limit_min or 0) < (self.limit_max or 0)


def fail_on(report: Report | Mapping[str, Any]) -> frozenset[str]:
    """The outcomes that count as failing: the run's output.fail_on, else the default."""
    run = report.get("run")
    config = run.get("config") if isinstance(run, Mapping) else None
    output = config.get("output") if isinstance(config, Mapping) else None
    names = output.get("fail_on") if isinstance(output, Mapping) else None
    if isinstance(names, list | tuple) and all(isinstance(n, str) for n in names):
        return frozenset(names)
    return frozenset(DEFAULT_FAIL_ON)


def degraded(report: Report | Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``run.degraded`` of a report, when the run could not judge (the network looked down)."""
    run = report.get("run")
    found = run.get("degraded") if isinstance(run, Mapping) else None
    return found if isinstance(found, Mapping) else None


def degraded_text(found: Mapping[str, Any]) -> str:
    """What every output says first about a degraded run, in one line."""
    return (
        f"Degraded run, the network looked down: {found.get('reason') or 'no reason given'}. "
        "Nothing was flagged to unpublish and tonight's failures count in no streak; "
        "check the network and run again."
    )


def url_index(report: Report | Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Every URL entry by URL: for small reports and tests only (it holds the whole list)."""
    return {u["url"]: u for u in as_report(report).urls()}


def failing_index(report: Report, failing: frozenset[str]) -> dict[str, Mapping[str, Any]]:
    """The failing URLs, each with just what ``why`` reads: one filtered pass."""
    return {
        u["url"]: {"outcome": u["outcome"], "error": u.get("error"), "status": u.get("status")}
        for u in report.urls(outcomes=failing)
    }


def batches(items: Iterable[Any], size: int = RECORD_BATCH) -> Iterator[list[Any]]:
    """Lists of up to ``size`` consecutive items."""
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def records_with_failing_links(
    report: Report | Mapping[str, Any],
    failing: frozenset[str] | None = None,
    every: bool = True,
) -> Iterator[tuple[Mapping[str, Any], list[FailingLink]]]:
    """Every record, in order, with its failing links (often none). Without ``every``,
    records that can have no failing link and are not flagged may be left out
    (``Report.records(notable_only=True)``): writers that show only those read far less.

    A link whose URL the report does not list counts as ``invalid`` ("not checked"), so
    when ``invalid`` fails the run the other URLs of a batch are asked whether they are
    listed (``positions``: no entry is loaded); otherwise they cannot fail.
    """
    report = as_report(report)
    failing = fail_on(report) if failing is None else failing
    if isinstance(report, StoredReport) and "ok" not in failing:
        # Each row knows its links that are not ok: no URL is looked up, and without
        # ``every`` only the records that have some (or are flagged) are read.
        for record, bad in report.bad_link_records(notable_only=not every):
            links = _links(record)
            yield (
                record,
                [
                    failing_link(record, links[i], outcome, reason)
                    for i, outcome, reason in bad
                    if outcome in failing
                ],
            )
        return
    failing_urls = failing_index(report, failing)
    notable_only = not every and "ok" not in failing
    for batch in batches(report.records(notable_only=notable_only)):
        index: Mapping[str, Mapping[str, Any]] = failing_urls
        if "invalid" in failing:
            links = {lk.get("url") or "" for r in batch for lk in r.get("links", ())}
            others = links.difference(failing_urls)
            listed: dict[str, Mapping[str, Any]] = dict.fromkeys(report.positions(others), _LISTED)
            index = ChainMap(dict(failing_urls), listed)
        for record in batch:
            yield record, failing_links(record, index, failing)


def troubled_records(
    report: Report | Mapping[str, Any],
) -> Iterator[tuple[Mapping[str, Any], list[FailingLink]]]:
    """The records flagged, not ``ok``, or with a link that is not ``ok``, in order, each
    with its links whose outcome is neither ``ok`` nor ``excluded`` (failing or not): what
    the capped outputs (annotations, the Markdown summary) rank their rows from."""
    report = as_report(report)
    if isinstance(report, StoredReport):
        for record, bad in report.troubled_records():
            links = _links(record)
            found = [failing_link(record, links[i], o, r) for i, o, r in bad if o in NOT_OK]
            yield record, found
        return
    for entry, failing_found in records_with_failing_links(report, NOT_OK, every=True):
        if failing_found or entry.get("unpublish") or entry.get("health", "ok") != "ok":
            yield entry, failing_found


def url_issue_index(report: Report | Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The content-health codes of each URL that has some (``soft_404``...): one pass over
    the URLs, keeping only those few."""
    report = as_report(report)
    entries = report.url_issue_entries() if isinstance(report, StoredReport) else report.urls()
    found = {}
    for entry in entries:
        codes = entry.get("issues")
        if codes and isinstance(codes, list):
            found[str(entry.get("url"))] = tuple(str(c) for c in codes)
    return found


def elapsed_index(report: Report, urls: Iterable[str]) -> dict[str, int]:
    """``elapsed_ms`` of each of the given URLs that is listed (a column when stored)."""
    if isinstance(report, StoredReport):
        return report.elapsed_ms(urls)
    return {url: int(e.get("elapsed_ms") or 0) for url, e in report.lookup(urls).items()}


# Record issues already said by the links they are about.
LINK_CODES = frozenset({"broken_link", "blocked_link"})


def warnings_of(
    record: Mapping[str, Any],
    trouble: Iterable[FailingLink],
    issues_of: Mapping[str, Sequence[str]],
) -> list[tuple[int | None, str]]:
    """(line, text) of what is wrong with a record short of a failing link: its links whose
    outcome does not fail the run (``trouble``: timeouts, 429, bot walls, 5xx), the content
    codes of its links' URLs (``url_issue_index``), and its own issues."""
    said = [(fl.line, f"{fl.field} {fl.url} -> {fl.outcome}: {fl.why}") for fl in trouble]
    for link in record.get("links") or ():
        for code in issues_of.get(str(link.get("url")), ()):
            said.append((link.get("line"), f"{link.get('field')} {link.get('url')}: {code}"))
    for issue in record.get("issues") or ():
        if issue.get("code") not in LINK_CODES:
            where = f" {issue['field']}" if issue.get("field") else ""
            said.append((issue.get("line"), f"{issue.get('code')}{where}: {issue.get('message')}"))
    return said


def iter_failing_links(report: Report | Mapping[str, Any]) -> Iterator[FailingLink]:
    """The failing links of every record, in record order."""
    for _record, links in records_with_failing_links(report, every=False):
        yield from links


def why(entry: Mapping[str, Any] | None) -> str:
    """Short human reason a URL fails: its error text, else its status, else its outcome."""
    if entry is None:
        return "not checked"
    if entry.get("error"):
        return str(entry["error"])
    if entry.get("status") is not None:
        return f"HTTP {entry['status']}"
    return str(entry.get("outcome", "unknown"))


def record_key(record: Mapping[str, Any]) -> str:
    return str(record.get("record") or record.get("source", ""))


def failing_links(
    record: Mapping[str, Any], index: Mapping[str, Mapping[str, Any]], failing: frozenset[str]
) -> list[FailingLink]:
    """The record's links whose URL outcome is failing, in the record's order."""
    found = []
    for link in _links(record):
        entry = index.get(link.get("url") or "")
        outcome = entry["outcome"] if entry else "invalid"
        if outcome in failing:
            found.append(failing_link(record, link, outcome, why(entry)))
    return found


def failing_link(
    record: Mapping[str, Any], link: Mapping[str, Any], outcome: str, reason: str
) -> FailingLink:
    return FailingLink(
        record=record_key(record),
        source=str(record.get("source", "")),
        title=record.get("title"),
        field=str(link.get("field", "")),
        role=str(link.get("role", "other")),
        url=str(link.get("url") or ""),
        line=link.get("line") if isinstance(link.get("line"), int) else None,
        outcome=outcome,
        why=reason,
    )


def bad_links(
    record: Mapping[str, Any], index: Mapping[str, tuple[str, str]]
) -> list[tuple[int, str, str]]:
    """(link index, outcome, why) of the record's links whose URL is not ``ok``, from an
    index of listed URLs to (outcome, why); an unlisted URL is ``invalid``, "not checked".
    ``failing_links`` of any fail_on without ``ok`` is these, filtered by outcome."""
    found = []
    for i, link in enumerate(_links(record)):
        outcome, reason = index.get(link.get("url") or "") or ("invalid", why(None))
        if outcome != "ok":
            found.append((i, outcome, reason))
    return found


def _links(record: Mapping[str, Any]) -> Any:
    return record.get("links", ())


def all_failing_links(report: Report | Mapping[str, Any]) -> list[FailingLink]:
    """``iter_failing_links`` as a list: for tests and small reports."""
    return list(iter_failing_links(report))


_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^:/?#\[\]]+)")


# Not cached: URLs now stream by as fresh strings, and a cache big enough to hit would
# keep 100k+ of them alive (tens of MB); the regex costs ~0.5 us a call.
def host_of(url: str) -> str:
    """The URL's host in lower case (a fast path: reports can hold 100,000 URLs)."""
    match = _AUTHORITY.match(url)
    if match:
        return match[1].lower()
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    return host or NO_HOST


class HostTally:
    """Per-host numbers gathered while the URLs stream by (hosts are few: one row each)."""

    def __init__(self, failing: frozenset[str]) -> None:
        self.failing = failing
        self.acc: dict[str, list[int]] = {}

    def add(self, u: Mapping[str, Any]) -> None:
        self.add_tally(tally(u))

    def add_tally(self, values: Tally) -> None:
        url, outcome, elapsed, requests = values
        row = self.acc.setdefault(host_of(url), [0, 0, 0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += requests
        row[2] += outcome in self.failing
        row[3] = max(row[3], elapsed)
        row[4] += elapsed
        row[5] += outcome == "rate_limited"
        row[6] += outcome == "blocked"

    def stats(self) -> list[HostStats]:
        """Worst first (most failures, then slowest)."""
        return _ranked((host, *row) for host, row in self.acc.items())


def _ranked(sums: Iterable[Any]) -> list[HostStats]:
    """``HostStats`` of (host, urls, requests, failures, slowest, total ms, rate limited,
    blocked) rows, worst first (most failures, then slowest)."""
    stats = [
        HostStats(host, n, req, fails, slow, total // n, rl, bl)
        for host, n, req, fails, slow, total, rl, bl in sums
    ]
    stats.sort(key=lambda h: (-h.failures, -h.slowest_ms, h.host))
    return stats


def host_stats(urls: Iterable[Mapping[str, Any]], failing: frozenset[str]) -> list[HostStats]:
    """Per-host numbers, worst first (most failures, then slowest)."""
    tally = HostTally(failing)
    for u in urls:
        tally.add(u)
    return tally.stats()


def report_host_stats(report: Report, failing: frozenset[str]) -> list[HostStats]:
    """``host_stats`` of every URL of the report (a GROUP BY when its rows are stored), with
    each host's limits from ``run.host_limits``."""
    if isinstance(report, StoredReport):
        stats = _ranked(report.host_sums(failing))
    else:
        tally = HostTally(failing)
        for values in report.url_tallies():
            tally.add_tally(values)
        stats = tally.stats()
    return with_limits(stats, report.get("run") or {})


def with_limits(stats: list[HostStats], run: Mapping[str, Any]) -> list[HostStats]:
    """Each host's lowest and highest limit and its pauses: ``run.host_limits`` for the
    hosts the engine slowed down, the run's ``per_host`` for the others."""
    per_host = ((run.get("config") or {}).get("http") or {}).get("per_host")
    if not isinstance(per_host, int) or "host_limits" not in run:
        return stats  # an older report: it does not say
    moved = {h.get("host"): h for h in run.get("host_limits") or () if isinstance(h, Mapping)}
    out = []
    for h in stats:
        got = moved.get(h.host, {})
        out.append(
            dataclasses.replace(
                h,
                limit_min=_int(got.get("limit_min"), per_host),
                limit_max=_int(got.get("limit_max"), per_host),
                paused_s=float(_int(got.get("paused_s"), 0)),
            )
        )
    return out


def _int(value: Any, default: int) -> Any:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else default


def safe_href(url: str | None) -> str | None:
    """The URL when it may become a clickable link (http/https only), else None."""
    if isinstance(url, str) and re.match(r"https?://", url, re.IGNORECASE):
        return url
    return None


def url_anchor(url: str) -> str:
    """Stable anchor id of a URL in the HTML report."""
    return "url-" + hashlib.sha1(url.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:120] or "x"


class Anchors:
    """``record-<slug>`` per record, handed out in record order; a clash gets ``-2``, ``-3``...

    Clashing slugs need not be neighbours ("a/b.md" and "a-b.md"), so every slug seen is
    kept: one short string per record (~130 bytes), the only per-record state of a render.
    """

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def next(self, record: Mapping[str, Any]) -> str:
        base = "record-" + slugify(record_key(record))
        n = self.seen[base] = self.seen.get(base, 0) + 1
        return base if n == 1 else f"{base}-{n}"


def record_anchors(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """``Anchors`` of every record, as a list (tests and small reports)."""
    anchors = Anchors()
    return [anchors.next(record) for record in records]


def top_n(items: Iterable[tuple[int, Any]], n: int) -> list[tuple[int, Any]]:
    """The ``n`` (count, value) pairs with the largest counts, ties in arrival order.

    What ``Counter.most_common(n)`` returns, kept in a heap of n while the items stream by.
    """
    heap: list[tuple[int, int, Any]] = []
    for order, (count, value) in enumerate(items):
        entry = (count, -order, value)
        if len(heap) < n:
            heapq.heappush(heap, entry)
        elif n and entry[:2] > heap[0][:2]:
            heapq.heapreplace(heap, entry)
    return [(count, value) for count, _, value in sorted(heap, key=lambda e: (-e[0], -e[1]))]


class Spool:
    """Text written once, then read back once: in memory up to ``SPOOL_BYTES``, then on disk.

    For the formats whose header holds totals (JUnit's failure count, SARIF's rule list):
    the body is spooled while the totals are counted, so the records pass only once.
    """

    def __init__(self) -> None:
        self.file = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed by chunks()
            max_size=SPOOL_BYTES, mode="w+", encoding="utf-8", errors="surrogatepass", newline=""
        )

    def write(self, text: str) -> None:
        self.file.write(text)

    def chunks(self) -> Iterator[str]:
        """The text written, in pieces; the spool is closed afterwards."""
        try:
            self.file.seek(0)
            while chunk := self.file.read(SPOOL_READ):
                yield chunk
        finally:
            self.file.close()
