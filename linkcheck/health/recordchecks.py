"""Record-level findings (``records[].issues``) that content checks produce.

Pure: takes a record, its link references and the verdicts on their URLs, and
returns ``Finding`` values. ``broken_link`` belongs to health.py; this module
owns ``image_size_mismatch``, ``cdn_amp_mismatch``, ``cdn_stale``,
``cached_image_changed``, ``mojibake``, ``insecure_url``, ``duplicate_original``,
``missing_field`` and ``invalid_url``. Cross-record facts (duplicate originals,
https twins, first-seen image data) are computed once per run by the caller
and passed in as mappings, so each record is judged alone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from linkcheck.config import ContentConfig
from linkcheck.health.freshness import parse_http_date
from linkcheck.inputs.lint import (
    RecordOnly,
    amp_pairs,
    as_int,
    cdn_amp_mismatches,
    record_only_findings,
)
from linkcheck.model import Finding, LinkRef, Outcome, Record, UrlResult

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class ImageSeen:
    """What an image's origin said when it was first cached; the history store keeps these."""

    etag: str | None = None
    last_modified: str | None = None
    content_length: int | None = None
    image_size: tuple[int, int] | None = None


def record_findings(
    record: Record,
    links: Sequence[LinkRef],
    results: Mapping[str, UrlResult],
    config: ContentConfig,
    *,
    duplicates: Mapping[str, Sequence[str]] | None = None,
    https_twins: Mapping[str, UrlResult] | None = None,
    first_seen: Mapping[str, ImageSeen] | None = None,
    record_only: RecordOnly | None = None,
) -> list[Finding]:
    """Every content finding of one record, in field order then code order.

    ``results`` maps a normalised URL to its verdict; ``duplicates`` comes from
    ``duplicate_originals``; ``https_twins`` maps an ``http://`` URL to the verdict
    on its ``https_twin``; ``first_seen`` maps an image URL to what it was when cached;
    ``record_only`` is ``record_only_findings`` of this record, when already known.
    """
    if record_only is None:
        record_only = record_only_findings(record, links)
    findings = list(record_only.invalid_url)
    if not config.enabled:
        return findings
    if config.missing_field:
        findings += record_only.missing_field
    if config.mojibake:
        findings += record_only.mojibake
    if config.image_size:
        findings += image_size_findings(record, links, results)
    if config.cdn_amp:
        findings += cdn_amp_findings(links, results, record_only.cdn_amp_mismatch)
    if first_seen:
        findings += cached_image_findings(record, links, results, first_seen)
    if config.insecure_url and https_twins:
        findings += insecure_findings(links, https_twins)
    if config.duplicate_original and duplicates:
        findings += duplicate_findings(record, links, duplicates)
    return findings


# ---------------------------------------------------------------- images


def image_size_findings(
    record: Record, links: Sequence[LinkRef], results: Mapping[str, UrlResult]
) -> list[Finding]:
    """Declared width/height against the real pixel size of each image."""
    found = []
    for link in links:
        if not link.role.is_image or link.url is None:
            continue
        result = results.get(link.url)
        declared = declared_size(record.fields, link.field)
        if result is None or result.image_size is None or declared is None:
            continue
        if tuple(result.image_size) != declared:
            actual = f"{result.image_size[0]}x{result.image_size[1]}"
            found.append(
                Finding(
                    "image_size_mismatch",
                    link.field,
                    f"declared {declared[0]}x{declared[1]}, actual {actual}",
                )
            )
    return found


def declared_size(fields: Mapping[str, Any], url_field: str) -> tuple[int, int] | None:
    """The width/height beside an image's url field (``images[0].url`` -> ``images[0]``)."""
    parent = lookup(fields, url_field.rpartition(".")[0]) if "." in url_field else fields
    if not isinstance(parent, Mapping):
        return None
    width, height = as_int(parent.get("width")), as_int(parent.get("height"))
    if width is None or height is None:
        return None
    return width, height


def image_changed(first_seen: ImageSeen, now: UrlResult) -> bool:
    """Whether the origin's image differs from the one cached: validators first, then sizes.

    A strong signal wins: differing ETags say "changed" even if the size is equal;
    equal ETags say "same". Without ETags, Last-Modified, then pixel size, then length.
    """
    cache = now.cache
    etag = cache.etag if cache else None
    if first_seen.etag and etag:
        return _strip_weak(first_seen.etag) != _strip_weak(etag)
    last_modified = cache.last_modified if cache else None
    if first_seen.last_modified and last_modified:
        before, after = parse_http_date(first_seen.last_modified), parse_http_date(last_modified)
        if before and after:
            return before != after
    if first_seen.image_size and now.image_size:
        return tuple(first_seen.image_size) != tuple(now.image_size)
    if first_seen.content_length is not None and now.content_length is not None:
        return first_seen.content_length != now.content_length
    return False


