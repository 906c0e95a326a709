"""Body links: Markdown and HTML links with their lines in the file; code is never a link."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from linkcheck.inputs.bodylinks import (
    BodyLink,
    html_links,
    is_markup_value,
    markdown_links,
    markup_value_links,
    srcset_urls,
)
from linkcheck.inputs.links import extract_links
from linkcheck.inputs.records import parse_bytes
from linkcheck.model import Role

MARKDOWN = """\
Intro [a](http://a.example/x "t") and ![img](/i.png)
second line <https://auto.example/> and [ref][r]
`[no](http://code.example)` and <a href="http://inline.example">x</a>

[r]: http://ref.example/path
> [q]: http://quoted.example

```
[fence](http://fence.example)
```

    [indented](http://indent.example)

<div>
<a href="http://block.example"
   title="x"><img
 srcset="http://s1.example/a.jpg 1x, http://s2.example/b,c.jpg 2x"
   src="http://img.example">b</a> [not markdown](http://notmd.example)
<!-- <a href="http://comment.example"> -->
</div>

- item [li](http://li.example) [mail](mailto:x@y) [top](#top) [liq]({{ site.baseurl }}/x)
  more [li2](javascript:alert(1))

| a | b |
|---|---|
| [cell](https://cell.example/) | x |
"""


def test_markdown_links_have_their_file_lines() -> None:
    found = [(link.url, link.line, link.kind) for link in markdown_links(MARKDOWN, first_line=5)]
    assert found == [
        ("http://a.example/x", 5, "markdown"),
        ("/i.png", 5, "image"),
        ("https://auto.example/", 6, "autolink"),
        ("http://inline.example", 7, "a.href"),
        ("http://ref.example/path", 9, "definition"),
        ("http://quoted.example", 10, "definition"),
        ("http://block.example", 19, "a.href"),
        ("http://s1.example/a.jpg", 21, "img.srcset"),
        ("http://s2.example/b,c.jpg", 21, "img.srcset"),
        ("http://img.example", 22, "img.src"),
        ("http://li.example", 26, "markdown"),
        ("javascript:alert(1)", 27, "markdown"),
        ("https://cell.example/", 31, "markdown"),
    ]


def test_code_comments_and_non_web_links_are_not_links() -> None:
    urls = {link.url for link in markdown_links(MARKDOWN)}
    for absent in ("code", "fence", "indent", "comment", "notmd"):
        assert f"http://{absent}.example" not in urls
    assert not any(u.startswith(("mailto:", "#")) or "{{" in u for u in urls)


def test_a_reference_link_is_listed_once_at_its_definition() -> None:
    text = "See [one][x] and [two][x].\n\n[x]: https://r.example/\n"
    assert markdown_links(text) == [BodyLink("https://r.example/", 3, "definition")]


def test_html_body_links_with_entities_decoded() -> None:
    html = (
        "<html><head><script>var a = '<a href=\"http://script.example\">';</script></head>\n"
        "<body><p>Hi</p>\n"
        "<a href='https://x.example/?a=1&amp;b=2'>x</a><A HREF=https://upper.example/>y</A>\n"
        '<iframe src="https://www.youtube.com/embed/abc"></iframe>\n'
        '<video src="https://v.example/v.mp4" poster="https://v.example/p.jpg"></video>\n'
        "</body></html>\n"
    )
    found = [(link.url, link.line) for link in html_links(html, first_line=10)]
    assert found == [
        ("https://x.example/?a=1&b=2", 12),
        ("https://upper.example/", 12),
        ("https://www.youtube.com/embed/abc", 13),
        ("https://v.example/v.mp4", 14),
        ("https://v.example/p.jpg", 14),
    ]


def test_an_embed_in_a_front_matter_field_is_markup_prose_is_not() -> None:
    embed = '<iframe width="800" src="https://www.youtube.com/embed/WJk" allowfullscreen></iframe>'
    assert is_markup_value(embed)
    assert markup_value_links(embed, 12) == [
        BodyLink("https://www.youtube.com/embed/WJk", 12, "iframe.src")
    ]
    prose = "Where: https://aka.ms/VancouverUG <b>soon</b>"
    assert not is_markup_value(prose)
    assert markup_value_links(prose, 3) == []


@pytest.mark.parametrize(
    ("srcset", "urls"),
    [
        ("a.jpg 1x, b.jpg 2x", ["a.jpg", "b.jpg"]),
        ("a.jpg, b.jpg 480w", ["a.jpg", "b.jpg"]),
        ("https://x/a,b.jpg 1x,https://x/c.jpg", ["https://x/a,b.jpg", "https://x/c.jpg"]),
        ("  ", []),
    ],
)
def test_srcset_urls(srcset: str, urls: list[str]) -> None:
    assert srcset_urls(srcset) == urls


def _body(text: str) -> tuple[str, int]:
    """The body after the front matter, and the file line it starts on (as records.py reads)."""
    end = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE).search(text, 4)
    assert end is not None
    return text[end.end() :], text.count("\n", 0, end.end()) + 1


@pytest.mark.corpus
def test_corpus_bodies_every_link_is_on_its_line(corpus: Path) -> None:
    """The site's sample pages (Markdown with HTML) and newsletters (HTML): every link found
    is written on the line given (3,183 links in 138 bodies)."""
    site = corpus / "smartable-power-apps"
    total = 0
    for path in sorted([*site.glob("_samples/*.md"), *site.glob("_newsletters/*.html")]):
        text = path.read_text(encoding="utf-8")
        body, first = _body(text)
        read = markdown_links if path.suffix == ".md" else html_links
        lines = text.split("\n")
        for link in read(body, first):
            assert link.url in html.unescape(lines[link.line - 1]), (path.name, link)
            total += 1
    assert total == 3183


PAGE = """\
---
title: "A page"
originalUrl: https://news.example/a
featuredContent: "<iframe src=\\"https://www.youtube.com/embed/x\\"></iframe>"
excerpt: "Where: https://prose.example/ (not a link)"
---

Read [the story](https://news.example/story) and ![a chart](/assets/chart.png).

<a href="javascript:void(0)">menu</a> `[code](https://code.example/)`
"""


def test_a_read_record_keeps_its_body_links_and_extraction_gives_them_role_body() -> None:
    [record] = parse_bytes("_posts/a.md", PAGE.encode()).records
    assert record.body_links == (
        ("https://news.example/story", 8),
        ("/assets/chart.png", 8),
        ("javascript:void(0)", 10),
    )
    links = extract_links(record, "https://site.example/blog")
    found = [(ln.field, ln.role, ln.url, ln.line, ln.invalid_reason) for ln in links]
    assert found == [
        ("originalUrl", Role.ORIGINAL, "https://news.example/a", 3, None),
        ("featuredContent", Role.BODY, "https://www.youtube.com/embed/x", 4, None),
        ("body", Role.BODY, "https://news.example/story", 8, None),
        # The rendered page resolves /assets against the site's origin, not its baseurl.
        ("body", Role.BODY, "https://site.example/assets/chart.png", 8, None),
        ("body", Role.BODY, None, 10, "unsafe scheme javascript:"),
    ]


def test_an_html_page_body_is_read_as_html() -> None:
    page = (
        '---\ntitle: "N"\n---\n<p>[not markdown](https://md.example/)</p>\n'
        '<a href="https://h.example/">h</a>\n'
    )
    [record] = parse_bytes("_newsletters/n.html", page.encode()).records
    assert record.body_links == (("https://h.example/", 5),)
    [record] = parse_bytes("_posts/n.md", page.encode()).records
    assert record.body_links == (("https://h.example/", 5),)  # an HTML block in Markdown too
