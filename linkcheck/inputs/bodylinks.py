"""Find the links in a record's body (the Markdown or HTML after its front matter) and in
front-matter fields whose value is an HTML element (``featuredContent: "<iframe src=…>"``).

What counts as a link: Markdown links and images (inline, and reference definitions, each at
its definition's line), autolinks ``<https://…>``, and in HTML ``<a href>``, ``<img src>`` /
``srcset``, ``<iframe src>``, ``<source src>`` / ``srcset``, ``<video src>`` / ``poster``,
``<audio src>``. Text is never mined for bare URLs (a URL quoted in prose is not a link the
record owns), and nothing inside a code span, a fenced or indented code block, an HTML comment
or a ``<script>`` / ``<style>`` is a link.

Why libraries and not regexes: Markdown's rules for what is a link are many (nested brackets,
titles, escapes, code spans that hide brackets, HTML blocks that end only at a blank line) and
``markdown-it-py`` implements CommonMark exactly, with the 0-based line range (``map``) of
every block and of every reference definition. The stdlib ``html.parser`` tokenises HTML as a
browser does (attributes quoted or not, entities decoded, comments and script skipped) and
tells the line of each tag. A hand-written scanner would get either wrong on real bodies.

Lines are 1-based lines of the *file*: the caller passes the line the body starts on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

# Which attributes of which elements hold a link, and those that hold a srcset list.
LINK_ATTRS: dict[str, tuple[str, ...]] = {
    "a": ("href",),
    "img": ("src",),
    "iframe": ("src",),
    "source": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
}
SRCSET_TAGS = frozenset({"img", "source"})
# Schemes that are not web links: left alone, like a mailto: field is.
_NOT_WEB = re.compile(r"(?i)(?:mailto|tel|sms|callto|data|about|blob):")
# A Liquid tag or output: the URL is only known once the site is built.
_LIQUID = re.compile(r"\{\{|\{%")
# A front-matter value that is one HTML element (or a few), not prose that mentions one.
_MARKUP_VALUE = re.compile(r"\s*<[A-Za-z][\w-]*[\s/>].*>\s*", re.DOTALL)
_ATTR_AT = "(?i)(?:^|\\s){}\\s*="
_SRCSET_URL = re.compile(r"[\s,]*(\S*)")


@dataclass(frozen=True)
class BodyLink:
    """One link written in markup: the URL as the author wrote it (entities decoded)."""

    url: str
    line: int
    # Where it was found: "markdown", "image", "autolink", "definition", or "tag.attr".
    kind: str


def markdown_links(text: str, first_line: int = 1) -> list[BodyLink]:
    """The links of a Markdown body whose first line is line ``first_line`` of its file."""
    env: dict[str, Any] = {}
    tokens = _markdown().parse(text, env)
    found = list(_block_links(tokens, first_line))
    defined = set()
    for ref in env.get("references", {}).values():
        href, where = ref.get("href", ""), ref.get("map")
        defined.add(href)
        if href and where:
            found.append(BodyLink(href, first_line + where[0], "definition"))
    # A reference link's target is already listed at its definition's line.
    found = [link for link in found if not (link.kind == "markdown" and link.url in defined)]
    return _kept(sorted(found, key=lambda link: link.line))


def html_links(text: str, first_line: int = 1) -> list[BodyLink]:
    """The links of an HTML body (or fragment) whose first line is line ``first_line``."""
    return _kept(_html_links(text, first_line))


def markup_value_links(value: str, line: int) -> list[BodyLink]:
    """Links in a front-matter string that is HTML markup (an embed); [] for prose.

    The value's own line breaks are not lines of the file once YAML has folded or unquoted
    them, so every link is given the field's ``line``.
    """
    if not _MARKUP_VALUE.fullmatch(value):
        return []
    return [BodyLink(link.url, line, link.kind) for link in html_links(value, 1)]


def is_markup_value(value: str) -> bool:
    """Whether a front-matter string is HTML markup (``<iframe …></iframe>``), not prose."""
    return _MARKUP_VALUE.fullmatch(value) is not None


# ---------------------------------------------------------------- Markdown


def _markdown() -> MarkdownIt:
    """CommonMark with raw HTML on; every destination is kept exactly as written.

    markdown-it drops ``javascript:`` links and percent-encodes the rest for rendering; a
    checker wants what the author wrote, so the URL normaliser can judge it.
    """
    md = MarkdownIt("commonmark")
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    return md


def _block_links(tokens: list[Token], first_line: int) -> Iterator[BodyLink]:
    for token in tokens:
        if token.map is None:
            continue
        line = first_line + token.map[0]
        if token.type == "inline":
            yield from _inline_links(token.children or [], line)
        elif token.type == "html_block":
            yield from _html_links(token.content, line)


def _inline_links(children: list[Token], line: int) -> Iterator[BodyLink]:
    """Inline tokens carry no line: count the line breaks met so far in the paragraph."""
    for child in children:
        if child.type == "link_open":
            kind = "autolink" if child.markup == "autolink" else "markdown"
            yield BodyLink(str(child.attrs.get("href", "")), line, kind)
        elif child.type == "image":
            yield BodyLink(str(child.attrs.get("src", "")), line, "image")
        elif child.type == "html_inline":
            yield from _html_links(child.content, line)
            line += child.content.count("\n")
        elif child.type in ("softbreak", "hardbreak"):
            line += 1


# ---------------------------------------------------------------- HTML


class _LinkTags(HTMLParser):
    """Collects (url, line, kind) of the link attributes of the tags in ``LINK_ATTRS``."""

    def __init__(self, first_line: int) -> None:
        super().__init__(convert_charrefs=True)
        self.first_line = first_line
        self.found: list[BodyLink] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = LINK_ATTRS.get(tag)
        if names is None:
            return
        line = self.first_line + self.getpos()[0] - 1
        raw = self.get_starttag_text() or ""
        for name, value in attrs:
            if value is None:
                continue
            if name in names:
                self.found.append(
                    BodyLink(value.strip(), _attr_line(raw, name, line), _k(tag, name))
                )
            elif name == "srcset" and tag in SRCSET_TAGS:
                at = _attr_line(raw, name, line)
                self.found.extend(BodyLink(u, at, _k(tag, name)) for u in srcset_urls(value))

    handle_startendtag = handle_starttag


def _html_links(text: str, first_line: int) -> list[BodyLink]:
    parser = _LinkTags(first_line)
    parser.feed(text)
    parser.close()
    return parser.found


def _attr_line(tag_text: str, name: str, tag_line: int) -> int:
    """The line of an attribute in a tag that may span lines."""
    match = re.search(_ATTR_AT.format(re.escape(name)), tag_text)
    return tag_line + (tag_text.count("\n", 0, match.start()) if match else 0)


def _k(tag: str, attr: str) -> str:
    return f"{tag}.{attr}"


def srcset_urls(value: str) -> list[str]:
    """The URLs of a ``srcset`` ("a.jpg 1x, b.jpg 2x"): each up to its whitespace or comma."""
    urls = []
    pos = 0
    while pos < len(value):
        match = _SRCSET_URL.match(value, pos)
        url = match.group(1) if match else ""
        if not url or match is None:
            break
        pos = match.end()
        if url.endswith(","):
            url = url.rstrip(",")
        else:  # skip the descriptors ("2x", "480w") up to the next candidate
            comma = value.find(",", pos)
            pos = len(value) if comma < 0 else comma + 1
        if url:
            urls.append(url)
    return urls


# ---------------------------------------------------------------- which are web links


def _kept(links: list[BodyLink]) -> list[BodyLink]:
    return [link for link in links if is_web_candidate(link.url)]


def is_web_candidate(url: str) -> bool:
    """Whether a body link is checked: not empty, not in-page (``#top``), not mailto:/tel:/
    data:, not a Liquid template. ``javascript:`` and ``file:`` stay, to be reported invalid."""
    text = url.strip()
    return (
        bool(text)
        and not text.startswith("#")
        and not _NOT_WEB.match(text)
        and not (_LIQUID.search(text))
    )
