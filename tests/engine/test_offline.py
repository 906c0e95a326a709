"""--offline: site-internal links are checked from the site's files, and nothing is sent."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from linkcheck.cli import main
from linkcheck.engine.offline import REASON
from tests.localweb import Host, local_web

HITS: list[str] = []


def _counting_app() -> web.Application:
    async def anything(request: web.Request) -> web.Response:
        HITS.append(f"{request.host}{request.path}")
        return web.Response(text="<!doctype html><title>A page</title>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", anything)
    return app


class Listener:
    """A TCP port that counts the connections made to it and closes each at once: whatever
    an offline run might try (a request, a TLS handshake for an https twin) shows here."""

    def __init__(self, address: str) -> None:
        self.sock = socket.create_server((address, 0))
        self.sock.settimeout(0.2)
        self.host = Host(address, self.sock.getsockname()[1])
        self.connections = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def site_host() -> Iterator[Listener]:
    """The site's own host: its links are checked from files, never by connecting to it."""
    listener = Listener("127.0.0.21")
    yield listener
    listener.close()


@pytest.fixture(scope="module")
def elsewhere() -> Iterator[Host]:
    """Another host the records link to."""
    with local_web() as lw:
        yield lw.serve(_counting_app(), "127.0.0.22")


def _site(tmp_path: Path, host: Host, elsewhere: Host) -> tuple[Path, Path]:
    root = tmp_path / "site"
    (root / "assets").mkdir(parents=True)
    (root / "assets" / "a.png").write_bytes(
        bytes.fromhex("89504e470d0a1a0a0000000d4948445200000002000000030806000000")
    )
    (root / "about.html").write_text("<title>About</title>")
    records = tmp_path / "records"
    records.mkdir()
    (records / "one.md").write_text(
        "---\n"
        "title: One\n"
        f"originalUrl: {elsewhere.url('/story')}\n"  # not the site's: not requested
        f"webUrl: {host.url('/about.html')}\n"  # a site file, over http: its https twin
        "ampWebUrl: /gone.html\n"  # a site file that does not exist
        "images:\n  - url: /assets/a.png\n    width: 2\n    height: 3\n"
        "---\n"
    )
    return root, records


def test_an_offline_run_sends_nothing_and_checks_site_files(
    site_host: Listener, elsewhere: Host, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    root, records = _site(tmp_path, site_host.host, elsewhere)
    HITS.clear()
    argv = ["check", str(records), "--root-dir", str(root), "--base-url", site_host.host.base]
    canary = ["--http-canary-urls", elsewhere.url("/canary")]
    code = main([*argv, *canary, "--offline", "-o", "out", "--progress", "never"])
    assert HITS == []
    assert site_host.connections == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    urls = {u["url"].split(":", 2)[2].split("/", 1)[1]: u for u in report["urls"]}
    assert {"/" + path: u["outcome"] for path, u in urls.items()} == {
        "/story": "excluded",
        "/about.html": "ok",
        "/gone.html": "broken",
        "/assets/a.png": "ok",
    }
    assert urls["story"]["error"] == REASON
    assert report["summary"]["requests"] == 0
    assert code == 1  # the missing site file fails the run, as in any run
    # No history: an offline run is never "the previous run" of the nightly job.
    assert not (tmp_path / ".linkcheck").exists()
    assert report["run"]["config"]["http"]["offline"] is True
    assert report["run"]["config"]["history"]["enabled"] is False


def test_the_same_run_online_does_send(
    site_host: Listener, elsewhere: Host, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The offline test above can fail: without --offline the same records reach the web,
    the canary is asked, and the http:// site page's https twin is tried."""
    monkeypatch.chdir(tmp_path)
    root, records = _site(tmp_path, site_host.host, elsewhere)
    HITS.clear()
    argv = ["check", str(records), "--root-dir", str(root), "--base-url", site_host.host.base]
    canary = ["--http-canary-urls", elsewhere.url("/canary")]
    main([*argv, *canary, "-o", "out", "--progress", "never", "--no-history-enabled"])
    where = f"{elsewhere.address}:{elsewhere.port}"
    assert f"{where}/story" in HITS and f"{where}/canary" in HITS
    assert site_host.connections >= 1
