"""Content health of one fetched URL: the codes on ``urls[].issues``.

Pure: reads only ``Fetched`` (its headers and the first bytes of its body,
already capped by the fetcher) and the config. HTML is read with the stdlib
``html.parser`` and only the signals that matter are kept (the ``<html>``
attributes, ``<title>``, the first ``<h1>``, ``og:title``, the canonical link),
so a 256 KiB page costs a few milliseconds.

Soft 404s are judged on the page's *name* only (title, first h1, og:title), never
on its text: an article that explains HTTP 404 errors is not missing. A name
counts when one of its parts (split on `` | ``, `` - ``, `` — `` ...) is nothing
but a "missing" phrase, possibly dressed with "404", "error", "oops", "sorry".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

from linkcheck.config import ContentConfig
from linkcheck.engine import images
from linkcheck.health.freshness import cache_info, parse_http_date
from linkcheck.health.identity import confirmed_title, identity_issues
from linkcheck.inputs.amp import origin_of_cache_url
from linkcheck.model import CacheInfo, Drift, Fetched, Role, UrlCheck, UrlResult

SOFT_404 = "soft_404"
REDIRECT_TO_HOME = "redirect_to_home"
CONTENT_TYPE_MISMATCH = "content_type_mismatch"
AMP_INVALID = "amp_invalid"
CACHE_STALE = "cache_stale"

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# A Date this much older than the response's arrival means a cache held the copy; less may
# be two clocks that disagree.
HELD_AFTER_S = 300
# Bodies that are images whatever their Content-Type says, and those that are not.
_BINARY_TYPES = frozenset({"application/octet-stream", "binary/octet-stream", ""})
# Image subtypes whose magic numbers sniff_image_type knows.
# fmt: off
_SNIFFABLE = {"jpeg": "jpeg", "jpg": "jpeg", "pjpeg": "jpeg", "png": "png", "gif": "gif",
              "webp": "webp", "bmp": "bmp", "x-ms-bmp": "bmp", "tiff": "tiff", "avif": "avif",
              "svg+xml": "svg", "x-icon": "ico", "vnd.microsoft.icon": "ico"}

# Phrases meaning "this page is missing", compared with a whole part of a title or h1
# after normalising (case-folded, punctuation dropped, dressing words removed).
MISSING_PHRASES = frozenset({
    # en
    "page not found", "not found", "file not found", "document not found", "article not found",
    "content not found", "post not found", "story not found", "nothing found", "page missing",
    "page cannot be found", "page can't be found", "page could not be found",
    "that page can't be found", "that page cannot be found", "this page can't be found",
    "the page you requested could not be found", "the page you are looking for cannot be found",
    "the page you're looking for can't be found", "page does not exist",
    "this page does not exist", "page doesn't exist", "this page doesn't exist",
    "we can't find that page", "we couldn't find that page", "we can't find the page",
    "we couldn't find the page", "page no longer exists", "page unavailable",
    "page not available", "this page isn't available", "page no longer available",
    "the requested url was not found on this server",
    # es
    "página no encontrada", "pagina no encontrada", "no se encontró la página",
    "no se ha encontrado la página", "la página no existe", "página no existe",
    "no encontrado", "página no disponible",
    # fr
    "page non trouvée", "page introuvable", "page inexistante", "page non disponible",
    "cette page n'existe pas", "la page demandée est introuvable", "non trouvé", "introuvable",
    # de
    "seite nicht gefunden", "nicht gefunden", "seite wurde nicht gefunden",
    "die seite wurde nicht gefunden", "seite existiert nicht", "die seite existiert nicht",
    "seite nicht verfügbar",
    # it
    "pagina non trovata", "la pagina non esiste", "pagina non esistente", "non trovato",
    "non trovata", "pagina non disponibile",
    # pt
    "página não encontrada", "pagina nao encontrada", "página não existe",
    "a página não existe", "não encontrado", "não encontrada", "página indisponível",
    # nl
    "pagina niet gevonden", "niet gevonden", "pagina bestaat niet", "deze pagina bestaat niet",
    "pagina kan niet worden gevonden",
    # ru, pl, sv, tr, ko
    "страница не найдена", "nie znaleziono strony", "strona nie istnieje", "sidan hittades inte",
    "sayfa bulunamadı", "페이지를 찾을 수 없습니다",
})
# Japanese and Chinese names vary around a core: a short part containing one is "missing".
MISSING_CORES = (
    "ページが見つかりません", "お探しのページは見つかりません", "ページは存在しません",
    "ページが存在しません", "見つかりませんでした",
    "页面不存在", "页面未找到", "找不到页面", "找不到网页", "页面找不到", "网页不存在",
    "頁面不存在", "找不到頁面", "網頁不存在", "找不到網頁", "頁面未找到",
    "페이지를 찾을 수 없", "페이지가 존재하지 않",
)
# Words that dress a missing phrase ("Oops! Error 404 - Page not found").
_DRESSING = frozenset({
    "404", "error", "erreur", "fehler", "errore", "erro", "fout", "oops", "whoops", "sorry",
    "uh", "oh", "ups", "oups", "hoppla", "lo", "siento", "désolé", "http", "code", "status",
    "エラー", "错误", "錯誤", "ошибка", "błąd", "hata", "오류",
})
# Final paths (after redirects) that only an error page has.
ERROR_PATHS = frozenset({
    "404", "404.html", "404.htm", "404.php", "404.aspx", "404.shtml", "not-found", "notfound",
    "not_found", "page-not-found", "pagenotfound", "page_not_found", "error", "error.html",
    "error.htm", "error.php", "error.aspx", "error404", "error-404", "404-error", "errorpage",
    "error-page", "fehler", "erreur", "pagina-no-encontrada", "page-introuvable",
})
# fmt: on
_SEPARATORS = re.compile(r"\s+[|\-–—·:»•~/]+\s+|\s*[|–—·»•]\s*|::")
_PUNCT = re.compile(r"[^\w\s']+")
_MAX_NAME = 120
_LOCALE_ROOT = re.compile(r"/[a-z]{2,3}(?:[-_](?:[a-z]{2}|[a-z]{4}|\d{3}))?/?", re.IGNORECASE)
_HEAD_END = re.compile(r"</head\s*>|<body\b[^>]*>", re.IGNORECASE)
_H1_START = re.compile(r"<h1[\s>]", re.IGNORECASE)
_HOME_FILES = frozenset({"", "index.html", "index.htm", "index.php", "home", "default.aspx"})


def url_issues(
    fetched: Fetched,
    check: UrlCheck,
    config: ContentConfig,
    *,
    cache: CacheInfo | None = None,
    now: datetime | None = None,
) -> tuple[str, ...]:
    """The content-health codes of one URL, in a fixed order; () for a failed or 3xx/4xx answer.

    ``cache`` is the response's freshness (``cache_of``); computed here, as of ``now``
    (default: when the response arrived), when not given.
    """
    return content_findings(fetched, check, config, cache=cache, now=now).issues


@dataclass(frozen=True)
class Findings:
    """A URL's content codes, and what the report and the history keep beside them."""

    issues: tuple[str, ...] = ()
    drift: Drift | None = None
    # The page's name when it is an article page found fine (history keeps the first).
    page_title: str | None = None


