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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from linkcheck import interrupts
from linkcheck.assessment import Memory, assess_records
from linkcheck.config import Config
from linkcheck.credentials import has_userinfo, masked_fetched
from linkcheck.engine import loop
from linkcheck.engine.anchors import judged_fragments
from linkcheck.engine.archive import lookup_archives
from linkcheck.engine.fetch import EngineStats, fetch_all
from linkcheck.engine.offline import not_requested, offline_config
from linkcheck.engine.outcome import judge
from linkcheck.engine.sitefiles import check_site_file, is_site_url
from linkcheck.errors import LinkcheckError
from linkcheck.health import content, recordchecks
from linkcheck.health.changes import FAILING, Observation, compute_changes
from linkcheck.health.fragments import FRAGMENT_MISSING, fragment_findings
from linkcheck.health.gone import SOFT_CODES, GoneRule, clean_ok, gone_streak
from linkcheck.health.outage import CONNECTION_FAILURES, Degraded, host_counts, judge_run
from linkcheck.inputs.collect import collect_into
from linkcheck.inputs.roots import input_roots
from linkcheck.model import Fetched, Outcome, Role, UrlCheck, UrlResult
from linkcheck.reports.json import RunInfo, host_limits_entry, url_entry_from_row
from linkcheck.reports.rows import UrlRows, write_report_rows
from linkcheck.reports.view import host_of
from linkcheck.specs import parse_accept
from linkcheck.store import StoreDamage, StoreError
from linkcheck.store.history import HistoryStore, open_history, storage_error
from linkcheck.store.report import StoredReport
from linkcheck.store.reused_rows import ROWS_FORMAT, reused_url_rows, stage_page
from linkcheck.store.work import WorkStore


class ProgressSink(Protocol):
    def start(self, total: int, what: str = ...) -> None: ...
    def advance(self, count: int = ...) -> None: ...


@dataclass
class CheckOutput:
    """The run's report, its entries still in the work store: ``commit`` once it is written,
    then ``close``.

    The history store records the run as complete only at ``commit``: a run whose report
    could not be written (a full disk, a folder in the way) leaves an unfinished run in
    history, not a completed one nobody saw the report of.
    """

    # Not in the repr: on leaving asyncio.run, Python 3.11's signal.getsignal() builds an
    # error message holding repr(main task), result included.
    report: StoredReport = dataclasses.field(repr=False)
    config: Config
    work: WorkStore | None = dataclasses.field(default=None, repr=False)
    history: HistoryStore | None = dataclasses.field(default=None, repr=False)
    finish: Callable[[], None] | None = dataclasses.field(default=None, repr=False)
    run_id: int | None = None
    committed: bool = False

    def commit(self) -> None:
        """The reports are written: the run is complete in history too."""
        if self.finish is not None:
            finish, self.finish = self.finish, None
            try:
                finish()
            except StoreDamage as exc:
                raise self._storage(exc) from None
            self.committed = True

    def _storage(self, exc: StoreDamage) -> LinkcheckError:
        """One line for an SQLite error: the history store's, else the work store's."""
        if self.history is not None:
            error = storage_error(exc, self.history.path)
            if "damaged" in str(error) or self.work is None:
                return error
        where = self.work.dir if self.work is not None else "?"
        return LinkcheckError(f"{where}: the run's work store failed: {exc}")

    def close(self) -> None:
        if self.history is not None:
            history, self.history = self.history, None
            try:
                self.finish = None
                if not self.committed and self.run_id is not None:
                    with contextlib.suppress(StoreError):  # the error that got here wins
                        history.abandon_run()
                        history.end_incomplete(self.run_id)
            finally:
                with contextlib.suppress(StoreError):
                    history.close()
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
    """Run the whole check; the caller writes the reports, commits, then closes the output."""
    return loop.run(check(paths, config, progress, now))


async def check(
    paths: Sequence[str],
    config: Config,
    progress: ProgressSink | None = None,
    now: datetime | None = None,
) -> CheckOutput:
    started = now or datetime.now(UTC)
    config = offline_config(config)
    work = WorkStore()
    output = CheckOutput(None, config, work)  # type: ignore[arg-type]
    try:
        output.history = open_history(config.history)
        await _check(output, paths, config, progress, started, now)
    except StoreDamage as exc:
        error = output._storage(exc)
        output.close()
        raise error from None
    except BaseException:
        output.close()
        raise
    return output


