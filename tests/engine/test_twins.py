"""https twins of http:// links: one per host first, the rest only where https works."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from linkcheck.config import Config
from linkcheck.engine.fetch import EngineStats
from linkcheck.pipeline import Checking, ask_twins
from linkcheck.store.work import WorkStore
from tests.engine_web import engine_app
from tests.localweb import Host, local_web


@pytest.fixture(scope="module")
def plain() -> Iterator[Host]:
    """A host that speaks plain http only: every https twin of it fails the TLS handshake."""
    with local_web() as web:
        app, _ = engine_app()
        yield web.serve(app, "127.0.0.49")


def test_a_host_whose_first_twin_fails_is_not_asked_the_others(plain: Host):
    urls = [plain.url(f"/ok?i={i}") for i in range(5)]
    twins = {url: "https://" + url.removeprefix("http://") for url in urls}
    work = WorkStore()
    try:
        checking = Checking(work, Config(), None, None, None, EngineStats())
        asyncio.run(ask_twins(twins, checking))
        asked = [twin for twin in twins.values() if work.has_result(twin)]
        assert asked == [sorted(twins.values())[0]]
        assert work.twins_for(urls) == {url: twin for url, twin in twins.items() if twin in asked}
    finally:
        work.close()
