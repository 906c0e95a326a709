"""From what the network said to a verdict: ``Fetched`` + accepted codes -> ``UrlResult``.

Pure: no I/O, no clock. Content checks (soft 404, image size...) come later and
add ``issues``; this module decides only the outcome and the short error text.
"""

from __future__ import annotations

from collections.abc import Mapping

from linkcheck.model import FailureKind, Fetched, Outcome, UrlCheck, UrlResult

# Headers that only bot-protection services set on their challenge/deny pages.
_BOT_HEADERS = {
    "cf-mitigated": "Cloudflare challenge",
    "x-datadome": "DataDome",
    "x-dd-b": "DataDome",
    "x-amzn-waf-action": "AWS WAF",
    "x-sucuri-block": "Sucuri",
    "x-px-block": "PerimeterX",
    "x-kpsdk-ct": "Kasada",
}
_BODY_MARKERS = (b"challenge-platform", b"cf_chl_opt", b"captcha-delivery.com", b"_pxcaptcha")
_LINKEDIN_WALL = 999

_FAILURE_OUTCOME = {
    FailureKind.TIMEOUT: Outcome.TIMEOUT,
    FailureKind.CONNECT_TIMEOUT: Outcome.TIMEOUT,
    FailureKind.TLS: Outcome.TLS_ERROR,
    FailureKind.EXCLUDED: Outcome.EXCLUDED,
    FailureKind.BLOCKED_ADDRESS: Outcome.EXCLUDED,
}


def bot_wall(status: int | None, headers: Mapping[str, str], body: bytes = b"") -> str | None:
    """Which bot wall answered instead of the page, or None.

    A plain 403 is a real answer; only a 403/429/503 carrying a bot-protection
    marker (or LinkedIn's 999) is a wall, which says nothing about the page.
    """
    if status == _LINKEDIN_WALL:
        return "LinkedIn"
    if status not in (403, 429, 503):
        return None
    for name, service in _BOT_HEADERS.items():
        if name in headers:
            return service
    server = headers.get("server", "").lower()
    if server == "cloudflare" and "cf-ray" in headers:
        challenged = any(k.startswith("cf-chl") for k in headers)
        if challenged or any(m in body for m in _BODY_MARKERS):
            return "Cloudflare challenge"
    return None


def judge(fetched: Fetched, check: UrlCheck, accept: frozenset[int]) -> UrlResult:
    """The outcome of one URL, with the fields of its report entry (no content issues yet)."""
    outcome, error = _verdict(fetched, accept)
    return UrlResult(
        url=check.url,
        outcome=outcome,
        status=fetched.status,
        final_url=fetched.final_url,
        redirects=fetched.redirects,
        error=error,
        failure=fetched.failure,
        content_type=content_type(fetched.headers),
        elapsed_ms=fetched.elapsed_ms,
        attempts=fetched.attempts,
        requests=fetched.requests,
        referrers=check.referrers,
        content_length=content_length(fetched.headers),
        checked_at=fetched.fetched_at,
    )


def _verdict(fetched: Fetched, accept: frozenset[int]) -> tuple[Outcome, str | None]:
    if fetched.failure is not None:
        outcome = _FAILURE_OUTCOME.get(fetched.failure, Outcome.UNREACHABLE)
        return outcome, fetched.error or fetched.failure.value
    if fetched.not_modified:
        return Outcome.OK, None
    status = fetched.status
    if status is None:
        return Outcome.UNREACHABLE, fetched.error or "no response"
    wall = bot_wall(status, fetched.headers, fetched.body)
    if wall is not None:
        return Outcome.BLOCKED, f"HTTP {status} bot wall ({wall})"
    if status in accept:
        return Outcome.OK, None
    if status == 429:
        return Outcome.RATE_LIMITED, "HTTP 429 (rate limited)"
    if 500 <= status <= 599:
        return Outcome.SERVER_ERROR, f"HTTP {status}"
    if 300 <= status <= 399:
        return Outcome.BROKEN, fetched.error or f"HTTP {status} without a usable Location"
    return Outcome.BROKEN, f"HTTP {status}"


def content_type(headers: Mapping[str, str]) -> str | None:
    """The MIME type alone, lower case: ``Text/HTML; charset=utf-8`` -> ``text/html``."""
    value = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return value or None


def content_length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None