def content_findings(
    fetched: Fetched,
    check: UrlCheck,
    config: ContentConfig,
    *,
    cache: CacheInfo | None = None,
    now: datetime | None = None,
) -> Findings:
    """``url_issues`` with the drift's detail and the page's title."""
    if not config.enabled or fetched.status is None or not 200 <= fetched.status < 300:
        return Findings()
    media = media_type(fetched.headers)
    page = scan_html(fetched.body) if _wants_html_scan(check, config, media, fetched.body) else None
    issues: list[str] = []
    if config.soft_404 and _is_article(check) and _soft_404(fetched, page, config):
        issues.append(SOFT_404)
    if config.redirect_to_home and _is_article(check) and redirected_to_home(fetched):
        issues.append(REDIRECT_TO_HOME)
    drift = None
    if _is_article(check) and (config.parked_domain or config.content_drift):
        # Never drift on a redirect to the front page, even with that check off.
        home = [REDIRECT_TO_HOME] if redirected_to_home(fetched) else []
        found, drift = identity_issues(fetched, check, config, page, [*issues, *home])
        issues.extend(found)
    if config.content_type and content_type_mismatch(check, media, fetched.body):
        issues.append(CONTENT_TYPE_MISMATCH)
    if config.amp and Role.AMP in check.roles and not _is_valid_amp(page, fetched):
        issues.append(AMP_INVALID)
    if config.cache_stale and served_stale(fetched, check, cache or cache_of(fetched, config, now)):
        issues.append(CACHE_STALE)
    title = confirmed_title(page, check, config) if _is_article(check) and not issues else None
    return Findings(tuple(issues), drift, title)


