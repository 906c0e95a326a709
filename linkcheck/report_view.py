"""View data shared by the renderers: what fails, why, where, and per-host numbers.

Every renderer (HTML, Markdown, JUnit, SARIF, annotations, terminal) reads the JSON
report dict, never the pipeline's dataclasses, so ``linkcheck report report.json``
renders a stored report exactly like a fresh run. The definitions of "failing" and
"why" live here once so the formats agree with each other.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

DEFAULT_FAIL_ON = ("broken", "unreachable", "tls_error", "invalid")
OUTCOMES = (
    "ok",
    "broken",
    "server_error",
    "rate_limited",
    "blocked",
    "timeout",
    "unreachable",
    "tls_error",
    "invalid",
    "excluded",
)
ROLES = ("original", "web", "amp", "cdn_amp", "image", "provider_image", "other")
HEALTHS = ("ok", "warning", "broken")
NO_HOST = "(no host)"


@dataclass(frozen=True)
class FailingLink:
    """One link of one record whose URL's outcome is in fail_on."""

    record: str
    source: str
    title: str | None
    field: str
    role: str
    url: str
    line: int | None
    outcome: str
    why: str


@dataclass(frozen=True)
class HostStats:
    host: str
    urls: int
    requests: int
    failures: int
    slowest_ms: int
    avg_ms: int
    rate_limited: int
    blocked: int


def fail_on(report: Mapping[str, Any]) -> frozenset[str]:
    """The outcomes that count as failing: the run's output.fail_on, else the default."""
    config = report.get("run", {}).get("config") or {}
    names = (config.get("output") or {}).get("fail_on")
    if isinstance(names, list | tuple) and all(isinstance(n, str) for n in names):
        return frozenset(names)
    return frozenset(DEFAULT_FAIL_ON)


def url_index(report: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {u["url"]: u for u in report.get("urls", ())}


def why(entry: Mapping[str, Any] | None) -> str:
    """Short human reason a URL fails: its error text, else its status, else its outcome."""
    if entry is None:
        return "not checked"
    if entry.get("error"):
        return str(entry["error"])
    if entry.get("status") is not None:
        return f"HTTP {entry['status']}"
    return str(entry.get("outcome", "unknown"))


def record_key(record: Mapping[str, Any]) -> str:
    return str(record.get("record") or record.get("source", ""))


def failing_links(
    record: Mapping[str, Any], index: Mapping[str, Mapping[str, Any]], failing: frozenset[str]
) -> list[FailingLink]:
    """The record's links whose URL outcome is failing, in the record's order."""
    found = []
    for link in record.get("links", ()):
        entry = index.get(link.get("url") or "")
        outcome = entry["outcome"] if entry else "invalid"
        if outcome not in failing:
            continue
        found.append(
            FailingLink(
                record=record_key(record),
                source=str(record.get("source", "")),
                title=record.get("title"),
                field=str(link.get("field", "")),
                role=str(link.get("role", "other")),
                url=str(link.get("url") or ""),
                line=link.get("line") if isinstance(link.get("line"), int) else None,
                outcome=outcome,
                why=why(entry),
            )
        )
    return found


def all_failing_links(report: Mapping[str, Any]) -> list[FailingLink]:
    index = url_index(report)
    failing = fail_on(report)
    return [fl for r in report.get("records", ()) for fl in failing_links(r, index, failing)]


_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^:/?#\[\]]+)")


# Cached: one run asks it three times per URL (the HTML host table and rows, the terminal
# summary's host table); 0.15 s of a 100k-URL re-run.
@functools.lru_cache(maxsize=1 << 18)
def host_of(url: str) -> str:
    """The URL's host in lower case (a fast path: reports can hold 100,000 URLs)."""
    match = _AUTHORITY.match(url)
    if match:
        return match[1].lower()
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    return host or NO_HOST


def host_stats(urls: Iterable[Mapping[str, Any]], failing: frozenset[str]) -> list[HostStats]:
    """Per-host numbers, worst first (most failures, then slowest)."""
    acc: dict[str, list[int]] = {}
    for u in urls:
        row = acc.setdefault(host_of(u["url"]), [0, 0, 0, 0, 0, 0, 0])
        elapsed = int(u.get("elapsed_ms") or 0)
        row[0] += 1
        row[1] += int(u.get("requests", u.get("attempts", 0)) or 0)
        row[2] += u["outcome"] in failing
        row[3] = max(row[3], elapsed)
        row[4] += elapsed
        row[5] += u["outcome"] == "rate_limited"
        row[6] += u["outcome"] == "blocked"
    stats = [
        HostStats(host, n, req, fails, slow, total // n, rl, bl)
        for host, (n, req, fails, slow, total, rl, bl) in acc.items()
    ]
    stats.sort(key=lambda h: (-h.failures, -h.slowest_ms, h.host))
    return stats


def safe_href(url: str | None) -> str | None:
    """The URL when it may become a clickable link (http/https only), else None."""
    if isinstance(url, str) and re.match(r"https?://", url, re.IGNORECASE):
        return url
    return None


def url_anchor(url: str) -> str:
    """Stable anchor id of a URL in the HTML report."""
    return "url-" + hashlib.sha1(url.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:120] or "x"


def record_anchors(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """``record-<slug>`` per record, in order; a clash gets ``-2``, ``-3``... in source order."""
    seen: dict[str, int] = {}
    anchors = []
    for record in records:
        base = "record-" + slugify(record_key(record))
        seen[base] = seen.get(base, 0) + 1
        anchors.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return anchors
