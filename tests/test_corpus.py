"""The real corpus (read-only): every record read, the reference record's 17 links exactly."""

from __future__ import annotations

import html
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from linkcheck.cli import main
from linkcheck.inputs.links import extract_links, unique_checks
from linkcheck.inputs.records import read_file, read_inputs
from linkcheck.inputs.site import site_base_url
from linkcheck.model import Role

pytestmark = pytest.mark.corpus

SITE_BASE = "https://smartableai.github.io/microsoft-power-apps"


@pytest.fixture(scope="module")
def site(corpus: Path) -> Path:
    return corpus / "smartable-power-apps"


def test_every_markdown_record_reads_without_error(site: Path) -> None:
    result = read_inputs([str(site)], exclude=["*.html", "*.json"])
    assert result.errors == ()
    assert len(result.records) == 758
    assert all(r.source.endswith(".md") for r in result.records)
    by_folder = Counter(r.source.split("/")[-2] for r in result.records)
    assert by_folder["_news"] == 192 and by_folder["_samples"] == 107


def test_whole_site_reads_without_error(site: Path) -> None:
    result = read_inputs([str(site)])
    assert result.errors == ()
    # 758 Markdown + 31 newsletter pages + 360 records in the JSON API pages.
    assert len(result.records) == 758 + 31 + 360
    skipped = {Path(s).name for s in result.skipped_files if "/assets/" not in s}
    assert skipped == {"_config.yml", "index.json"}  # the config, and a Liquid JSON template


@pytest.mark.parametrize(
    "name",
    [
        "power-apps-community-puzzle.md",
        "power-apps-community-29-seconds-a-fun-game-to-play-with-your-colleagues-with-ms-teams.md",
    ],
)
def test_samples_with_dashes_in_their_excerpt(site: Path, name: str) -> None:
    read = read_file(site / "_samples" / name)
    assert read.errors == ()
    [record] = read.records
    assert "------" in record.fields["excerpt"]
    assert record.fields["originalUrl"].startswith("https://powerusers.microsoft.com/")


def test_relative_urls_resolve_against_the_site_config(site: Path) -> None:
    base = site_base_url([str(site / "_samples")], None)
    assert base == SITE_BASE
    [record] = read_file(site / "_samples" / "power-apps-community-puzzle.md").records
    links = {ln.field: ln for ln in extract_links(record, base)}
    logo = links["provider.images[0].url"]
    assert logo.raw == "/assets/images/organizations/microsoft.com-50x50.jpg"
    assert logo.url == f"{SITE_BASE}/assets/images/organizations/microsoft.com-50x50.jpg"
    assert (site / "assets/images/organizations/microsoft.com-50x50.jpg").is_file()
    assert links["actions[0].url"].role is Role.OTHER


def test_api_pages_give_the_same_links_as_the_news_files(site: Path) -> None:
    base = site_base_url([str(site)], None)
    news = {
        r.source.split("/smartable-power-apps/")[1]: r
        for r in read_inputs([str(site / "_news")]).records
    }
    api = read_inputs([str(site / "api" / "news")]).records
    assert len(api) == 360

    def article_links(record):  # type: ignore[no-untyped-def]
        return {(ln.field, ln.role, ln.url) for ln in extract_links(record, base)}

    for record in api:
        assert article_links(record) == article_links(news[record.fields["path"]]), record.key


def test_no_link_in_the_site_is_invalid_but_one_in_a_body(site: Path) -> None:
    base = site_base_url([str(site)], None)
    records = read_inputs([str(site)]).records
    links = [ln for r in records for ln in extract_links(r, base)]
    [invalid] = [ln for ln in links if ln.url is None]
    assert (invalid.role, invalid.raw) == (Role.BODY, "http://%20https://twitter.com/MayAlhajri2/")
    checks = unique_checks(links)
    # The same provider logo is referenced by hundreds of records.
    logo = f"{SITE_BASE}/assets/images/organizations/microsoft.com-50x50.jpg"
    assert next(c for c in checks if c.url == logo).referrers > 300


