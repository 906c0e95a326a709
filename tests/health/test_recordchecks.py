"""Record-level findings: each code found and not found, on records and on a local web."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from linkcheck.config import Config, ContentConfig
from linkcheck.engine.fetch import fetch_all
from linkcheck.health.content import apply_content, want_body
from linkcheck.health.recordchecks import (
    ImageSeen,
    cdn_stale_message,
    declared_size,
    duplicate_originals,
    https_twin,
    image_changed,
    lookup,
    record_findings,
)
from linkcheck.inputs.amp import amp_cache_url
from linkcheck.inputs.lint import record_only_findings
from linkcheck.model import CacheInfo, Finding, LinkRef, Outcome, Record, Role, UrlCheck, UrlResult
from tests.content_web import LAST_MODIFIED_NEW, LAST_MODIFIED_OLD, content_app
from tests.localweb import local_web

CONFIG = ContentConfig()
AMP = "https://www.vice.com/amp/en_us/article/g5p9z3/amazon"
CDN = "https://www-vice-com.cdn.ampproject.org/c/s/www.vice.com/amp/en_us/article/g5p9z3/amazon"


def link(field: str, role: Role, url: str | None, record: str = "a.md", **kw) -> LinkRef:
    return LinkRef(
        record=record,
        field=field,
        role=role,
        raw=url or kw.get("raw", ""),
        url=url,
        invalid_reason=kw.get("invalid_reason"),
    )


def ok(url: str, **kw) -> UrlResult:
    return UrlResult(url=url, outcome=Outcome.OK, status=200, final_url=url, **kw)


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def findings_of(fields: dict, links: list[LinkRef], results=None, **kw) -> list[Finding]:
    record = Record(source="a.md", index=0, fields=fields)
    return record_findings(record, links, results or {}, kw.pop("config", CONFIG), **kw)


# ---------------------------------------------------------------- image_size_mismatch


def test_image_size_mismatch_found_and_not_found():
    fields = {
        "images": [{"url": "https://i.example/a.jpg", "width": 50, "height": 50}],
        "provider": {"images": [{"url": "https://i.example/l.jpg", "width": "50", "height": "50"}]},
    }
    links = [
        link("images[0].url", Role.IMAGE, "https://i.example/a.jpg"),
        link("provider.images[0].url", Role.PROVIDER_IMAGE, "https://i.example/l.jpg"),
    ]
    results = {
        "https://i.example/a.jpg": ok("https://i.example/a.jpg", image_size=(64, 64)),
        "https://i.example/l.jpg": ok("https://i.example/l.jpg", image_size=(50, 50)),
    }
    assert findings_of(fields, links, results) == [
        Finding("image_size_mismatch", "images[0].url", "declared 50x50, actual 64x64")
    ]
    assert findings_of(fields, links, results, config=ContentConfig(image_size=False)) == []
    results["https://i.example/a.jpg"] = ok("https://i.example/a.jpg", image_size=None)
    assert findings_of(fields, links, results) == []  # size unknown: nothing to say


def test_declared_size_and_lookup():
    fields = {"related": [{"images": [{"url": "u", "width": 5037, "height": 2829.0}]}]}
    assert declared_size(fields, "related[0].images[0].url") == (5037, 2829)
    assert declared_size(fields, "related[1].images[0].url") is None
    assert declared_size({"images": [{"url": "u", "width": "wide"}]}, "images[0].url") is None
    assert lookup(fields, "related[0].images[0].width") == 5037
    assert lookup(fields, "related[0].nope[3]") is None


# ---------------------------------------------------------------- cdn_amp_mismatch, cdn_stale


def test_cdn_amp_mismatch_found_also_inside_related():
    wrong = "https://www-vice-com.cdn.ampproject.org/c/s/www.vice.com/amp/other"
    links = [
        link("ampWebUrl", Role.AMP, AMP),
        link("cdnAmpWebUrl", Role.CDN_AMP, CDN),
        link("related[1].ampWebUrl", Role.AMP, "https://www.geekwire.com/2020/x/amp/"),
        link("related[1].cdnAmpWebUrl", Role.CDN_AMP, wrong),
    ]
    found = findings_of({}, links)
    assert codes(found) == ["cdn_amp_mismatch"]
    assert found[0].field == "related[1].cdnAmpWebUrl"
    assert amp_cache_url("https://www.geekwire.com/2020/x/amp/") in found[0].message
    assert findings_of({}, links, config=ContentConfig(cdn_amp=False)) == []


def test_cdn_amp_match_tolerates_a_unicode_origin_host():
    amp = "https://bücher.ch/amp/a"
    cdn = "https://xn--bcher-ch-65a.cdn.ampproject.org/c/s/bücher.ch/amp/a"
    links = [link("ampWebUrl", Role.AMP, amp), link("cdnAmpWebUrl", Role.CDN_AMP, cdn)]
    assert findings_of({}, links) == []


def cached(url: str, last_modified: str | None, date: str | None = None, age: int | None = None):
    return ok(
        url,
        cache=CacheInfo(
            fresh=None, freshness_lifetime_s=None, age_s=age, last_modified=last_modified, date=date
        ),
    )


def test_cdn_stale_found_and_not_found():
    links = [link("ampWebUrl", Role.AMP, AMP), link("cdnAmpWebUrl", Role.CDN_AMP, CDN)]
    stale = {AMP: cached(AMP, LAST_MODIFIED_NEW), CDN: cached(CDN, LAST_MODIFIED_OLD)}
    fresh = {AMP: cached(AMP, LAST_MODIFIED_OLD), CDN: cached(CDN, LAST_MODIFIED_NEW)}
    found = findings_of({}, links, stale)
    assert codes(found) == ["cdn_stale"]
    assert "2020-06-01 10:00:00Z" in found[0].message
    assert findings_of({}, links, fresh) == []
    # copy without Last-Modified: Date minus Age is when the cache fetched it
    by_date = {
        AMP: cached(AMP, "Tue, 09 Jun 2020 10:00:00 GMT"),
        CDN: cached(CDN, None, date="Wed, 10 Jun 2020 10:00:00 GMT", age=2 * 86400),
    }
    assert codes(findings_of({}, links, by_date)) == ["cdn_stale"]
    assert cdn_stale_message(stale[AMP], None) is None
    assert cdn_stale_message(cached(AMP, None), stale[CDN]) is None  # origin time unknown
    broken = replace(stale[CDN], outcome=Outcome.BROKEN)
    assert cdn_stale_message(stale[AMP], broken) is None


def test_cdn_stale_on_the_local_web():
    with local_web() as web_:
        host = web_.serve(content_app(), "127.0.0.4")
        amp, old, new = host.url("/amp/story"), host.url("/cdn/stale"), host.url("/cdn/fresh")
        checks = [
            UrlCheck(amp, frozenset({Role.AMP})),
            UrlCheck(old, frozenset({Role.CDN_AMP})),
            UrlCheck(new, frozenset({Role.CDN_AMP})),
        ]
        config = Config()
        got = asyncio.run(fetch_all(checks, config, want_body=lambda c: want_body(c, CONFIG)))
    results = {
        f.url: apply_content(ok(f.url), f, c, CONFIG) for f, c in zip(got, checks, strict=True)
    }
    assert cdn_stale_message(results[amp], results[old]) is not None
    assert cdn_stale_message(results[amp], results[new]) is None


# ---------------------------------------------------------------- cached_image_changed


def image_result(etag=None, last_modified=None, size=None, length=None) -> UrlResult:
    cache = CacheInfo(
        fresh=None, freshness_lifetime_s=None, age_s=0, etag=etag, last_modified=last_modified
    )
    return ok("https://i.example/a.jpg", cache=cache, image_size=size, content_length=length)


@pytest.mark.parametrize(
    ("seen", "now", "changed"),
    [
        (ImageSeen(etag='"a"'), image_result(etag='"b"'), True),
        (ImageSeen(etag='"a"'), image_result(etag='W/"a"'), False),
        (ImageSeen(etag='"a"', image_size=(1, 1)), image_result(etag='"a"', size=(2, 2)), False),
        (
            ImageSeen(last_modified=LAST_MODIFIED_OLD),
            image_result(last_modified=LAST_MODIFIED_NEW),
            True,
        ),
        (
            ImageSeen(last_modified=LAST_MODIFIED_OLD),
            image_result(last_modified=LAST_MODIFIED_OLD),
            False,
        ),
        (ImageSeen(image_size=(760, 428)), image_result(size=(640, 360)), True),
        (ImageSeen(image_size=(760, 428)), image_result(size=(760, 428)), False),
        (ImageSeen(content_length=1000), image_result(length=1001), True),
        (ImageSeen(), image_result(etag='"x"'), False),  # nothing to compare
    ],
)
def test_image_changed(seen, now, changed):
    assert image_changed(seen, now) is changed


def test_cached_image_changed_only_for_is_cached_images():
    url = "https://i.example/a.jpg"
    fields = {"images": [{"url": url, "width": 1, "height": 1, "isCached": True}]}
    links = [link("images[0].url", Role.IMAGE, url)]
    results = {url: image_result(etag='"new"')}
    seen = {url: ImageSeen(etag='"old"')}
    assert codes(findings_of(fields, links, results, first_seen=seen)) == ["cached_image_changed"]
    fields["images"][0]["isCached"] = False
    assert findings_of(fields, links, results, first_seen=seen) == []
    assert (
        findings_of(
            {"images": [{"url": url, "width": 1, "height": 1, "isCached": True}]}, links, results
        )
        == []
    )  # no history yet


# ---------------------------------------------------------------- mojibake


def test_mojibake_in_the_reference_record(corpus):
    from linkcheck.inputs.links import extract_links
    from linkcheck.inputs.records import read_file

    read = read_file(corpus / "seed/000_69670e491d83c649.md")
    record = read.records[0]
    found = [
        f
        for f in record_findings(record, extract_links(record, None), {}, CONFIG)
        if f.code == "mojibake"
    ]
    assert found == [
        Finding(
            "mojibake", "related[1].title", 'broken encoding: "nationâ€™s" should read "nation’s"'
        )
    ]


def test_mojibake_not_found_in_clean_text():
    fields = {
        "title": "Café naïve résumé — “quoted” it’s 日本語",
        "excerpt": "plain",
        "related": [{"title": "Zürich façade"}],
    }
    assert findings_of(fields, []) == []
    broken = {"excerpt": "CafÃ© crÃ¨me"}
    assert codes(findings_of(broken, [])) == ["mojibake"]
    assert findings_of(broken, [], config=ContentConfig(mojibake=False)) == []


# ---------------------------------------------------------------- insecure_url


def test_https_twin():
    assert https_twin("http://example.com/a?b=1") == "https://example.com/a?b=1"
    assert https_twin("http://example.com:80/a") == "https://example.com/a"
    assert https_twin("http://example.com:8080/a") == "https://example.com:8080/a"
    assert https_twin("https://example.com/a") is None
    assert https_twin("ftp://example.com/a") is None


def test_insecure_url_found_when_the_twin_works():
    http = "http://news.example/a"
    links = [link("originalUrl", Role.ORIGINAL, http)]
    works = {http: ok("https://news.example/a")}
    fails = {http: replace(ok("https://news.example/a"), outcome=Outcome.TLS_ERROR)}
    assert codes(findings_of({}, links, https_twins=works)) == ["insecure_url"]
    assert findings_of({}, links, https_twins=fails) == []
    assert findings_of({}, links, https_twins=works, config=ContentConfig(insecure_url=False)) == []


# ---------------------------------------------------------------- duplicate_original


def test_duplicate_originals_names_both_records():
    url = "https://news.example/a"
    per_record = [
        ("_news/a.md", [link("originalUrl", Role.ORIGINAL, url)]),
        ("_news/b.md", [link("originalUrl", Role.ORIGINAL, url, record="_news/b.md")]),
        (
            "_news/c.md",
            [
                link("originalUrl", Role.ORIGINAL, "https://news.example/c"),
                link("related[0].originalUrl", Role.ORIGINAL, url),
            ],
        ),
    ]
    duplicates = duplicate_originals(per_record)
    assert duplicates == {url: ["_news/a.md", "_news/b.md"]}
    record = Record(source="_news/a.md", index=0, fields={})
    found = record_findings(record, per_record[0][1], {}, CONFIG, duplicates=duplicates)
    assert found == [Finding("duplicate_original", "originalUrl", "same originalUrl as _news/b.md")]
    alone = Record(source="_news/c.md", index=0, fields={})
    assert record_findings(alone, per_record[2][1], {}, CONFIG, duplicates=duplicates) == []


# ---------------------------------------------------------------- missing_field, invalid_url


def test_missing_field_found_and_not_found():
    article = {
        "type": "article",
        "published": True,
        "webUrl": "https://x.example/a",
        "images": [{"url": "https://i.example/a.jpg", "width": 10}],
        "related": [{"provider": {"images": [{"url": "https://i.example/l.jpg"}]}}],
    }
    found = findings_of(article, [])
    assert [(f.code, f.field, f.message) for f in found] == [
        ("missing_field", "originalUrl", "a published article needs originalUrl"),
        ("missing_field", "images[0]", "image without height"),
        ("missing_field", "related[0].provider.images[0]", "image without width and height"),
    ]
    draft = {**article, "published": False, "images": [], "related": []}
    assert findings_of(draft, []) == []
    assert findings_of(article, [], config=ContentConfig(missing_field=False)) == []


def test_invalid_url_always_reported():
    links = [
        link(
            "webUrl",
            Role.WEB,
            None,
            raw="javascript:alert(1)",
            invalid_reason="unsafe scheme javascript:",
        )
    ]
    assert findings_of({}, links) == [Finding("invalid_url", "webUrl", "unsafe scheme javascript:")]
    assert codes(findings_of({}, links, config=ContentConfig(enabled=False))) == ["invalid_url"]


def test_record_only_findings_given_or_not_give_the_same_findings_in_the_same_order():
    """The parse cache hands record_findings what the record alone says; nothing may change."""
    fields = {
        "type": "article",
        "published": True,
        "title": "CafÃ© crÃ¨me",
        "images": [
            {"url": "https://i.example/a.jpg", "width": 10},
            {"url": "https://i.example/b.jpg", "width": 10, "height": 10},
        ],
    }
    wrong = "https://www-vice-com.cdn.ampproject.org/c/s/www.vice.com/amp/other"
    links = [
        link("webUrl", Role.WEB, None, raw="javascript:alert(1)", invalid_reason="unsafe"),
        link("images[0].url", Role.IMAGE, "https://i.example/a.jpg"),
        link("images[1].url", Role.IMAGE, "https://i.example/b.jpg"),
        link("ampWebUrl", Role.AMP, AMP),
        link("cdnAmpWebUrl", Role.CDN_AMP, CDN),
        link("related[0].ampWebUrl", Role.AMP, AMP),
        link("related[0].cdnAmpWebUrl", Role.CDN_AMP, wrong),
        link("related[1].ampWebUrl", Role.AMP, AMP),
        link("related[1].cdnAmpWebUrl", Role.CDN_AMP, CDN),
    ]
    results = {
        AMP: cached(AMP, LAST_MODIFIED_NEW),
        CDN: cached(CDN, LAST_MODIFIED_OLD),
        "https://i.example/b.jpg": ok("https://i.example/b.jpg", image_size=(10, 20)),
    }
    record = Record(source="a.md", index=0, fields=fields)
    only = record_only_findings(record, links)
    assert list(only.cdn_amp_mismatch) == ["related[0].cdnAmpWebUrl"]
    for config in (
        CONFIG,
        ContentConfig(mojibake=False, cdn_amp=False),
        ContentConfig(enabled=False),
    ):
        alone = record_findings(record, links, results, config)
        assert record_findings(record, links, results, config, record_only=only) == alone
    assert [(f.code, f.field) for f in record_findings(record, links, results, CONFIG)] == [
        ("invalid_url", "webUrl"),
        ("missing_field", "originalUrl"),
        ("missing_field", "webUrl"),
        ("missing_field", "images[0]"),
        ("mojibake", "title"),
        ("image_size_mismatch", "images[1].url"),
        ("cdn_stale", "cdnAmpWebUrl"),
        ("cdn_amp_mismatch", "related[0].cdnAmpWebUrl"),
        ("cdn_stale", "related[1].cdnAmpWebUrl"),
    ]


# ---------------------------------------------------------------- on the local web


def test_real_jpeg_with_wrong_declared_size_on_the_local_web():
    with local_web() as web_:
        host = web_.serve(content_app(), "127.0.0.5")
        url = host.url("/image-64.jpg")
        item = UrlCheck(url, frozenset({Role.IMAGE}))
        (got,) = asyncio.run(fetch_all([item], Config(), want_body=lambda c: want_body(c, CONFIG)))
    result = apply_content(ok(url), got, item, CONFIG)
    fields = {"images": [{"url": url, "width": 50, "height": 50}]}
    found = findings_of(fields, [link("images[0].url", Role.IMAGE, url)], {url: result})
    assert found == [
        Finding("image_size_mismatch", "images[0].url", "declared 50x50, actual 64x64")
    ]
    fields["images"][0].update(width=64, height=64)
    assert findings_of(fields, [link("images[0].url", Role.IMAGE, url)], {url: result}) == []
