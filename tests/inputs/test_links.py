"""Link extraction: roles by field, invalid URL fields as values, unique checks, `links` output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from linkcheck.inputs.links import (
    extract_links,
    format_links_json,
    format_links_text,
    links_summary,
    unique_checks,
)
from linkcheck.inputs.records import parse_bytes, read_inputs
from linkcheck.model import LinkRef, Record, Role, UrlCheck

BASE = "https://news.example.test/blog"
DATA = Path(__file__).resolve().parents[1] / "data"


def links_of(fields: dict[str, Any], base: str | None = BASE) -> list[tuple[str, Role, str | None]]:
    return [(ln.field, ln.role, ln.url) for ln in extract_links(Record("r.md", 0, fields), base)]


def test_article_roles_top_level_and_related() -> None:
    fields = {
        "originalUrl": "https://a.test/o",
        "webUrl": "https://a.test/w",
        "ampWebUrl": "https://a.test/amp",
        "cdnAmpWebUrl": "https://a-test.cdn.ampproject.org/c/s/a.test/amp",
        "images": [{"url": "https://img.test/1.jpg", "width": 1}],
        "provider": {"name": "P", "images": [{"url": "/assets/p.jpg"}]},
        "related": [
            {"webUrl": "https://b.test/w", "images": [{"url": "https://img.test/2.jpg"}]},
            {
                "cdnAmpWebUrl": "https://b-test.cdn.ampproject.org/c/s/b.test/amp",
                "provider": {"images": [{"url": "https://b.test/logo.png"}]},
            },
        ],
    }
    assert links_of(fields) == [
        ("originalUrl", Role.ORIGINAL, "https://a.test/o"),
        ("webUrl", Role.WEB, "https://a.test/w"),
        ("ampWebUrl", Role.AMP, "https://a.test/amp"),
        ("cdnAmpWebUrl", Role.CDN_AMP, "https://a-test.cdn.ampproject.org/c/s/a.test/amp"),
        ("images[0].url", Role.IMAGE, "https://img.test/1.jpg"),
        ("provider.images[0].url", Role.PROVIDER_IMAGE, f"{BASE}/assets/p.jpg"),
        ("related[0].webUrl", Role.WEB, "https://b.test/w"),
        ("related[0].images[0].url", Role.IMAGE, "https://img.test/2.jpg"),
        (
            "related[1].cdnAmpWebUrl",
            Role.CDN_AMP,
            "https://b-test.cdn.ampproject.org/c/s/b.test/amp",
        ),
        ("related[1].provider.images[0].url", Role.PROVIDER_IMAGE, "https://b.test/logo.png"),
    ]


def test_other_url_fields_but_not_free_text() -> None:
    fields = {
        "title": "https://title.test/ is a title",
        "excerpt": "see https://prose.test/ here",
        "content": "https://content.test/",
        "secured": "/AbC+dEf==",
        "path": "/_news/x.md",
        "actions": [{"url": "https://dl.test/x.zip", "type": "download"}],
        "twitter": {"url": "https://twitter.test/p"},
        "website": "https://t.test/abc",
        "affiliation": {"images": [{"url": "/assets/org.jpg"}]},
        "logoUrl": "//cdn.test/logo.png",
        "homepage": "mailto:me@example.test",
        "link": "javascript:void(0)",
        "note": "http://plain.test/as-a-whole-value",
        "sourceUrl": None,
        "count": 3,
        "url": "not a url",
    }
    assert links_of(fields) == [
        ("actions[0].url", Role.OTHER, "https://dl.test/x.zip"),
        ("twitter.url", Role.OTHER, "https://twitter.test/p"),
        ("website", Role.OTHER, "https://t.test/abc"),
        ("affiliation.images[0].url", Role.OTHER, f"{BASE}/assets/org.jpg"),
        ("logoUrl", Role.OTHER, "https://cdn.test/logo.png"),
        ("link", Role.OTHER, None),
        ("note", Role.OTHER, "http://plain.test/as-a-whole-value"),
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (12345, "originalUrl is a number, expected a URL string"),
        (["https://a.test/"], "originalUrl is a list, expected a URL string"),
        ({"href": "https://a.test/"}, "originalUrl is a mapping, expected a URL string"),
        (True, "originalUrl is a boolean, expected a URL string"),
        ("", "empty"),
        ("   ", "empty"),
        ("javascript:alert(1)", "unsafe scheme javascript:"),
        ("/relative", "site-relative URL and no base URL"),
    ],
)
def test_known_field_with_a_bad_value_is_an_invalid_link(value: Any, reason: str) -> None:
    record = Record("r.md", 0, {"originalUrl": value}, lines={"originalUrl": 7})
    [link] = extract_links(record, None)
    assert link.url is None
    assert link.invalid_reason is not None and link.invalid_reason.startswith(reason)
    assert (link.field, link.role, link.line) == ("originalUrl", Role.ORIGINAL, 7)


def test_null_is_not_a_link() -> None:
    assert links_of({"originalUrl": None, "images": [{"url": None}], "webUrl": None}) == []


def test_images_as_plain_strings() -> None:
    assert links_of({"images": ["https://img.test/a.jpg"]}) == [
        ("images[0]", Role.IMAGE, "https://img.test/a.jpg")
    ]


def test_bad_url_types_file_gives_invalid_links_with_lines() -> None:
    [record] = read_inputs([str(DATA / "bad" / "url-types.md")]).records
    links = extract_links(record, None)
    assert [(ln.field, ln.line, ln.url, ln.invalid_reason) for ln in links] == [
        ("originalUrl", 3, None, "originalUrl is a number, expected a URL string"),
        ("webUrl", 4, None, "empty"),
        ("images[0].url", 6, None, "url is a list, expected a URL string"),
        ("images[1].url", 9, None, "unsafe scheme javascript:"),
    ]
    assert links[0].raw == "12345"


def test_record_key_and_lines_come_from_the_record() -> None:
    text = "- title: a\n- title: b\n  originalUrl: https://a.test/x\n"
    record = parse_bytes("list.yml", text.encode()).records[1]
    [link] = extract_links(record, None)
    assert (link.record, link.line) == ("list.yml#1", 3)


# ---------------------------------------------------------------- unique checks


def ref(url: str | None, role: Role, record: str = "r.md") -> LinkRef:
    return LinkRef(record, "f", role, url or "x", url, None, None if url else "bad")


def test_unique_checks_merge_roles_and_count_referrers() -> None:
    links = [
        ref("https://b.test/", Role.WEB),
        ref("https://a.test/logo.jpg", Role.PROVIDER_IMAGE),
        ref("https://b.test/", Role.ORIGINAL, "s.md"),
        ref("https://a.test/logo.jpg", Role.PROVIDER_IMAGE, "s.md"),
        ref(None, Role.IMAGE),
    ]
    assert unique_checks(links) == [
        UrlCheck("https://a.test/logo.jpg", frozenset({Role.PROVIDER_IMAGE}), 2),
        UrlCheck("https://b.test/", frozenset({Role.WEB, Role.ORIGINAL}), 2),
    ]


def test_normalisation_dedupes_spellings_of_one_url() -> None:
    fields = {
        "originalUrl": "HTTPS://A.test:443/x#top",
        "webUrl": "https://a.test/x",
        "images": [{"url": "/assets/a.jpg"}, {"url": f"{BASE}/assets/a.jpg"}],
    }
    links = extract_links(Record("r.md", 0, fields), BASE)
    assert [(c.url, c.referrers) for c in unique_checks(links)] == [
        ("https://a.test/x", 2),
        (f"{BASE}/assets/a.jpg", 2),
    ]


# ---------------------------------------------------------------- output


def test_format_links_text_and_json() -> None:
    links = [
        LinkRef("a.md", "originalUrl", Role.ORIGINAL, "https://a.test/", "https://a.test/", 6),
        LinkRef("a.md", "webUrl", Role.WEB, "https://a.test/", "https://a.test/", 7),
        LinkRef("b.md", "images[0].url", Role.IMAGE, "", None, 9, "empty"),
    ]
    assert format_links_text(links) == (
        "a.md:6\toriginalUrl\toriginal\thttps://a.test/\n"
        "a.md:7\twebUrl\tweb\thttps://a.test/\n"
        "b.md:9\timages[0].url\timage\tINVALID (empty): \n"
        "3 links (1 unique URLs, 1 invalid) in 2 records\n"
    )
    assert format_links_text([], records=5) == "0 links (0 unique URLs, 0 invalid) in 5 records\n"
    data = json.loads(format_links_json(links))
    assert data["summary"] == {"links": 3, "unique_urls": 1, "invalid": 1, "records": 2}
    assert data["links"][2] == {
        "record": "b.md",
        "field": "images[0].url",
        "role": "image",
        "url": None,
        "raw": "",
        "line": 9,
        "invalid_reason": "empty",
    }


def test_extract_all_by_record_key_and_gc_restored() -> None:
    import gc

    from linkcheck.inputs.links import extract_all

    records = [
        Record("a.md", 0, {"originalUrl": "https://a.test/"}),
        Record("l.yml", 1, {"webUrl": "https://b.test/"}),
    ]
    assert gc.isenabled()
    by_key = extract_all(records, None)
    assert gc.isenabled()
    assert {key: [ln.url for ln in refs] for key, refs in by_key.items()} == {
        "a.md": ["https://a.test/"],
        "l.yml#1": ["https://b.test/"],
    }


def test_links_json_is_what_json_dumps_with_indent_gives() -> None:
    links = [
        LinkRef("a.md", "originalUrl", Role.ORIGINAL, "https://a.test/", "https://a.test/", 6),
        LinkRef("a.md", "webUrl", Role.WEB, "https://a.test/ x", "https://a.test/%20x", None),
        LinkRef('q"\\é\n.md#2', "images[0].url", Role.IMAGE, "\x01", None, 9, "bad\tone"),
    ]
    for given, records in ((links, None), ([], 4)):
        expected = {
            "summary": links_summary(given, records),
            "links": [
                {
                    "record": link.record,
                    "field": link.field,
                    "role": link.role.value,
                    "url": link.url,
                    "raw": link.raw,
                    "line": link.line,
                    "invalid_reason": link.invalid_reason,
                }
                for link in given
            ],
        }
        text = json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
        assert format_links_json(given, records) == text