async def _check(
    output: CheckOutput,
    paths: Sequence[str],
    config: Config,
    progress: ProgressSink | None,
    started: datetime,
    now: datetime | None,
) -> None:
    """Fill ``output``: its report, and what completes the run in history once written."""
    work, store = output.work, output.history
    assert work is not None
    engine = EngineStats()
    deadline = run_deadline(config)
    run_id = output.run_id = store.start_run(started, config.digest()) if store else None
    read = collect_into(work, paths, config, store)
    plan_checks(work, read.base_url, config, store, started)
    if config.http.offline:
        work.put_results(not_requested(work.unjudged_urls(), started))
    total = work.queue_unknown()
    url_rows = UrlRows(work.report_tables())
    # The reused verdicts' report rows are written while the requests are in flight:
    # that CPU work would otherwise wait for the network, or the network for it.
    staging = asyncio.create_task(stage_reused(work, url_rows, store)) if store else None
    checking = Checking(work, config, store, progress, deadline, engine)
    async with interrupts.Stoppable():  # Ctrl-C, SIGTERM: stop here, report what is known
        fetched = await fetch_checks(_with_history(work.queued_checks(), store), total, checking)
        # After the deadline no twin is asked: it would only be reported unchecked.
        twins = https_twins(work, config) if fetched.complete and not engine.cut else {}
        twin_fetched = await ask_twins(twins, checking)
    complete = fetched.complete and twin_fetched.complete
    canaries = await ask_canaries(config) if complete else []
    await _finish(staging)
    finished = now or datetime.now(UTC)
    memory = await recall(store, run_id, work, config, finished, canaries)
    run = RunInfo(
        started_at=started,
        finished_at=finished,
        config=config.to_dict(),
        requests=fetched.requests + twin_fetched.requests + sum(c.requests for c in canaries),
        complete=complete,
        skipped_files=len(read.skipped_files),
        degraded=memory.degraded.to_dict() if memory.degraded else None,
        roots=tuple(input_roots(paths)),
        host_limits=[host_limits_entry(h, limits) for h, limits in sorted(engine.hosts.items())],
        deadline_reached=engine.cut,
    )
    writing = _start_writing(store, run_id, work, finished) if complete else None
    output.finish = None
    try:
        records = assess_records(work, memory, config, finished, keep=store is not None)
        output.report = write_report_rows(work, run, read.errors, memory.changes, records, url_rows)
        if store is not None and run_id is not None and writing is not None:
            writing.result()  # the writer's error, if any, is raised here
            output.finish = _completing(
                store, run_id, output, config, finished, memory.degraded is not None
            )
    except BaseException:
        _abandon_writing(store, writing)
        raise


def _completing(
    store: HistoryStore,
    run_id: int,
    output: CheckOutput,
    config: Config,
    finished: datetime,
    degraded: bool,
) -> Callable[[], None]:
    """What marks the run complete (or degraded) in history: its verdicts are written,
    not yet committed."""
    report, work = output.report, output.work
    assert work is not None

    def complete() -> None:
        store.complete_run(
            run_id, report["summary"], finished, work.assessed_now(), degraded=degraded
        )
        store.prune(
            config.history.retention_runs,
            timedelta(days=config.history.parse_cache_max_age_days),
            finished,
        )

    return complete


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
                validators, status, failure, first_title = found
                yield dataclasses.replace(
                    item,
                    validators=validators,
                    last_status=status,
                    last_failure=failure,
                    first_title=first_title,
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
        if has_userinfo(url):
            continue  # its masked twin would be asked with the mask for a password
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
        got = masked_fetched(got)  # no credentials from the network into the run
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
        if config.http.check_fragments and judged_fragments(item.fragments):
            return True
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
    if config.http.check_fragments and item.fragments:
        missing = fragment_findings(got, item)
        if missing:
            issues = (*result.issues, FRAGMENT_MISSING)
            result = dataclasses.replace(result, issues=issues, missing_fragments=missing)
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
        drift=before.drift,
        page_title=before.page_title,
        missing_fragments=before.missing_fragments,
    )


