"""The pipeline as a few short functions: records -> links -> check -> health -> report.

Only the fetch stage is concurrent; everything around it is pure and takes
``now`` so a run can be replayed in tests. On Ctrl-C the URLs checked so far
still make a report, marked incomplete.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from linkcheck import content, health
from linkcheck.config import Config
from linkcheck.fetch import fetch_all
from linkcheck.freshness import cache_info
from linkcheck.images import image_size
from linkcheck.links import extract_links, unique_checks
from linkcheck.model import (
    Fetched,
    LinkRef,
    Outcome,
    ReadResult,
    Record,
    RecordHealth,
    UrlCheck,
    UrlResult,
)
from linkcheck.outcome import judge
from linkcheck.records import read_inputs
from linkcheck.report_json import RunInfo, build_report
from linkcheck.site import site_base_url
from linkcheck.status import parse_accept


class ProgressSink(Protocol):
    def start(self, total: int, what: str = ...) -> None: ...
    def advance(self, count: int = ...) -> None: ...


@dataclass(frozen=True)
class Collected:
    """Records and their links, before anything is fetched."""

    read: ReadResult
    base_url: str | None
    links: dict[str, list[LinkRef]]

    @property
    def all_links(self) -> list[LinkRef]:
        return [link for links in self.links.values() for link in links]


@dataclass(frozen=True)
class CheckOutput:
    report: dict[str, Any]
    config: Config


def collect_links(paths: Sequence[str], config: Config) -> Collected:
    read = read_inputs(paths, config.input.exclude)
    base = site_base_url(paths, config.site.base_url)
    links = {record.key: extract_links(record, base) for record in read.records}
    return Collected(read, base, links)


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
    collected = collect_links(paths, config)
    checks = unique_checks(collected.all_links)
    fetched, complete = await fetch_checks(checks, config, progress)
    finished = datetime.now(UTC) if now is None else now
    results = judge_all(checks, fetched, config, finished)
    records = assess_records(collected.read.records, collected.links, results, config)
    run = RunInfo(
        started_at=started,
        finished_at=finished,
        config=config.to_dict(),
        requests=sum(f.requests for f in fetched.values()),
        complete=complete,
        skipped_files=len(collected.read.skipped_files),
    )
    report = build_report(run, records, list(results.values()), collected.read.errors)
    return CheckOutput(report, config)


async def fetch_checks(
    checks: Sequence[UrlCheck], config: Config, progress: ProgressSink | None
) -> tuple[dict[str, Fetched], bool]:
    """Fetch every check; on cancellation keep what was fetched and say it is incomplete."""
    done: dict[str, Fetched] = {}

    def on_result(item: Fetched) -> None:
        done[item.url] = item
        if progress:
            progress.advance()

    if progress:
        progress.start(len(checks))
    want = (lambda c: content.want_body(c, config.content)) if config.content.enabled else (
        lambda c: False
    )
    try:
        await fetch_all(checks, config, on_result=on_result, want_body=want)
    except asyncio.CancelledError:
        return done, False
    return done, True


def judge_all(
    checks: Sequence[UrlCheck], fetched: Mapping[str, Fetched], config: Config, now: datetime
) -> dict[str, UrlResult]:
    """A verdict for every check: judged, with content issues, cache freshness and image size."""
    accept = parse_accept(config.http.accept)
    results: dict[str, UrlResult] = {}
    for item in checks:
        got = fetched.get(item.url)
        if got is None:
            continue
        result = judge(got, item, accept)
        results[item.url] = enrich(result, got, item, config, now)
    return results


def enrich(
    result: UrlResult, got: Fetched, item: UrlCheck, config: Config, now: datetime
) -> UrlResult:
    """Add what the content says: cache freshness, image size, content-health codes."""
    if result.outcome is not Outcome.OK or got.not_modified:
        return dataclasses.replace(result, referrers=item.referrers)
    cache = cache_info(got.headers, now, heuristic_fraction=config.content.heuristic_fraction)
    size = image_size(got.body) if got.body and any(r.is_image for r in item.roles) else None
    issues = content.url_issues(got, item, config.content, now=now) if config.content.enabled else ()
    return dataclasses.replace(
        result, cache=cache, image_size=size, issues=tuple(issues), referrers=item.referrers
    )


def assess_records(
    records: Sequence[Record],
    links: Mapping[str, list[LinkRef]],
    results: Mapping[str, UrlResult],
    config: Config,
) -> list[RecordHealth]:
    assessed = []
    for record in records:
        record_links = links.get(record.key, [])
        reasons = unpublish_reasons(record, record_links, results)
        assessed.append(health.assess(record, record_links, results, (), reasons))
    return assessed


def unpublish_reasons(
    record: Record, links: Sequence[LinkRef], results: Mapping[str, UrlResult]
) -> list[str]:
    """Flag a published record whose article (originalUrl, else webUrl) is definitively dead."""
    if record.published is not True:
        return []
    article = _article_link(links)
    if article is None or article.url is None:
        return []
    result = results.get(article.url)
    if result is None or not result.definitively_dead:
        return []
    return [f"{article.field}: {result.error or result.outcome.value}"]


def _article_link(links: Sequence[LinkRef]) -> LinkRef | None:
    by_field = {link.field: link for link in links}
    return by_field.get("originalUrl") or by_field.get("webUrl")
