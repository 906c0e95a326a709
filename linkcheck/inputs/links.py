"""Find every link of a record, give it a role, and group the links into unique URLs to check.

The article fields have the contract's roles (``originalUrl`` -> original, ``images[].url`` ->
image, ``provider.images[].url`` -> provider_image, and the same inside ``related[N]``). Any
other field whose whole value is a link (``actions[].url``, ``twitter.url``, ``website``,
``affiliation.images[].url``...) is role ``other``: checked for being alive, without the page
or image content checks that only the contract's roles get. Free text (excerpt, content...) is
never mined for URLs: a URL quoted in prose is not a link the record owns.

Links written in markup are role ``body``: those of the body after the front matter (field
``body``, found while reading, ``inputs.bodylinks``) and those of a field whose whole value is
HTML (an embed such as ``featuredContent: "<iframe src=…>"``; field: that field). A
site-relative link there resolves against the site's origin, as the rendered page's does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any
from urllib.parse import urlsplit

from linkcheck.credentials import mask_text, split_userinfo
from linkcheck.inputs.bodylinks import is_markup_value, markup_value_links
from linkcheck.inputs.records import gc_paused
from linkcheck.inputs.urls import fragment_of, normaliser
from linkcheck.model import LinkRef, Record, Role, UrlCheck

ARTICLE_FIELDS = {
    "originalUrl": Role.ORIGINAL,
    "webUrl": Role.WEB,
    "ampWebUrl": Role.AMP,
    "cdnAmpWebUrl": Role.CDN_AMP,
}
# Prose and opaque values: never links, even when they happen to start with http or /.
TEXT_FIELDS = frozenset(
    {"title", "name", "excerpt", "content", "body", "description", "summary", "text", "html",
     "secured", "path"}
)  # fmt: skip
_URLISH_KEY = re.compile(r"(?i)(?:url|uri|href|src|link|website|homepage)$")
_ABSOLUTE = re.compile(r"(?i)https?://\S+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# In a URL-ish field these are flagged as invalid links; mailto:, tel: are legitimate non-web.
_UNSAFE = frozenset({"javascript", "data", "vbscript", "file"})


def extract_all(records: Iterable[Record], base_url: str | None) -> dict[str, list[LinkRef]]:
    """The links of every record, by record key; what a run needs, in one call.

    The garbage collector is paused meanwhile: over 100,000 records it would otherwise walk
    the whole heap of records again and again while nothing here makes a reference cycle.
    """
    normalise = normaliser(base_url)
    in_markup = normaliser(site_origin(base_url))
    out: dict[str, list[LinkRef]] = {}
    with gc_paused():
        for record in records:
            links: list[LinkRef] = []
            _Extractor(record, normalise, links, in_markup).all()
            out[record.key] = links
    return out


def extract_links(record: Record, base_url: str | None) -> list[LinkRef]:
    """Every link reference of one record, in field order, then its body's."""
    out: list[LinkRef] = []
    _Extractor(record, normaliser(base_url), out, normaliser(site_origin(base_url))).all()
    return out


def site_origin(base_url: str | None) -> str | None:
    """``https://host`` of the base URL: what a site-relative link in rendered markup
    (``<img src="/x.png">``) resolves against; a base URL's path (Jekyll's baseurl) is
    added only to the record fields that templates render with it."""
    if not base_url:
        return None
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


