"""The pipeline: records -> links -> check -> health -> history -> report.

``check`` reads like the pipeline: read the records into the run's work store, plan
what must really be requested (site files are checked offline, fresh ``ok`` verdicts
are reused from history), fetch, judge, remember, assess every record, write the
report's rows. Only the fetch stage is concurrent. On Ctrl-C the URLs checked so far
still make a report, marked incomplete, and the history run stays unfinished.

Records, links and verdicts live in a ``WorkStore`` (SQLite on disk) rather than in
memory: a run over 100,000 records holds one batch at a time (see workstore.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from linkcheck import content, health, recordchecks
from linkcheck.archive import lookup_archives
from linkcheck.changes import FAILING, compute_changes, dead_streak
from linkcheck.collect import collect_into
from linkcheck.config import Config
from linkcheck.fetch import fetch_all
from linkcheck.history import HistoryStore, open_history
from linkcheck.model import Fetched, Outcome, RecordHealth, Role, UrlCheck, UrlResult
from linkcheck.outcome import judge
from linkcheck.report_json import RunInfo
from linkcheck.report_rows import write_report_rows
from linkcheck.report_source import StoredReport
from linkcheck.sitefiles import check_site_file, is_site_url
from linkcheck.status import parse_accept
from linkcheck.unpublish import article_link, unpublish_decision
from linkcheck.workstore import RecordRow, WorkStore


class ProgressSink(Protocol):
    def start(self, total: int, what: str = ...) -> None: ...
    def advance(self, count: int = ...) -> None: ...


@dataclass
class CheckOutput:
    """The run's report, its entries still in the work store: ``close`` once it is written."""

    # Not in the repr: on leaving asyncio.run, Python 3.11's signal.getsignal() builds an
    # error message holding repr(main task), result included.
    report: StoredReport = dataclasses.field(repr=False)
    config: Config
    work: WorkStore | None = dataclasses.field(default=None, repr=False)

    def close(self) -> None:
        if self.work is not None:
            self.work.close()
            self.work = None

    def __enter__(self) -> CheckOutput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_check(
    paths: Sequence[str],
    config: Config,
    progress: ProgressSink | None = None,
    now: datetime | None = None,
) -> CheckOutput:
    """Run the whole check; the caller writes the reports, then closes the output."""
    return asyncio.run(check(paths, config, progress, now))


async def check(
    paths: Sequence[str],
    config: Config,
    progress: ProgressSink | None = None,
    now: datetime | None = None,
) -> CheckOutput:
    started = now or datetime.now(UTC)
    work = WorkStore()
    try:
        report = await _check(work, paths, config, progress, started, now)
    except BaseException:
        work.close()
        raise
    return CheckOutput(report, config, work)


async def _check(
    work: WorkStore,
    paths: Sequence[str],
    config: Config,
    progress: ProgressSink | None,
    started: datetime,
    now: datetime | None,
) -> StoredReport:
    with open_history(config.history) or contextlib.nullcontext() as store:
        run_id = store.start_run(started, config.digest()) if store else None
        read = collect_into(work, paths, config, store)
        plan_checks(work, read.base_url, config, store, started)
        total = work.queue_unknown()
        fetched = await fetch_checks(
            _with_validators(work.queued_checks(), store), total, work, config, store, progress
        )
        twins = https_twins(work, config) if fetched.complete else {}
        work.set_twins(twins)
        twin_checks = [UrlCheck(t, frozenset({Role.OTHER})) for t in sorted(set(twins.values()))]
        twin_fetched = await fetch_checks(
            twin_checks, len(twin_checks), work, config, store, progress, "https twins"
        )
        complete = fetched.complete and twin_fetched.complete
        finished = now or datetime.now(UTC)
        memory = await recall(store, run_id, work, config, finished)
        run = RunInfo(
            started_at=started,
            finished_at=finished,
            config=config.to_dict(),
            requests=fetched.requests + twin_fetched.requests,
            complete=complete,
            skipped_files=len(read.skipped_files),
        )
        writing = _start_writing(store, run_id, work, finished) if complete else None
        try:
            report = write_report_rows(
                work, run, read.errors, memory.changes, _assessor(work, memory, config, finished)
            )
            if store is not None and run_id is not None and writing is not None:
                writing.result()  # the writer's error, if any, is raised here
                store.complete_run(run_id, report["summary"], finished)
                store.prune(
                    config.history.retention_runs,
                    timedelta(days=config.history.parse_cache_max_age_days),
                    finished,
                )
        except BaseException:
            _abandon_writing(store, writing)
            raise
    return report


