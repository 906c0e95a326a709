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
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from linkcheck import content, loop, recordchecks
from linkcheck.archive import lookup_archives
from linkcheck.assessment import Memory, assess_records
from linkcheck.changes import FAILING, compute_changes, dead_streak
from linkcheck.collect import collect_into
from linkcheck.config import Config
from linkcheck.fetch import EngineStats, fetch_all
from linkcheck.history import HistoryStore, open_history
from linkcheck.model import Fetched, Outcome, Role, UrlCheck, UrlResult
from linkcheck.outcome import judge
from linkcheck.report_json import RunInfo, host_limits_entry, url_entry_from_row
from linkcheck.report_rows import UrlRows, write_report_rows
from linkcheck.report_source import StoredReport
from linkcheck.report_view import host_of
from linkcheck.reused_rows import ROWS_FORMAT, reused_url_rows, stage_page
from linkcheck.sitefiles import check_site_file, is_site_url
from linkcheck.status import parse_accept
from linkcheck.workstore import WorkStore


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
    return loop.run(check(paths, config, progress, now))


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
    engine = EngineStats()
    deadline = run_deadline(config)
    with open_history(config.history) or contextlib.nullcontext() as store:
        run_id = store.start_run(started, config.digest()) if store else None
        read = collect_into(work, paths, config, store)
        plan_checks(work, read.base_url, config, store, started)
        total = work.queue_unknown()
        url_rows = UrlRows(work.report_db, by_url=True)
        # The reused verdicts' report rows are written while the requests are in flight:
        # that CPU work would otherwise wait for the network, or the network for it.
        staging = asyncio.create_task(stage_reused(work, url_rows, store)) if store else None
        checking = Checking(work, config, store, progress, deadline, engine)
        fetched = await fetch_checks(_with_history(work.queued_checks(), store), total, checking)
        # After the deadline no twin is asked: it would only be reported unchecked.
        twins = https_twins(work, config) if fetched.complete and not engine.cut else {}
        twin_fetched = await ask_twins(twins, checking)
        complete = fetched.complete and twin_fetched.complete
        await _finish(staging)
        finished = now or datetime.now(UTC)
        memory = await recall(store, run_id, work, config, finished)
        run = RunInfo(
            started_at=started,
            finished_at=finished,
            config=config.to_dict(),
            requests=fetched.requests + twin_fetched.requests,
            complete=complete,
            skipped_files=len(read.skipped_files),
            host_limits=[
                host_limits_entry(h, limits) for h, limits in sorted(engine.hosts.items())
            ],
            deadline_reached=engine.cut,
        )
        writing = _start_writing(store, run_id, work, finished) if complete else None
        try:
            records = assess_records(work, memory, config, finished, keep=store is not None)
            report = write_report_rows(work, run, read.errors, memory.changes, records, url_rows)
            if store is not None and run_id is not None and writing is not None:
                writing.result()  # the writer's error, if any, is raised here
                store.complete_run(run_id, report["summary"], finished, work.assessed_now())
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
    written: the copy runs inside SQLite, without the GIL; only the new verdicts' kept
    report rows (``reused_rows``) are made in Python. ``complete_run`` commits it; the
    store is not used by the main thread meanwhile, and the main thread only reads the
    work store's verdicts while they are copied.
    """
    if store is None or run_id is None:
        return None
    work.flush()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="history")
    try:
        return pool.submit(_write_history, store, run_id, work.path, now)
    finally:
        pool.shutdown(wait=False)


def _write_history(store: HistoryStore, run_id: int, work: Path, now: datetime) -> None:
    store.write_run(run_id, work, now)
    store.keep_url_rows(reused_url_rows, ROWS_FORMAT)


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
    ``ok`` verdicts history holds (copied inside SQLite); so do the files' report rows
    history kept, for the assessment to reuse where nothing changed (assessment.py)."""
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
        store.recall_assessments(work.path)


def _with_history(checks: Iterator[UrlCheck], store: HistoryStore | None) -> Iterator[UrlCheck]:
    """Each check with what history knows of its last answer (ETag / Last-Modified for a
    conditional request, and its status), a page at a time."""
    if store is None:
        yield from checks
        return
    while page := list(itertools.islice(checks, 500)):
        known = store.last_answers(c.url for c in page)
        for item in page:
            found = known.get(item.url)
            if found is None:
                yield item
            else:
                validators, status, failure = found
                yield dataclasses.replace(
                    item, validators=validators, last_status=status, last_failure=failure
                )


