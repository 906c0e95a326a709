"""The JSON report (the contract ``linkcheck-report/1``): view data built from pipeline values.

``make_summary`` and ``report_head`` build the small top-level parts, ``url_entry`` and
``record_entry`` one entry of each list (``report_rows`` writes a run's report with them);
``render_json`` turns a report dict into text. ``write_json``
streams a ``Report`` (dict or SQLite rows) into the file entry by entry, so a run with a
million URLs never holds its whole report, as objects or as text, in memory.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from linkcheck import __version__
from linkcheck.credentials import mask_text
from linkcheck.engine.host_policy import HostLimits
from linkcheck.health.freshness import forbids_caching
from linkcheck.model import (
    CacheInfo,
    Drift,
    FailureKind,
    Health,
    LinkRef,
    Outcome,
    RecordError,
    RecordHealth,
    UrlResult,
)
from linkcheck.output import write_chunks
from linkcheck.reports.source import TOP_LEVEL, Report, as_report
from linkcheck.store.report import LISTS
from linkcheck.store.verdict_rows import drift_value, parse_iso

SCHEMA = "linkcheck-report/1"


@dataclass(frozen=True)
class RunInfo:
    """What the report says about the run itself."""

    started_at: datetime
    finished_at: datetime
    config: Mapping[str, Any]
    requests: int
    complete: bool = True
    skipped_files: int = 0
    degraded: Mapping[str, Any] | None = None  # outage.Degraded.to_dict(), when degraded
    # The input paths as given (a glob: its folder part): unpublish edits only under them.
    roots: tuple[str, ...] = ()
    # Hosts whose request limit moved or that were paused (``host_limits_entry``).
    host_limits: Sequence[Mapping[str, Any]] = ()
    # The run deadline (http.run_deadline_s) passed: URLs left were reported unchecked.
    deadline_reached: bool = False


def make_summary(
    run: RunInfo,
    *,
    records: int,
    links: int,
    unique_urls: int,
    by_outcome: Mapping[str, int],
    by_health: Mapping[str, int],
    unpublish: int,
    from_cache: int,
    errors: int,
) -> dict[str, Any]:
    """The report's ``summary``; ``records`` counts the records read, ``errors`` the inputs
    that could not be (each counts as a record too: nothing read is left out)."""
    return {
        "records": records + errors,
        "records_with_errors": errors,
        "links": links,
        "unique_urls": unique_urls,
        "requests": run.requests,
        "by_outcome": {o.value: by_outcome.get(o.value, 0) for o in Outcome},
        "by_health": {h.value: by_health.get(h.value, 0) for h in Health},
        "unpublish": unpublish,
        "from_cache": from_cache,
        "errors": errors,
        "skipped_files": run.skipped_files,
    }


def report_head(
    run: RunInfo,
    summary: Mapping[str, Any],
    changes: Mapping[str, Any] | None,
    errors: Sequence[RecordError],
    republish: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Every top-level key of the report but the two big lists."""
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
            "roots": list(run.roots),
            "degraded": dict(run.degraded) if run.degraded else None,
            "host_limits": [dict(h) for h in run.host_limits],
            "deadline_reached": run.deadline_reached,
        },
        "summary": dict(summary),
        "changes": dict(changes) if changes is not None else None,
        "republish": [dict(entry) for entry in republish],
        "errors": [
            {"source": e.source, "line": e.line, "message": mask_text(e.message)} for e in errors
        ],
    }


def host_limits_entry(host: str, limits: HostLimits) -> dict[str, Any]:
    """One host's adaptive limit over the run: the lowest and highest number of requests
    it was allowed in flight, and the seconds it was paused (its 429s' Retry-After)."""
    return {
        "host": host,
        "limit_min": limits.lowest,
        "limit_max": limits.highest,
        "paused_s": round(limits.paused_s, 3),
    }