def _start_writing(
    store: HistoryStore | None, run_id: int | None, work: WorkStore, now: datetime
) -> Future[None] | None:
    """Write the run's verdicts to history from a worker thread while the report's rows are
    written: the copy runs inside SQLite, without the GIL, so it costs no wall time.
    ``complete_run`` commits it; the store is not used by the main thread meanwhile, and
    the main thread only reads the work store's verdicts while they are copied.
    """
    if store is None or run_id is None:
        return None
    work.flush()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="history")
    try:
        return pool.submit(store.write_run, run_id, work.path, now)
    finally:
        pool.shutdown(wait=False)


def _abandon_writing(store: HistoryStore | None, writing: Future[None] | None) -> None:
    """The report failed: let the writer end, then roll its transaction back."""
    if store is None:
        return
    if writing is not None:
        with contextlib.suppress(Exception):
            writing.result()
    store.abandon_run()


# ---------------------------------------------------------------- planning


def plan_checks(
    work: WorkStore,
    base_url: str | None,
    config: Config,
    store: HistoryStore | None,
    now: datetime,
) -> None:
    """Verdicts known without a request go into ``work``: offline site files, and the fresh
    ``ok`` verdicts history holds (copied inside SQLite)."""
    if config.site.root_dir and base_url:
        root = Path(config.site.root_dir)
        work.put_results(
            check_site_file(url, base_url, root)
            for url in work.iter_urls()
            if is_site_url(url, base_url)
        )
    if store is not None:
        max_age = timedelta(hours=config.history.ok_max_age_h)
        if max_age:  # 0 means: request everything again
            store.reuse_into(work.path, now, max_age)


def _with_validators(checks: Iterator[UrlCheck], store: HistoryStore | None) -> Iterator[UrlCheck]:
    """Each check with the ETag / Last-Modified history holds for it, a page at a time."""
    if store is None:
        yield from checks
        return
    while page := list(itertools.islice(checks, 500)):
        validators = store.validators(c.url for c in page)
        for item in page:
            found = validators.get(item.url)
            yield dataclasses.replace(item, validators=found) if found else item


def https_twins(work: WorkStore, config: Config) -> dict[str, str]:
    """http:// URLs that work -> their https:// twins, to learn whether https works too.

    Asked only of working http links, after the main pass: a dead link needs no
    upgrade, and an all-http site would otherwise pay twice for every URL.
    """
    if not (config.content.enabled and config.content.insecure_url):
        return {}
    twins = {}
    for url in work.ok_urls("http://"):
        twin = recordchecks.https_twin(url)
        if twin is not None and not work.has_result(twin):
            twins[url] = twin
    return twins


# ---------------------------------------------------------------- fetching and judging


@dataclass(frozen=True)
class Fetching:
    """How many requests one fetch pass sent, and whether it ran to the end."""

    requests: int
    complete: bool


