"""A verdict (``UrlResult``) as one row of plain column values.

The history store and a run's work store keep verdicts in this same shape, so that moving
them between the two is one ``INSERT ... SELECT`` inside SQLite: a re-run reuses ~95% of
its verdicts from history, and a run writes every verdict back, and building a Python
object per row each way cost more than the rest of a re-run's bookkeeping.

The shape of the exchange, for ``history.HistoryStore.reuse_into`` and ``write_run``: a work
store has ``urls (url, referrers, ...)`` (the run's unique URLs) and ``results (COLUMNS...,
requests, referrers)`` (its verdicts).

Times are kept as fixed-width UTC text at second resolution (``2026-11-26T03:00:00Z``): they
compare as strings, and the report shows no finer time.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from linkcheck.health.changes import iso_utc
from linkcheck.model import CacheInfo, Drift, FailureKind, Hop, Outcome, UrlResult

# fmt: off
COLUMNS = (
    "url", "outcome", "status", "final_url", "etag", "last_modified", "elapsed_ms",
    "checked_at", "failure", "error", "redirects", "content_type", "content_length",
    "image_width", "image_height", "cache_fresh", "freshness_lifetime_s", "age_s", "expires",
    "cache_control", "cache_date", "issues", "attempts", "from_cache", "drift", "page_title",
    "missing_fragments",
)
# fmt: on

# Column types, for a table that stores the shape (the work store's).
COLUMN_TYPES = {
    "url": "TEXT NOT NULL",
    "outcome": "TEXT NOT NULL",
    "status": "INTEGER",
    "elapsed_ms": "INTEGER",
    "content_length": "INTEGER",
    "image_width": "INTEGER",
    "image_height": "INTEGER",
    "cache_fresh": "INTEGER",
    "freshness_lifetime_s": "INTEGER",
    "age_s": "INTEGER",
    "attempts": "INTEGER",
    "from_cache": "INTEGER NOT NULL DEFAULT 0",
}

# Stored verdict columns a run fills with text, and with counts (0 or more).
_TEXT = ("final_url", "etag", "last_modified", "checked_at", "error", "content_type",
         "expires", "cache_control", "cache_date", "page_title")  # fmt: skip
_COUNTS = ("elapsed_ms", "content_length", "image_width", "image_height",
           "freshness_lifetime_s", "age_s", "attempts")  # fmt: skip
# An issue code as the contract spells them.
_CODE = "(j.value GLOB '[a-z]*' AND j.value NOT GLOB '*[^a-z0-9_]*')"


def trusted(alias: str) -> str:
    """An SQL condition that holds only for a verdict row (``alias.COLUMNS``) a run could
    have written: each column of its kind, outcomes and failures from their closed sets,
    statuses of three digits, redirects and issues as the JSON ``to_row`` writes.

    What the history store hands back is untrusted (it may come from a CI cache or a
    checkout); a row failing this is treated as absent, so the URL is asked again.
    """
    a = alias
    outcomes = ", ".join(f"'{o.value}'" for o in Outcome)
    failures = ", ".join(f"'{f.value}'" for f in FailureKind)
    parts = [
        f"typeof({a}.url) = 'text'",
        f"{a}.outcome IN ({outcomes})",
        f"({a}.status IS NULL OR (typeof({a}.status) = 'integer' "
        f"AND {a}.status BETWEEN 100 AND 999))",
        f"({a}.failure IS NULL OR {a}.failure IN ({failures}))",
        f"({a}.cache_fresh IS NULL OR {a}.cache_fresh IN (0, 1))",
        f"{a}.from_cache IN (0, 1)",
        *(f"({a}.{c} IS NULL OR typeof({a}.{c}) = 'text')" for c in _TEXT),
        *(f"({a}.{c} IS NULL OR (typeof({a}.{c}) = 'integer' AND {a}.{c} >= 0))" for c in _COUNTS),
        f"""({a}.redirects IS NULL OR (json_valid({a}.redirects)
             AND json_type({a}.redirects) = 'array' AND NOT EXISTS (
             SELECT 1 FROM json_each({a}.redirects) j WHERE j.type != 'array'
             OR json_array_length(j.value) != 2 OR json_type(j.value, '$[0]') != 'text'
             OR json_type(j.value, '$[1]') != 'integer'
             OR j.value ->> 1 NOT BETWEEN 100 AND 999)))""",
        f"""({a}.issues IS NULL OR (json_valid({a}.issues) AND json_type({a}.issues) = 'array'
             AND NOT EXISTS (SELECT 1 FROM json_each({a}.issues) j
             WHERE j.type != 'text' OR NOT {_CODE})))""",
        f"""({a}.drift IS NULL OR (json_valid({a}.drift) AND json_type({a}.drift) = 'array'
             AND json_array_length({a}.drift) = 6
             AND json_type({a}.drift, '$[0]') = 'text' AND json_type({a}.drift, '$[1]') = 'text'
             AND json_type({a}.drift, '$[2]') IN ('integer', 'real')
             AND json_type({a}.drift, '$[3]') IN ('text', 'null')
             AND json_type({a}.drift, '$[4]') IN ('integer', 'real', 'null')
             AND {a}.drift ->> 5 IN ('record', 'first_seen')))""",
        f"""({a}.missing_fragments IS NULL OR (json_valid({a}.missing_fragments)
             AND json_type({a}.missing_fragments) = 'array' AND NOT EXISTS (
             SELECT 1 FROM json_each({a}.missing_fragments) j WHERE j.type != 'text')))""",
    ]
    return "(" + " AND ".join(parts) + ")"


_OUTCOMES = {o.value: o for o in Outcome}
_FAILURES = {f.value: f for f in FailureKind}


def column_list(prefix: str = "") -> str:
    """``COLUMNS`` for an SQL statement, each with ``prefix`` (such as ``r.``)."""
    return ", ".join(prefix + name for name in COLUMNS)


@functools.lru_cache(maxsize=4096)
def iso(moment: datetime) -> str:
    """Stored time text; cached because a run's verdicts share a few seconds."""
    return iso_utc(moment) or ""


