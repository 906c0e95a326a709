"""The pipeline: records -> links -> check -> health -> history -> report.

``check`` reads like the pipeline: collect the links, plan what must really be
requested (site files are checked offline, fresh ``ok`` verdicts are reused
from history), fetch, judge, remember, assess every record, build the report.
Only the fetch stage is concurrent. On Ctrl-C the URLs checked so far still
make a report, marked incomplete, and the history run stays unfinished.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from linkcheck import content, health, recordchecks
from linkcheck.archive import lookup_archives
from linkcheck.changes import compute_changes, dead_streak
from linkcheck.collect import Collected, collect_links
from linkcheck.config import Config
from linkcheck.fetch import fetch_all
from linkcheck.history import HistoryStore, open_history
from linkcheck.links import unique_checks
from linkcheck.model import (
    Fetched,
    LinkRef,
    Outcome,
    RecordHealth,
    Role,
    UrlCheck,
    UrlResult,
)
from linkcheck.outcome import judge
from linkcheck.records import gc_paused
from linkcheck.report_json import RunInfo, build_report
from linkcheck.sitefiles import check_site_file, is_site_url
from linkcheck.status import parse_accept
from linkcheck.unpublish import article_link, unpublish_decision


class ProgressSink(Protocol):
    def start(self, total: int, what: str = ...) -> None: ...
    def advance(self, count: int = ...) -> None: ...


@dataclass(frozen=True)
class Plan:
    """What the run will request, what it knows without a request, and which URLs' verdicts
    history holds for reuse (built by ``load_reused``)."""

    to_fetch: list[UrlCheck]
    known: dict[str, UrlResult]
    reused: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CheckOutput:
    # Not in the repr: on leaving asyncio.run, Python 3.11's signal.getsignal() builds an
    # error message holding repr(main task), result included; a 100k-URL report took 0.2 s.
    report: dict[str, Any] = dataclasses.field(repr=False)
    config: Config


def run_check(
    paths: Sequence[str],
    config: Config,
    progress: ProgressSink | None = None,
    now: datetime | None = None,
) -> CheckOutput:
    """Run the whole check; the caller writes the reports."""
    return asyncio.run(check(paths, config, progress, now))


async def check(
    paths: Sequence[str],
    config: Config,
    progress: ProgressSink | None = None,
    now: datetime | None = None,
) -> CheckOutput:
    started = now or datetime.now(UTC)
    with open_history(config.history) or contextlib.nullcontext() as store, _unfreeze_at_end():
        run_id = store.start_run(started, config.digest()) if store else None
        with _kept_to_the_end():  # records, links, reused verdicts
            collected = collect_links(paths, config, store)
            checks = unique_checks(collected.all_links)
            plan = plan_checks(checks, collected.base_url, config, store, started)
        # The reused verdicts are built while the requests are in flight: that CPU work
        # (~1 s on 10k records) would otherwise wait for the network, or the network for it.
        loading = asyncio.create_task(load_reused(store, plan.reused))
        fetched = await fetch_checks(plan.to_fetch, config, store, progress)
        reused, loaded = await _finish_loading(loading)
        results = {**plan.known, **reused, **fetched.results}
        twins = https_twins(results, config) if fetched.complete else {}
        twin_checks = [UrlCheck(t, frozenset({Role.OTHER})) for t in sorted(set(twins.values()))]
        twin_fetched = await fetch_checks(twin_checks, config, store, progress, "https twins")
        complete = fetched.complete and twin_fetched.complete and loaded
        results.update(twin_fetched.results)
        finished = now or datetime.now(UTC)
        link_results, referrers = linked_results(checks, results, collected.all_links)
        memory = await recall(store, run_id, link_results, collected, config, finished)
        run = RunInfo(
            started_at=started,
            finished_at=finished,
            config=config.to_dict(),
            requests=fetched.requests + twin_fetched.requests,
            complete=complete,
            skipped_files=len(collected.read.skipped_files),
        )
        writing = _start_writing(store, run_id, results) if complete else None
        try:
            with _kept_to_the_end():  # record verdicts, the report
                records, extra = assess_records(
                    collected, link_results, results, twins, memory, config, finished
                )
                report = build_report(
                    run,
                    records,
                    list(link_results.values()),
                    collected.read.errors,
                    memory.changes,
                    extra,
                    referrers,
                )
        except BaseException:
            _abandon_writing(store, writing)
            raise
        if store is not None and run_id is not None and writing is not None:
            writing.result()  # the writer's error, if any, is raised here
            store.complete_run(run_id, report["summary"], finished)
            store.prune(
                config.history.retention_runs,
                timedelta(days=config.history.parse_cache_max_age_days),
                finished,
            )
    return CheckOutput(report, config)


# ---------------------------------------------------------------- writing history


def _start_writing(
    store: HistoryStore | None, run_id: int | None, results: Mapping[str, UrlResult]
) -> Future[None] | None:
    """Write the run's results from a worker thread while the report is built.

    SQLite does its work without the GIL: ~0.8 s of a 10k-record re-run overlaps with
    assessing records. ``complete_run`` then commits them in the same transaction;
    the store is not used by this thread meanwhile (recall is done).
    """
    if store is None or run_id is None:
        return None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="history")
    try:
        return pool.submit(store.write_results, run_id, list(results.values()))
    finally:
        pool.shutdown(wait=False)


def _abandon_writing(store: HistoryStore | None, writing: Future[None] | None) -> None:
    """The report failed: let the writer end, then roll its transaction back."""
    if store is None or writing is None:
        return
    with contextlib.suppress(Exception):
        writing.result()
    store.abandon_run()


# ---------------------------------------------------------------- the cyclic collector
#
# Records, links, verdicts and the report are hundreds of thousands of small objects in no
# reference cycle, kept until the run ends. The cyclic collector still walked all of them,
# again at every full collection: 0.75 s of a 4.5 s re-run (20k URLs). So they are built with the
# collector paused and then frozen (``gc.freeze``: out of its sight; reference counting
# still frees them); the end of the run hands them back (``gc.unfreeze``). Only the fetch
# stage, whose aiohttp objects do make cycles, runs with the collector on.


@contextlib.contextmanager
def _kept_to_the_end() -> Iterator[None]:
    """Build what the run keeps to its end with the collector paused, then freeze it."""
    with gc_paused():
        yield
        gc.freeze()


@contextlib.contextmanager
def _unfreeze_at_end() -> Iterator[None]:
    try:
        yield
    finally:
        gc.unfreeze()


def linked_results(
    checks: Sequence[UrlCheck], results: Mapping[str, UrlResult], links: Sequence[LinkRef]
) -> tuple[dict[str, UrlResult], dict[str, int]]:
    """The verdicts the report lists (records' links, invalid ones included; no https twins),
    and how many link references point at each.

    The referrer counts go to the report as a mapping: copying every reused verdict with
    dataclasses.replace just to set them cost ~0.3 s of a 4.5 s re-run (20k URLs).
    """
    listed = {c.url: results[c.url] for c in checks if c.url in results}
    referrers = {c.url: c.referrers for c in checks}
    invalid = invalid_results(links)
    listed.update(invalid)
    referrers.update((key, result.referrers) for key, result in invalid.items())
    return listed, referrers


def invalid_results(links: Sequence[LinkRef]) -> dict[str, UrlResult]:
    """Links that are no checkable URL still get their ``invalid`` entry, keyed by the raw text."""
    found: dict[str, UrlResult] = {}
    for link in links:
        if link.url is not None:
            continue
        key = link.raw
        before = found.get(key)
        found[key] = UrlResult(
            url=key,
            outcome=Outcome.INVALID,
            status=None,
            final_url=key,
            error=link.invalid_reason,
            referrers=before.referrers + 1 if before else 1,
        )
    return found


# ---------------------------------------------------------------- planning


def plan_checks(
    checks: Sequence[UrlCheck],
    base_url: str | None,
    config: Config,
    store: HistoryStore | None,
    now: datetime,
) -> Plan:
    """Split the checks: offline site files, reusable history, and what must be requested."""
    known: dict[str, UrlResult] = {}
    if config.site.root_dir and base_url:
        root = Path(config.site.root_dir)
        for item in checks:
            if is_site_url(item.url, base_url):
                known[item.url] = check_site_file(item.url, base_url, root)
    wanted = [c for c in checks if c.url not in known]
    reused: set[str] = set()
    if store is not None:
        max_age = timedelta(hours=config.history.ok_max_age_h)
        if max_age:  # 0 means: request everything again
            reused = store.mark_reusable([c.url for c in wanted], now, max_age)
            wanted = [c for c in wanted if c.url not in reused]
        validators = store.validators(c.url for c in wanted)
        wanted = [dataclasses.replace(c, validators=validators.get(c.url)) for c in wanted]
    return Plan(wanted, known, frozenset(reused))


async def load_reused(store: HistoryStore | None, urls: frozenset[str]) -> dict[str, UrlResult]:
    """The reused verdicts, a chunk at a time, letting the fetch run between chunks.

    Small chunks (~1.5 ms each) keep the event loop answering the requests in flight.
    Built with the collector paused and then frozen (see ``_kept_to_the_end``).
    """
    found: dict[str, UrlResult] = {}
    if store is None or not urls:
        return found
    chunks = store.load_reusable(chunk=200)
    while True:
        with gc_paused():
            chunk = next(chunks, None)
            gc.freeze()
        if chunk is None:
            return found
        found.update(chunk)
        await asyncio.sleep(0)


async def _finish_loading(
    loading: asyncio.Task[dict[str, UrlResult]],
) -> tuple[dict[str, UrlResult], bool]:
    """The loaded verdicts, and False when a Ctrl-C came while waiting for them.

    Loading sends no request, so it is let finish: the interrupted run still reports
    every URL it knows, as an interrupted fetch does.
    """
    try:
        return await asyncio.shield(loading), True
    except asyncio.CancelledError:
        return await loading, False


def https_twins(results: Mapping[str, UrlResult], config: Config) -> dict[str, str]:
    """http:// URLs that work -> their https:// twins, to learn whether https works too.

    Asked only of working http links, after the main pass: a dead link needs no
    upgrade, and an all-http site would otherwise pay twice for every URL.
    """
    if not (config.content.enabled and config.content.insecure_url):
        return {}
    twins = {}
    for url, result in results.items():
        twin = recordchecks.https_twin(url) if result.outcome is Outcome.OK else None
        if twin is not None and twin not in results:
            twins[url] = twin
    return twins


# ---------------------------------------------------------------- fetching and judging


@dataclass(frozen=True)
class Fetching:
    """The verdicts of one fetch pass, the requests it sent, and whether it ran to the end."""

    results: dict[str, UrlResult]
    requests: int
    complete: bool


async def fetch_checks(
    checks: Sequence[UrlCheck],
    config: Config,
    store: HistoryStore | None,
    progress: ProgressSink | None,
    what: str = "URLs",
) -> Fetching:
    """Fetch every check and judge each answer as it arrives; on cancellation keep the rest.

    No body outlives its verdict: keeping every ``Fetched`` (bodies up to 256 KiB) until
    the end of the pass cost 4.7 GB of memory on 10,000 records; a verdict is small.
    """
    accept = parse_accept(config.http.accept)
    by_url = {item.url: item for item in checks}
    results: dict[str, UrlResult] = {}
    not_modified: dict[str, Fetched] = {}
    requests = 0

    def on_result(got: Fetched) -> None:
        nonlocal requests
        requests += got.requests
        if got.not_modified:
            not_modified[got.url] = got  # a 304 has no body; judged once history is asked
        else:
            results[got.url] = judge_one(got, by_url[got.url], config, accept)
        if progress:
            progress.advance()

    if not checks:
        return Fetching(results, 0, True)
    if progress:
        progress.start(len(checks), what)

    def want(item: UrlCheck) -> bool:
        return config.content.enabled and content.want_body(item, config.content)

    complete = True
    try:
        await fetch_all(checks, config, on_result=on_result, want_body=want, collect=False)
    except asyncio.CancelledError:
        complete = False
    before = store.latest_results(list(not_modified)) if store and not_modified else {}
    for url, got in not_modified.items():
        result = judge(got, by_url[url], accept)
        results[url] = (
            _unchanged(result, before[url])
            if url in before
            else judge_one(got, by_url[url], config, accept)
        )
    return Fetching(results, requests, complete)


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
    results: Mapping[str, UrlResult],
    collected: Collected,
    config: Config,
    now: datetime,
) -> Memory:
    streaks: dict[str, Any] = {}
    changes = None
    first_seen: dict[str, recordchecks.ImageSeen] = {}
    if store is not None:
        recent = store.recent_observations(
            results, config.history.streak_window_runs, before=run_id
        )
        previous = store.previous_run(before=run_id)
        changes = compute_changes(
            {"id": previous.id, "started_at": previous.started_at} if previous else None,
            results,
            recent,
            now,
            config.history.flap_window_runs,
            config.history.flap_min_changes,
            config.history.streak_window_runs,
        )
        streaks = {
            url: dead_streak(result, recent.get(url, ()), now, config.history.streak_window_runs)
            for url, result in results.items()
            if result.definitively_dead
        }
        images = [link.url for link in collected.all_links if link.role.is_image and link.url]
        first_seen = {
            url: recordchecks.ImageSeen(etag, modified, length)
            for url, (etag, modified, length) in store.first_seen(images).items()
        }
    archived: dict[str, str | None] = {}
    if config.archive.enabled:
        dead = [u for u, r in results.items() if r.definitively_dead]
        archived = await lookup_archives(dead, config.archive, user_agent=config.user_agent)
    return Memory(changes, streaks, first_seen, archived)


# ---------------------------------------------------------------- records


def assess_records(
    collected: Collected,
    results: Mapping[str, UrlResult],
    all_results: Mapping[str, UrlResult],
    twins: Mapping[str, str],
    memory: Memory,
    config: Config,
    now: datetime,
) -> tuple[list[RecordHealth], dict[str, dict[str, Any]]]:
    """Each record's findings, health and unpublish decision, plus its additive report fields."""
    duplicates = recordchecks.duplicate_originals(collected.links.items())
    twin_results = {url: all_results[t] for url, t in twins.items() if t in all_results}
    assessed = []
    extra: dict[str, dict[str, Any]] = {}
    for record in collected.read.records:
        links = collected.links.get(record.key, [])
        findings = recordchecks.record_findings(
            record,
            links,
            results,
            config.content,
            duplicates=duplicates,
            https_twins=twin_results,
            first_seen=memory.first_seen,
            record_only=collected.record_only.get(record.key),
        )
        article = article_link(links)
        url = article.url if article else None
        flag, reasons, since = unpublish_decision(
            record,
            url,
            results.get(url) if url else None,
            memory.streaks.get(url) if url else None,
            config.unpublish,
            now,
            memory.archived.get(url) if url else None,
        )
        assessed.append(health.assess(record, links, results, findings, reasons if flag else ()))
        extra[record.key] = {
            "sha256": collected.digests.get(record.source),
            "unpublish_since": since if flag else None,
            "archive_url": memory.archived.get(url) if url else None,
        }
    return assessed, extra