async def fetch_checks(
    checks: Iterable[UrlCheck],
    total: int,
    work: WorkStore,
    config: Config,
    store: HistoryStore | None,
    progress: ProgressSink | None,
    what: str = "URLs",
) -> Fetching:
    """Fetch every check and judge each answer as it arrives, into ``work``; on cancellation
    keep what was judged.

    No body outlives its verdict, and no check outlives its answer: ``in_flight`` holds
    only what the engine has pulled and not yet answered.
    """
    accept = parse_accept(config.http.accept)
    in_flight: dict[str, UrlCheck] = {}
    not_modified: dict[str, tuple[Fetched, UrlCheck]] = {}
    requests = 0

    def pulled() -> Iterator[UrlCheck]:
        for item in checks:
            in_flight[item.url] = item
            yield item

    def on_result(got: Fetched) -> None:
        nonlocal requests
        requests += got.requests
        item = in_flight.pop(got.url)
        if got.not_modified:
            not_modified[got.url] = (got, item)  # a 304 has no body; judged once history is asked
        else:
            work.put_result(judge_one(got, item, config, accept))
        if progress:
            progress.advance()

    if not total:
        return Fetching(0, True)
    if progress:
        progress.start(total, what)

    def want(item: UrlCheck) -> bool:
        return config.content.enabled and content.want_body(item, config.content)

    complete = True
    try:
        await fetch_all(pulled(), config, on_result=on_result, want_body=want, collect=False)
    except asyncio.CancelledError:
        complete = False
    before = store.latest_results(list(not_modified)) if store and not_modified else {}
    for url, (got, item) in not_modified.items():
        result = judge(got, item, accept)
        work.put_result(
            _unchanged(result, before[url])
            if url in before
            else judge_one(got, item, config, accept)
        )
    work.flush()
    return Fetching(requests, complete)


def judge_one(got: Fetched, item: UrlCheck, config: Config, accept: frozenset[int]) -> UrlResult:
    """A verdict with cache freshness, image size and content issues."""
    result = judge(got, item, accept)
    if config.content.enabled:
        result = content.apply_content(result, got, item, config.content)
    return result


def _unchanged(result: UrlResult, before: UrlResult) -> UrlResult:
    """A 304: the content is what it was, so keep what was known of it."""
    return dataclasses.replace(
        result,
        content_type=before.content_type,
        content_length=before.content_length,
        image_size=before.image_size,
        cache=before.cache,
        issues=before.issues,
    )


# ---------------------------------------------------------------- memory


@dataclass(frozen=True)
class Memory:
    """What history adds to this run: streaks, first-seen images, changes, archive copies."""

    changes: dict[str, Any] | None = None
    streaks: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    first_seen: Mapping[str, recordchecks.ImageSeen] = dataclasses.field(default_factory=dict)
    archived: Mapping[str, str | None] = dataclasses.field(default_factory=dict)


async def recall(
    store: HistoryStore | None,
    run_id: int | None,
    work: WorkStore,
    config: Config,
    now: datetime,
) -> Memory:
    """History's view of this run's verdicts; only failing URLs and URLs with a failing past
    are held in memory (every other URL has no change, streak or archive to report)."""
    streaks: dict[str, Any] = {}
    changes = None
    first_seen: dict[str, recordchecks.ImageSeen] = {}
    if store is not None:
        recent = store.recent_observations(
            work.listed_keys(), config.history.streak_window_runs, before=run_id
        )
        relevant = work.listed_where({o.value for o in FAILING}, recent.keys())
        previous = store.previous_run(before=run_id)
        changes = compute_changes(
            {"id": previous.id, "started_at": previous.started_at} if previous else None,
            relevant,
            recent,
            now,
            config.history.flap_window_runs,
            config.history.flap_min_changes,
            config.history.streak_window_runs,
        )
        streaks = {
            url: dead_streak(result, recent.get(url, ()), now, config.history.streak_window_runs)
            for url, result in relevant.items()
            if result.definitively_dead
        }
        first_seen = {
            url: recordchecks.ImageSeen(etag, modified, length)
            for url, (etag, modified, length) in store.first_seen(work.image_urls()).items()
        }
    archived: dict[str, str | None] = {}
    if config.archive.enabled:
        dying = work.listed_where({Outcome.BROKEN.value, Outcome.UNREACHABLE.value}, ())
        dead = [url for url, r in dying.items() if r.definitively_dead]
        archived = await lookup_archives(dead, config.archive, user_agent=config.user_agent)
    return Memory(changes, streaks, first_seen, archived)