REFERENCE_LINKS = [
    ("originalUrl", Role.ORIGINAL, "https://www.vice.com/en_us/article/g5p9z3/amazon-spent-dollar24000-to-kill-portlands-facial-recognition-ban", 6),  # noqa: E501
    ("webUrl", Role.WEB, "https://www.vice.com/en_us/article/g5p9z3/amazon-spent-dollar24000-to-kill-portlands-facial-recognition-ban", 7),  # noqa: E501
    ("ampWebUrl", Role.AMP, "https://www.vice.com/amp/en_us/article/g5p9z3/amazon-spent-dollar24000-to-kill-portlands-facial-recognition-ban", 8),  # noqa: E501
    ("cdnAmpWebUrl", Role.CDN_AMP, "https://www-vice-com.cdn.ampproject.org/c/s/www.vice.com/amp/en_us/article/g5p9z3/amazon-spent-dollar24000-to-kill-portlands-facial-recognition-ban", 9),  # noqa: E501
    ("provider.images[0].url", Role.PROVIDER_IMAGE, "https://smartableai.github.io/artificial-intelligence/assets/images/organizations/vice.com-50x50.jpg", 19),  # noqa: E501
    ("images[0].url", Role.IMAGE, "https://video-images.vice.com//articles/5f592142fafbbe00943f97f5/lede/1599678133842-gettyimages-1220178244.jpeg?crop=1xw:0.8665xh;0xw,0.0392xh", 28),  # noqa: E501
    ("related[0].webUrl", Role.WEB, "https://www.neowin.net/news/portland-bans-use-of-facial-recognition-tech-by-government-and-private-entities/", 37),  # noqa: E501
    ("related[0].ampWebUrl", Role.AMP, "https://www.neowin.net/amp/portland-bans-use-of-facial-recognition-tech-by-government-and-private-entities/", 38),  # noqa: E501
    ("related[0].cdnAmpWebUrl", Role.CDN_AMP, "https://www-neowin-net.cdn.ampproject.org/c/s/www.neowin.net/amp/portland-bans-use-of-facial-recognition-tech-by-government-and-private-entities/", 39),  # noqa: E501
    ("related[0].images[0].url", Role.IMAGE, "https://cdn.neow.in/news/images/uploaded/2020/01/1579885372_libertyfbmatrixv2image2_story.jpg", 46),  # noqa: E501
    ("related[1].webUrl", Role.WEB, "https://www.geekwire.com/2020/portland-passes-nations-strongest-facial-recognition-ban-government-businesses/", 53),  # noqa: E501
    ("related[1].ampWebUrl", Role.AMP, "https://www.geekwire.com/2020/portland-passes-nations-strongest-facial-recognition-ban-government-businesses/amp/", 54),  # noqa: E501
    ("related[1].cdnAmpWebUrl", Role.CDN_AMP, "https://www-geekwire-com.cdn.ampproject.org/c/s/www.geekwire.com/2020/portland-passes-nations-strongest-facial-recognition-ban-government-businesses/amp/", 55),  # noqa: E501
    ("related[1].images[0].url", Role.IMAGE, "https://cdn.geekwire.com/wp-content/uploads/2019/06/bigstock-Portland-Oregon-USA-skyline-247939699-630x420.jpg", 62),  # noqa: E501
    ("related[2].webUrl", Role.WEB, "https://www.zdnet.com/article/portland-ore-passes-first-of-its-kind-facial-recognition-ban/", 69),  # noqa: E501
    ("related[2].ampWebUrl", Role.AMP, "https://www.zdnet.com/google-amp/article/portland-ore-passes-first-of-its-kind-facial-recognition-ban/", 70),  # noqa: E501
    ("related[2].cdnAmpWebUrl", Role.CDN_AMP, "https://www-zdnet-com.cdn.ampproject.org/c/s/www.zdnet.com/google-amp/article/portland-ore-passes-first-of-its-kind-facial-recognition-ban/", 71),  # noqa: E501
]  # fmt: skip


def test_reference_record_yields_exactly_its_17_links(corpus: Path) -> None:
    path = corpus / "seed" / "000_69670e491d83c649.md"
    read = read_file(path)
    assert read.errors == ()
    [record] = read.records
    assert record.published is True
    links = extract_links(record, None)
    assert [(ln.field, ln.role, ln.url, ln.line) for ln in links] == REFERENCE_LINKS
    assert all(ln.record == str(path) for ln in links)
    assert len(unique_checks(links)) == 16  # originalUrl and webUrl are the same URL
    assert "nationâ€™s" in record.fields["related"][1]["title"]  # mojibake kept as written


def test_linkcheck_links_finds_the_news_embeds_on_their_lines(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """lychee finds 753 links in _news: the 736 of the fields, the 13 featuredContent
    iframes, 4 URLs quoted in excerpts (prose: not links) and a ``&#038;`` it decodes."""
    shutil.copytree(site / "_news", tmp_path / "_news")
    assert main(["links", "--format", "json", str(tmp_path / "_news")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["links"] == 736 + 13
    body = [ln for ln in out["links"] if ln["role"] == "body"]
    assert len(body) == 13
    for link in body:
        lines = Path(link["record"]).read_text(encoding="utf-8").split("\n")
        assert link["field"] == "featuredContent"
        assert lines[link["line"] - 1].startswith("featuredContent: ")
        assert f'src=\\"{link["url"]}\\"' in lines[link["line"] - 1]
        assert link["url"].startswith("https://www.youtube.com/embed/")


def test_linkcheck_links_finds_the_sample_bodies_links_on_their_lines(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sample pages' bodies (HTML in Markdown, after the front matter) and the
    newsletters (HTML pages): every body link is written on the line reported."""
    for folder in ("_samples", "_newsletters"):
        shutil.copytree(site / folder, tmp_path / folder)
    shutil.copy(site / "_config.yml", tmp_path / "_config.yml")
    assert main(["links", "--format", "json", str(tmp_path)]) == 0
    body = [ln for ln in json.loads(capsys.readouterr().out)["links"] if ln["role"] == "body"]
    assert len(body) == 3183
    assert {ln["field"] for ln in body} == {"body"}
    texts: dict[str, list[str]] = {}
    for link in body:
        lines = texts.setdefault(
            link["record"], Path(link["record"]).read_text(encoding="utf-8").split("\n")
        )
        assert link["raw"] in html.unescape(lines[link["line"] - 1]), link
    # A site-relative link in a page resolves against the site's origin, not its baseurl.
    emoticon = next(ln for ln in body if ln["raw"] == "/html/emoticons/1f642.png")
    assert emoticon["url"] == "https://smartableai.github.io/html/emoticons/1f642.png"