@functools.lru_cache(maxsize=4096)
def parse_iso(text: str | None) -> datetime | None:
    """A stored time; cached because reused verdicts share a few second-resolution times."""
    if not text or not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_row(r: UrlResult) -> tuple[Any, ...]:
    """The verdict as ``COLUMNS`` values."""
    cache = r.cache
    size = r.image_size
    return (
        r.url, r.outcome.value, r.status, r.final_url,
        cache.etag if cache else None, cache.last_modified if cache else None,
        r.elapsed_ms, iso(r.checked_at) if r.checked_at else None,
        r.failure.value if r.failure else None, r.error,
        json.dumps([[h.url, h.status] for h in r.redirects]) if r.redirects else None,
        r.content_type, r.content_length,
        size[0] if size else None, size[1] if size else None,
        None if cache is None or cache.fresh is None else int(cache.fresh),
        cache.freshness_lifetime_s if cache else None, cache.age_s if cache else None,
        cache.expires if cache else None, cache.cache_control if cache else None,
        cache.date if cache else None,
        json.dumps(list(r.issues)) if r.issues else None, r.attempts, int(r.from_cache),
        drift_text(r.drift), r.page_title,
        json.dumps(list(r.missing_fragments)) if r.missing_fragments else None,
    )  # fmt: skip


def drift_text(drift: Drift | None) -> str | None:
    """A drift's detail as stored: a JSON array in ``Drift``'s field order."""
    if drift is None:
        return None
    return json.dumps([drift.page_title, drift.record_title, drift.score,
                       drift.first_seen_title, drift.first_seen_score, drift.against])  # fmt: skip


def drift_value(text: str | None) -> Drift | None:
    """The ``Drift`` a stored text holds (checked by ``trusted``)."""
    return Drift(*json.loads(text)) if text else None


def from_row(
    row: Sequence[Any],
    from_cache: bool | None = None,
    requests: int = 0,
    referrers: int = 0,
) -> UrlResult:
    """The verdict a ``COLUMNS`` row holds; ``from_cache`` overrides the stored flag.

    A row whose cache columns are all empty gives ``cache=None`` (the report shows both
    alike); a half-known image size is no size.
    """
    (url, outcome, status, final_url, etag, last_modified, elapsed, checked, failure, error,
     redirects, content_type, length, width, height, fresh, lifetime, age, expires,
     cache_control, cache_date, issues, attempts, cached, drift, page_title,
     missing) = row  # fmt: skip
    if (
        fresh is None
        and lifetime is None
        and age is None
        and etag is None
        and last_modified is None
        and expires is None
        and cache_control is None
        and cache_date is None
    ):
        cache = None
    else:
        cache = CacheInfo(
            None if fresh is None else bool(fresh), lifetime, age, etag, last_modified,
            expires, cache_control, cache_date,
        )  # fmt: skip
    return UrlResult(
        url,
        _OUTCOMES.get(outcome, Outcome.INVALID),
        status,
        final_url or url,
        tuple(Hop(u, s) for u, s in json.loads(redirects)) if redirects else (),
        error,
        _FAILURES.get(failure) if failure else None,
        content_type,
        elapsed or 0,
        attempts or 0,
        requests,
        bool(cached) if from_cache is None else from_cache,
        cache,
        tuple(json.loads(issues)) if issues else (),
        referrers,
        length,
        (width, height) if width is not None and height is not None else None,
        parse_iso(checked),
        drift_value(drift),
        page_title,
        tuple(json.loads(missing)) if missing else (),
    )
