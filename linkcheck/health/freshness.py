"""HTTP cache freshness of one response, by the rules of RFC 9111 section 4.2.

Pure: every function takes ``now`` (and optionally the request and response
times) as arguments, so time-dependent answers are tested without sleeping.
linkcheck looks at a response the way a *shared* cache (a CDN, the AMP cache)
would by default, so ``s-maxage`` wins over ``max-age`` and ``private`` makes a
response unfit to be served fresh.

Malformed values never raise; they follow the RFC's advice:

- an invalid ``Expires`` (including ``0``) is a time in the past (section 5.3);
- an invalid or missing ``Date`` is replaced by the response time (RFC 9110 6.6.1);
- an invalid ``Age`` is ignored (section 5.1);
- an invalid, negative or conflicting duplicate ``max-age``/``s-maxage`` makes
  the response stale ("either the first occurrence should be used or the
  response should be considered stale", section 4.2.1) - we take the strict one;
- delta-seconds above 2**31 are clamped to 2**31 (section 1.2.2).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from linkcheck.model import CacheInfo

MAX_DELTA = 2**31
# RFC 9110 section 15.1: status codes that are heuristically cacheable.
HEURISTIC_STATUSES = frozenset({200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501})
_INVALID = -1  # marker: a directive is present but its value is unusable


def cache_info(
    headers: Mapping[str, str],
    now: datetime,
    *,
    heuristic_fraction: float = 0.1,
    response_time: datetime | None = None,
    request_time: datetime | None = None,
    status: int | None = 200,
    shared: bool = True,
) -> CacheInfo:
    """Freshness lifetime, current age and ``fresh`` of a response; headers with lower-case names.

    ``fresh`` is None when nothing tells the lifetime (no explicit expiry and no
    Last-Modified to base a heuristic on), or when the response may not be cached at all
    (``forbids_caching``): freshness does not apply to it.
    """
    response_time = _utc(response_time or now)
    request_time = _utc(request_time or response_time)
    now = _utc(now)
    directives = parse_cache_control(headers.get("cache-control", ""))
    date_value = parse_http_date(headers.get("date")) or response_time
    lifetime = freshness_lifetime(
        headers, directives, date_value, heuristic_fraction, status, shared
    )
    age = current_age(headers, date_value, now, response_time, request_time)
    # A response that may not be stored (no-store, no-cache, private for a shared cache)
    # is never fresh or stale: freshness does not apply to it.
    cacheable = not _forbidden(directives, shared)
    return CacheInfo(
        fresh=None if lifetime is None or not cacheable else lifetime > age,
        freshness_lifetime_s=lifetime,
        age_s=age,
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        expires=headers.get("expires"),
        cache_control=headers.get("cache-control"),
        date=headers.get("date"),
    )


@functools.lru_cache(maxsize=4096)
def forbids_caching(cache_control: str | None, shared: bool = True) -> bool:
    """Whether a response's Cache-Control forbids a (shared) cache to serve it unchecked:
    ``no-store``, ``no-cache`` (unqualified), or ``private`` for a shared cache.

    Cached: every report entry asks it, and a site sends the same few header values."""
    return _forbidden(parse_cache_control(cache_control or ""), shared)


def _forbidden(directives: Mapping[str, list[str | None]], shared: bool) -> bool:
    if _unqualified(directives, "no-store") or _unqualified(directives, "no-cache"):
        return True
    return shared and _unqualified(directives, "private")


def freshness_lifetime(
    headers: Mapping[str, str],
    directives: Mapping[str, list[str | None]],
    date_value: datetime,
    heuristic_fraction: float = 0.1,
    status: int | None = 200,
    shared: bool = True,
) -> int | None:
    """Seconds the response stays fresh (section 4.2.1); 0 when it may not be served unchecked."""
    if _forbidden(directives, shared):
        return 0
    for name in ("s-maxage", "max-age") if shared else ("max-age",):
        if name in directives:
            seconds = _delta_seconds(directives[name])
            return 0 if seconds == _INVALID else seconds
    if "expires" in headers:
        expires = parse_http_date(headers["expires"])
        if expires is None:
            return 0  # section 5.3: an invalid date means "already expired"
        return max(0, int((expires - date_value).total_seconds()))
    return _heuristic(headers, directives, date_value, heuristic_fraction, status)


def current_age(
    headers: Mapping[str, str],
    date_value: datetime,
    now: datetime,
    response_time: datetime,
    request_time: datetime,
) -> int:
    """Section 4.2.3: corrected initial age plus the time the response has been held."""
    age_value = _age_header(headers.get("age"))
    apparent_age = max(0.0, (response_time - date_value).total_seconds())
    response_delay = max(0.0, (response_time - request_time).total_seconds())
    corrected_age_value = age_value + response_delay
    corrected_initial_age = max(apparent_age, corrected_age_value)
    resident_time = max(0.0, (now - response_time).total_seconds())
    return int(corrected_initial_age + resident_time)


def parse_cache_control(value: str) -> dict[str, list[str | None]]:
    """Directive name (lower case) -> every value given, in order; None for a bare directive."""
    directives: dict[str, list[str | None]] = {}
    for part in _split_commas(value):
        name, eq, arg = part.partition("=")
        name = name.strip().lower()
        if not name:
            continue
        arg_value: str | None = _unquote(arg.strip()) if eq else None
        directives.setdefault(name, []).append(arg_value)
    return directives


def parse_http_date(value: str | None) -> datetime | None:
    """IMF-fixdate, RFC 850 or asctime (RFC 9110 5.6.7), as aware UTC; None when invalid."""
    if not value or value.count(",") > 1:  # more than one date: two header lines joined
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    return _utc(parsed)


def _heuristic(
    headers: Mapping[str, str],
    directives: Mapping[str, list[str | None]],
    date_value: datetime,
    fraction: float,
    status: int | None,
) -> int | None:
    """Section 4.2.2: a fraction of the time since Last-Modified, for cacheable statuses only."""
    if status not in HEURISTIC_STATUSES and "public" not in directives:
        return None
    last_modified = parse_http_date(headers.get("last-modified"))
    if last_modified is None or last_modified > date_value:
        return None
    return min(MAX_DELTA, int((date_value - last_modified).total_seconds() * fraction))


def _delta_seconds(values: list[str | None]) -> int:
    """One delta-seconds value, or _INVALID for a bad, negative or conflicting one."""
    parsed = {_one_delta(v) for v in values}
    if len(parsed) != 1:
        return _INVALID
    return parsed.pop()


def _one_delta(value: str | None) -> int:
    if value is None or not value.isascii() or not value.isdigit():
        return _INVALID
    return min(MAX_DELTA, int(value))


def _age_header(value: str | None) -> int:
    """Section 5.1: a non-negative integer; anything else is ignored (0)."""
    if value is None:
        return 0
    first = value.split(",")[0].strip()
    if not first.isascii() or not first.isdigit():
        return 0
    return min(MAX_DELTA, int(first))


def _unqualified(directives: Mapping[str, list[str | None]], name: str) -> bool:
    """no-cache="Set-Cookie" restricts only some fields; a bare no-cache covers the response."""
    return name in directives and None in directives[name]


def _split_commas(value: str) -> list[str]:
    """Split on commas outside quoted strings (a no-cache="a, b" argument holds commas)."""
    parts, current, quoted, escaped = [], [], False, False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"')
    return value


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
