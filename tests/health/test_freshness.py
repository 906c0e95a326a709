"""RFC 9111 section 4.2 freshness, as table tests: each row names the rule it checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from linkcheck.health.freshness import MAX_DELTA, cache_info, parse_cache_control, parse_http_date

NOW = datetime(2026, 11, 26, 3, 0, 0, tzinfo=UTC)


def http_date(delta_s: float) -> str:
    """NOW + delta as an IMF-fixdate."""
    return (NOW + timedelta(seconds=delta_s)).strftime("%a, %d %b %Y %H:%M:%S GMT")


DATE_NOW = http_date(0)

# (rule, headers, expected (fresh, lifetime, age))
CASES = [
    (
        "max-age gives the lifetime",
        {"cache-control": "max-age=3600", "date": DATE_NOW},
        (True, 3600, 0),
    ),
    ("max-age=0 is stale at once", {"cache-control": "max-age=0", "date": DATE_NOW}, (False, 0, 0)),
    (
        "s-maxage wins for a shared cache",
        {"cache-control": "max-age=10, s-maxage=600", "date": DATE_NOW},
        (True, 600, 0),
    ),
    (
        "max-age wins over Expires",
        {"cache-control": "max-age=60", "expires": http_date(9999), "date": DATE_NOW},
        (True, 60, 0),
    ),
    ("Expires minus Date", {"expires": http_date(120), "date": DATE_NOW}, (True, 120, 0)),
    ("Expires in the past", {"expires": http_date(-10), "date": DATE_NOW}, (False, 0, 0)),
    ("invalid Expires means already expired", {"expires": "0", "date": DATE_NOW}, (False, 0, 0)),
    ("garbage Expires means already expired", {"expires": "soon", "date": DATE_NOW}, (False, 0, 0)),
    (
        "two Expires joined by the fetcher are invalid",
        {"expires": f"{http_date(60)}, {http_date(90)}", "date": DATE_NOW},
        (False, 0, 0),
    ),
    (
        "no-store: not cacheable, freshness does not apply",
        {"cache-control": "no-store, max-age=3600", "date": DATE_NOW},
        (None, 0, 0),
    ),
    ("no-cache: not cacheable", {"cache-control": "no-cache", "date": DATE_NOW}, (None, 0, 0)),
    (
        "qualified no-cache covers only fields",
        {"cache-control": 'no-cache="set-cookie, x-a", max-age=100', "date": DATE_NOW},
        (True, 100, 0),
    ),
    ("private is not for a shared cache", {"cache-control": "private, max-age=100"}, (None, 0, 0)),
    (
        "Age header adds to the age",
        {"cache-control": "max-age=100", "age": "150", "date": DATE_NOW},
        (False, 100, 150),
    ),
    (
        "Age below the lifetime",
        {"cache-control": "max-age=100", "age": "50", "date": DATE_NOW},
        (True, 100, 50),
    ),
    (
        "invalid Age is ignored",
        {"cache-control": "max-age=100", "age": "-5", "date": DATE_NOW},
        (True, 100, 0),
    ),
    ("non-numeric Age is ignored", {"cache-control": "max-age=100", "age": "old"}, (True, 100, 0)),
    (
        "apparent age from an old Date",
        {"cache-control": "max-age=100", "date": http_date(-300)},
        (False, 100, 300),
    ),
    (
        "clock skew: a Date in the future gives age 0",
        {"cache-control": "max-age=100", "date": http_date(500)},
        (True, 100, 0),
    ),
    (
        "clock skew: Expires - Date uses the server's clock only",
        {"expires": http_date(700), "date": http_date(500)},
        (True, 200, 0),
    ),
    (
        "max-age=abc is invalid: stale",
        {"cache-control": "max-age=abc", "date": DATE_NOW},
        (False, 0, 0),
    ),
    ("negative max-age is invalid: stale", {"cache-control": "max-age=-1"}, (False, 0, 0)),
    ("max-age without a value is invalid", {"cache-control": "max-age"}, (False, 0, 0)),
    (
        "conflicting duplicate max-age: stale",
        {"cache-control": "max-age=60, max-age=3600"},
        (False, 0, 0),
    ),
    (
        "identical duplicate max-age is fine",
        {"cache-control": "max-age=60, max-age=60"},
        (True, 60, 0),
    ),
    ("quoted max-age is accepted", {"cache-control": 'max-age="300"'}, (True, 300, 0)),
    ("directive names are case-insensitive", {"cache-control": "MAX-AGE=300"}, (True, 300, 0)),
    (
        "huge max-age is clamped to 2**31",
        {"cache-control": "max-age=99999999999999999999"},
        (True, MAX_DELTA, 0),
    ),
    (
        "heuristic: 10% of Date - Last-Modified",
        {"last-modified": http_date(-10_000), "date": DATE_NOW},
        (True, 1000, 0),
    ),
    (
        "heuristic, old Date: age 1200 > lifetime 1000",
        {"last-modified": http_date(-11_200), "date": http_date(-1200)},
        (False, 1000, 1200),
    ),
    (
        "Last-Modified after Date gives no heuristic",
        {"last-modified": http_date(100), "date": DATE_NOW},
        (None, None, 0),
    ),
    (
        "invalid Last-Modified gives no heuristic",
        {"last-modified": "yesterday", "date": DATE_NOW},
        (None, None, 0),
    ),
    ("nothing to go on: unknown", {"date": DATE_NOW}, (None, None, 0)),
    ("no headers at all: unknown", {}, (None, None, 0)),
    (
        "invalid Date: the response time is used",
        {"cache-control": "max-age=100", "date": "not a date"},
        (True, 100, 0),
    ),
    (
        "RFC 850 dates are read",
        {"expires": "Thursday, 26-Nov-26 03:10:00 GMT", "date": "Thursday, 26-Nov-26 03:00:00 GMT"},
        (True, 600, 0),
    ),
    (
        "asctime dates are read",
        {"expires": "Thu Nov 26 03:10:00 2026", "date": "Thu Nov 26 03:00:00 2026"},
        (True, 600, 0),
    ),
]


@pytest.mark.parametrize(("rule", "headers", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rfc9111_rules(rule, headers, expected):
    info = cache_info(headers, NOW)
    assert (info.fresh, info.freshness_lifetime_s, info.age_s) == expected, rule


def test_resident_time_and_response_delay_add_to_the_age():
    received = NOW - timedelta(seconds=40)
    sent = received - timedelta(seconds=5)
    headers = {"cache-control": "max-age=60", "date": http_date(-40), "age": "10"}
    info = cache_info(headers, NOW, response_time=received, request_time=sent)
    # corrected_age_value = 10 + 5; apparent_age = 0; resident = 40  ->  55
    assert (info.age_s, info.fresh) == (55, True)
    later = cache_info(
        headers, NOW + timedelta(seconds=10), response_time=received, request_time=sent
    )
    assert (later.age_s, later.fresh) == (65, False)


def test_private_cache_view_uses_max_age_and_ignores_private():
    headers = {"cache-control": "private, max-age=100, s-maxage=5"}
    assert cache_info(headers, NOW, shared=False).freshness_lifetime_s == 100
    assert cache_info(headers, NOW).freshness_lifetime_s == 0


def test_heuristic_only_for_heuristically_cacheable_statuses():
    headers = {"last-modified": http_date(-10_000), "date": DATE_NOW}
    assert cache_info(headers, NOW, status=302).fresh is None
    assert cache_info(headers, NOW, status=404).freshness_lifetime_s == 1000
    public = {**headers, "cache-control": "public"}
    assert cache_info(public, NOW, status=302).freshness_lifetime_s == 1000


def test_heuristic_fraction_is_configurable():
    headers = {"last-modified": http_date(-10_000), "date": DATE_NOW}
    assert cache_info(headers, NOW, heuristic_fraction=0.5).freshness_lifetime_s == 5000
    assert cache_info(headers, NOW, heuristic_fraction=0).fresh is False


def test_validators_and_raw_headers_are_kept():
    headers = {
        "etag": '"abc"',
        "last-modified": http_date(-50),
        "expires": http_date(50),
        "cache-control": "public",
        "date": DATE_NOW,
    }
    info = cache_info(headers, NOW)
    assert info.etag == '"abc"'
    assert info.last_modified == headers["last-modified"]
    assert info.expires == headers["expires"]
    assert info.cache_control == "public"
    assert info.date == DATE_NOW


def test_naive_datetimes_are_taken_as_utc():
    info = cache_info({"cache-control": "max-age=10", "date": DATE_NOW}, NOW.replace(tzinfo=None))
    assert info.age_s == 0


def test_parse_cache_control_keeps_every_value_and_quoted_commas():
    assert parse_cache_control('no-cache="a, b", max-age=5, Max-Age=6, , public') == {
        "no-cache": ["a, b"],
        "max-age": ["5", "6"],
        "public": [None],
    }


@pytest.mark.parametrize("bad", [None, "", "0", "-1", "Sun, 31 Feb 1994 08:49:37 GMT", "x" * 500])
def test_bad_dates_parse_to_none(bad):
    assert parse_http_date(bad) is None
