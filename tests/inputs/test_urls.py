"""URL normalisation: one string per distinct request, or a reason why the URL is not checkable."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from linkcheck.inputs.urls import fragment_of, normalise

BASE = "https://smartableai.github.io/microsoft-power-apps"

VALID = [
    ("https://example.org/a", "https://example.org/a"),
    ("  https://example.org/a \n", "https://example.org/a"),
    ("HTTPS://WWW.Example.ORG/Path/Kept?Q=Kept", "https://www.example.org/Path/Kept?Q=Kept"),
    ("https://example.org:443/a", "https://example.org/a"),
    ("http://example.org:80/a", "http://example.org/a"),
    ("http://example.org:8080/a", "http://example.org:8080/a"),
    ("https://example.org:80/a", "https://example.org:80/a"),
    ("https://example.org/a#section", "https://example.org/a"),
    ("https://example.org", "https://example.org/"),
    ("https://example.org?x=1", "https://example.org/?x=1"),
    ("https://Bücher.example/x", "https://xn--bcher-kva.example/x"),
    ("https://例え.テスト/", "https://xn--r8jz45g.xn--zckzah/"),
    ("//cdn.example.org/x.jpg", "https://cdn.example.org/x.jpg"),
    ("/assets/images/x.jpg", f"{BASE}/assets/images/x.jpg"),
    (
        "https://video-images.vice.com//articles/5f59/lede/1.jpeg?crop=1xw:0.8665xh;0xw,0.0392xh",
        "https://video-images.vice.com//articles/5f59/lede/1.jpeg?crop=1xw:0.8665xh;0xw,0.0392xh",
    ),
    ("https://example.org/a b/ü?q=a b", "https://example.org/a%20b/%C3%BC?q=a%20b"),
    (
        "https://example.org/already%20encoded%2Fslash",
        "https://example.org/already%20encoded%2Fslash",
    ),
    ("https://example.org/odd%zz", "https://example.org/odd%zz"),
    ("https://example.org/a?b=1&c=%2F&d", "https://example.org/a?b=1&c=%2F&d"),
    ("https://example.org/a/../b/./c", "https://example.org/a/../b/./c"),
    ("https://user:pw@example.org/", "https://user:pw@example.org/"),
    ("http://[::1]:80/", "http://[::1]/"),
    ("http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
    ("http://127.0.0.1:8000/x", "http://127.0.0.1:8000/x"),
    ("https://exam\tple.org/", "https://example.org/"),
    ("https://under_score.example.org/", "https://under_score.example.org/"),
]


@pytest.mark.parametrize(("raw", "expected"), VALID)
def test_normalises(raw: str, expected: str) -> None:
    assert normalise(raw, BASE) == (expected, None)


INVALID = [
    ("", "empty"),
    ("   ", "empty"),
    ("javascript:alert(1)", "unsafe scheme javascript:"),
    ("JavaScript:alert(1)", "unsafe scheme javascript:"),
    ("data:image/png;base64,AAAA", "unsafe scheme data:"),
    ("mailto:someone@example.org", "unsupported scheme mailto:"),
    ("ftp://example.org/file", "unsupported scheme ftp:"),
    ("https://example.org:99999/", "bad port '99999'"),
    ("https://example.org:http/", "bad port 'http'"),
    ("https://exa mple.org/", "bad character in host"),
    ("https://", "no host"),
    ("https:///path", "no host"),
    ("http:example.org", "no host"),
    ("https://[::1/", "malformed"),
    ("https://[zz::1]/", "malformed URL"),
    ("https://a..b/", "bad host name"),
    ("https://" + "a" * 64 + ".org/", "bad host name"),
    ("example.org/page", "not an absolute URL"),
    ("n/a", "not an absolute URL"),
    ("#top", "not an absolute URL"),
]


@pytest.mark.parametrize(("raw", "reason"), INVALID)
def test_invalid_with_reason(raw: str, reason: str) -> None:
    url, why = normalise(raw, BASE)
    assert url is None
    assert why is not None and reason in why


def test_site_relative_without_base_is_invalid() -> None:
    url, why = normalise("/assets/x.jpg", None)
    assert url is None
    assert why is not None and "no base URL" in why


def test_base_url_trailing_slash_does_not_double() -> None:
    assert normalise("/a.jpg", "https://example.org/site/") == (
        "https://example.org/site/a.jpg",
        None,
    )


def test_non_string_is_invalid_not_an_exception() -> None:
    url, why = normalise(12345, BASE)  # type: ignore[arg-type]
    assert url is None and why is not None and "int" in why


# ---------------------------------------------------------------- properties

URLISH = st.builds(
    lambda scheme, host, port, path, query: f"{scheme}://{host}{port}{path}{query}",
    st.sampled_from(["http", "https", "HTTP", "hTTps", "ftp", "javascript"]),
    st.one_of(
        st.from_regex(r"[A-Za-z0-9\-]{1,12}(\.[A-Za-z0-9\-]{1,12}){0,3}", fullmatch=True),
        st.text(min_size=0, max_size=15),
    ),
    st.sampled_from(["", ":80", ":443", ":8080", ":0", ":x", ":"]),
    st.text(max_size=20).map(lambda t: "/" + t),
    st.one_of(st.just(""), st.text(max_size=10).map(lambda t: "?" + t)),
)
ANY_TEXT = st.one_of(st.text(max_size=60), URLISH)


@given(ANY_TEXT)
def test_never_raises_and_valid_results_are_http_with_host(raw: str) -> None:
    url, why = normalise(raw, BASE)
    assert (url is None) != (why is None)
    if url is not None:
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https")
        assert parts.hostname
        assert parts.fragment == ""


@given(ANY_TEXT)
def test_idempotent(raw: str) -> None:
    url, _ = normalise(raw, BASE)
    if url is not None:
        assert normalise(url, BASE) == (url, None)
        assert normalise(url, None) == (url, None)


CLEANISH = st.builds(
    lambda scheme, host, path, query: f"{scheme}://{host}{path}{query}",
    st.sampled_from(["http", "https"]),
    st.from_regex(r"[a-z0-9_\-]{1,70}(\.[a-z0-9_\-]{0,12}){0,3}\.?", fullmatch=True),
    st.one_of(
        st.just(""), st.text(st.characters(max_codepoint=127), max_size=20).map("/{}".format)
    ),
    st.one_of(
        st.just(""), st.text(st.characters(max_codepoint=127), max_size=10).map("?{}".format)
    ),
)


@given(st.one_of(CLEANISH, URLISH))
@settings(max_examples=500)
@example("https://example.org?x=1")
@example("https://example.org?")
@example("https://example.org/?x#y")
@example("https://a.b./p?q`{}")
@example("https://a.b/r-0-Provider 8.jpg?x y")
@example("https://a.b/p ")
@example("https://a.b?  x")
def test_fast_path_agrees_with_the_full_parse(raw: str) -> None:
    from linkcheck.inputs.urls import _fast_path, _full_path

    fast = _fast_path(raw)
    if fast is not None:
        assert _full_path(raw, None) == (fast, None)


def test_fast_path_takes_inner_spaces_and_leaves_trailing_ones_to_the_full_parse() -> None:
    from linkcheck.inputs.urls import _fast_path

    assert (
        _fast_path("https://a.b/r-0-Provider 8.jpg?x y") == "https://a.b/r-0-Provider%208.jpg?x%20y"
    )
    assert _fast_path("https://a.b/p ") is None


def test_the_fragment_is_kept_apart_from_the_url_that_is_checked() -> None:
    assert normalise("https://x.example/p?q=1#sec", None) == ("https://x.example/p?q=1", None)
    assert fragment_of("https://x.example/p?q=1#sec") == "sec"
    assert fragment_of("https://x.example/p#caf%C3%A9") == "caf%C3%A9"
    assert fragment_of("https://x.example/p#a#b") == "a#b"
    assert fragment_of("https://x.example/p#") is None
    assert fragment_of("https://x.example/p") is None
