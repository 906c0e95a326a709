"""The unpublish rule: when is a published article dead enough to take down?

Pure. A record is flagged only when all of these hold:
- it says ``published: true`` (a boolean; the string "true" is not a flag);
- its article link (originalUrl, else webUrl) is *definitively* dead in this
  run: a 4xx other than 429 (``broken``), or ``unreachable`` because the name
  does not resolve or the connection is refused;
- it has been so for ``unpublish.min_runs`` consecutive runs, or for
  ``unpublish.min_days`` days (0 turns the day rule off), unless an immediate
  rule applies: HTTP 410 Gone (``immediate_gone``, on by default) or a name
  that no longer resolves (``immediate_dns``, off by default).

Transient failures (timeouts, 5xx, 429, bot walls, connection resets) never
flag, and they do not reset the count either: ``changes.dead_streak`` skips
them and only an ``ok`` ends a streak. So a site that is down one night and
gone the next is counted from its first definitive answer, and a flaky night
never restarts a clock that was already running.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from http import HTTPStatus

from linkcheck.changes import Streak, iso_utc
from linkcheck.config import UnpublishConfig
from linkcheck.model import FailureKind, LinkRef, Record, UrlResult

ARTICLE_FIELDS = ("originalUrl", "webUrl")


def article_link(links: Sequence[LinkRef]) -> LinkRef | None:
    """The link that *is* the article: originalUrl, else webUrl (top level, not related[])."""
    by_field = {link.field: link for link in links}
    for name in ARTICLE_FIELDS:
        link = by_field.get(name)
        if link is not None and link.url is not None:
            return link
    return None


def unpublish_decision(
    record: Record,
    article_url: str | None,
    result: UrlResult | None,
    streak: Streak | None,
    config: UnpublishConfig,
    now: datetime,
    archived: str | None = None,
) -> tuple[bool, list[str], str | None]:
    """(flag, reasons, since): whether to unpublish, why, and since when (ISO UTC).

    ``streak`` is ``changes.dead_streak`` for the article URL; None means no
    history, so the streak is this run alone. ``archived`` is a web-archive
    copy of the article, added to the reason as a replacement to consider.
    """
    if record.published is not True or article_url is None or result is None:
        return False, [], None
    if not result.definitively_dead:
        return False, [], None
    if streak is None or streak.runs < 1:
        streak = Streak(1, result.checked_at or now)
    since = streak.since or result.checked_at or now
    if not (_immediate(result, config) or _long_enough(streak, since, config, now)):
        return False, [], _iso(since)
    reason = f"{_field(record)}: {_cause(result)} since {since:%Y-%m-%d} ({_count(streak)})"
    if archived:
        reason += f"; archived copy: {archived}"
    return True, [reason], _iso(since)


def _immediate(result: UrlResult, config: UnpublishConfig) -> bool:
    if config.immediate_gone and result.status == HTTPStatus.GONE:
        return True
    return config.immediate_dns and result.failure is FailureKind.NXDOMAIN


def _long_enough(streak: Streak, since: datetime, config: UnpublishConfig, now: datetime) -> bool:
    if streak.runs >= config.min_runs:
        return True
    return config.min_days > 0 and now - since >= timedelta(days=config.min_days)


def _field(record: Record) -> str:
    for name in ARTICLE_FIELDS:
        value = record.fields.get(name)
        if isinstance(value, str) and value.strip():
            return name
    return ARTICLE_FIELDS[0]


def _cause(result: UrlResult) -> str:
    if result.failure is FailureKind.NXDOMAIN:
        return "name does not resolve"
    if result.failure is FailureKind.REFUSED:
        return "connection refused"
    if result.status is None:
        return result.error or result.outcome.value
    try:
        phrase = HTTPStatus(result.status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP {result.status} {phrase}".rstrip()


def _count(streak: Streak) -> str:
    more = "+" if streak.capped else ""
    return f"{streak.runs}{more} run{'' if streak.runs == 1 and not more else 's'}"


def _iso(moment: datetime) -> str:
    return iso_utc(moment) or ""