async def stage_reused(work: WorkStore, rows: UrlRows, store: HistoryStore) -> None:
    """The report rows of the verdicts reused from history, 1,000 URLs at a time (~10 ms),
    letting the fetch run between pages: copied from the rows history kept
    (``reused_rows``), made here for the verdicts it kept none for."""
    after: str | None = ""
    kept = store.url_rows_format() == ROWS_FORMAT
    with store.attached(work=work.path, report=work.report_path) as db:
        while after is not None:
            after, missing = stage_page(db, after, 1000, rows.added, kept)
            rows.add(url_entry_from_row(row[:-2], row[-2] or 0, row[-1]) for row in missing)
            await asyncio.sleep(0)
    rows.reused_done = True


async def _finish(staging: asyncio.Task[None] | None) -> None:
    """Let ``stage_reused`` end, even after a Ctrl-C: it sends no request, and the
    interrupted run still reports every URL it knows."""
    if staging is None:
        return
    try:
        await asyncio.shield(staging)
    except asyncio.CancelledError:
        await staging


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
        if twin is not None:
            twins[url] = twin
    known = work.with_results(twins.values())
    return {url: twin for url, twin in twins.items() if twin not in known}


async def ask_twins(twins: dict[str, str], checking: Checking) -> Fetching:
    """Ask the https twins, one host at a time first: a host whose first twin does not
    answer ok over https is not asked the others (an all-http host costs one TLS
    handshake, not one per URL). Only the twins asked are recorded."""
    by_host: dict[str, list[str]] = {}
    for twin in sorted(set(twins.values())):
        by_host.setdefault(host_of(twin), []).append(twin)
    first = [urls[0] for urls in by_host.values()]
    probing = dataclasses.replace(checking, config=_probing(checking.config))
    probed = await fetch_checks(_other(first), len(first), probing, "https twins")
    working = {host_of(url) for url in checking.work.ok_urls("https://")}
    rest = [url for host, urls in by_host.items() if host in working for url in urls[1:]]
    asked = await fetch_checks(_other(rest), len(rest), checking, "https twins")
    kept = set(first) | set(rest)
    checking.work.set_twins({url: twin for url, twin in twins.items() if twin in kept})
    return Fetching(probed.requests + asked.requests, probed.complete and asked.complete)


# One https twin per host, many hosts failing their TLS handshake: each handshake holds a
# 256 KiB buffer (asyncio's), so the first pass keeps fewer in flight.
PROBE_CONCURRENCY = 32


def _probing(config: Config) -> Config:
    limit = min(config.http.max_concurrency, PROBE_CONCURRENCY)
    return dataclasses.replace(config, http=dataclasses.replace(config.http, max_concurrency=limit))


def _other(urls: list[str]) -> list[UrlCheck]:
    return [UrlCheck(url, frozenset({Role.OTHER})) for url in urls]


# ---------------------------------------------------------------- fetching and judging


@dataclass(frozen=True)
class Fetching:
    """How many requests one fetch pass sent, and whether it ran to the end."""

    requests: int
    complete: bool


@dataclass(frozen=True)
class Checking:
    """What every fetch pass of a run shares: where verdicts go, the run's deadline, and
    the engine's numbers for the report."""

    work: WorkStore
    config: Config
    store: HistoryStore | None
    progress: ProgressSink | None
    deadline: float | None
    engine: EngineStats


def run_deadline(config: Config) -> float | None:
    """When checking must stop (``time.monotonic()``), counted from the run's start."""
    seconds = config.http.run_deadline_s
    return time.monotonic() + seconds if seconds > 0 else None


async def fetch_checks(
    checks: Iterable[UrlCheck], total: int, checking: Checking, what: str = "URLs"
) -> Fetching:
    """Fetch every check and judge each answer as it arrives, into ``work``; on cancellation
    keep what was judged.

    No body outlives its verdict, and no check outlives its answer: ``in_flight`` holds
    only what the engine has pulled and not yet answered.
    """
    work, config, store, progress = (
        checking.work,
        checking.config,
        checking.store,
        checking.progress,
    )
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
        await fetch_all(
            pulled(),
            config,
            on_result=on_result,
            want_body=want,
            collect=False,
            deadline=checking.deadline,
            engine=checking.engine,
        )
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
        store.first_seen_into(work.path)
    archived: dict[str, str | None] = {}
    if config.archive.enabled:
        dying = work.listed_where({Outcome.BROKEN.value, Outcome.UNREACHABLE.value}, ())
        dead = [url for url, r in dying.items() if r.definitively_dead]
        archived = await lookup_archives(dead, config.archive, user_agent=config.user_agent)
    return Memory(changes, streaks, archived)
