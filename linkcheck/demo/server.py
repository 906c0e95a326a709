"""The demo's local web: one route per way a link can rot, served on loopback only.

Two hosts (127.0.0.1 "the news site", 127.0.0.2 "the image CDN") so per-host
limits and the by-host view have something to show.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from aiohttp import web

ARTICLE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title><link rel="amphtml" href="/amp/{slug}"></head>
<body><h1>{title}</h1><p>{body}</p></body></html>"""

AMP = """<!doctype html><html amp lang="en"><head><meta charset="utf-8">
<title>{title}</title><link rel="canonical" href="/articles/{slug}">
<script async src="https://cdn.ampproject.org/v0.js"></script></head>
<body><h1>{title}</h1></body></html>"""


def png(width: int, height: int) -> bytes:
    """A real PNG of the given size (grey), small enough to build on the fly."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _html(text: str, **headers: str) -> web.Response:
    return web.Response(text=text, content_type="text/html", headers=headers)


def article(title: str, slug: str, body: str = "A story that is still online.") -> web.Response:
    now = datetime.now(UTC)
    return _html(
        ARTICLE.format(title=title, slug=slug, body=body),
        **{"Cache-Control": "max-age=3600", "Last-Modified": _http_date(now - timedelta(days=2))},
    )


def build_site() -> web.Application:
    """The news site: articles that work, vanished, moved, lie, stall or wall bots off."""
    app = web.Application()
    routes = web.RouteTableDef()

    @routes.get("/")
    async def home(request: web.Request) -> web.Response:
        return _html("<!doctype html><title>Demo News</title><h1>Front page</h1>")

    @routes.get("/articles/{slug}")
    async def articles(request: web.Request) -> web.StreamResponse:
        slug = request.match_info["slug"]
        return ARTICLE_ROUTES.get(slug, lambda: web.Response(status=404, text="Not Found"))()

    @routes.get("/amp/{slug}")
    async def amp(request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        if slug == "not-amp":
            return article("Links that say 200 but lie", slug)
        modified = datetime.now(UTC) - timedelta(days=1)
        return _html(
            AMP.format(title=AMP_TITLES.get(slug, "AMP edition"), slug=slug),
            **{"Last-Modified": _http_date(modified), "Cache-Control": "max-age=600"},
        )

    @routes.get("/cache/{rest:.*}")
    async def amp_cache(request: web.Request) -> web.Response:
        """A stand-in for an AMP cache: its copy is a month older than the origin page."""
        copied = datetime.now(UTC) - timedelta(days=30)
        return _html(
            AMP.format(title=AMP_TITLES["good"], slug="good"),
            **{"Last-Modified": _http_date(copied)},
        )

    @routes.get("/busy")
    async def busy(request: web.Request) -> web.Response:
        return web.Response(status=429, text="slow down", headers={"Retry-After": "1"})

    @routes.get("/flaky")
    async def flaky(request: web.Request) -> web.Response:
        return web.Response(status=503, text="maintenance")

    @routes.get("/bot-wall")
    async def bot_wall(request: web.Request) -> web.Response:
        return web.Response(
            status=403,
            text="Just a moment...",
            headers={"cf-mitigated": "challenge", "Server": "cloudflare"},
        )

    @routes.get("/slow")
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return _html("<title>too late</title>")

    @routes.get("/loop/{n}")
    async def loop(request: web.Request) -> web.Response:
        other = "b" if request.match_info["n"] == "a" else "a"
        return web.Response(status=302, headers={"Location": f"/loop/{other}"})

    app.add_routes(routes)
    return app


# The page names match their records' titles (content drift compares them), except
# /articles/good: the JSON records' titles are not what that page says (content_drift).
AMP_TITLES = {"good": "Council passes the strongest facial recognition ban"}
ARTICLE_ROUTES = {
    "good": lambda: article("Council passes the ban", "good"),
    "council": lambda: article(
        "Council passes the strongest facial recognition ban | Demo News", "council"
    ),
    "other-good": lambda: article("A record from the JSON API | Demo News", "other-good"),
    "mentions-404": lambda: article(
        "Why error 404 pages matter",
        "mentions-404",
        "Designers argue that a helpful 404 page keeps readers on a site.",
    ),
    "gone": lambda: web.Response(status=410, text="Gone"),
    "moved": lambda: web.Response(status=301, headers={"Location": "/articles/good"}),
    "to-home": lambda: web.Response(status=302, headers={"Location": "/"}),
    "soft-404": lambda: _html(
        "<!doctype html><title>Page not found</title><h1>Sorry, we couldn't find that page</h1>"
    ),
    "stale": lambda: _html(
        ARTICLE.format(title="The nation’s oldest newsroom goes digital", slug="stale", body="..."),
        **{
            "Cache-Control": "max-age=60",
            "Date": _http_date(datetime.now(UTC) - timedelta(hours=2)),
        },
    ),
    "pdf": lambda: web.Response(body=b"%PDF-1.4\n", content_type="application/pdf"),
}


def build_cdn() -> web.Application:
    """The image CDN: real PNGs, one image that is really an HTML error page."""
    app = web.Application()
    images = {"logo-50.png": png(50, 50), "photo-800x450.png": png(800, 450)}

    async def image(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name in images:
            return web.Response(
                body=images[name],
                content_type="image/png",
                headers={"Cache-Control": "max-age=86400", "ETag": f'"{name}"'},
            )
        if name == "error.jpg":
            return web.Response(text="<html><title>Error</title></html>", content_type="image/jpeg")
        return web.Response(status=404, text="no such image")

    app.router.add_get("/img/{name}", image)
    return app
