"""Reading only the bytes the content checks need, against a real local web.

An image stops once its pixel size is known, a page once its title and first h1
are in; a half-read body is never handed back to the connection pool, but a small
known rest is read out so the next request to the host reuses the connection.
"""

from __future__ import annotations

import asyncio
import dataclasses
import struct
import zlib
from collections.abc import Iterator

import pytest
from aiohttp import web

from linkcheck.config import Config, ContentConfig, HttpConfig
from linkcheck.engine.fetch import REST_DRAIN_BYTES, fetch_all
from linkcheck.engine.images import image_size
from linkcheck.engine.outcome import judge
from linkcheck.health import content
from linkcheck.model import Fetched, Role, UrlCheck
from linkcheck.specs import parse_accept
from tests.localweb import Host, local_web

MIB = 1024 * 1024


def png(width: int, height: int, total: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    head = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr
    head += struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return head + b"\0" * (total - len(head))


def jpeg_after_exif(width: int, height: int, exif: int, total: int) -> bytes:
    """A JPEG whose SOF (the size) comes after an ``exif``-byte APP1 segment."""
    app1 = b"\xff\xe1" + struct.pack(">H", exif + 2) + b"Exif\0\0" + b"\x01" * (exif - 6)
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3)
    sof += b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    head = b"\xff\xd8" + app1 + sof + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    return head + b"\x55" * (total - len(head))


def page(title: str, total: int) -> bytes:
    head = f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>"
    return head.encode() + b"<p>" + b"words " * (total // 6)


BODIES = {
    "/big.png": (png(4000, 3000, 2 * MIB), "image/png"),
    "/exif.jpg": (jpeg_after_exif(1600, 900, 40_000, MIB), "image/jpeg"),
    "/article": (page("A fine article", 300_000), "text/html"),
    "/gone": (page("Page not found", 300_000), "text/html"),
    "/anchored": (
        b'<!doctype html><h2 id="first">1</h2>'
        + b"<p>words</p>" * 20_000
        + b'<h2 id="late">2</h2>'
        + b"<p>words</p>" * 20_000,
        "text/html",
    ),
}


@dataclasses.dataclass
class Seen:
    # The transports themselves (kept alive, so ids are unique): a reused ephemeral port
    # (Linux reuses TIME_WAIT ports on loopback) would make peernames look alike.
    connections: list[object] = dataclasses.field(default_factory=list)

    def distinct(self) -> int:
        return len({id(c) for c in self.connections})


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[Host, Seen]]:
    seen = Seen()

    async def serve(request: web.Request) -> web.Response:
        seen.connections.append(request.transport)
        body, kind = BODIES[request.path]
        return web.Response(body=body, content_type=kind)

    async def slow(request: web.Request) -> web.StreamResponse:
        """The image's first 4 KiB at once, the rest (``?rest=`` bytes) 50 ms later."""
        seen.connections.append(request.transport)
        body = png(20, 10, 4096 + int(request.query["rest"]))
        resp = web.StreamResponse(headers={"Content-Type": "image/png"})
        resp.content_length = len(body)
        await resp.prepare(request)
        await resp.write(body[:4096])
        await asyncio.sleep(0.05)
        await resp.write(body[4096:])
        return resp

    app = web.Application()
    app.router.add_get("/slow.png", slow)
    app.router.add_get("/{name:.*}", serve)
    with local_web() as w:
        yield w.serve(app, "127.0.0.61"), seen


def config(**content_flags: bool) -> Config:
    http = HttpConfig(connect_timeout_s=2, read_timeout_s=2, request_timeout_s=5, per_host=1)
    return Config(http=http, content=ContentConfig(**content_flags))


def fetch(urls: list[str], role: Role, cfg: Config | None = None) -> list[Fetched]:
    checks = [UrlCheck(u, frozenset({role})) for u in urls]
    return asyncio.run(fetch_all(checks, cfg or config()))


def test_big_image_stops_once_its_size_is_known(site):
    host, _ = site
    fetched = fetch([host.url("/big.png")], Role.IMAGE)[0]
    assert fetched.status == 200 and fetched.body_truncated
    assert len(fetched.body) <= 4096 < 64 * 1024
    assert image_size(fetched.body) == (4000, 3000)


