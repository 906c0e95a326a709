"""Is an article page still the article? ``parked_domain`` and ``content_drift`` for one URL.

Pure: reads the fetched answer, the page's names (``content.scan_html``), the titles the
records give this URL (``UrlCheck.titles``) and the title history first saw there
(``UrlCheck.first_title``). Parking is judged first: a parked page is not "another article".
Drift is not judged on a page that already says it is gone (``soft_404``,
``redirect_to_home``: the latter has its own code) nor on one without a name.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Protocol

from linkcheck.config import ContentConfig
from linkcheck.credentials import mask_text
from linkcheck.health.drift import CONTENT_DRIFT, best_match, judge_titles
from linkcheck.health.parking import PARKED_DOMAIN, ParkingMarkers, parking_marker, shipped_markers
from linkcheck.model import Drift, Fetched, UrlCheck

# Codes after which a page is not judged for drift: it is already not the article.
_GONE_ALREADY = frozenset({"soft_404", "redirect_to_home", PARKED_DOMAIN})


class PageNames(Protocol):
    title: str | None
    og_title: str | None
    h1: str | None


def identity_issues(
    fetched: Fetched,
    check: UrlCheck,
    config: ContentConfig,
    page: PageNames | None,
    found: Sequence[str],
) -> tuple[list[str], Drift | None]:
    """The identity codes of one article URL answered 2xx, and the drift's detail.

    ``found`` holds the codes already given to the URL (soft_404, redirect_to_home...).
    """
    codes: list[str] = []
    names = _names(page)
    if config.parked_domain:
        hops = [*(hop.url for hop in fetched.redirects), fetched.final_url or fetched.url]
        title = " ".join(check.titles)
        if parking_marker(hops, fetched.body, names, markers(config), title) is not None:
            codes.append(PARKED_DOMAIN)
    drift = None
    if (
        config.content_drift
        and page is not None
        and not _GONE_ALREADY.intersection([*found, *codes])
    ):
        drift = judge_titles(names, check.titles, check.first_title, config.drift_threshold)
        if drift is not None:
            codes.append(CONTENT_DRIFT)
    return codes, drift


def confirmed_title(page: PageNames | None, check: UrlCheck, config: ContentConfig) -> str | None:
    """The page's name that history keeps as "what the page said when it was fine": only a
    name that resembles a record's title, so a page that had already drifted when first
    checked (or while drift was off) is never taken for the article."""
    if page is None or not config.content_drift:
        return None
    names = [n.strip() for n in _names(page) if n and n.strip()]
    for title in check.titles:
        match = best_match(title, names)
        if match is not None and match[1] >= config.drift_threshold:
            return match[0][:300]
    return None


def _names(page: PageNames | None) -> tuple[str | None, ...]:
    """The page's names, any URL credentials in them masked: they reach reports and history."""
    if page is None:
        return ()
    names = (page.title, page.og_title, page.h1)
    return tuple(mask_text(n) if n and "@" in n else n for n in names)


def markers(config: ContentConfig) -> ParkingMarkers:
    """The shipped parking markers extended by the config's (built once per setting)."""
    return _markers(config.parking_hosts, config.parking_markup, config.parking_phrases)


@functools.lru_cache(maxsize=8)
def _markers(
    hosts: tuple[str, ...], markup: tuple[str, ...], phrases: tuple[str, ...]
) -> ParkingMarkers:
    return shipped_markers().extended(hosts, markup, phrases)