def served_stale(fetched: Fetched, check: UrlCheck, cache: CacheInfo) -> bool:
    """A copy served past its freshness: a cache said so (``Warning: 110``), or a copy a
    cache held is older than its lifetime. A cache held it when it sent ``Age``, when its
    ``Date`` is older than its arrival by more than clocks disagree (``HELD_AFTER``), or
    when it is an AMP cache URL.

    An origin page that forbids caching (no-store, no-cache, private) or expires at once
    is not stale: no cache served it. The report shows it as not cacheable, no issue.
    """
    headers = fetched.headers
    if any(w.strip().startswith("110") for w in headers.get("warning", "").split(",")):
        return True
    if cache.fresh is not False:
        return False
    if "age" in headers or Role.CDN_AMP in check.roles:
        return True
    if _held(parse_http_date(headers.get("date")), fetched.fetched_at):
        return True
    return origin_of_cache_url(fetched.final_url or fetched.url) is not None


def _held(date: datetime | None, arrived: datetime | None) -> bool:
    """A Date older than the arrival by more than disagreeing clocks explain."""
    return (
        date is not None and arrived is not None and (arrived - date).total_seconds() > HELD_AFTER_S
    )


def cache_of(fetched: Fetched, config: ContentConfig, now: datetime | None = None) -> CacheInfo:
    """The response's freshness as of ``now`` (default: when it arrived); ``urls[].cache``."""
    received = fetched.fetched_at or now or datetime.now(UTC)
    return cache_info(
        fetched.headers,
        now or received,
        heuristic_fraction=config.heuristic_fraction,
        response_time=received,
        status=fetched.status,
    )


def apply_content(
    result: UrlResult, fetched: Fetched, check: UrlCheck, config: ContentConfig
) -> UrlResult:
    """``result`` with cache info, content issues and the image's pixel size filled in."""
    cache = cache_of(fetched, config) if fetched.status is not None else None
    found = content_findings(fetched, check, config, cache=cache)
    issues = found.issues
    size = None
    if config.image_size and any(r.is_image for r in check.roles):
        size = images.image_size(fetched.body)
    merged = tuple(dict.fromkeys((*result.issues, *issues)))
    return replace(
        result,
        cache=cache or result.cache,
        issues=merged,
        image_size=size or result.image_size,
        content_type=result.content_type or media_type(fetched.headers) or None,
        drift=found.drift or result.drift,
        page_title=found.page_title or result.page_title,
    )


def want_body(check: UrlCheck, config: ContentConfig) -> bool:
    """Whether the fetcher must GET the body (else a HEAD-like read of the headers suffices)."""
    if not config.enabled:
        return False
    if _is_article(check) and (
        config.soft_404
        or config.amp
        or config.content_type
        or config.content_drift
        or config.parked_domain
    ):
        return True
    return any(r.is_image for r in check.roles) and (config.image_size or config.content_type)


