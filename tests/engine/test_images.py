"""Image type and pixel size from the first bytes, on real image bytes built in the test."""

from __future__ import annotations

import pytest

from linkcheck.engine.images import bytes_needed, image_size, sniff_image_type
from tests.content_web import (
    ERROR_PAGE_HTML,
    gif_bytes,
    jpeg_bytes,
    png_bytes,
    webp_extended_bytes,
    webp_lossless_bytes,
    webp_lossy_bytes,
)

BUILDERS = {
    "png": png_bytes,
    "gif": gif_bytes,
    "jpeg": jpeg_bytes,
    "webp-vp8l": webp_lossless_bytes,
    "webp-vp8": webp_lossy_bytes,
    "webp-vp8x": webp_extended_bytes,
}


@pytest.mark.parametrize("name", BUILDERS)
@pytest.mark.parametrize("size", [(1, 1), (64, 48), (5037, 2829)])
def test_size_of_each_format(name, size):
    if name == "gif" and size[0] > 1000:
        size = (640, 480)  # the uncompressed LZW stream of a huge GIF is slow to build
    data = BUILDERS[name](*size)
    assert sniff_image_type(data) == name.split("-")[0]
    assert image_size(data) == size
    assert bytes_needed(data) == 0


@pytest.mark.parametrize("name", BUILDERS)
def test_truncated_head_gives_none_then_says_how_much_more(name):
    data = BUILDERS[name](300, 200) + b"\x00" * 64
    need = bytes_needed(data[:8])
    assert need is not None and need > 8
    assert image_size(data[:8]) is None
    # Reading exactly what bytes_needed asks for (repeatedly) is always enough.
    head = data[:8]
    while (need := bytes_needed(head)) not in (0, None):
        head = data[:need]
    assert image_size(head) == (300, 200)
    assert len(head) <= 110


def test_jpeg_with_big_exif_needs_bytes_up_to_the_frame_header():
    data = jpeg_bytes(640, 480, exif_bytes=100_000)
    assert image_size(data[:65_536]) is None  # the 64 KiB image cap is not enough here
    need = bytes_needed(data[:2048])
    assert need is not None and 65_000 < need < 66_000  # first APP1 segment skipped
    head = data[:2048]
    while (need := bytes_needed(head)) not in (0, None):
        head = data[:need]
    assert image_size(head) == (640, 480)
    assert 100_000 < len(head) < 100_200


@pytest.mark.parametrize(
    "body",
    [
        ERROR_PAGE_HTML.encode(),
        b"",
        b"\x89PN",
        b'{"error": "not found"}',
        b"GIF8",
        b"RIFF\0\0\0\0AVI ",
    ],
)
def test_non_images_are_not_sniffed_as_images(body):
    assert sniff_image_type(body) is None
    assert image_size(body) is None


def test_corrupt_jpeg_stops_the_walk():
    data = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 5 + b"garbage-not-a-marker"
    assert sniff_image_type(data) == "jpeg"
    assert bytes_needed(data) is None
    assert image_size(data) is None


def test_other_formats_are_recognised():
    assert (
        sniff_image_type(b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">')
        == "svg"
    )
    assert sniff_image_type(b"<svg width='10' height='20'></svg>") == "svg"
    assert sniff_image_type(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00") == "avif"
    assert sniff_image_type(b"II*\x00\x08\x00\x00\x00") == "tiff"
    assert sniff_image_type(b"\x00\x00\x01\x00\x01\x00\x10\x10") == "ico"
    assert image_size(b"<svg width='10' height='20'></svg>") == (10, 20)
    assert bytes_needed(b"<svg width='10' height='20'></svg>") == 0
    # a format without a fixed offset: read on, up to 16 KiB, then give up
    assert bytes_needed(b"<svg xmlns='http://www.w3.org/2000/svg'") == 16_384
    assert bytes_needed(b"<svg " + b" " * 17_000) is None


@pytest.mark.corpus
def test_corpus_logo_jpegs_need_under_4_kib(corpus):
    logos = sorted((corpus / "smartable-power-apps/assets/images/organizations").glob("*.jpg"))
    assert len(logos) > 150
    needed = []
    for path in logos:
        data = path.read_bytes()
        head = data[:64]
        while (need := bytes_needed(head)) not in (0, None):
            head = data[:need]
        assert image_size(head) is not None, path.name
        needed.append(len(head))
    assert max(needed) < 4096