def cached_image_findings(
    record: Record,
    links: Sequence[LinkRef],
    results: Mapping[str, UrlResult],
    first_seen: Mapping[str, ImageSeen],
) -> list[Finding]:
    """Images marked ``isCached: true`` whose origin changed since they were first seen."""
    found = []
    for link in links:
        if not link.role.is_image or link.url is None or link.url not in first_seen:
            continue
        parent = lookup(record.fields, link.field.rpartition(".")[0])
        result = results.get(link.url)
        if not isinstance(parent, Mapping) or parent.get("isCached") is not True:
            continue
        if result is None or result.outcome is not Outcome.OK:
            continue
        if image_changed(first_seen[link.url], result):
            message = "the origin image changed since it was cached (ETag, date or size differ)"
            found.append(Finding("cached_image_changed", link.field, message))
    return found


# ---------------------------------------------------------------- AMP


def cdn_amp_findings(
    links: Sequence[LinkRef],
    results: Mapping[str, UrlResult],
    mismatches: Mapping[str, Finding] | None = None,
) -> list[Finding]:
    """cdnAmpWebUrl against the AMP cache URL of ampWebUrl, and the copy's age, per scope.

    ``mismatches`` is ``cdn_amp_mismatches(links)`` when already known.
    """
    if mismatches is None:
        mismatches = cdn_amp_mismatches(links)
    found = []
    for amp, cdn in amp_pairs(links):
        if cdn.field in mismatches:
            found.append(mismatches[cdn.field])
            continue
        stale = cdn_stale_message(results.get(amp.url), results.get(cdn.url))
        if stale:
            found.append(Finding("cdn_stale", cdn.field, stale))
    return found


def cdn_stale_message(origin: UrlResult | None, copy: UrlResult | None) -> str | None:
    """Why the AMP cache copy is older than its origin page, or None when it is not (or unknown).

    The origin's time is its Last-Modified; the copy's is its Last-Modified, else
    the time the cache fetched it (its Date minus its Age).
    """
    if origin is None or copy is None or origin.cache is None or copy.cache is None:
        return None
    if origin.outcome is not Outcome.OK or copy.outcome is not Outcome.OK:
        return None
    origin_time = parse_http_date(origin.cache.last_modified)
    copy_time = copy_as_of(copy)
    if origin_time is None or copy_time is None or copy_time >= origin_time:
        return None
    return (
        f"AMP cache copy from {copy_time:%Y-%m-%d %H:%M:%S}Z is older than the origin "
        f"(modified {origin_time:%Y-%m-%d %H:%M:%S}Z)"
    )


def copy_as_of(copy: UrlResult) -> datetime | None:
    cache = copy.cache
    if cache is None:
        return None
    modified = parse_http_date(cache.last_modified)
    if modified is not None:
        return modified
    date = parse_http_date(cache.date)
    if date is None:
        return None
    return date - timedelta(seconds=cache.age_s or 0) if cache.age_s is not None else date


# ---------------------------------------------------------------- text


# ---------------------------------------------------------------- links


def https_twin(url: str) -> str | None:
    """The https:// form of an http:// URL (port 80 dropped); None for any other URL."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "http" or not parts.hostname:
        return None
    netloc = parts.netloc
    if parts.port == 80:
        netloc = netloc.rsplit(":", 1)[0]
    return urlunsplit(("https", netloc, parts.path, parts.query, parts.fragment))


def insecure_findings(
    links: Sequence[LinkRef], https_twins: Mapping[str, UrlResult]
) -> list[Finding]:
    found = []
    for link in links:
        twin = https_twins.get(link.url) if link.url else None
        if twin is not None and twin.outcome is Outcome.OK:
            found.append(Finding("insecure_url", link.field, f"use {twin.url}: https works"))
    return found


def duplicate_originals(
    records_links: Iterable[tuple[str, Sequence[LinkRef]]],
) -> dict[str, list[str]]:
    """originalUrl -> the keys of every record that has it, for URLs held by two or more."""
    holders: dict[str, list[str]] = {}
    for key, links in records_links:
        for link in links:
            if link.field == "originalUrl" and link.url and key not in holders.get(link.url, []):
                holders.setdefault(link.url, []).append(key)
    return {url: keys for url, keys in holders.items() if len(keys) > 1}


def duplicate_findings(
    record: Record, links: Sequence[LinkRef], duplicates: Mapping[str, Sequence[str]]
) -> list[Finding]:
    found = []
    for link in links:
        if link.field != "originalUrl" or link.url not in duplicates:
            continue
        others = [k for k in duplicates[link.url] if k != record.key]
        if others:
            found.append(
                Finding(
                    "duplicate_original", link.field, f"same originalUrl as {', '.join(others)}"
                )
            )
    return found


# ---------------------------------------------------------------- helpers


def lookup(fields: Any, path: str) -> Any:
    """``related[1].images[0]`` inside a record's fields; None when any step is missing."""
    node = fields
    for name, index in _path_steps(path):
        if name:
            node = node.get(name) if isinstance(node, Mapping) else None
        else:
            idx = int(index)
            node = node[idx] if isinstance(node, list) and idx < len(node) else None
        if node is None:
            return None
    return node


@functools.lru_cache(maxsize=4096)
def _path_steps(path: str) -> tuple[tuple[str, str], ...]:
    # Cached: every record has the same few paths (images[0], related[2].images[0]...).
    return tuple(_PATH_PART.findall(path))


def _strip_weak(etag: str) -> str:
    return etag.strip().removeprefix("W/")