# ---------------------------------------------------------------- HTML signals


class PageSignals(HTMLParser):
    """Keeps the few things content checks need from a page, and ignores the rest."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.html_attrs: dict[str, str | None] | None = None
        self.title: str | None = None
        self.h1: str | None = None
        self.og_title: str | None = None
        self.canonical: str | None = None
        self.head_closed = False
        self._in: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html" and self.html_attrs is None:
            self.html_attrs = {name.lower(): value for name, value in attrs}
        elif tag in ("title", "h1") and self._in is None and getattr(self, tag) is None:
            self._in, self._text = tag, []
        elif tag == "meta":
            found = dict(attrs)
            if (found.get("property") or found.get("name") or "").lower() == "og:title":
                self.og_title = self.og_title or (found.get("content") or "").strip()
        elif tag == "link" and self.canonical is None:
            found = dict(attrs)
            if "canonical" in (found.get("rel") or "").lower().split() and found.get("href"):
                self.canonical = found["href"]
        elif tag == "body":
            self.head_closed = True

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            setattr(self, tag, " ".join("".join(self._text).split()))
            self._in = None
        elif tag == "head":
            self.head_closed = True

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self._text.append(data)


def scan_html(body: bytes) -> PageSignals:
    """Parse the (capped) body: the whole head, then the body from its first ``<h1`` on.

    Everything between the head and the first h1 (menus, navigation: thousands of
    tags on a news page) holds none of the signals, and parsing it was most of the
    cost of the content checks; stops feeding once title, h1 and the head are seen.
    """
    parser = PageSignals()
    text = decode_body(body)
    head_end = _HEAD_END.search(text)
    if head_end is not None:
        _feed(parser, text[: head_end.end()])
        h1 = _H1_START.search(text, head_end.end())
        text = text[h1.start() :] if h1 is not None and parser.h1 is None else ""
    _feed(parser, text)
    parser.close()
    return parser


def _feed(parser: PageSignals, text: str, step: int = 16_384) -> None:
    for start in range(0, len(text), step):
        parser.feed(text[start : start + step])
        if parser.head_closed and parser.h1 is not None and parser.title is not None:
            break


def decode_body(body: bytes) -> str:
    """UTF-8 (the web's default and the corpus's) with replacement; enough for names."""
    return body.decode("utf-8", errors="replace")


# ---------------------------------------------------------------- soft 404


def _soft_404(fetched: Fetched, page: PageSignals | None, config: ContentConfig) -> bool:
    if fetched.final_url != fetched.url and is_error_path(fetched.final_url):
        return not is_error_path(fetched.url) or _names_say_missing(page, config)
    return _names_say_missing(page, config)


def _names_say_missing(page: PageSignals | None, config: ContentConfig) -> bool:
    if page is None:
        return False
    names = [n for n in (page.title, page.h1, page.og_title) if n]
    extra = [re.compile(p, re.IGNORECASE) for p in config.soft_404_patterns]
    return any(names_missing(n) or any(p.search(n) for p in extra) for n in names)


def names_missing(name: str) -> bool:
    """True when a page name (title, h1) says the page is missing; see the module docstring."""
    if len(name) > _MAX_NAME:
        return False
    parts = [name, *_SEPARATORS.split(name)]
    return any(_part_missing(p) for p in parts if p and p.strip())


def _part_missing(part: str) -> bool:
    text = part.casefold().replace("’", "'").replace("‘", "'")
    if any(core in text for core in MISSING_CORES) and len(text) <= 40:
        return True
    words = _PUNCT.sub(" ", text).split()
    kept = [w for w in words if w not in _DRESSING]
    if not kept:
        return "404" in words
    return " ".join(kept) in MISSING_PHRASES


def is_error_path(url: str) -> bool:
    """A URL whose path is an error page's (``/404``, ``/not-found``, ``/errors/404.html``)."""
    parts = urlsplit(url)
    if "aspxerrorpath=" in parts.query.lower():
        return True
    segments = [s for s in parts.path.lower().split("/") if s]
    if not segments:
        return False
    return segments[-1] in ERROR_PATHS or "404" in segments


