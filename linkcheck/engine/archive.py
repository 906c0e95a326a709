"""A dead article may live on in a web archive: look for a copy to suggest.

Uses the Wayback Machine's availability API (``GET {endpoint}?url=<url>``,
answering ``{"archived_snapshots": {"closest": {"available": true, "url": ...}}}``).
It is a suggestion only, so every failure (timeout, 5xx, a body that is not
the expected JSON) is simply "no suggestion" (None) and never stops a run.
Lookups run a few at a time (``archive.max_concurrency``) with a bound per
lookup (``archive.timeout_s``), to be polite to a free public service.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

import aiohttp

from linkcheck.config import ArchiveConfig


async def lookup_archives(
    urls: Iterable[str],
    config: ArchiveConfig,
    session: aiohttp.ClientSession | None = None,
    user_agent: str | None = None,
) -> dict[str, str | None]:
    """Each URL's closest archived copy, or None when there is none or the lookup failed."""
    wanted = sorted(set(urls))
    if not wanted:
        return {}
    if session is None:
        headers = {"User-Agent": user_agent} if user_agent else None
        async with aiohttp.ClientSession(headers=headers) as own:
            return await _lookup_all(wanted, config, own)
    return await _lookup_all(wanted, config, session)


async def _lookup_all(
    urls: list[str], config: ArchiveConfig, session: aiohttp.ClientSession
) -> dict[str, str | None]:
    gate = asyncio.Semaphore(max(config.max_concurrency, 1))

    async def one(url: str) -> str | None:
        async with gate:
            return await lookup_archive(url, config, session)

    found = await asyncio.gather(*(one(url) for url in urls))
    return dict(zip(urls, found, strict=True))


async def lookup_archive(
    url: str, config: ArchiveConfig, session: aiohttp.ClientSession
) -> str | None:
    timeout = aiohttp.ClientTimeout(total=config.timeout_s)
    try:
        async with session.get(config.endpoint, params={"url": url}, timeout=timeout) as response:
            if response.status != 200:
                return None
            data = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None
    return snapshot_url(data)


def snapshot_url(data: Any) -> str | None:
    """The copy's URL from an availability answer, or None for anything unexpected."""
    if not isinstance(data, Mapping):
        return None
    snapshots = data.get("archived_snapshots")
    closest = snapshots.get("closest") if isinstance(snapshots, Mapping) else None
    if not isinstance(closest, Mapping) or closest.get("available") is not True:
        return None
    found = closest.get("url")
    if not isinstance(found, str) or not found.startswith(("http://", "https://")):
        return None
    return found
