"""Site-internal links checked against the site's files, offline; and the real corpus's logos."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from linkcheck.config import ContentConfig
from linkcheck.engine.sitefiles import check_site_file, is_site_url, jekyll_base_url, site_path
from linkcheck.health.gone import GoneRule
from linkcheck.health.recordchecks import image_size_findings, record_findings
from linkcheck.model import Outcome, Role
from tests.content_web import jpeg_bytes, png_bytes

BASE = "https://example.github.io/my-site"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "assets/images").mkdir(parents=True)
    (tmp_path / "assets/images/logo-50x50.jpg").write_bytes(jpeg_bytes(50, 50))
    (tmp_path / "assets/images/exif photo.jpg").write_bytes(jpeg_bytes(640, 480, 70_000))
    (tmp_path / "assets/images/wide.png").write_bytes(png_bytes(120, 30))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/index.html").write_text("<html></html>")
    (tmp_path / "_config.yml").write_text('url: https://example.github.io\nbaseurl: "/my-site"\n')
    return tmp_path


def test_existing_image_is_ok_with_its_size_and_type(site):
    result = check_site_file(f"{BASE}/assets/images/logo-50x50.jpg", BASE, site)
    assert result.outcome is Outcome.OK
    assert (result.image_size, result.content_type) == ((50, 50), "image/jpeg")
    assert result.requests == 0
    png = check_site_file(f"{BASE}/assets/images/wide.png", BASE, site)
    assert (png.image_size, png.content_type) == ((120, 30), "image/png")


def test_jpeg_with_big_exif_and_a_quoted_name(site):
    result = check_site_file(f"{BASE}/assets/images/exif%20photo.jpg", BASE, site)
    assert result.image_size == (640, 480)


def test_missing_file_is_broken_with_its_path(site):
    result = check_site_file(f"{BASE}/assets/images/nope.jpg", BASE, site)
    assert result.outcome is Outcome.BROKEN
    assert result.error == "file not found: assets/images/nope.jpg"
    # Broken in the link report, but no evidence to unpublish: the site's build may lag.
    assert GoneRule().of_result(result) is None


def test_folder_means_its_index_and_paths_stay_inside(site):
    assert check_site_file(f"{BASE}/docs/", BASE, site).outcome is Outcome.OK
    assert check_site_file(f"{BASE}/assets/", BASE, site).outcome is Outcome.BROKEN
    escape = check_site_file(f"{BASE}/../../../etc/passwd", BASE, site)
    assert escape.outcome is Outcome.BROKEN


def test_which_urls_are_under_the_base():
    assert is_site_url(f"{BASE}/assets/x.jpg", BASE)
    assert is_site_url(f"{BASE}/assets/x.jpg", BASE + "/")
    assert is_site_url("HTTPS://EXAMPLE.github.io/my-site/a", BASE)
    assert not is_site_url("https://example.github.io/other-site/a", BASE)
    assert not is_site_url("https://example.github.io/my-site-two/a", BASE)
    assert not is_site_url("http://example.github.io/my-site/a", BASE)
    assert site_path(f"{BASE}", BASE) == ""
    assert site_path("https://x.example/a/b", "https://x.example") == "a/b"


def test_jekyll_base_url(site, tmp_path_factory):
    assert jekyll_base_url(site) == BASE
    empty = tmp_path_factory.mktemp("empty")
    assert jekyll_base_url(empty) is None
    (empty / "_config.yml").write_text("url: [not, a, string]\n")
    assert jekyll_base_url(empty) is None


@pytest.mark.corpus
def test_corpus_provider_logo_sizes_offline(corpus):
    """Every site-internal image of the real site against its assets: how many sizes match."""
    from linkcheck.inputs.links import extract_links
    from linkcheck.inputs.records import read_inputs

    root = corpus / "smartable-power-apps"
    base = jekyll_base_url(root)
    assert base == "https://smartableai.github.io/microsoft-power-apps"
    read = read_inputs([str(root)])
    results, counts, sizes = {}, Counter(), Counter()
    for record in read.records:
        links = extract_links(record, base)
        for link in links:
            if link.role is Role.PROVIDER_IMAGE and link.url and is_site_url(link.url, base):
                results.setdefault(link.url, check_site_file(link.url, base, root))
        findings = image_size_findings(record, links, results)
        site_images = [
            link
            for link in links
            if link.role.is_image and link.url in results and results[link.url].image_size
        ]
        counts["checked"] += len(site_images)
        counts["mismatch"] += len(findings)
        for finding in findings:
            sizes[finding.message] += 1
        for finding in record_findings(record, links, results, ContentConfig()):
            assert finding.code != "invalid_url" or finding.message
    counts["match"] = counts["checked"] - counts["mismatch"]
    broken = sorted(u for u, r in results.items() if r.outcome is not Outcome.OK)
    print(
        f"\ncorpus provider logos: {dict(counts)}; unique files {len(results)}, "
        f"missing {len(broken)}: {broken[:5]}; mismatches: {sizes.most_common(5)}"
    )
    assert counts["checked"] > 700
    assert counts["match"] > counts["mismatch"]
    assert all(r.image_size for r in results.values() if r.outcome is Outcome.OK)
