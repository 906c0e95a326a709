"""Content-health codes on URLs: pure cases on hand-built responses, then a real local web."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from linkcheck.config import Config, ContentConfig
from linkcheck.engine.bodies import enough_bytes
from linkcheck.engine.fetch import fetch_all
from linkcheck.health.content import (
    apply_content,
    is_error_path,
    is_home,
    names_missing,
    scan_html,
    url_issues,
    want_body,
)
from linkcheck.model import Fetched, Hop, Outcome, Role, UrlCheck, UrlResult
from tests.content_web import (
    AMP_PAGE,
    ARTICLE_MENTIONING_404,
    ERROR_PAGE_HTML,
    NON_AMP_PAGE,
    SOFT_404_PAGE,
    content_app,
    jpeg_bytes,
    png_bytes,
)
from tests.localweb import local_web

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
HTML = {"content-type": "text/html; charset=utf-8"}
CONFIG = ContentConfig()


def page(body: str | bytes, url: str = "https://news.example/a/story", **kw) -> Fetched:
    data = body.encode() if isinstance(body, str) else body
    fields = {"status": 200, "final_url": url, "headers": HTML, "body": data, "fetched_at": NOW}
    fields.update(kw)
    return Fetched(url=url, **fields)


def check(url: str = "https://news.example/a/story", *roles: Role) -> UrlCheck:
    return UrlCheck(url, frozenset(roles or {Role.ORIGINAL}))


def issues(fetched: Fetched, *roles: Role, config: ContentConfig = CONFIG) -> tuple[str, ...]:
    return url_issues(fetched, check(fetched.url, *roles), config)


def titled(title: str, h1: str = "Story") -> str:
    return f"<html><head><title>{title}</title></head><body><h1>{h1}</h1><p>text</p></body></html>"


# ---------------------------------------------------------------- soft 404


@pytest.mark.parametrize(
    "name",
    [
        "Page not found",
        "404",
        "404 Not Found",
        "Error 404 - Page Not Found",
        "Page not found | Example News",
        "Example News – Page not found",
        "Oops! That page can’t be found.",
        "Sorry, we couldn't find that page",
        "Nothing found",
        "404 | Example",
        "Página no encontrada",
        "Erreur 404 - Page introuvable",
        "Seite nicht gefunden",
        "Pagina non trovata",
        "Página não encontrada",
        "Pagina niet gevonden",
        "ページが見つかりません",
        "お探しのページは見つかりませんでした | Example",
        "页面不存在",
        "404 - 找不到页面",
        "網頁不存在",
    ],
)
def test_missing_names(name):
    assert names_missing(name)


@pytest.mark.parametrize(
    "name",
    [
        "How to fix a 404 error on WordPress",
        "Why your site shows 404 Not Found errors, and how to stop them",
        "Not Found: The Story of a Lost Dog",
        "The 404 Page Hall of Fame",
        "Amazon Spent $24,000 To Kill Portland's Facial Recognition Ban",
        "Error handling in Power Apps",
        "Lost and found: a memoir",
    ],
)
def test_article_names_are_not_missing(name):
    assert not names_missing(name)


def test_soft_404_found_on_title_or_h1_or_og_title():
    assert issues(page(SOFT_404_PAGE)) == ("soft_404",)
    assert issues(page(titled("Example News", h1="Page not found"))) == ("soft_404",)
    og = '<html><head><meta property="og:title" content="Not Found"></head><body></body></html>'
    assert issues(page(og)) == ("soft_404",)


def test_article_that_mentions_404_is_not_soft_404():
    assert issues(page(ARTICLE_MENTIONING_404)) == ()
    body = titled("Portland bans facial recognition") + "<p>Page not found 404 404 404</p>"
    assert issues(page(body)) == ()


def test_soft_404_extra_patterns_from_config():
    body = titled("Contenu retiré | Le Site")
    assert issues(page(body)) == ()
    config = ContentConfig(soft_404_patterns=(r"contenu retir",))
    assert issues(page(body), config=config) == ("soft_404",)


def test_soft_404_from_final_error_path():
    fetched = page(
        titled("Example"),
        final_url="https://news.example/404.html",
        redirects=(Hop("https://news.example/a/story", 302),),
    )
    assert issues(fetched) == ("soft_404",)
    assert is_error_path("https://x.example/errors/404")
    assert is_error_path("https://x.example/page-not-found/")
    assert is_error_path("https://x.example/Error.aspx?aspxerrorpath=/a")
    assert not is_error_path("https://x.example/docs/error-handling")
    assert not is_error_path("https://x.example/2020/05/404-day-celebrated")


def test_soft_404_off_and_only_for_article_roles():
    off = ContentConfig(soft_404=False)
    assert issues(page(SOFT_404_PAGE), config=off) == ()
    # a provider logo URL that answers an HTML "not found" is a type problem, not a soft 404
    assert issues(page(SOFT_404_PAGE), Role.IMAGE) == ("content_type_mismatch",)


def test_non_2xx_and_failures_have_no_content_issues():
    assert issues(page(SOFT_404_PAGE, status=404)) == ()
    assert issues(page(b"", status=None, error="refused")) == ()
    assert url_issues(page(SOFT_404_PAGE), check(), ContentConfig(enabled=False)) == ()


# ---------------------------------------------------------------- redirect to home


@pytest.mark.parametrize(
    "final",
    [
        "https://news.example/",
        "https://news.example",
        "https://news.example/en/",
        "https://news.example/en-us/",
        "https://news.example/fr-fr",
        "https://news.example/index.html",
        "https://www-news-example.cdn.ampproject.org/c/s/news.example/",
    ],
)
def test_redirect_to_home_found(final):
    fetched = page(
        titled("Example"), final_url=final, redirects=(Hop("https://news.example/a/story", 301),)
    )
    assert "redirect_to_home" in issues(fetched)


def test_redirect_to_home_not_found():
    moved = page(
        titled("Story"),
        final_url="https://news.example/b/story",
        redirects=(Hop("https://news.example/a/story", 301),),
    )
    assert issues(moved) == ()
    home_link = page(
        titled("Example"),
        url="https://news.example/",
        final_url="https://news.example/en/",
        redirects=(Hop("https://news.example/", 302),),
    )
    assert issues(home_link) == ()
    no_redirect = page(titled("Example"), url="https://news.example/")
    assert issues(no_redirect) == ()
    # images are not articles
    assert "redirect_to_home" not in issues(
        replace(moved, final_url="https://news.example/"), Role.IMAGE
    )
    assert not is_home("https://news.example/?p=123")
    assert not is_home("https://news.example/news/")
    assert not is_home("https://news.example/2020/")


# ---------------------------------------------------------------- content type


def image(body: bytes, content_type: str | None) -> Fetched:
    headers = {"content-type": content_type} if content_type else {}
    return page(body, url="https://img.example/a.jpg", headers=headers)


def test_image_content_type_mismatch_found():
    assert issues(image(ERROR_PAGE_HTML.encode(), "image/jpeg"), Role.IMAGE) == (
        "content_type_mismatch",
    )
    assert issues(image(jpeg_bytes(8, 8), "text/html"), Role.IMAGE) == ("content_type_mismatch",)
    assert issues(image(b"", "text/html"), Role.PROVIDER_IMAGE) == ("content_type_mismatch",)
    assert issues(image(b"plain text", None), Role.IMAGE) == ("content_type_mismatch",)


def test_image_content_type_mismatch_not_found():
    assert issues(image(jpeg_bytes(8, 8), "image/jpeg"), Role.IMAGE) == ()
    assert issues(image(png_bytes(8, 8), "image/jpeg"), Role.IMAGE) == ()  # displays anyway
    assert issues(image(jpeg_bytes(8, 8), "application/octet-stream"), Role.IMAGE) == ()
    assert issues(image(b"", "image/png"), Role.IMAGE) == ()  # headers only
    assert issues(image(b"\x00\x01jxl-ish", "image/jxl"), Role.IMAGE) == ()  # cannot sniff jxl
    off = ContentConfig(content_type=False)
    assert issues(image(ERROR_PAGE_HTML.encode(), "image/jpeg"), Role.IMAGE, config=off) == ()


def test_article_that_is_not_html():
    pdf = page(b"%PDF-1.7 ...", headers={"content-type": "application/pdf"})
    assert issues(pdf) == ("content_type_mismatch",)
    assert issues(page(b'{"a": 1}', headers={"content-type": "application/json"})) == (
        "content_type_mismatch",
    )
    assert issues(page(titled("Story"), headers={})) == ()  # no header, but markup
    assert issues(page(titled("Story"), headers={"content-type": "application/xhtml+xml"})) == ()


# ---------------------------------------------------------------- AMP


def test_amp_invalid_found_and_not_found():
    amp_url = "https://news.example/amp/story"
    assert issues(page(AMP_PAGE, url=amp_url), Role.AMP) == ()
    assert issues(page(AMP_PAGE.replace("⚡", "amp"), url=amp_url), Role.AMP) == ()
    assert issues(page(NON_AMP_PAGE, url=amp_url), Role.AMP) == ("amp_invalid",)
    no_canonical = AMP_PAGE.replace('<link rel="canonical" href="/article">', "")
    assert issues(page(no_canonical, url=amp_url), Role.AMP) == ("amp_invalid",)
    # the same page as an original link is fine: only amp links must be AMP
    assert issues(page(NON_AMP_PAGE, url=amp_url), Role.ORIGINAL) == ()
    assert issues(page(NON_AMP_PAGE, url=amp_url), Role.AMP, config=ContentConfig(amp=False)) == ()


def test_amp_truncated_before_the_canonical_is_not_judged():
    head = "<!doctype html><html amp><head><script>" + "x" * 5000
    fetched = page(head, url="https://news.example/amp/story", body_truncated=True)
    assert issues(fetched, Role.AMP) == ()


# ---------------------------------------------------------------- cache


def test_cache_stale_found_and_not_found():
    stale = page(titled("Story"), headers={**HTML, "cache-control": "max-age=60", "age": "120"})
    fresh = page(titled("Story"), headers={**HTML, "cache-control": "max-age=600", "age": "120"})
    unknown = page(titled("Story"))
    assert issues(stale) == ("cache_stale",)
    assert issues(fresh) == ()
    assert issues(unknown) == ()
    assert issues(stale, config=ContentConfig(cache_stale=False)) == ()


def http_date(seconds_before_now: int) -> str:
    return format_datetime(NOW - timedelta(seconds=seconds_before_now), usegmt=True)


@pytest.mark.parametrize(
    "cache_headers",
    [
        {"cache-control": "no-store"},
        {"cache-control": "no-cache"},
        {"cache-control": "private, max-age=0"},
        {"cache-control": "max-age=0"},
        {"expires": "0"},
        {"cache-control": "max-age=60", "date": http_date(120)},  # clocks two minutes apart
    ],
)
def test_an_origin_that_forbids_or_ends_caching_is_not_stale(cache_headers):
    fetched = page(titled("Story"), headers={**HTML, **cache_headers})
    assert issues(fetched) == ()


AMP_COPY = "https://news-example.cdn.ampproject.org/c/s/news.example/amp/a"


@pytest.mark.parametrize(
    ("cache_headers", "url", "role"),
    [
        ({"cache-control": "max-age=60", "age": "600"}, None, Role.ORIGINAL),
        ({"cache-control": "max-age=60", "date": http_date(7200)}, None, Role.ORIGINAL),
        ({"cache-control": "max-age=3600", "warning": '110 cdn "Response is Stale"'}, None,
         Role.ORIGINAL),
        # An AMP cache copy two minutes past a one-minute lifetime: a cache held it.
        ({"cache-control": "max-age=60", "date": http_date(120)}, AMP_COPY, Role.CDN_AMP),
    ],
)  # fmt: skip
def test_a_copy_served_past_its_freshness_is_stale(cache_headers, url, role):
    headers = {**HTML, **cache_headers}
    fetched = page(titled("Story"), url=url or "https://news.example/a", headers=headers)
    assert "cache_stale" in issues(fetched, role)


def test_an_origin_that_forbids_caching_is_reported_not_cacheable():
    from linkcheck.reports.json import url_entry

    fetched = page(titled("Story"), headers={**HTML, "cache-control": "private, no-store"})
    result = UrlResult(url=fetched.url, outcome=Outcome.OK, status=200, final_url=fetched.url)
    done = apply_content(result, fetched, check(fetched.url), CONFIG)
    entry = url_entry(done)
    assert done.issues == () and entry["issues"] == []
    assert entry["cache"]["cacheable"] is False and entry["cache"]["fresh"] is None
    fine = page(titled("Story"), headers={**HTML, "cache-control": "max-age=60"})
    assert url_entry(apply_content(result, fine, check(fine.url), CONFIG))["cache"]["cacheable"]


def test_apply_content_fills_cache_issues_and_image_size():
    fetched = image(jpeg_bytes(64, 64), "image/jpeg")
    result = UrlResult(url=fetched.url, outcome=Outcome.OK, status=200, final_url=fetched.url)
    done = apply_content(result, fetched, check(fetched.url, Role.IMAGE), CONFIG)
    assert done.image_size == (64, 64)
    assert done.cache is not None and done.cache.fresh is None
    assert done.content_type == "image/jpeg"


# ---------------------------------------------------------------- reading only what's needed


def test_want_body():
    assert want_body(check(), CONFIG)
    assert want_body(check("https://i.example/a.png", Role.IMAGE), CONFIG)
    assert not want_body(check("https://x.example/", Role.OTHER), CONFIG)
    assert not want_body(check(), ContentConfig(enabled=False))
    images_off = ContentConfig(image_size=False, content_type=False)
    assert not want_body(check("https://i.example/a.png", Role.IMAGE), images_off)
    pages_off = ContentConfig(
        soft_404=False, amp=False, content_type=False, content_drift=False, parked_domain=False
    )
    assert not want_body(check(), pages_off)


def test_enough_bytes_for_images_and_pages():
    jpeg = jpeg_bytes(300, 200)
    image_check = check("https://i.example/a.jpg", Role.IMAGE)
    assert not enough_bytes(image_check, jpeg[:40])
    assert enough_bytes(image_check, jpeg[:110])
    assert enough_bytes(image_check, ERROR_PAGE_HTML.encode())  # plainly not an image
    body = SOFT_404_PAGE.encode()
    cut = body.index(b"</h1>")
    assert not enough_bytes(check(), body[:cut])
    assert enough_bytes(check(), body[: cut + 5])
    amp_check = check("https://n.example/amp", Role.AMP)
    assert enough_bytes(amp_check, AMP_PAGE.encode())
    assert not enough_bytes(amp_check, AMP_PAGE.encode()[:40])


def test_url_issues_on_a_256_kib_page_takes_milliseconds():
    filler = "<p>" + "word " * 40 + "</p>\n"
    body = (
        "<html><head><title>A story</title>"
        + "<script>var x = 1;</script>" * 200
        + "</head><body>"
        + filler * 1400
    )  # no h1: the worst case reads it all
    data = body.encode()[:262_144]
    assert len(data) == 262_144
    fetched = page(data, body_truncated=True)
    started = time.perf_counter()
    for _ in range(20):
        url_issues(fetched, check(), CONFIG)
    per_call_ms = (time.perf_counter() - started) / 20 * 1000
    assert per_call_ms < 60, per_call_ms
    assert scan_html(data).title == "A story"


# ---------------------------------------------------------------- the local test web


@pytest.fixture(scope="module")
def web_host():
    with local_web() as web_:
        yield web_.serve(content_app(), "127.0.0.3")


def fetch(host, *pairs: tuple[str, set[Role]]) -> dict[str, tuple[Fetched, UrlCheck]]:
    checks = [UrlCheck(host.url(path), frozenset(roles)) for path, roles in pairs]
    config = Config()
    got = asyncio.run(fetch_all(checks, config, want_body=lambda c: want_body(c, config.content)))
    by_url = {f.url: f for f in got}
    return {c.url.removeprefix(host.base): (by_url[c.url], c) for c in checks}


def web_issues(host, path: str, *roles: Role) -> tuple[str, ...]:
    fetched, item = fetch(host, (path, set(roles)))[path]
    return url_issues(fetched, item, CONFIG)


def test_local_web_soft_404_and_article_about_404(web_host):
    assert web_issues(web_host, "/soft-404", Role.ORIGINAL) == ("soft_404",)
    assert web_issues(web_host, "/article-about-404", Role.ORIGINAL) == ()
    assert web_issues(web_host, "/gone-article", Role.WEB) == ("soft_404",)


def test_local_web_redirect_to_home(web_host):
    assert web_issues(web_host, "/old-article", Role.ORIGINAL) == ("redirect_to_home",)
    assert web_issues(web_host, "/old-localised-article", Role.WEB) == ("redirect_to_home",)
    assert web_issues(web_host, "/moved-article", Role.ORIGINAL) == ()
    assert web_issues(web_host, "/", Role.ORIGINAL) == ()


def test_local_web_content_types(web_host):
    assert web_issues(web_host, "/error-as-image.jpg", Role.IMAGE) == ("content_type_mismatch",)
    assert web_issues(web_host, "/image-64.jpg", Role.IMAGE) == ()
    assert web_issues(web_host, "/article.json", Role.ORIGINAL) == ("content_type_mismatch",)


def test_local_web_amp_and_cache(web_host):
    assert web_issues(web_host, "/amp/story", Role.AMP) == ()
    assert web_issues(web_host, "/amp/plain", Role.AMP) == ("amp_invalid",)
    assert web_issues(web_host, "/cache/stale", Role.ORIGINAL) == ("cache_stale",)
    assert web_issues(web_host, "/cache/fresh", Role.ORIGINAL) == ()


def test_local_web_real_jpeg_size(web_host):
    fetched, item = fetch(web_host, ("/image-64.jpg", {Role.IMAGE}))["/image-64.jpg"]
    result = UrlResult(url=fetched.url, outcome=Outcome.OK, status=200, final_url=fetched.url)
    assert apply_content(result, fetched, item, CONFIG).image_size == (64, 64)