def url_entry(result: UrlResult, referrers: Mapping[str, int] | None = None) -> dict[str, Any]:
    return {
        "url": result.url,
        "outcome": result.outcome.value,
        "status": result.status,
        "final_url": result.final_url,
        "redirects": [{"url": h.url, "status": h.status} for h in result.redirects],
        "permanent_redirect": result.permanent_redirect,
        "error": result.error,
        "failure": result.failure.value if result.failure else None,
        "content_type": result.content_type,
        "elapsed_ms": result.elapsed_ms,
        "attempts": result.attempts,
        "requests": result.requests,
        "from_cache": result.from_cache,
        "cache": _cache_entry(result.cache),
        "issues": list(result.issues),
        "referrers": referrers.get(result.url, result.referrers) if referrers else result.referrers,
        "content_length": result.content_length,
        "image_size": list(result.image_size) if result.image_size else None,
        "checked_at": _iso(result.checked_at) if result.checked_at else None,
        **_drift_entry(result.drift),
        **_fragments_entry(result.missing_fragments),
    }


def _fragments_entry(missing: Sequence[str]) -> dict[str, Any]:
    """``missing_fragments``, only on a URL with the fragment_missing issue."""
    return {"missing_fragments": list(missing)} if missing else {}


def _drift_entry(drift: Drift | None) -> dict[str, Any]:
    """``content_drift``, only on a URL with that issue: the titles compared and the scores."""
    if drift is None:
        return {}
    return {
        "content_drift": {
            "page_title": drift.page_title,
            "record_title": drift.record_title,
            "score": drift.score,
            "first_seen_title": drift.first_seen_title,
            "first_seen_score": drift.first_seen_score,
            "against": drift.against,
        }
    }


def url_entry_from_row(
    row: Sequence[Any], requests: int, referrers: int, from_cache: bool | None = None
) -> dict[str, Any]:
    """``url_entry(verdict_rows.from_row(row, from_cache, requests, referrers))``, built
    straight from the stored columns: a re-run writes ~100,000 of these (its reused
    verdicts) while its requests are in flight, and building each verdict as an object
    first doubled that work. tests/test_report_streaming.py checks both give the same."""
    (url, outcome, status, final_url, etag, last_modified, elapsed, checked, failure, error,
     redirects, content_type, length, width, height, fresh, lifetime, age, expires,
     cache_control, _, issues, attempts, cached, drift, _, missing) = row  # fmt: skip
    hops = json.loads(redirects) if redirects else ()
    moment = parse_iso(checked)
    fresh_value = None if fresh is None else bool(fresh)
    return {
        "url": url,
        "outcome": outcome if outcome in _OUTCOMES else Outcome.INVALID.value,
        "status": status,
        "final_url": final_url or url,
        "redirects": [{"url": u, "status": s} for u, s in hops],
        "permanent_redirect": any(s in (301, 308) for _, s in hops),
        "error": error,
        "failure": failure if failure in _FAILURES else None,
        "content_type": content_type,
        "elapsed_ms": elapsed or 0,
        "attempts": attempts or 0,
        "requests": requests,
        "from_cache": bool(cached) if from_cache is None else from_cache,
        "cache": {
            "fresh": fresh_value,
            "freshness_lifetime_s": lifetime,
            "age_s": age,
            "etag": etag,
            "last_modified": last_modified,
            "expires": expires,
            "cache_control": cache_control,
            "cacheable": cacheable(cache_control, fresh_value, lifetime),
        },
        "issues": list(json.loads(issues)) if issues else [],
        "referrers": referrers,
        "content_length": length,
        "image_size": [width, height] if width is not None and height is not None else None,
        "checked_at": _iso(moment) if moment else None,
        **_drift_entry(drift_value(drift)),
        **_fragments_entry(json.loads(missing) if missing else ()),
    }


_OUTCOMES = {o.value for o in Outcome}
_FAILURES = {f.value for f in FailureKind}


def _cache_entry(cache: CacheInfo | None) -> dict[str, Any]:
    if cache is None:
        cache = CacheInfo(fresh=None, freshness_lifetime_s=None, age_s=None)
    return {
        "fresh": cache.fresh,
        "freshness_lifetime_s": cache.freshness_lifetime_s,
        "age_s": cache.age_s,
        "etag": cache.etag,
        "last_modified": cache.last_modified,
        "expires": cache.expires,
        "cache_control": cache.cache_control,
        "cacheable": cacheable(cache.cache_control, cache.fresh, cache.freshness_lifetime_s),
    }


