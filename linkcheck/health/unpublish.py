"""The unpublish rule: when is a published article gone for long enough to take down?

Pure. A record is flagged only when all of these hold:
- it says ``published: true`` (a boolean; the string "true" is not a flag);
- the run is not degraded (the caller never asks then: run.py);
- its article link — ``originalUrl``, else ``webUrl``, the first that is a checkable
  URL — gives evidence that it is gone in this run (gone.py: a status in
  ``unpublish.dead_statuses``, NXDOMAIN, a refused connection, a soft-dead page);
- that evidence has held long enough for its kind:
  - a dead status or NXDOMAIN: ``unpublish.min_runs`` consecutive runs, or
    ``unpublish.min_days`` days (0 turns the day rule off); at once for HTTP 410
    (``immediate_gone``, on by default) or NXDOMAIN (``immediate_dns``, off by default);
  - a refused connection: the same, and never on its first run;
  - a soft-dead page: ``unpublish.soft_min_runs`` consecutive runs.

The reason names the field and its URL, what it answered, on how many runs and since
when, so an editor can check it by hand:
``webUrl https://example.org/a answered 404 Not Found on 3 runs since 2026-12-01``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from http import HTTPStatus
from urllib.parse import urlsplit

from linkcheck.config import UnpublishConfig
from linkcheck.health.changes import Streak, iso_utc
from linkcheck.health.gone import Evidence, GoneRule, soft_code
from linkcheck.model import Finding, LinkRef, Record, UrlResult

ARTICLE_FIELDS = ("originalUrl", "webUrl")
# Runs a refused connection must have lasted: a server down for one night refuses too.
REFUSED_MIN_RUNS = 2
_SOFT_WORDS = {
    "soft_404": "is a page that says it is missing",
    "redirect_to_home": "redirects to the site's front page",
    "parked_domain": "shows a parked or for-sale domain",
}


def article_link(links: Sequence[LinkRef]) -> LinkRef | None:
    """The link that *is* the article: originalUrl, else webUrl (top level, not related[]),
    the first whose value is a checkable URL."""
    by_field = {link.field: link for link in links}
    for name in ARTICLE_FIELDS:
        link = by_field.get(name)
        if link is not None and link.url is not None:
            return link
    return None


def unpublish_decision(
    record: Record,
    article: LinkRef | None,
    result: UrlResult | None,
    streak: Streak | None,
    config: UnpublishConfig,
    now: datetime,
    archived: str | None = None,
) -> tuple[bool, list[str], str | None]:
    """(flag, reasons, since): whether to unpublish, why, and since when (ISO UTC).

    ``streak`` is ``gone.gone_streak`` of the article URL; None means no history, so the
    streak is this run alone. ``archived`` is a web-archive copy of the article, added to
    the reason as a replacement to consider.
    """
    if record.published is not True or article is None or result is None:
        return False, [], None
    evidence = GoneRule.of(config).of_result(result)
    if evidence is None:
        return False, [], None
    if streak is None or streak.runs < 1:
        streak = Streak(1, result.checked_at or now)
    since = streak.since or result.checked_at or now
    if not _enough(evidence, result, streak, since, config, now):
        return False, [], _iso(since)
    reason = (
        f"{article.field} {article.url} {_what(evidence, result)} "
        f"on {_count(streak)} since {since:%Y-%m-%d}"
    )
    if archived:
        reason += f"; archived copy: {archived}"
    return True, [reason], _iso(since)


def article_gone(article: LinkRef | None, result: UrlResult | None) -> Finding | None:
    """The record issue ``article_gone`` when its article link answers with a page that is
    not the article any more (a soft-dead code on it), naming the code."""
    if article is None or result is None:
        return None
    code = soft_code(result.issues)
    if code is None:
        return None
    return Finding("article_gone", article.field, f"{article.url} {_soft_words(code, result)}")


def _enough(
    evidence: Evidence,
    result: UrlResult,
    streak: Streak,
    since: datetime,
    config: UnpublishConfig,
    now: datetime,
) -> bool:
    if evidence is Evidence.SOFT:
        return streak.runs >= config.soft_min_runs
    if evidence is Evidence.REFUSED:
        return streak.runs >= REFUSED_MIN_RUNS and _long_enough(streak, since, config, now)
    if evidence is Evidence.STATUS and config.immediate_gone and result.status == HTTPStatus.GONE:
        return True
    if evidence is Evidence.NXDOMAIN and config.immediate_dns:
        return True
    return _long_enough(streak, since, config, now)


def _long_enough(streak: Streak, since: datetime, config: UnpublishConfig, now: datetime) -> bool:
    if streak.runs >= config.min_runs:
        return True
    return config.min_days > 0 and now - since >= timedelta(days=config.min_days)


def _what(evidence: Evidence, result: UrlResult) -> str:
    """What the link did, as the reason says it."""
    if evidence is Evidence.STATUS:
        return f"answered {_status(result.status)}"
    if evidence is Evidence.NXDOMAIN:
        host = urlsplit(result.url).hostname or result.url
        return f"has a host name that does not exist ({host}: NXDOMAIN)"
    if evidence is Evidence.REFUSED:
        return "refused the connection"
    code = soft_code(result.issues) or ""
    return _soft_words(code, result)


def _soft_words(code: str, result: UrlResult) -> str:
    words = _SOFT_WORDS.get(code, "answered with a page that is not the article")
    if code == "redirect_to_home" and result.final_url and result.final_url != result.url:
        words += f" {result.final_url}"
    return f"{words} ({code})"


def _status(status: int | None) -> str:
    try:
        phrase = HTTPStatus(status or 0).phrase
    except ValueError:
        phrase = ""
    return f"{status} {phrase}".rstrip()


def _count(streak: Streak) -> str:
    more = "+" if streak.capped else ""
    return f"{streak.runs}{more} run{'' if streak.runs == 1 and not more else 's'}"


def _iso(moment: datetime) -> str:
    return iso_utc(moment) or ""
