"""An image's type and pixel size from its first bytes, so an image is never read whole.

The size comes from ``imagesize`` (it reads a file-like object and answers
(-1, -1) on truncated data, never raising); ``sniff_image_type`` is our own
magic-number table, because it must also say what a body is when it is *not*
an image (an HTML error page served as ``image/jpeg``).

How many bytes are needed: PNG 33 (the IHDR chunk), GIF 10, WebP 30, BMP 26; a JPEG needs every
segment up to its SOF marker, which comes after the EXIF/XMP/ICC segments - a
few hundred bytes usually (the corpus's logos: 841-3477), up to 64 KiB and more
for a camera photo with a thumbnail in its EXIF. ``bytes_needed`` walks the JPEG
segment lengths so a reader knows when to stop.
"""

from __future__ import annotations

import io
import struct

import imagesize

# JPEG markers that start a frame and carry the size (SOF0..SOF15 but DHT, JPG, DAC).
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_ISO_BRANDS = {
    b"avif": "avif",
    b"avis": "avif",
    b"heic": "heic",
    b"heix": "heic",
    b"mif1": "heic",
    b"msf1": "heic",
}
MIN_SNIFF_BYTES = 32
OTHER_FORMATS_BYTES = 16_384


def sniff_image_type(head: bytes) -> str | None:
    """The image format of these first bytes (``"jpeg"``, ``"png"`` ...); None: not an image."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"BM") and len(head) >= 18 and head[14] in (12, 40, 52, 56, 64, 108, 124):
        return "bmp"
    if (
        head[:4] in (b"\x00\x00\x01\x00", b"\x00\x00\x02\x00")
        and len(head) >= 6
        and head[4:6] != b"\0\0"
    ):
        return "ico"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[4:8] == b"ftyp":
        return _ISO_BRANDS.get(head[8:12])
    if _looks_like_svg(head):
        return "svg"
    return None


def image_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels as displayed (EXIF rotation applied); None when not known yet."""
    if sniff_image_type(head) is None:
        return None
    try:
        width, height = imagesize.get(io.BytesIO(head))
    except Exception:  # imagesize promises (-1, -1); this guards a library upgrade
        return None
    if width <= 0 or height <= 0:
        return None
    return width, height


def bytes_needed(head: bytes) -> int | None:
    """How many leading bytes the size needs: 0 when ``head`` suffices, None when unknowable.

    For a JPEG the answer grows as segments are walked; call again with more bytes.
    """
    kind = sniff_image_type(head)
    if kind is None:
        return MIN_SNIFF_BYTES if len(head) < MIN_SNIFF_BYTES else None
    if kind == "jpeg":
        return _jpeg_needed(head)
    fixed = {"png": 33, "gif": 10, "webp": 30, "bmp": 26}.get(kind)
    if fixed is not None:
        return 0 if len(head) >= fixed else fixed
    if image_size(head):
        return 0
    # SVG attributes, AVIF/HEIF boxes, TIFF tags: no fixed offset, but near the start.
    return OTHER_FORMATS_BYTES if len(head) < OTHER_FORMATS_BYTES else None


def _jpeg_needed(head: bytes) -> int | None:
    """Walk segment headers: 0 once the SOF segment is in ``head``, else the bytes to reach it."""
    pos = 2
    while True:
        if pos + 4 > len(head):
            return pos + 4
        if head[pos] != 0xFF:
            return None  # corrupt: stop reading, the size is not coming
        marker = head[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        if marker in (0xD9, 0xDA):
            return None  # end of image or start of scan without a frame header
        (length,) = struct.unpack(">H", head[pos + 2 : pos + 4])
        if marker in _SOF_MARKERS:
            end = pos + 2 + length
            return 0 if len(head) >= end else end
        if length < 2:
            return None
        pos += 2 + length


def _looks_like_svg(head: bytes) -> bool:
    text = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg"):
        return True
    return text.startswith(b"<?xml") and b"<svg" in text and b"<html" not in text
