"""Normalise a URL as written in a record into the one form that is checked and de-duplicated.

The aim is "the same request means the same string": scheme and host lower case, the default
port and the fragment dropped, an internationalised host in punycode, a site-relative path
joined to the site's base URL. The path and query are otherwise left exactly as written (a
double slash or an odd percent-escape is what the server sees), except that raw spaces,
control characters and non-ASCII are percent-encoded as a browser would before sending.

Anything that cannot be checked comes back as ``(None, reason)``, never as an exception.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import idna

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_ASCII_HOST = re.compile(r"[a-z0-9_\-.]+")
# A lower-case http(s) URL with a plain host (labels of 1 to 63 characters), no port, no user,
# no fragment, nothing to encode but inner spaces; groups: 1 scheme and host, 3 the path (absent
# right after the host), 4 the query. _fast_path declines a trailing space (the full parse
# strips it).
_CLEAN_URL = re.compile(
    r"(https?://([a-z0-9_\-]{1,63}(?:\.[a-z0-9_\-]{1,63})*\.?))"
    r"(/[ !$%&'()*+,\-./0-9:;=@A-Z\[\\\]^_a-z|~]*)?"
    r"(\?[ !$%&'()*+,\-./0-9:;=?@A-Z\[\\\]^_a-z|~`{}]+)?"
)
# What a browser percent-encodes in a path / a query (WHATWG URL, "percent-encode sets"):
# controls, space, non-ASCII, and a few marks.
_PATH_UNSAFE = re.compile(r'[^\x21-\x7e]|[ "<>`{}]')
_QUERY_UNSAFE = re.compile(r'[^\x21-\x7e]|[ "<>]')
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Results memoised per base URL; the bound keeps a pathological input from growing it forever
# and a large site's memo to ~20 MB (the repeated URLs are few: logos, popular articles).
_MEMOS: dict[str | None, dict[str, tuple[str | None, str | None]]] = {}
_MEMO_LIMIT = 65_536
_UNSAFE_SCHEMES = {"javascript", "data", "vbscript", "file"}


def normalise(raw: str, base_url: str | None) -> tuple[str | None, str | None]:
    """``(url, None)`` for a checkable http(s) URL, else ``(None, reason)``."""
    if not isinstance(raw, str):
        return None, f"a {type(raw).__name__}, expected a URL string"
    return normaliser(base_url)(raw)


def normaliser(base_url: str | None) -> Callable[[str], tuple[str | None, str | None]]:
    """``normalise`` for one base URL and string values, memoised: what extraction calls.

    The same provider logo is referenced by hundreds of records, and a plain dict keyed by
    the raw string is cheaper than ``functools.lru_cache`` keyed by both arguments.
    """
    memo = _MEMOS.setdefault(base_url, {})

    def normalise_one(raw: str) -> tuple[str | None, str | None]:
        found = memo.get(raw)
        if found is None:
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            found = memo[raw] = _normalise(raw, base_url)
        return found

    return normalise_one


def fragment_of(raw: str) -> str | None:
    """The ``#fragment`` of a URL as written (percent-escapes kept), or None without one.

    Normalising drops it (a page is fetched once, whatever its fragments); the report keeps
    it on the link, and ``http.check_fragments`` judges it against the page's anchors.
    """
    _, hash_mark, fragment = raw.strip().partition("#")
    return fragment if hash_mark and fragment else None


def clear_cache() -> None:
    """Forget memoised results: once the records are read (they only speed up reading),
    and in benchmarks that measure a cold start."""
    _MEMOS.clear()


def _normalise(raw: str, base_url: str | None) -> tuple[str | None, str | None]:
    try:
        return _normalise_uncached(raw, base_url)
    except (ValueError, UnicodeError) as exc:
        return None, f"malformed URL: {exc}"


def _normalise_uncached(raw: str, base_url: str | None) -> tuple[str | None, str | None]:
    fast = _fast_path(raw)
    if fast is not None:
        return fast, None
    return _full_path(raw, base_url)


def _fast_path(raw: str) -> str | None:
    """Most URLs in records are already clean: recognise those without taking them apart.

    Gives exactly what the full path would (a test holds them equal), or None to defer to it.
    """
    match = _CLEAN_URL.fullmatch(raw)
    if match is None or raw[-1] == " ":
        return None
    prefix, host, path, query = match.groups()
    if len(host) > 253 or "xn--" in host:
        return None
    url = f"{prefix}{path or '/'}{query or ''}"
    # Spaces are the one thing a browser encodes here ("r-0-Provider 8" in real file names).
    return url.replace(" ", "%20") if " " in url else url


def _full_path(raw: str, base_url: str | None) -> tuple[str | None, str | None]:
    text = _TAB_NEWLINE.sub("", raw.strip())
    if not text:
        return None, "empty"
    if text.startswith("//"):
        text = "https:" + text
    elif text.startswith("/"):
        if not base_url:
            return None, "site-relative URL and no base URL (set site.base_url or _config.yml url)"
        text = base_url.rstrip("/") + text
    match = _SCHEME.match(text)
    if not match:
        return None, "not an absolute URL (no scheme, not site-relative)"
    scheme = match.group(1).lower()
    if scheme in _UNSAFE_SCHEMES:
        return None, f"unsafe scheme {scheme}:"
    if scheme not in _DEFAULT_PORTS:
        return None, f"unsupported scheme {scheme}: (only http and https are checked)"
    return _rebuild(scheme, text)


def _rebuild(scheme: str, text: str) -> tuple[str | None, str | None]:
    parts = urlsplit(text)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    host, port, reason = _split_hostport(hostport)
    if reason:
        return None, reason
    host, reason = _clean_host(host)
    if reason:
        return None, reason
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if userinfo:
        netloc = f"{_encode(userinfo, _PATH_UNSAFE)}@{netloc}"
    path = _encode(parts.path, _PATH_UNSAFE) or "/"
    query = _encode(parts.query, _QUERY_UNSAFE)
    url = f"{scheme}://{netloc}{path}"
    return (f"{url}?{query}" if query else url), None


def _split_hostport(hostport: str) -> tuple[str, int | None, str | None]:
    if hostport.startswith("["):
        host, bracket, rest = hostport.partition("]")
        host += bracket
        if not bracket or (rest and not rest.startswith(":")):
            return "", None, "malformed IPv6 host"
        port_text = rest[1:]
    else:
        host, _, port_text = hostport.partition(":")
    if not port_text:
        return host, None, None
    if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return host, None, f"bad port {port_text!r}"
    return host, int(port_text), None


def _clean_host(host: str) -> tuple[str, str | None]:
    if not host:
        return "", "no host"
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return "", f"bad IPv6 host {host!r}"
        return host.lower(), None
    host = host.lower()
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            return "", f"bad host name: {exc}"
    if not _ASCII_HOST.fullmatch(host):
        return "", f"bad character in host {host!r}"
    labels = host.removesuffix(".").split(".")
    if len(host) > 253 or any(not 0 < len(label) <= 63 for label in labels):
        return "", f"bad host name {host!r}"
    if "xn--" in host:
        # The request's URL library decodes punycode labels to show the host: one that
        # decodes to nothing (xn--zz) is no name, and must stop here, not in the fetch.
        try:
            host.encode("ascii").decode("idna")
        except UnicodeError:
            return "", f"bad host name {host!r}: not valid punycode"
    return host, None


def _encode(text: str, unsafe: re.Pattern[str]) -> str:
    """Percent-encode what a browser would: spaces, controls, non-ASCII, the given set."""
    return unsafe.sub(_percent, text) if unsafe.search(text) else text


def _percent(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8"))
