"""A local test web for content checks, and real image bytes built in code.

One route per behaviour: a soft-404 page, an article that merely mentions 404,
images with the wrong declared size, an HTML error page served as image/jpeg,
AMP and non-AMP pages, an AMP cache copy older / newer than its origin, a
redirect to the front page. Served with ``tests/localweb.py`` on 127.x addresses.
"""

from __future__ import annotations

import struct
import zlib

from aiohttp import web

# ---------------------------------------------------------------- image bytes


def png_bytes(width: int, height: int) -> bytes:
    """A valid grayscale PNG (IHDR, one zlib IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def gif_bytes(width: int, height: int) -> bytes:
    """A valid GIF89a: 4-colour palette, LZW data with a clear code every two pixels."""
    header = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x81, 0, 0)
    palette = b"\x00\x00\x00\xff\xff\xff\x80\x80\x80\x40\x40\x40"
    descriptor = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0)
    codes: list[int] = []
    pixels = width * height
    for i in range(pixels):
        if i % 2 == 0:
            codes.append(4)  # clear code keeps the code width at 3 bits
        codes.append(1)
    codes.append(5)  # end of information
    bits = 0
    count = 0
    data = bytearray()
    for code in codes:
        bits |= code << count
        count += 3
        while count >= 8:
            data.append(bits & 0xFF)
            bits >>= 8
            count -= 8
    if count:
        data.append(bits & 0xFF)
    blocks = b"".join(
        bytes([len(data[i : i + 255])]) + bytes(data[i : i + 255]) for i in range(0, len(data), 255)
    )
    return header + palette + descriptor + b"\x02" + blocks + b"\x00;"


def jpeg_bytes(width: int, height: int, exif_bytes: int = 0) -> bytes:
    """A valid baseline grayscale JPEG of a flat image.

    One-symbol Huffman tables make every 8x8 block "DC diff 0, EOB" = two 0 bits.
    ``exif_bytes`` adds an APP1 Exif segment of about that size before the frame
    header, as cameras do, so the SOF sits far from the start.
    """
    out = bytearray(b"\xff\xd8")
    out += b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    while exif_bytes > 0:
        size = min(exif_bytes, 65_000)
        payload = b"Exif\x00\x00" + b"\x00" * (size - 6)
        out += b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
        exif_bytes -= size
    out += b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + b"\x01" * 64
    out += b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    counts = b"\x01" + b"\x00" * 15  # one code of length 1
    out += b"\xff\xc4" + struct.pack(">H", 2 + 1 + 16 + 1) + b"\x00" + counts + b"\x00"
    out += b"\xff\xc4" + struct.pack(">H", 2 + 1 + 16 + 1) + b"\x10" + counts + b"\x00"
    out += b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00" + b"\x00\x3f\x00"
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    out += b"\x00" * ((blocks * 2 + 7) // 8)
    out += b"\xff\xd9"
    return bytes(out)


def webp_lossless_bytes(width: int, height: int) -> bytes:
    """A RIFF/WEBP container with a VP8L header (signature, 14-bit sizes)."""
    bits = (width - 1) | ((height - 1) << 14)
    payload = b"\x2f" + struct.pack("<I", bits) + b"\x00" * 8
    return b"RIFF" + struct.pack("<I", 4 + 8 + len(payload)) + b"WEBP" + _riff(b"VP8L", payload)


def webp_lossy_bytes(width: int, height: int) -> bytes:
    """A RIFF/WEBP container with a VP8 key-frame header."""
    frame = b"\x10\x00\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height) + b"\x00" * 10
    return b"RIFF" + struct.pack("<I", 4 + 8 + len(frame)) + b"WEBP" + _riff(b"VP8 ", frame)


def webp_extended_bytes(width: int, height: int) -> bytes:
    """A RIFF/WEBP container with a VP8X chunk (24-bit canvas sizes minus one)."""
    payload = b"\x10\x00\x00\x00" + (width - 1).to_bytes(3, "little")
    payload += (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + 8 + len(payload)) + b"WEBP" + _riff(b"VP8X", payload)


def _riff(kind: bytes, payload: bytes) -> bytes:
    pad = b"\x00" if len(payload) % 2 else b""
    return kind + struct.pack("<I", len(payload)) + payload + pad


# ---------------------------------------------------------------- pages

LAST_MODIFIED_OLD = "Mon, 01 Jun 2020 10:00:00 GMT"
LAST_MODIFIED_NEW = "Wed, 10 Jun 2020 10:00:00 GMT"

SOFT_404_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Page not found | Example News</title></head>
<body><h1>Oops! That page can&rsquo;t be found.</h1><p>Try searching.</p></body></html>"""