def cacheable(cache_control: str | None, fresh: bool | None, lifetime: int | None) -> bool | None:
    """``cache.cacheable``: False when the response forbids caching (no-store, no-cache,
    private), None when nothing is known of its caching, else True."""
    if forbids_caching(cache_control):
        return False
    if cache_control is None and fresh is None and lifetime is None:
        return None
    return True


def record_entry(record: RecordHealth) -> dict[str, Any]:
    """A record's entry; its free text (title, messages) with any URL's credentials masked,
    as its links' URLs already are (credentials.py)."""
    return {
        "source": record.source,
        "record": record.record_key or record.source,
        "line": record.line,
        "title": mask_text(record.title) if record.title else record.title,
        "published": record.published,
        "health": record.health.value,
        "links": [link_entry(link) for link in record.links],
        "issues": [
            {"code": f.code, "field": f.field, "message": mask_text(f.message), "line": f.line}
            for f in record.issues
        ],
        "unpublish": record.unpublish,
        "unpublish_reasons": [mask_text(r) for r in record.unpublish_reasons],
    }


def link_entry(link: LinkRef) -> dict[str, Any]:
    return {
        "field": link.field,
        "role": link.role.value,
        "url": link.shown_url if link.url is not None else link.raw,
        "line": link.line,
    }


def render_json(report: Mapping[str, Any]) -> str:
    """Indented UTF-8 JSON; orjson writes it in C (the stdlib's indenting encoder is pure Python,
    about 60 times slower on a 100k-URL report)."""
    return render_json_bytes(report).decode()


def render_json_bytes(report: Mapping[str, Any]) -> bytes:
    """``render_json`` as the UTF-8 bytes a file gets: writing the report skips a decode and
    an encode of ~50 MB (0.5 s of a 10k-record re-run)."""
    return orjson.dumps(report, option=orjson.OPT_INDENT_2, default=str) + b"\n"


def write_json(report: Report | Mapping[str, Any], path: str | Path) -> Path:
    """Stream the report into ``path`` atomically: the same bytes as ``render_json_bytes``."""
    return write_chunks(path, json_pieces(as_report(report)))


def json_pieces(report: Report) -> Iterator[bytes]:
    """``render_json_bytes`` of the report as a stream of pieces, one list entry at a time.

    orjson's two-space indent is regular: a value nested at depth d has its lines indented
    by 2*d spaces, and no JSON string holds a raw newline. So each top-level key is dumped
    alone (as a one-key object, its lines already at depth 1) and each list entry alone,
    its lines shifted by four spaces; the glue between them is what orjson writes.
    """
    head = report.head
    keys = [k for k in TOP_LEVEL if k in head or k in LISTS]
    keys += [k for k in head if k not in TOP_LEVEL]
    yield b"{\n"
    for i, key in enumerate(keys):
        if i:
            yield b",\n"
        if key in LISTS:
            texts = report.url_texts() if key == "urls" else report.record_texts()
            yield from _list_pieces(key, texts)
        else:
            yield _dump({key: head[key]})[2:-2]
    yield b"\n}\n"


def _list_pieces(key: str, texts: Iterable[bytes]) -> Iterator[bytes]:
    """``  "key": [`` entries ``  ]``, or ``  "key": []`` when there are none; each entry
    comes as its ``report_source.entry_text``."""
    opened = False
    for text in texts:
        if not opened:
            yield b"  " + _dump(key) + b": [\n    "
            opened = True
        else:
            yield b",\n    "
        yield text
    yield b"\n  ]" if opened else b"  " + _dump(key) + b": []"


def _dump(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str)


@functools.lru_cache(maxsize=4096)
def _iso(moment: datetime) -> str:
    # Cached: verdicts reused from history share a handful of second-resolution times,
    # and strftime on 100k of them was a visible part of building the report.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