# ---------------------------------------------------------------- memory


async def ask_canaries(config: Config) -> list[UrlResult]:
    """The verdicts on ``http.canary_urls``, pages known to be up (outage.py)."""
    urls = list(dict.fromkeys(config.http.canary_urls))
    if not urls:
        return []
    checks = [UrlCheck(url, frozenset({Role.OTHER})) for url in urls]
    accept = parse_accept(config.http.accept)
    answers = await fetch_all(checks, config, want_body=lambda _: False)
    return [judge(got, item, accept) for got, item in zip(answers, checks, strict=True)]


async def recall(
    store: HistoryStore | None,
    run_id: int | None,
    work: WorkStore,
    config: Config,
    now: datetime,
    canaries: Sequence[UrlResult] = (),
) -> Memory:
    """History's view of this run's verdicts, and whether the run could judge at all; only
    failing URLs and URLs with a failing past are held in memory (every other URL has no
    change, streak or archive to report)."""
    window = config.history.streak_window_runs
    recent: dict[str, list[Observation]] = {}
    if store is not None:
        recent = store.recent_observations(work.listed_keys(), window, before=run_id)
    degraded = degraded_run(work, recent, canaries, config)
    memory = Memory(degraded=degraded)
    if store is not None:
        memory = _remembered(store, run_id, work, config, now, recent, degraded)
        store.first_seen_into(work.path)
    if config.archive.enabled and degraded is None:
        rule = GoneRule.of(config.unpublish)
        dying = work.listed_where({Outcome.BROKEN.value, Outcome.UNREACHABLE.value}, ())
        dead = [url for url, r in dying.items() if rule.of_result(r) is not None]
        archived = await lookup_archives(dead, config.archive, user_agent=config.user_agent)
        memory = dataclasses.replace(memory, archived=archived)
    return memory


def _remembered(
    store: HistoryStore,
    run_id: int | None,
    work: WorkStore,
    config: Config,
    now: datetime,
    recent: dict[str, list[Observation]],
    degraded: Degraded | None,
) -> Memory:
    """What changed, each gone article link's streak, and the article links back from gone
    (``recent``: history's observations of the URLs with a failing past)."""
    rule = GoneRule.of(config.unpublish)
    window = config.history.streak_window_runs
    relevant = work.listed_where({o.value for o in FAILING}, recent.keys(), SOFT_CODES)
    previous = store.previous_run(before=run_id)
    changes = compute_changes(
        {"id": previous.id, "started_at": previous.started_at} if previous else None,
        relevant,  # a soft-dead page not failing before changes nothing there
        recent,
        now,
        config.history.flap_window_runs,
        config.history.flap_min_changes,
        window,
    )
    gone = {url: r for url, r in relevant.items() if rule.of_result(r) is not None}
    # A page gone soft may have no failing past: its ok-looking runs count too.
    unseen = [url for url in gone if url not in recent]
    recent.update(store.recent_observations(unseen, window, before=run_id, every=True))
    streaks = {
        url: gone_streak(r, recent.get(url, ()), rule, now, window) for url, r in gone.items()
    }
    revived = frozenset(
        url
        for url, result in relevant.items()
        if clean_ok(result.outcome, result.issues)
        and any(rule.of_observation(seen) is not None for seen in recent.get(url, ()))
    )
    return Memory(changes, streaks, degraded=degraded, revived=revived)


def degraded_run(
    work: WorkStore,
    recent: Mapping[str, Sequence[Observation]],
    canaries: Sequence[UrlResult],
    config: Config,
) -> Degraded | None:
    """Whether the network looked down during the run (outage.py), from the hosts it asked."""
    kinds = {kind.value for kind in CONNECTION_FAILURES}
    hosts = host_counts(work.host_answers(kinds), work.failed_by_host(kinds), recent)
    return judge_run(hosts, canaries, config.http.degraded_min_hosts, config.http.degraded_share)
