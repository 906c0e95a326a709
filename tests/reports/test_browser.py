"""The HTML report in a real browser: Debian's headless chromium driven by Playwright.

Shows that the page loads from file:// with no console error and no request but itself,
that filters, sorting, paging and anchors work, that hostile record content runs
nothing, and that a 100,000-URL report becomes interactive within a stated bound.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from linkcheck.reports.html import render_html
from linkcheck.reports.schema import validate_report
from linkcheck.reports.view import record_anchors, url_anchor
from tests.reportgen import HOSTILE_SOURCE, HOSTILE_TITLE, make_report

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The bound for 100,000 URLs: load to first rows, and one filter change to new rows.
BIG_LOAD_S = 5.0
BIG_FILTER_S = 1.0


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=30_000)
        yield browser
        browser.close()


class Opened:
    """A page on a report file, with everything it asked for and complained about."""

    def __init__(self, browser, path: Path, fragment: str = "", js: bool = True) -> None:
        self.context = browser.new_context(
            java_script_enabled=js, viewport={"width": 1280, "height": 900}
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.requests: list[str] = []
        self.console: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url + fragment)
        if js:
            self.page.wait_for_selector("html[data-ready='1']")

    def rows(self) -> list[str]:
        return self.page.locator("#table tbody tr:not(.detail)").all_inner_texts()

    def status(self) -> str:
        return self.page.inner_text("#status")

    def close(self) -> None:
        self.context.close()


def _wait_status(page, text: str) -> None:
    """Wait for the status line to say ``text`` (the page's CSP forbids eval-based waits)."""
    page.locator("#status", has_text=text).wait_for()


def _write(tmp_path: Path, report: dict, name: str = "report.html") -> Path:
    path = tmp_path / name
    path.write_text(render_html(report), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def report() -> dict:
    report = make_report(600, hostile=True)
    validate_report(report)
    return report


@pytest.fixture(scope="module")
def page_file(report, tmp_path_factory) -> Path:
    return _write(tmp_path_factory.mktemp("html"), report)


def test_loads_without_errors_or_network(browser, page_file):
    opened = Opened(browser, page_file)
    try:
        assert opened.console == []
        assert opened.requests == [opened.url]
        assert opened.page.is_hidden("#ssr") and opened.page.is_visible("#app")
        assert opened.status().startswith("Showing 1–")
        assert len(opened.rows()) == 100
        opened.page.click("#next")
        assert "Page 2 of" in opened.page.inner_text("#page")
        opened.page.click("button[data-view='hosts']")
        opened.page.click("button[data-view='urls']")
        opened.page.locator("#table tbody tr .toggle").first.click()
        assert opened.page.is_visible("#table tr.detail")
        assert opened.console == [] and opened.requests == [opened.url]
    finally:
        opened.close()


def test_filters_and_sorting(browser, page_file, report):
    opened = Opened(browser, page_file)
    page = opened.page
    try:
        page.click("button[data-view='urls']")
        page.select_option("#f-scope", "all")
        assert f"of {len(report['urls']):,} urls" in opened.status()
        page.select_option("#f-outcome", label="broken")
        broken = [u for u in report["urls"] if u["outcome"] == "broken"]
        _wait_status(page, f"of {len(broken)} urls")
        badges = page.locator("#table tbody td:nth-child(2)").all_inner_texts()
        assert badges and set(badges) == {"broken"}
        page.select_option("#f-outcome", label="any")
        page.click("#table thead button:has-text('Time')")
        times = [u["elapsed_ms"] for u in report["urls"]]
        first = page.locator("#table tbody tr").first.locator("td").nth(3).inner_text()
        assert first == f"{max(times):,} ms"
        page.click("#table thead button:has-text('Time')")  # again: ascending
        first = page.locator("#table tbody tr").first.locator("td").nth(3).inner_text()
        assert first == f"{min(times):,} ms"
        page.fill("#f-host", "slow.example")
        _wait_status(page, "in all)")
        hosts = {u["url"].split("/")[2] for u in report["urls"] if "slow.example" in u["url"]}
        for text in opened.rows():
            assert any(h in text for h in hosts)
        page.click("button[data-view='records']")
        page.fill("#f-host", "")
        page.select_option("#f-health", label="warning")
        warnings = sum(r["health"] == "warning" for r in report["records"])
        _wait_status(page, f"of {warnings} records")
        assert set(page.locator("#table tbody td:nth-child(2)").all_inner_texts()) == {"warning"}
        page.select_option("#f-health", label="any")
        target = report["records"][5]["title"]
        page.fill("#f-text", target.lower())
        page.select_option("#f-scope", "all")
        _wait_status(page, "of 1 records")
        assert any(target in row for row in opened.rows())
        assert opened.console == []
    finally:
        opened.close()


def test_anchor_opens_the_record_on_its_page(browser, page_file, report):
    anchors = record_anchors(report["records"])
    ok = [a for r, a in zip(report["records"], anchors, strict=True) if r["health"] == "ok"]
    anchor = ok[-1]  # an ok record: hidden by the default filter, on a late page
    opened = Opened(browser, page_file, "#" + anchor)
    try:
        row = opened.page.locator(f"[id='{anchor}']")
        assert row.is_visible() and "target" in (row.get_attribute("class") or "")
        assert opened.page.is_visible(f"[id='{anchor}'] + tr.detail")
        url = next(u["url"] for u in report["urls"] if u["outcome"] == "timeout")
        opened.page.evaluate(f"location.hash = '#{url_anchor(url)}'")
        opened.page.wait_for_selector(f"[id='{url_anchor(url)}'].target")
        assert opened.page.get_attribute("button[data-view='urls']", "aria-selected") == "true"
    finally:
        opened.close()


def test_hostile_record_runs_nothing(browser, page_file):
    anchor = record_anchors([{"source": HOSTILE_SOURCE}])[0]
    opened = Opened(browser, page_file, "#" + anchor)
    page = opened.page
    try:
        row = page.locator(f"[id='{anchor}']")
        assert HOSTILE_TITLE in row.inner_text()  # shown as text
        page.locator(f"[id='{anchor}'] .rt").click()
        page.fill("#f-text", "alert")
        page.wait_for_timeout(300)
        assert page.locator("img, svg[onload], iframe, object, embed").count() == 0
        assert page.evaluate("document.querySelectorAll('[onerror],[onload]').length") == 0
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        assert hrefs and all(h.startswith(("https:", "http:", "file:")) for h in hrefs)
        bad = page.locator("span.nolink", has_text="javascript:alert(1)").first
        assert bad.is_visible()
        bad.click()
        page.wait_for_timeout(200)
        assert opened.dialogs == []
        assert opened.console == []
        assert opened.requests == [opened.url]
    finally:
        opened.close()


def test_readable_without_javascript(browser, page_file, report):
    opened = Opened(browser, page_file, js=False)
    page = opened.page
    try:
        assert page.is_visible("#ssr") and page.is_hidden("#app")
        assert page.locator("#ssr table.records tbody tr").count() > 10
        assert HOSTILE_TITLE in page.inner_text("#ssr")
        assert page.locator("h1").inner_text() == "Link report"
        assert page.locator("th[scope='col']").count() > 10
        assert opened.dialogs == [] and opened.requests == [opened.url]
    finally:
        opened.close()


def test_100k_urls_open_and_respond_in_time(browser, tmp_path):
    report = make_report(100_000, seed=3)
    timeouts = sum(u["outcome"] == "timeout" for u in report["urls"])
    path = _write(tmp_path, report)
    size_mb = path.stat().st_size / 1e6
    started = time.perf_counter()
    opened = Opened(browser, path)
    loaded = time.perf_counter() - started
    page = opened.page
    try:
        assert len(opened.rows()) == 100
        started = time.perf_counter()
        page.click("button[data-view='urls']")
        page.select_option("#f-outcome", label="timeout")
        _wait_status(page, f"of {timeouts:,} urls")
        assert set(page.locator("#table tbody td:nth-child(2)").all_inner_texts()) == {"timeout"}
        filtered = time.perf_counter() - started
        print(f"\n100k URLs: {size_mb:.1f} MB, first rows {loaded:.2f} s, filter {filtered:.2f} s")
        assert loaded < BIG_LOAD_S, loaded
        assert filtered < BIG_FILTER_S, filtered
        assert opened.console == []
    finally:
        opened.close()


def _export(page) -> list[dict[str, str]]:
    """Click the export button; the downloaded CSV's rows."""
    import csv

    with page.expect_download() as download:
        page.click("#export")
    assert download.value.suggested_filename.startswith("linkcheck-")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(text.splitlines()))


def test_flagged_filter_and_csv_export_of_the_current_view(browser, report, tmp_path):
    import copy

    report = copy.deepcopy(report)
    formula = '=HYPERLINK("http://evil.test","x")'
    report["records"][0].update(title=formula, unpublish=True, unpublish_reasons=["r"])
    opened = Opened(browser, _write(tmp_path, report))
    page = opened.page
    try:
        page.select_option("#f-scope", "flagged")
        flagged = [r for r in report["records"] if r["unpublish"]]
        _wait_status(page, f"of {len(flagged)} records")
        rows = _export(page)
        assert sorted(r["record"] for r in rows) == sorted(r["record"] for r in flagged)
        assert {r["unpublish"] for r in rows} == {"yes"}
        titles = {r["title"] for r in rows}
        assert "'" + formula in titles and HOSTILE_TITLE in titles  # text, never a formula
        # Every row of the view, not one page: all 600 URLs.
        page.click("button[data-view='urls']")
        page.select_option("#f-scope", "all")
        _wait_status(page, f"of {len(report['urls'])} urls")
        assert [r["url"] for r in _export(page)] == [u["url"] for u in _url_order(report)]
        assert opened.console == [] and opened.requests == [opened.url]
    finally:
        opened.close()


def _url_order(report: dict) -> list[dict]:
    """The URL view's default order: failing first, then most referrers, then as listed."""
    fail = set(report["run"]["config"]["output"]["fail_on"])
    indexed = list(enumerate(report["urls"]))
    indexed.sort(key=lambda p: (p[1]["outcome"] not in fail, -p[1]["referrers"], p[0]))
    return [u for _, u in indexed]
