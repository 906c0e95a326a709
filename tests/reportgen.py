"""Contract-shaped report dicts of any size, for renderer tests and benchmarks.

The report is built the way the pipeline builds it (unique URLs, records linking to
them with roles and lines, summary counts derived from the lists), deterministically
from a seed, so tests can assert on exact numbers. ``hostile=True`` adds a record whose
every text field is an attack on a renderer: markup, script URLs, ``</script>``,
U+2028, control characters, GitHub-annotation separators.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from typing import Any

HOSTILE_TITLE = "<img src=x onerror=alert(1)>"
HOSTILE_URL = "javascript:alert(1)"
HOSTILE_SOURCE = "_news/evil</script><script>alert(2)</script>.md"

FAIL_ON = ["broken", "unreachable", "tls_error", "invalid"]

_HOSTS = [
    "www.example.com",
    "news.example.org",
    "blog.example.net",
    "cdn.ampproject.org",
    "images.example.com",
    "www.linkedin.com",
    "slow.example.io",
    "gone.example.dev",
    "docs.example.com",
    "media.example.tv",
    "press.example.co.uk",
    "static.example.cdn",
]
_ROLES = [
    ("originalUrl", "original"),
    ("webUrl", "web"),
    ("ampWebUrl", "amp"),
    ("cdnAmpWebUrl", "cdn_amp"),
    ("images[0].url", "image"),
    ("provider.images[0].url", "provider_image"),
]
_OUTCOMES = [
    ("ok", 820),
    ("broken", 60),
    ("server_error", 20),
    ("rate_limited", 10),
    ("blocked", 15),
    ("timeout", 20),
    ("unreachable", 25),
    ("tls_error", 8),
    ("invalid", 4),
    ("excluded", 18),
]
_STATUS = {"ok": 200, "broken": 404, "server_error": 503, "rate_limited": 429, "blocked": 403}
_FAILURE = {
    "timeout": "timeout",
    "unreachable": "dns",
    "tls_error": "tls",
    "excluded": "excluded",
    "invalid": None,
}
_ERROR = {
    "broken": "HTTP 404 Not Found",
    "server_error": "HTTP 503 Service Unavailable",
    "rate_limited": "HTTP 429 Too Many Requests",
    "blocked": "bot wall (cf-mitigated)",
    "timeout": "no answer within 30 s",
    "unreachable": "DNS: name does not resolve",
    "tls_error": "certificate has expired",
    "invalid": "unsupported scheme",
    "excluded": "matches http.exclude",
}
_WORDS = [
    *["power", "apps", "canvas", "model", "driven", "connector", "dataverse", "flow"],
    *["teams", "portal", "license", "update", "preview", "release", "copilot"],
    *["governance", "tenant", "solution"],
]


def make_report(
    n_urls: int = 200,
    n_records: int | None = None,
    *,
    seed: int = 7,
    hostile: bool = False,
    changes: bool = True,
    errors: int = 2,
) -> dict[str, Any]:
    """A report with ``n_urls`` unique URLs and (by default) one record per three URLs."""
    rng = random.Random(seed)
    n_records = n_records if n_records is not None else max(1, n_urls // 3)
    urls = [_url_entry(rng, i) for i in range(n_urls)]
    by_url = {u["url"]: u for u in urls}
    records = [_record(rng, i, urls, by_url) for i in range(n_records)]
    if hostile:
        hostile_url = _hostile_url_entry()
        urls.append(hostile_url)
        records.append(_hostile_record(urls[0]["url"]))
    _count_referrers(urls, records)
    urls.sort(key=lambda u: u["url"])
    records.sort(key=lambda r: r["source"])
    errs = [
        {
            "source": f"_news/bad-{i}.md",
            "message": f"YAML error at line {i + 3}: bad indent",
            "line": i + 3,
        }
        for i in range(errors)
    ]
    return {
        "schema": "linkcheck-report/1",
        "generated_at": "2026-11-26T03:00:42Z",
        "complete": True,
        "tool": {"name": "linkcheck", "version": "0.1.0"},
        "run": {
            "started_at": "2026-11-26T03:00:00Z",
            "finished_at": "2026-11-26T03:00:42Z",
            "duration_s": 42.3,
            "config": {"output": {"fail_on": list(FAIL_ON)}, "http": {"per_host": 6}},
        },
        "summary": _summary(urls, records, errs),
        "changes": _changes(rng, urls) if changes else None,
        "urls": urls,
        "records": records,
        "errors": errs,
    }


def _pick_outcome(rng: random.Random) -> str:
    names, weights = zip(*_OUTCOMES, strict=True)
    return rng.choices(names, weights)[0]


def _url_entry(rng: random.Random, i: int) -> dict[str, Any]:
    host = _HOSTS[i % len(_HOSTS)]
    outcome = _pick_outcome(rng)
    if host == "gone.example.dev":
        outcome = rng.choice(["broken", "unreachable"])
    url = f"https://{host}/{rng.choice(_WORDS)}/{i:06d}-{rng.choice(_WORDS)}"
    if outcome == "invalid":
        url = f"htp:/{host}/{i:06d}"
    status = _STATUS.get(outcome)
    redirects = []
    final = url
    if status and rng.random() < 0.2:
        final = url + "/"
        redirects = [{"url": url, "status": rng.choice([301, 302, 308])}]
    slow = 4000 if host == "slow.example.io" else 0
    responded = status is not None
    issues = []
    if outcome == "ok" and rng.random() < 0.05:
        issues.append(rng.choice(["soft_404", "redirect_to_home", "cache_stale"]))
    return {
        "url": url,
        "outcome": outcome,
        "status": status,
        "final_url": final,
        "redirects": redirects,
        "permanent_redirect": any(h["status"] in (301, 308) for h in redirects),
        "error": None if outcome == "ok" else _ERROR[outcome],
        "content_type": "text/html" if responded else None,
        "elapsed_ms": slow + rng.randint(20, 900) if outcome != "excluded" else 0,
        "attempts": 3 if outcome in ("server_error", "rate_limited") else int(responded) or 1,
        "from_cache": outcome == "ok" and rng.random() < 0.3,
        "cache": _cache(rng) if responded else None,
        "issues": issues,
        "referrers": 0,
        "failure": _FAILURE.get(outcome),
        "requests": 0 if outcome in ("excluded", "invalid") else 1,
        "content_length": rng.randint(500, 90_000) if responded else None,
        "image_size": None,
        "checked_at": "2026-11-26T03:00:10Z",
    }


def _cache(rng: random.Random) -> dict[str, Any]:
    lifetime = rng.choice([None, 300, 3600, 86400])
    age = rng.randint(0, 7200)
    return {
        "fresh": None if lifetime is None else age < lifetime,
        "freshness_lifetime_s": lifetime,
        "age_s": age,
        "etag": f'"{rng.getrandbits(32):08x}"',
        "last_modified": "Tue, 24 Nov 2026 10:00:00 GMT",
        "expires": None,
        "cache_control": None if lifetime is None else f"max-age={lifetime}",
    }


def _record(
    rng: random.Random, i: int, urls: list[dict[str, Any]], by_url: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    folder = rng.choice(["_news", "_news", "_learning/videos", "_samples"])
    slug = "-".join(rng.sample(_WORDS, 3))
    links = []
    for k, (field, role) in enumerate(_ROLES[: rng.randint(2, len(_ROLES))]):
        target = urls[rng.randrange(len(urls))]
        links.append({"field": field, "role": role, "url": target["url"], "line": 4 + k})
    failing = [lk for lk in links if by_url[lk["url"]]["outcome"] in FAIL_ON]
    issues = [
        {"code": "broken_link", "field": lk["field"], "message": by_url[lk["url"]]["error"]}
        for lk in failing
    ]
    if rng.random() < 0.04:
        issues.append({"code": "mojibake", "field": "title", "message": "nationâ€™s"})
    published = rng.choice([True, True, True, False, None])
    dead_original = any(lk["role"] == "original" for lk in failing)
    unpublish = bool(published and dead_original)
    health = "broken" if failing else ("warning" if issues else "ok")
    source = f"{folder}/2026-{1 + i % 12:02d}-{1 + i % 28:02d}-{slug}-{i}.md"
    return {
        "source": source,
        "title": " ".join(rng.sample(_WORDS, 5)).capitalize(),
        "published": published,
        "health": health,
        "links": links,
        "issues": issues,
        "unpublish": unpublish,
        "unpublish_reasons": ["originalUrl: HTTP 404 Not Found"] if unpublish else [],
        "record": source,
        "line": 1,
        "unpublish_since": "2026-11-20T03:00:00Z" if unpublish else None,
        "archive_url": (
            f"https://web.archive.org/web/2026/{links[0]['url']}" if unpublish else None
        ),
    }


def _hostile_url_entry() -> dict[str, Any]:
    return {
        "url": HOSTILE_URL,
        "outcome": "invalid",
        "status": None,
        "final_url": HOSTILE_URL,
        "redirects": [],
        "permanent_redirect": False,
        "error": "unsafe scheme </script><b>x</b>",
        "content_type": None,
        "elapsed_ms": 0,
        "attempts": 0,
        "from_cache": False,
        "cache": None,
        "issues": [],
        "referrers": 0,
        "failure": None,
        "requests": 0,
        "content_length": None,
        "image_size": None,
        "checked_at": None,
    }


def _hostile_record(ok_url: str) -> dict[str, Any]:
    nasty = "%0A::error::pwned,\r\nline\u2028sep\u2029</script><!--"
    return {
        "source": HOSTILE_SOURCE,
        "title": HOSTILE_TITLE,
        "published": True,
        "health": "broken",
        "links": [
            {"field": "originalUrl", "role": "original", "url": HOSTILE_URL, "line": 3},
            {"field": 'webUrl"><svg onload=alert(3)>', "role": "web", "url": ok_url, "line": 4},
        ],
        "issues": [
            {"code": "invalid_url", "field": "originalUrl", "message": nasty},
        ],
        "unpublish": True,
        "unpublish_reasons": ["<script>alert(4)</script>"],
        "record": HOSTILE_SOURCE,
        "line": 1,
        "unpublish_since": None,
        "archive_url": "javascript:alert(5)",
    }


def _count_referrers(urls: list[dict[str, Any]], records: list[dict[str, Any]]) -> None:
    counts = Counter(lk["url"] for r in records for lk in r["links"])
    for u in urls:
        u["referrers"] = counts.get(u["url"], 0)


def _summary(
    urls: list[dict[str, Any]], records: list[dict[str, Any]], errs: list[dict[str, Any]]
) -> dict[str, Any]:
    by_outcome = Counter(u["outcome"] for u in urls)
    by_health = Counter(r["health"] for r in records)
    return {
        "records": len(records) + len(errs),
        "records_with_errors": len(errs),
        "links": sum(len(r["links"]) for r in records),
        "unique_urls": len(urls),
        "requests": sum(u["requests"] for u in urls),
        "by_outcome": {name: by_outcome.get(name, 0) for name, _ in _OUTCOMES},
        "unpublish": sum(r["unpublish"] for r in records),
        "errors": len(errs),
        "skipped_files": 0,
        "by_health": {h: by_health.get(h, 0) for h in ("ok", "warning", "broken")},
        "from_cache": sum(u["from_cache"] for u in urls),
    }


def _changes(rng: random.Random, urls: list[dict[str, Any]]) -> dict[str, Any]:
    failing = [u["url"] for u in urls if u["outcome"] in FAIL_ON]
    ok = [u["url"] for u in urls if u["outcome"] == "ok"]
    third = len(failing) // 3
    return {
        "previous_run": {"id": 41, "started_at": "2026-11-25T03:00:00Z"},
        "newly_broken": failing[:third],
        "fixed": ok[:3],
        "still_broken": [
            {"url": u, "consecutive_runs": 2 + rng.randint(0, 9), "since": "2026-11-20T03:00:00Z"}
            for u in failing[third:]
        ],
        "flapping": ok[3:5],
    }


def url_hash(url: str) -> str:
    """The anchor id the HTML report gives a URL: ``url-`` + 12 hex digits of sha1."""
    return "url-" + hashlib.sha1(url.encode("utf-8")).hexdigest()[:12]