def test_jpeg_size_after_a_40_kb_exif_block_is_still_found(site):
    host, _ = site
    fetched = fetch([host.url("/exif.jpg")], Role.IMAGE)[0]
    assert 40_000 < len(fetched.body) < 64 * 1024 and fetched.body_truncated
    assert image_size(fetched.body) == (1600, 900)


def test_page_stops_after_its_title_and_h1(site):
    host, _ = site
    fetched = fetch([host.url("/article")], Role.WEB)[0]
    assert fetched.body_truncated and len(fetched.body) < 64 * 1024
    assert b"<title>A fine article</title>" in fetched.body


def test_soft_404_is_still_found_on_an_early_stopped_page(site):
    host, _ = site
    item = UrlCheck(host.url("/gone"), frozenset({Role.WEB}))
    fetched = asyncio.run(fetch_all([item], config()))[0]
    assert len(fetched.body) < 64 * 1024
    result = judge(fetched, item, parse_accept("200..=299"))
    judged = content.apply_content(result, fetched, item, ContentConfig())
    assert content.SOFT_404 in judged.issues


def test_without_content_checks_the_body_is_read_to_the_cap(site):
    host, _ = site
    fetched = fetch([host.url("/big.png")], Role.IMAGE, config(enabled=False))[0]
    assert len(fetched.body) == 65_536 and fetched.body_truncated


def test_a_half_read_body_closes_its_connection_and_the_next_request_works(site):
    host, seen = site
    seen.connections.clear()
    fetched = fetch([host.url("/big.png"), host.url("/big.png?again")], Role.IMAGE)
    assert [image_size(f.body) for f in fetched] == [(4000, 3000)] * 2
    assert seen.distinct() == 2  # the first connection was not reused half-read


@pytest.mark.parametrize(
    ("rest", "connections"), [(REST_DRAIN_BYTES - 1024, 1), (REST_DRAIN_BYTES * 4, 2)]
)
def test_a_small_rest_still_in_flight_is_read_out_to_keep_the_connection(site, rest, connections):
    host, seen = site
    seen.connections.clear()
    urls = [host.url(f"/slow.png?rest={rest}"), host.url(f"/slow.png?rest={rest}&again")]
    fetched = fetch(urls, Role.IMAGE)
    assert [image_size(f.body) for f in fetched] == [(20, 10)] * 2
    assert all(len(f.body) <= 4096 for f in fetched)
    assert len(seen.connections) == 2 and seen.distinct() == connections


def test_page_scan_skips_the_navigation_but_keeps_every_signal():
    nav = '<nav><div><a href="/x">x</a></div>' * 3000 + "</nav>"
    data = (
        '<!doctype html><html amp lang="en"><head><title>Oops | Page not found</title>'
        '<meta property="og:title" content="Gone"><link rel="canonical" href="/a">'
        f"</head ><body class=x>{nav}<H1 class=t>Page not found</H1><p>text</p>"
    ).encode()
    page_ = content.scan_html(data)
    assert (page_.title, page_.h1, page_.og_title, page_.canonical) == (
        "Oops | Page not found",
        "Page not found",
        "Gone",
        "/a",
    )
    assert page_.head_closed and page_.html_attrs == {"amp": None, "lang": "en"}


def fragments_config(**http: object) -> Config:
    settings = {"connect_timeout_s": 2, "read_timeout_s": 2, "request_timeout_s": 5,
                "per_host": 1, "check_fragments": True, **http}  # fmt: skip
    return Config(http=HttpConfig(**settings), content=ContentConfig(enabled=False))  # type: ignore[arg-type]


def test_a_page_is_read_until_its_last_wanted_anchor_then_stops(site):
    """A link with #first stops near the page's start; with #late too, just past it."""
    host, _ = site
    url = host.url("/anchored")

    def read(*fragments: str) -> Fetched:
        check = UrlCheck(url, frozenset({Role.BODY}), fragments=fragments)
        return asyncio.run(fetch_all([check], fragments_config(), want_body=lambda c: True))[0]

    early = read("first", "top")
    assert early.body_truncated and len(early.body) < 32 * 1024
    late = read("first", "late")
    assert late.body_truncated and b'id="late"' in late.body
    assert 240_000 < len(late.body) < 300_000