# ---------------------------------------------------------------- records

# Records whose links' verdicts are read together.
RECORDS_PER_LOOKUP = 200


def _assessor(
    work: WorkStore, memory: Memory, config: Config, now: datetime
) -> Iterator[tuple[RecordHealth, dict[str, Any], bool]]:
    """Each record's verdict, its additive report fields and whether it is notable (flagged,
    or a link that is not a listed ``ok`` URL), in the report's order."""
    facts = _Shared(work.duplicate_originals(), memory, config, now)
    verdicts = _Verdicts(work)
    has_twins = work.has_twins()
    records = work.records()
    # The verdicts of a batch of records in a few queries: one query per record cost
    # more than the record's own checks.
    while batch := list(itertools.islice(records, RECORDS_PER_LOOKUP)):
        known = verdicts.get({link.url for _, links, _, _ in batch for link in links if link.url})
        twins: dict[str, UrlResult] = {}
        if has_twins:
            twin_of = work.twins_for([u for u in known if u.startswith("http://")])
            found = verdicts.get(twin_of.values())
            twins = {url: found[t] for url, t in twin_of.items() if t in found}
        for row in batch:
            yield _assess(row, known, twins, facts)


@dataclass(frozen=True)
class _Shared:
    """What every record's assessment needs from the run as a whole."""

    duplicates: dict[str, list[str]]
    memory: Memory
    config: Config
    now: datetime


def _assess(
    row: RecordRow, known: Mapping[str, UrlResult], twins: Mapping[str, UrlResult], facts: _Shared
) -> tuple[RecordHealth, dict[str, Any], bool]:
    """One record's verdict (see ``_assessor``); ``known`` and ``twins`` hold its links'
    verdicts and the verdicts on their https twins, among others."""
    record, links, record_only, digest = row
    memory, config = facts.memory, facts.config
    results = {link.url: known[link.url] for link in links if link.url and link.url in known}
    twin_results = {url: twins[url] for url in results if url in twins}
    findings = recordchecks.record_findings(
        record,
        links,
        results,
        config.content,
        duplicates=facts.duplicates,
        https_twins=twin_results,
        first_seen=memory.first_seen,
        record_only=record_only,
    )
    article = article_link(links)
    url = article.url if article else None
    flag, reasons, since = unpublish_decision(
        record,
        url,
        results.get(url) if url else None,
        memory.streaks.get(url) if url else None,
        config.unpublish,
        facts.now,
        memory.archived.get(url) if url else None,
    )
    assessed = health.assess(record, links, results, findings, reasons if flag else ())
    extra = {
        "sha256": digest,
        "unpublish_since": since if flag else None,
        "archive_url": memory.archived.get(url) if url else None,
    }
    notable = flag or any(
        link.url is None or (r := results.get(link.url)) is None or r.outcome is not Outcome.OK
        for link in links
    )
    return assessed, extra, notable


class _Verdicts:
    """Verdicts by URL from the work store, the most linked ones read once and kept.

    Provider logos and popular articles are linked by thousands of records, most URLs by
    one record: the ``PINNED`` most linked URLs are read up front and kept, every other
    verdict is read when a batch of records needs it, and not kept. (An emptied-when-full
    cache read a third of the verdicts twice.)
    """

    PINNED = 20_000

    def __init__(self, work: WorkStore) -> None:
        self.work = work
        self.pinned = work.most_linked_results(self.PINNED)

    def get(self, urls: Iterable[str]) -> dict[str, UrlResult]:
        found = {}
        missing = []
        for url in urls:
            hit = self.pinned.get(url)
            if hit is None:
                missing.append(url)
            else:
                found[url] = hit
        if missing:
            found.update(self.work.results_for(missing))
        return found
