"""The Google AMP Cache URL of an AMP page (vectors from ampproject/amp-toolbox's spec)."""

from __future__ import annotations

import pytest

from linkcheck.inputs.amp import amp_cache_url, cache_subdomain, origin_of_cache_url

VICE_AMP = (
    "https://www.vice.com/amp/en_us/article/g5p9z3/"
    "amazon-spent-dollar24000-to-kill-portlands-facial-recognition-ban"
)


def test_reference_record():
    assert amp_cache_url(VICE_AMP) == (
        "https://www-vice-com.cdn.ampproject.org/c/s/www.vice.com/amp/en_us/article/g5p9z3/"
        "amazon-spent-dollar24000-to-kill-portlands-facial-recognition-ban"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.example.com",
            "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/",
        ),
        (
            "http://www.example.com/index.html",
            "https://www-example-com.cdn.ampproject.org/c/www.example.com/index.html",
        ),
        (
            "https://example.com/g?value=Hello%20World",
            "https://example-com.cdn.ampproject.org/c/s/example.com/g?value=Hello%20World",
        ),
        (
            "https://www.neowin.net/amp/x/",
            "https://www-neowin-net.cdn.ampproject.org/c/s/www.neowin.net/amp/x/",
        ),
        (
            "https://WWW.Example.COM:8443/a",
            "https://www-example-com.cdn.ampproject.org/c/s/www.example.com:8443/a",
        ),
    ],
)
def test_cache_urls(url, expected):
    assert amp_cache_url(url) == expected


@pytest.mark.parametrize(
    ("host", "subdomain"),
    [
        ("something.com", "something-com"),
        ("SOMETHING.COM", "something-com"),
        ("hello-world.com", "hello--world-com"),
        ("hello--world.com", "hello----world-com"),
        ("en-us.example.com", "0-en--us-example-com-0"),  # "--" at positions 3-4
        ("xn--bcher-kva.ch", "xn--bcher-ch-65a"),  # IDN: replaced in Unicode, re-punycoded
        ("bücher.ch", "xn--bcher-ch-65a"),
        ("點看.com", "xn---com-k47jg78q"),
        (
            "xn--4gbrim.xn----rmckbbajlc6dj7bxne2c.xn--wgbh1c",
            "xn-------i5fvcbaopc6fkc0de0d9jybegt6cd",
        ),
        # Fallbacks: base32 of the SHA-256 of the host.
        ("toplevelnohyphens", "qsgpfjzulvuaxb66z77vlhb5gu2irvcnyp6t67cz6tqo5ae6fysa"),
        ("no-dot-domain", "4lxc7wqq7b25walg4rdiil62veijrmqui5z3ept2lyfqqwpowryq"),
        (
            "itwasadarkandstormynight.therainfellintorrents.exceptatoccasionalintervalswhenit"
            "wascheckedby.aviolentgustofwindwhichsweptupthestreets.com",
            "dgz4cnrxufaulnwku4ow5biptyqnenjievjht56hd7wqinbdbteq",
        ),
        (  # right-to-left mixed with left-to-right letters
            "hello.xn--4gbrim.xn----rmckbbajlc6dj7bxne2c.xn--wgbh1c",
            "a6h5moukddengbsjm77rvbosevwuduec2blkjva4223o4bgafgla",
        ),
    ],
)
def test_subdomains(host, subdomain):
    assert cache_subdomain(host) == subdomain


def test_idn_page_url_uses_punycode_host():
    assert amp_cache_url("https://bücher.ch/amp/") == (
        "https://xn--bcher-ch-65a.cdn.ampproject.org/c/s/xn--bcher-kva.ch/amp/"
    )


@pytest.mark.parametrize("bad", ["ftp://example.com/x", "not a url", "https:///nohost", ""])
def test_not_http_urls_raise_value_error(bad):
    with pytest.raises(ValueError):
        amp_cache_url(bad)


def test_origin_of_cache_url():
    assert origin_of_cache_url(amp_cache_url(VICE_AMP)) == (
        "www.vice.com",
        "/amp/en_us/article/g5p9z3/amazon-spent-dollar24000-to-kill-portlands-facial-recognition-ban",
    )
    assert origin_of_cache_url("https://www-vice-com.cdn.ampproject.org/c/s/www.vice.com/") == (
        "www.vice.com",
        "/",
    )
    assert origin_of_cache_url(VICE_AMP) is None
    assert origin_of_cache_url("https://x.cdn.ampproject.org/other/path") is None
