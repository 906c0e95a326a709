"""What a record says wrong by itself, before any link is asked: its lint.

Pure: a record and its links in, ``Finding`` values out. ``invalid_url`` (a link that is
no checkable URL), ``missing_field`` (a published article without its links, an image
without its declared size), ``mojibake`` (a text field with broken encoding) and
``cdn_amp_mismatch`` (a cdnAmpWebUrl that is not the AMP cache address of its
ampWebUrl) depend on nothing else, so they are found once when a file is read and kept
with it in the parse cache (``RecordOnly``); ``health.recordchecks`` adds what the
answers of the links say.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from linkcheck.inputs.amp import amp_cache_url
from linkcheck.model import Finding, LinkRef, Record, Role

TEXT_FIELDS = ("title", "excerpt", "description", "summary")


@dataclass(frozen=True)
class RecordOnly:
    """The findings that depend on the record alone, every check on: kept in the parse cache.

    A re-run over unchanged files reads them with the parsed records instead of checking
    again (building and comparing AMP cache URLs took ~5% of a re-run); ``record_findings``
    keeps those the config asks for, in its usual order.
    """

    invalid_url: tuple[Finding, ...] = ()
    missing_field: tuple[Finding, ...] = ()
    mojibake: tuple[Finding, ...] = ()
    # By the field of the cdnAmpWebUrl that does not match.
    cdn_amp_mismatch: Mapping[str, Finding] = field(default_factory=dict)


def record_only_findings(record: Record, links: Sequence[LinkRef]) -> RecordOnly:
    return RecordOnly(
        invalid_url=tuple(
            Finding("invalid_url", link.field, link.invalid_reason or "not a checkable URL")
            for link in links
            if link.url is None
        ),
        missing_field=tuple(missing_fields(record)),
        mojibake=tuple(mojibake_findings(record)),
        cdn_amp_mismatch=cdn_amp_mismatches(links),
    )


def cdn_amp_mismatches(links: Sequence[LinkRef]) -> dict[str, Finding]:
    """A ``cdn_amp_mismatch`` by cdnAmpWebUrl field, where it is not ampWebUrl's cache URL."""
    found = {}
    for amp, cdn in amp_pairs(links):
        expected = _cache_url_or_none(amp.raw) or _cache_url_or_none(amp.url)
        if expected is not None and not _same_url(expected, cdn.raw, cdn.url or cdn.raw):
            message = f"expected {expected} (from {amp.field})"
            found[cdn.field] = Finding("cdn_amp_mismatch", cdn.field, message)
    return found


def amp_pairs(links: Sequence[LinkRef]) -> Iterable[tuple[LinkRef, LinkRef]]:
    """(ampWebUrl, cdnAmpWebUrl) links of each scope (the record, related[N]) having both."""
    by_scope: dict[str, dict[Role, LinkRef]] = {}
    for link in links:
        if link.role in (Role.AMP, Role.CDN_AMP):
            scope = link.field.rpartition(".")[0]
            by_scope.setdefault(scope, {})[link.role] = link
    for pair in by_scope.values():
        amp, cdn = pair.get(Role.AMP), pair.get(Role.CDN_AMP)
        if amp is not None and cdn is not None and amp.url is not None and cdn.url is not None:
            yield amp, cdn


def mojibake_findings(record: Record) -> list[Finding]:
    """Text fields (title, excerpt, and those of related[N]) whose encoding is broken."""
    found = []
    for path, text in text_fields(record.fields):
        if text.isascii():
            continue  # ftfy returns ASCII text unchanged; most text is ASCII, and ftfy is slow
        import ftfy  # here: its import costs 30 ms, and a run over ASCII text never needs it

        fixed = ftfy.fix_encoding(text)
        if fixed != text:
            found.append(Finding("mojibake", path, f"broken encoding: {_show_fix(text, fixed)}"))
    return found


def text_fields(fields: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    for name in TEXT_FIELDS:
        if isinstance(fields.get(name), str):
            yield name, fields[name]
    related = fields.get("related")
    if isinstance(related, list):
        for index, item in enumerate(related):
            if isinstance(item, Mapping):
                for name in TEXT_FIELDS:
                    if isinstance(item.get(name), str):
                        yield f"related[{index}].{name}", item[name]


def _show_fix(text: str, fixed: str) -> str:
    """The changed words only: '"nationâ€™s" should read "nation’s"'."""
    before, after = text.split(" "), fixed.split(" ")
    pairs = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            pairs.append(f'"{" ".join(before[i1:i2])}" should read "{" ".join(after[j1:j2])}"')
    return "; ".join(pairs[:3]) or f'should read "{fixed}"'


def missing_fields(record: Record) -> list[Finding]:
    """A published article without its links; an image without its declared size."""
    fields = record.fields
    found = []
    if record.published is True and fields.get("type") == "article":
        for name in ("originalUrl", "webUrl"):
            if not fields.get(name):
                found.append(Finding("missing_field", name, f"a published article needs {name}"))
    for path, image in _images(fields):
        missing = [k for k in ("width", "height") if as_int(image.get(k)) is None]
        if missing and image.get("url"):
            found.append(Finding("missing_field", path, f"image without {' and '.join(missing)}"))
    return found


def _images(fields: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Mapping[str, Any]]]:
    """Every images[N] mapping: top-level, provider's, and those of related[N]."""
    for index, image in enumerate(_list(fields.get("images"))):
        if isinstance(image, Mapping):
            yield f"{prefix}images[{index}]", image
    provider = fields.get("provider")
    if isinstance(provider, Mapping):
        for index, image in enumerate(_list(provider.get("images"))):
            if isinstance(image, Mapping):
                yield f"{prefix}provider.images[{index}]", image
    if not prefix:
        for index, item in enumerate(_list(fields.get("related"))):
            if isinstance(item, Mapping):
                yield from _images(item, f"related[{index}].")


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@functools.lru_cache(maxsize=16384)
def _cache_url_or_none(url: str) -> str | None:
    # Cached, like _comparable: related articles repeat the same AMP links across records.
    try:
        return amp_cache_url(url)
    except ValueError:
        return None


def _same_url(expected: str, *candidates: str) -> bool:
    """Equal up to the host's case and an IDN host written in Unicode."""
    if expected in candidates:
        return True
    want = _comparable(expected)
    return any(_comparable(c) == want for c in candidates if c)


@functools.lru_cache(maxsize=16384)
def _comparable(url: str) -> str:
    parts = urlsplit(url.strip())
    segments = parts.path.split("/")
    # /c/s/<host>/...: the origin host inside the path may be Unicode or punycode.
    if len(segments) > 3 and segments[1] == "c":
        at = 3 if segments[2] == "s" else 2
        segments[at] = _host_ascii(segments[at])
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), "/".join(segments), parts.query, "")
    )


def _host_ascii(host: str) -> str:
    if host.isascii():
        return host.lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host.lower()
