"""Web-archive lookups, against a local fake of the availability API (never the real one)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from aiohttp import web

from linkcheck.config import ArchiveConfig
from linkcheck.engine.archive import lookup_archives, snapshot_url
from tests.localweb import Host, local_web

SNAPSHOT = "http://web.archive.org/web/20201120000000/https://gone.test/a"


class FakeArchive:
    """One behaviour per looked-up URL; records the queries and the peak concurrency."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.in_flight = 0
        self.peak = 0

    async def available(self, request: web.Request) -> web.StreamResponse:
        url = request.query.get("url", "")
        self.queries.append(url)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(0.05)
            return await self.answer(url)
        finally:
            self.in_flight -= 1

    async def answer(self, url: str) -> web.StreamResponse:
        if "slow" in url:
            await asyncio.sleep(5)
        if "error" in url:
            return web.Response(status=503, text="busy")
        if "junk" in url:
            return web.Response(text="<html>not json</html>", content_type="text/html")
        if "none" in url:
            return web.json_response({"url": url, "archived_snapshots": {}})
        if "odd" in url:
            return web.json_response({"archived_snapshots": {"closest": {"available": "yes"}}})
        closest = {"available": True, "url": SNAPSHOT, "timestamp": "20201120000000",
                   "status": "200"}  # fmt: skip
        return web.json_response({"url": url, "archived_snapshots": {"closest": closest}})


@pytest.fixture
def fake() -> Iterator[tuple[FakeArchive, Host]]:
    archive = FakeArchive()
    app = web.Application()
    app.router.add_get("/wayback/available", archive.available)
    with local_web() as web_:
        yield archive, web_.serve(app, "127.0.0.3")


def config(host: Host, **kw) -> ArchiveConfig:
    return ArchiveConfig(enabled=True, endpoint=host.url("/wayback/available"), **kw)


def test_found_missing_and_failed_lookups_are_values(fake) -> None:
    archive, host = fake
    urls = ["https://gone.test/a?x=1&y=2", "https://none.test/", "https://error.test/",
            "https://junk.test/", "https://odd.test/", "https://slow.test/"]  # fmt: skip
    found = asyncio.run(lookup_archives(urls, config(host, timeout_s=0.5)))
    assert found == {urls[0]: SNAPSHOT, **{u: None for u in urls[1:]}}
    assert urls[0] in archive.queries  # the query string survived encoding intact


def test_lookups_are_concurrency_bounded(fake) -> None:
    archive, host = fake
    archive.peak = 0
    urls = [f"https://gone.test/{i}" for i in range(12)]
    found = asyncio.run(lookup_archives(urls, config(host, max_concurrency=3)))
    assert set(found.values()) == {SNAPSHOT}
    assert archive.peak == 3


def test_an_unreachable_archive_means_no_suggestion() -> None:
    unreachable = ArchiveConfig(endpoint="http://127.0.0.1:9/wayback/available", timeout_s=1)
    assert asyncio.run(lookup_archives(["https://a.test/"], unreachable)) == {
        "https://a.test/": None
    }
    assert asyncio.run(lookup_archives([], unreachable)) == {}


def test_snapshot_url_accepts_only_the_documented_shape() -> None:
    closest = {"available": True, "url": SNAPSHOT}
    assert snapshot_url({"archived_snapshots": {"closest": closest}}) == SNAPSHOT
    assert snapshot_url({"archived_snapshots": {"closest": {**closest, "url": "ftp://x"}}}) is None
    assert snapshot_url([]) is None
    assert snapshot_url({"archived_snapshots": []}) is None
