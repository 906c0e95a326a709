"""The Google AMP Cache address of an AMP page, so cdnAmpWebUrl can be checked offline.

The cache subdomain is the page's host, IDN-punycoded, with every ``-`` doubled
and every ``.`` turned into ``-``
(https://developers.google.com/amp/cache/overview#amp-cache-url-format);
``/c/`` serves documents, followed by ``s/`` when the origin is https.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import ipaddress
import unicodedata
from urllib.parse import urlsplit

CACHE_DOMAIN = "cdn.ampproject.org"


def amp_cache_url(amp_url: str) -> str:
    """``https://www.vice.com/amp/x`` -> ``https://www-vice-com.cdn.ampproject.org/c/s/www.vice.com/amp/x``.

    Raises ValueError for a URL without an http(s) scheme or a host.
    """
    parts = urlsplit(amp_url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {amp_url!r}")
    host = _ascii_host(parts.hostname)
    origin = host if parts.port is None else f"{host}:{parts.port}"
    if ":" in host:  # an IPv6 literal keeps its brackets
        origin = f"[{host}]" if parts.port is None else f"[{host}]:{parts.port}"
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    secure = "s/" if parts.scheme.lower() == "https" else ""
    return f"https://{cache_subdomain(host)}.{CACHE_DOMAIN}/c/{secure}{origin}{path}{query}"


@functools.lru_cache(maxsize=4096)
def cache_subdomain(host: str) -> str:
    """``www.my-site.com`` -> ``www-my--site-com``, as the AMP Cache names its subdomains.

    The replacement is done on the Unicode form of an IDN host, then converted
    back to punycode as one label (``xn--bcher-kva.ch`` -> ``xn--bcher-ch-65a``);
    a result with ``--`` at positions 3-4 is wrapped in ``0-`` ... ``-0``. A host
    without a dot, longer than 63 characters, mixing right-to-left and
    left-to-right letters, or an IP address gets the base32 SHA-256 fallback.
    """
    ascii_host = _ascii_host(host)
    unicode_host = _unicode_host(ascii_host)
    if len(ascii_host) > 63 or "." not in ascii_host or _is_ip(ascii_host):
        return _fallback(ascii_host)
    if _mixes_directions(unicode_host):
        return _fallback(ascii_host)
    label = unicode_host.replace("-", "--").replace(".", "-")
    if label[2:4] == "--":
        label = f"0-{label}-0"
    if not label.isascii():
        label = "xn--" + label.encode("punycode").decode("ascii")
    return label if len(label) <= 63 else _fallback(ascii_host)


def _fallback(ascii_host: str) -> str:
    digest = hashlib.sha256(ascii_host.encode("ascii")).digest()
    return base64.b32encode(digest).decode("ascii").lower().rstrip("=")


def _mixes_directions(text: str) -> bool:
    kinds = {unicodedata.bidirectional(c) for c in text}
    return "L" in kinds and bool(kinds & {"R", "AL"})


def _unicode_host(ascii_host: str) -> str:
    labels = []
    for label in ascii_host.split("."):
        if label.startswith("xn--"):
            with contextlib.suppress(UnicodeError):
                label = label[4:].encode("ascii").decode("punycode")
        labels.append(label)
    return ".".join(labels)


def origin_of_cache_url(url: str) -> tuple[str, str] | None:
    """For an AMP cache URL, (origin host, origin path); None for any other URL."""
    parts = urlsplit(url)
    if not (parts.hostname or "").endswith("." + CACHE_DOMAIN):
        return None
    segments = parts.path.split("/")
    # "", "c"|"i"|"r"|"v", optional "s", host, path...
    if len(segments) < 3 or segments[1] not in ("c", "i", "r", "v"):
        return None
    rest = segments[2:]
    if rest and rest[0] == "s":
        rest = rest[1:]
    if not rest or not rest[0]:
        return None
    return rest[0], "/" + "/".join(rest[1:])


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _ascii_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        # Python's idna codec is IDNA 2003; fall back label by label on punycode.
        return ".".join(
            label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
            for label in host.split(".")
        )
