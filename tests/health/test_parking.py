"""Parked domains: hosts, markup and page names from the shipped data, extended by config."""

from __future__ import annotations

import pytest

from linkcheck.health.parking import ParkingMarkers, parking_marker, shipped_markers

MARKERS = shipped_markers()
ARTICLE = b"<html><head><title>Power Apps news</title></head><body><h1>Power Apps news</h1>"


def test_the_shipped_data_loads() -> None:
    assert "sedo.com" in MARKERS.hosts
    assert "img.sedoparking.com" in MARKERS.markup
    assert "this domain is for sale" in MARKERS.phrases


@pytest.mark.parametrize(
    ("urls", "body", "names", "found"),
    [
        (["https://old.example/a", "https://sedo.com/search/details/?domain=old.example"],
         b"", [], "host sedo.com"),
        (["https://www.hugedomains.com/domain_profile.cfm?d=old.example"], b"", [],
         "host hugedomains.com"),
        (["https://old.example/a"],
         b'<script src="https://img1.wsimg.com/parking-lander/static/js/main.js">', [],
         "markup 'wsimg.com/parking-lander'"),
        (["https://old.example/a"],
         b'<SCRIPT SRC="//www.google.com/adsense/domains/caf.js"></SCRIPT>', [],
         "markup 'google.com/adsense/domains/caf.js'"),
        (["https://old.example/a"], b"", ["old.example  is for SALE!", None],
         "page name says 'is for sale!'"),
    ],
)  # fmt: skip
def test_parking_pages(urls: list[str], body: bytes, names: list[str | None], found: str) -> None:
    assert parking_marker(urls, body, names, MARKERS) == found


def test_a_real_article_is_not_parked() -> None:
    urls = ["https://news.example/power-apps", "https://news.example/power-apps/"]
    assert parking_marker(urls, ARTICLE, ["Power Apps news"], MARKERS) is None


def test_an_article_about_domain_sales_is_not_parked() -> None:
    """Its links to sedo.com, its name: the record's own title says it too."""
    title = "Why this domain is for sale: inside the aftermarket"
    body = ARTICLE + b'<a href="https://sedo.com/">Sedo</a>'
    urls = ["https://news.example/why"]
    assert parking_marker(urls, body, [title], MARKERS, record_title=title) is None
    assert parking_marker(urls, body, [title], MARKERS) is not None


def test_a_lookalike_host_is_not_a_parking_service() -> None:
    assert parking_marker(["https://notsedo.com/x", "https://sedo.com.example/"], b"", [],
                          MARKERS) is None  # fmt: skip
    assert parking_marker(["https://www.sedo.com./x"], b"", [], MARKERS) == "host sedo.com"


def test_config_extends_the_markers() -> None:
    extra = ParkingMarkers().extended(
        hosts=["Parking.Example."], markup=["my-lander.js"], phrases=["Zu Verkaufen"]
    )
    assert parking_marker(["https://x.parking.example/"], b"", [], extra) == "host parking.example"
    assert parking_marker([], b"<script src=/MY-LANDER.JS>", [], extra) is not None
    assert parking_marker([], b"", ["Domain zu verkaufen"], extra) is not None
    assert MARKERS.extended(hosts=["a.example"]).hosts == MARKERS.hosts | {"a.example"}