class _Extractor:
    """Walks one record's fields; hot enough (17 links a record) to keep lookups local."""

    def __init__(
        self,
        record: Record,
        normalise: Callable[[str], tuple[str | None, str | None]],
        out: list[LinkRef],
        in_markup: Callable[[str], tuple[str | None, str | None]] | None = None,
    ) -> None:
        self.record = record
        self.key = record.key
        self.lines = record.lines
        self.normalise = normalise
        self.in_markup = in_markup or normalise
        self.out = out
        self.title: str | None = None

    def all(self) -> None:
        """The record's fields, then the links of its body (role ``body``, field ``body``)."""
        self.article(self.record.fields, "")
        for raw, line in self.record.body_links:
            self.markup_link("body", raw, line)

    def markup_link(self, path: str, raw: str, line: int | None) -> None:
        """A link written in markup: resolved as the rendered page resolves it."""
        url, reason = self.in_markup(raw)
        self.link(path, Role.BODY, raw, url, reason, line)

    def article(self, fields: Mapping[str, Any], prefix: str) -> None:
        """The top level of a record, or one ``related[N]`` entry: known fields have roles;
        its article links carry its title (content drift compares the page with it)."""
        outer = self.title
        title = fields.get("title")
        self.title = title.strip() or None if isinstance(title, str) else None
        for key, value in fields.items():
            path = f"{prefix}{key}"
            role = ARTICLE_FIELDS.get(key)
            if role is not None:
                self.known(value, path, role)
            elif key == "images" and isinstance(value, list):
                self.images(value, path, Role.IMAGE)
            elif key == "provider" and isinstance(value, dict):
                self.provider(value, path)
            elif key == "related" and isinstance(value, list):
                self.related(value, path)
            else:
                self.other(key, value, path)
        self.title = outer

    def provider(self, provider: Mapping[str, Any], path: str) -> None:
        for key, value in provider.items():
            if key == "images" and isinstance(value, list):
                self.images(value, f"{path}.images", Role.PROVIDER_IMAGE)
            else:
                self.other(key, value, f"{path}.{key}")

    def images(self, images: list[Any], path: str, role: Role) -> None:
        for i, image in enumerate(images):
            item = f"{path}[{i}]"
            if isinstance(image, dict):
                for key, value in image.items():
                    if key == "url":
                        self.known(value, f"{item}.url", role)
                    else:
                        self.other(key, value, f"{item}.{key}")
            elif isinstance(image, str):
                self.known(image, item, role)

    def related(self, related: list[Any], path: str) -> None:
        for i, entry in enumerate(related):
            if isinstance(entry, dict):
                self.article(entry, f"{path}[{i}].")
            else:
                self.other("related", entry, f"{path}[{i}]")

    def known(self, value: Any, path: str, role: Role) -> None:
        """A field that must hold a URL: anything else in it is an invalid link."""
        if isinstance(value, str):
            url, reason = self.normalise(value)
            self.link(path, role, value, url, reason)
        elif value is not None:
            field = path.rsplit(".", 1)[-1]
            reason = f"{field} is {_kind(value)}, expected a URL string"
            self.link(path, role, _raw(value), None, reason)

    def link(
        self,
        path: str,
        role: Role,
        raw: str,
        url: str | None,
        reason: str | None,
        line: int | None = None,
    ) -> None:
        """One LinkRef; credentials in the URL are masked, the URL to send kept apart."""
        request = None
        if "@" in raw or (url is not None and "@" in url):  # also from a base URL with them
            raw = mask_text(raw)
            reason = mask_text(reason) if reason else reason
            if url is not None:
                url, request = split_userinfo(url)
        line = self.lines.get(path) if line is None else line
        title = self.title if role.is_article else None
        if title is not None and "@" in title:
            title = mask_text(title)  # a title quoting a URL with a password
        fragment = fragment_of(raw) if url is not None and "#" in raw else None
        self.out.append(
            LinkRef(self.key, path, role, raw, url, line, reason, request, title, fragment)
        )

    def other(self, key: str, value: Any, path: str) -> None:
        """Any other field: a link only when its whole value is one; an embed (a value that
        is HTML markup, ``featuredContent: "<iframe src=…>"``) holds body links."""
        if isinstance(value, str):
            if is_markup_value(value):
                line = self.lines.get(path)
                for found in markup_value_links(value, line or 0):
                    self.markup_link(path, found.url, line)
            elif key not in TEXT_FIELDS and _looks_like_link(key, value):
                url, reason = self.normalise(value)
                self.link(path, Role.OTHER, value, url, reason)
        elif isinstance(value, dict):
            for sub_key, sub_value in value.items():
                self.other(str(sub_key), sub_value, f"{path}.{sub_key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.other(key, item, f"{path}[{i}]")


def _looks_like_link(key: str, value: str) -> bool:
    text = value.strip()
    if _ABSOLUTE.fullmatch(text):
        return True
    if not _URLISH_KEY.search(key) or not text or any(c.isspace() for c in text):
        return False
    if text.startswith("/"):
        return True  # //host/x or a site-relative path
    scheme = _SCHEME.match(text)
    return scheme is not None and scheme.group(1).lower() in _UNSAFE


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _raw(value: Any) -> str:
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


# ---------------------------------------------------------------- unique URLs


def unique_checks(links: Iterable[LinkRef]) -> list[UrlCheck]:
    """One check per distinct normalised URL, sorted by URL; invalid links are not checks."""
    roles: dict[str, set[Role]] = {}
    counts: dict[str, int] = {}
    titles: dict[str, dict[str, None]] = {}
    fragments: dict[str, dict[str, None]] = {}
    with gc_paused():
        for link in links:
            url = link.url
            if url is None:
                continue
            if link.title is not None:
                titles.setdefault(url, {})[link.title] = None
            if link.fragment is not None:
                fragments.setdefault(url, {})[link.fragment] = None
            if url in counts:
                roles[url].add(link.role)
                counts[url] += 1
            else:
                roles[url] = {link.role}
                counts[url] = 1
        # Most URLs have one role: share one frozenset per distinct set of roles.
        shared: dict[frozenset[Role], frozenset[Role]] = {}
        checks = []
        for url in sorted(counts):
            url_roles = frozenset(roles[url])
            url_roles = shared.setdefault(url_roles, url_roles)
            found = tuple(titles[url]) if url in titles else ()
            wanted = tuple(fragments[url]) if url in fragments else ()
            checks.append(UrlCheck(url, url_roles, counts[url], titles=found, fragments=wanted))
        return checks


# ---------------------------------------------------------------- `linkcheck links` output


def links_summary(links: Sequence[LinkRef], records: int | None = None) -> dict[str, int]:
    """Counts for the closing line; ``records`` defaults to records that have links."""
    urls = {link.url for link in links if link.url is not None}
    return {
        "links": len(links),
        "unique_urls": len(urls),
        "invalid": sum(1 for link in links if link.url is None),
        "records": len({link.record for link in links}) if records is None else records,
    }


def format_links_text(links: Sequence[LinkRef], records: int | None = None) -> str:
    """One line per link (where, field, role, URL or why it is invalid), then the counts."""
    lines = []
    for link in links:
        where = f"{link.record}:{link.line}" if link.line else link.record
        target = (
            link.url if link.url is not None else f"INVALID ({link.invalid_reason}): {link.raw}"
        )
        lines.append(f"{where}\t{link.field}\t{_ROLE_TEXT[link.role]}\t{target}")
    s = links_summary(links, records)
    lines.append(
        f"{s['links']} links ({s['unique_urls']} unique URLs, {s['invalid']} invalid) "
        f"in {s['records']} records"
    )
    return "\n".join(lines) + "\n"


def format_links_json(links: Sequence[LinkRef], records: int | None = None) -> str:
    """The links as JSON: ``{"summary": {...}, "links": [{record, field, role, url...}]}``.

    The text is what ``json.dumps(data, indent=2, ensure_ascii=False)`` gives (a test holds
    them equal), built from strings the C encoder quoted: with ``indent`` json.dumps runs its
    pure-Python encoder, about 1.5 s for the 170,000 links of 10,000 records.
    """
    summary = json.dumps({"summary": links_summary(links, records)}, indent=2)
    if not links:
        return f'{summary[:-2]},\n  "links": []\n}}\n'
    quote = encode_basestring  # what json.dumps(..., ensure_ascii=False) quotes with
    # Record names and field paths repeat across links: quote each once.
    quoted: dict[str, str] = {}
    items = []
    for link in links:
        record = quoted.get(link.record) or quoted.setdefault(link.record, quote(link.record))
        field = quoted.get(link.field) or quoted.setdefault(link.field, quote(link.field))
        raw = quote(link.raw)
        url = "null" if link.url is None else raw if link.url == link.raw else quote(link.url)
        line = "null" if link.line is None else link.line
        reason = "null" if link.invalid_reason is None else quote(link.invalid_reason)
        items.append(
            f'    {{\n      "record": {record},\n      "field": {field},\n'
            f'      "role": {_ROLE_JSON[link.role]},\n      "url": {url},\n      "raw": {raw},\n'
            f'      "line": {line},\n      "invalid_reason": {reason}\n    }}'
        )
    body = ",\n".join(items)
    return f'{summary[:-2]},\n  "links": [\n{body}\n  ]\n}}\n'


_ROLE_TEXT = {role: role.value for role in Role}
_ROLE_JSON = {role: json.dumps(role.value) for role in Role}
