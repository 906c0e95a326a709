"""judge(): Fetched + accepted codes -> outcome and report fields. Pure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from linkcheck.engine.outcome import bot_wall, content_type, judge
from linkcheck.model import FailureKind, Fetched, Hop, Outcome, Role, UrlCheck
from linkcheck.specs import parse_accept

CHECK = UrlCheck("https://example.org/a", frozenset({Role.WEB}), referrers=3)
ACCEPT = parse_accept("200..=299")


def answer(status=None, failure=None, error=None, **kw):
    return Fetched(
        "https://example.org/a", status, "https://example.org/a", failure=failure, error=error, **kw
    )


@pytest.mark.parametrize(
    ("fetched", "outcome", "error"),
    [
        (answer(200), Outcome.OK, None),
        (answer(204), Outcome.OK, None),
        (answer(404), Outcome.BROKEN, "HTTP 404"),
        (answer(410), Outcome.BROKEN, "HTTP 410"),
        (answer(403), Outcome.BROKEN, "HTTP 403"),
        (answer(418), Outcome.BROKEN, "HTTP 418"),
        (answer(100), Outcome.BROKEN, "HTTP 100"),
        (answer(302), Outcome.BROKEN, "HTTP 302 without a usable Location"),
        (answer(429), Outcome.RATE_LIMITED, "HTTP 429 (rate limited)"),
        (answer(500), Outcome.SERVER_ERROR, "HTTP 500"),
        (answer(503), Outcome.SERVER_ERROR, "HTTP 503"),
        (answer(999), Outcome.BLOCKED, "HTTP 999 bot wall (LinkedIn)"),
        (answer(403, headers={"x-datadome": "1"}), Outcome.BLOCKED, "HTTP 403 bot wall (DataDome)"),
        (answer(304, not_modified=True), Outcome.OK, None),
        (
            answer(failure=FailureKind.TIMEOUT, error="read timed out"),
            Outcome.TIMEOUT,
            "read timed out",
        ),
        (
            answer(failure=FailureKind.TLS, error="TLS certificate error: x"),
            Outcome.TLS_ERROR,
            "TLS certificate error: x",
        ),
        (
            answer(failure=FailureKind.NXDOMAIN, error="DNS: no such name x (NXDOMAIN)"),
            Outcome.UNREACHABLE,
            "DNS: no such name x (NXDOMAIN)",
        ),
        (
            answer(failure=FailureKind.CONNECT_TIMEOUT, error="connect timed out"),
            Outcome.TIMEOUT,
            "connect timed out",
        ),
        (
            answer(failure=FailureKind.REFUSED, error="connection refused"),
            Outcome.UNREACHABLE,
            "connection refused",
        ),
        (
            answer(failure=FailureKind.REDIRECT_LOOP, error="redirect loop: a -> b -> a"),
            Outcome.UNREACHABLE,
            "redirect loop: a -> b -> a",
        ),
        (
            answer(failure=FailureKind.EXCLUDED, error="excluded by rule 'x'"),
            Outcome.EXCLUDED,
            "excluded by rule 'x'",
        ),
        (
            answer(failure=FailureKind.BLOCKED_ADDRESS, error="blocked address"),
            Outcome.EXCLUDED,
            "blocked address",
        ),
        (answer(failure=FailureKind.RESET), Outcome.UNREACHABLE, "reset"),
    ],
)
def test_outcomes(fetched, outcome, error):
    result = judge(fetched, CHECK, ACCEPT)
    assert (result.outcome, result.error) == (outcome, error)


def test_accept_spec_widens_ok():
    assert judge(answer(429), CHECK, parse_accept("200..=299,429")).outcome is Outcome.OK
    assert judge(answer(200), CHECK, parse_accept("204")).outcome is Outcome.BROKEN


def test_fields_are_carried_over():
    when = datetime(2026, 1, 1, tzinfo=UTC)
    hops = (Hop("https://example.org/a", 301),)
    fetched = Fetched(
        "https://example.org/a",
        200,
        "https://example.org/b",
        redirects=hops,
        headers={"content-type": "Text/HTML; charset=UTF-8", "content-length": "512"},
        elapsed_ms=42,
        attempts=2,
        requests=3,
        fetched_at=when,
    )
    result = judge(fetched, CHECK, ACCEPT)
    assert result.final_url == "https://example.org/b" and result.redirects == hops
    assert result.permanent_redirect and result.content_type == "text/html"
    assert (result.content_length, result.elapsed_ms, result.attempts, result.requests) == (
        512,
        42,
        2,
        3,
    )
    assert result.referrers == 3 and result.checked_at == when and result.error is None


@pytest.mark.parametrize(
    ("status", "headers", "body", "wall"),
    [
        (403, {"cf-mitigated": "challenge"}, b"", "Cloudflare challenge"),
        (403, {"x-amzn-waf-action": "captcha"}, b"", "AWS WAF"),
        (
            403,
            {"server": "cloudflare", "cf-ray": "1"},
            b"<script src=/cdn-cgi/challenge-platform>",
            "Cloudflare challenge",
        ),
        (403, {"server": "cloudflare", "cf-ray": "1"}, b"Forbidden", None),
        (403, {}, b"", None),
        (404, {"cf-mitigated": "challenge"}, b"", None),
        (999, {}, b"", "LinkedIn"),
    ],
)
def test_bot_walls(status, headers, body, wall):
    assert bot_wall(status, headers, body) == wall


def test_content_type_is_mime_only():
    assert content_type({"content-type": "IMAGE/JPEG"}) == "image/jpeg"
    assert content_type({}) is None