ARTICLE_MENTIONING_404 = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>How to fix a 404 error on WordPress | Example News</title>
<meta property="og:title" content="How to fix a 404 error on WordPress"></head>
<body><h1>How to fix a 404 error on WordPress</h1>
<p>A 404 Not Found page means the server could not find the page. Error 404 is ...</p>
</body></html>"""

FRONT_PAGE = """<!doctype html><html><head><title>Example News</title></head>
<body><h1>Example News</h1><p>Latest stories.</p></body></html>"""

AMP_PAGE = """<!doctype html><html ⚡ lang="en"><head><meta charset="utf-8">
<link rel="canonical" href="/article"><title>An AMP story</title></head>
<body><h1>An AMP story</h1></body></html>"""

NON_AMP_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>A plain story</title></head><body><h1>A plain story</h1></body></html>"""

ERROR_PAGE_HTML = "<!doctype html><html><head><title>Error</title></head><body>oops</body></html>"


def _html(text: str, **headers: str) -> web.Response:
    return web.Response(text=text, content_type="text/html", headers=headers)


def content_app() -> web.Application:
    """Every content behaviour on one host; paths name what they show."""
    real_jpeg = jpeg_bytes(64, 64)
    routes = {
        "/soft-404": lambda r: _html(SOFT_404_PAGE),
        "/article-about-404": lambda r: _html(ARTICLE_MENTIONING_404),
        "/": lambda r: _html(FRONT_PAGE),
        "/en-us/": lambda r: _html(FRONT_PAGE),
        "/old-article": lambda r: _redirect("/"),
        "/old-localised-article": lambda r: _redirect("/en-us/"),
        "/moved-article": lambda r: _redirect("/article-about-404"),
        "/gone-article": lambda r: _redirect("/404.html"),
        "/404.html": lambda r: _html(FRONT_PAGE),
        "/image-64.jpg": lambda r: web.Response(body=real_jpeg, content_type="image/jpeg"),
        "/error-as-image.jpg": lambda r: web.Response(
            body=ERROR_PAGE_HTML.encode(), content_type="image/jpeg"
        ),
        "/article.json": lambda r: web.json_response({"title": "not a page"}),
        "/amp/story": lambda r: _html(AMP_PAGE, **{"Last-Modified": LAST_MODIFIED_NEW}),
        "/amp/plain": lambda r: _html(NON_AMP_PAGE),
        "/cdn/stale": lambda r: _html(AMP_PAGE, **{"Last-Modified": LAST_MODIFIED_OLD}),
        "/cdn/fresh": lambda r: _html(AMP_PAGE, **{"Last-Modified": LAST_MODIFIED_NEW}),
        "/cache/fresh": lambda r: _html(FRONT_PAGE, **{"Cache-Control": "max-age=3600"}),
        "/cache/stale": lambda r: _html(
            FRONT_PAGE, **{"Cache-Control": "max-age=60", "Age": "600"}
        ),
    }
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, _async(handler))
    return app


def _redirect(location: str) -> web.Response:
    return web.Response(status=301, headers={"Location": location})


def _async(handler):  # aiohttp wants coroutine handlers
    async def run(request: web.Request) -> web.StreamResponse:
        return handler(request)

    return run