# ---------------------------------------------------------------- redirect to home


def redirected_to_home(fetched: Fetched) -> bool:
    """Redirects ended on a front page (``/``, ``/en-us/``) and the link was not one already."""
    if not fetched.redirects and fetched.final_url == fetched.url:
        return False
    return is_home(fetched.final_url) and not is_home(fetched.url)


def is_home(url: str) -> bool:
    """The front page of a site, or of one of its locales, or of an AMP cache origin."""
    parts = urlsplit(url)
    path = parts.path
    origin = origin_of_cache_url(url)
    if origin is not None:
        path = origin[1]
    if parts.query and not path.rstrip("/"):
        return False  # "/?p=123" is WordPress's article address, not the front page
    segments = [s for s in path.split("/") if s]
    if segments and segments[-1].lower() in _HOME_FILES:
        segments = segments[:-1]
    if not segments:
        return True
    return len(segments) == 1 and _LOCALE_ROOT.fullmatch("/" + segments[0] + "/") is not None


# ---------------------------------------------------------------- content type


def media_type(headers: Mapping[str, str]) -> str:
    """``text/html; charset=utf-8`` -> ``text/html``; '' when absent."""
    return headers.get("content-type", "").split(";")[0].strip().lower()


def content_type_mismatch(check: UrlCheck, media: str, body: bytes) -> bool:
    """An image that is not an image, or an article that is not HTML."""
    if any(r.is_image for r in check.roles):
        return not _is_image(media, body)
    if _is_article(check):
        return not _is_html(media, body)
    return False


def _is_image(media: str, body: bytes) -> bool:
    kind = images.sniff_image_type(body) if body else None
    if not body:
        return media.startswith("image/")
    if media.startswith("image/"):
        expected = _SNIFFABLE.get(media.removeprefix("image/"))
        if expected is None:  # a format we cannot sniff (jxl, heic...): trust it unless markup
            return kind is not None or not looks_like_markup(body)
        return kind is not None  # a different image format than declared still displays
    # Browsers sniff images in <img>: octet-stream bytes that are an image are fine.
    return media in _BINARY_TYPES and kind is not None


def _is_html(media: str, body: bytes) -> bool:
    if media in HTML_TYPES:
        return True
    if media in _BINARY_TYPES or media == "text/plain":
        return looks_like_markup(body)
    return False


def looks_like_markup(body: bytes) -> bool:
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<!--", b"<body"))


# ---------------------------------------------------------------- AMP


def _is_valid_amp(page: PageSignals | None, fetched: Fetched) -> bool:
    """``<html amp>`` or ``<html ⚡>`` with a canonical link; a truncated head counts as valid."""
    if page is None:  # not HTML at all: invalid, unless nothing was read
        return not fetched.body
    attrs = page.html_attrs or {}
    if "amp" not in attrs and "⚡" not in attrs:
        return False
    if page.canonical is None:
        # Only say "no canonical" when the whole head was read.
        return not (page.head_closed or not fetched.body_truncated)
    return True


# ---------------------------------------------------------------- helpers


def _is_article(check: UrlCheck) -> bool:
    return any(r.is_article for r in check.roles)


def _wants_html_scan(check: UrlCheck, config: ContentConfig, media: str, body: bytes) -> bool:
    if not body or not _is_article(check):
        return False
    wanted = config.soft_404 or config.content_drift or config.parked_domain
    if not (wanted or (config.amp and Role.AMP in check.roles)):
        return False
    return media in HTML_TYPES or looks_like_markup(body)
