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

    def __init__(
        self, browser, path: Path, fragment: str = "", js: bool = True, width: int = 1280
    ) -> None:
        self.context = browser.new_context(
            java_script_enabled=js, viewport={"width": width, "height": 900}
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
        hrefs = page.eval_on_selector_all(
            "a[href]", "els => els.map(e => new URL(e.getAttribute('href'), location.href).href)"
        )
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


# ---------------------------------------------------------------- widths and links

LONG_HOST = "a-very-long-host-name-for-a-chart-label.example.org"


@pytest.fixture(scope="module")
def long_report() -> dict:
    """A report whose text has no place to break: a 400-character URL, a title and an
    error of one word each, a host name longer than a chart label."""
    import copy

    report = copy.deepcopy(make_report(600, hostile=True))
    record = next(r for r in report["records"] if r["health"] == "broken")
    record["title"] = "T" * 300
    link = record["links"][0]
    url = next(u for u in report["urls"] if u["url"] == link["url"])
    url["error"] = "E" * 300
    url["outcome"] = "broken"
    # Enough failures on the long host for it to lead the hosts chart.
    for i in range(40):
        long_url = f"https://{LONG_HOST}/{i}/" + "x" * 400
        report["urls"].append({**url, "url": long_url, "final_url": long_url, "referrers": 1})
        record["links"].append({**link, "field": f"related[{i}].webUrl", "url": long_url})
    report["urls"].sort(key=lambda u: u["url"])
    return report


@pytest.mark.parametrize("width", [1400, 390])
def test_no_horizontal_page_scrolling(browser, long_report, tmp_path, width):
    """Tables fit (or scroll in their own box, or become cards): the page never scrolls
    sideways, with or without JavaScript, in any view."""
    path = _write(tmp_path, long_report)

    def overflow(page) -> int:
        return page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )

    opened = Opened(browser, path, width=width)
    page = opened.page
    try:
        page.select_option("#f-scope", "all")
        for view in ("records", "urls", "hosts"):
            page.click(f"button[data-view='{view}']")
            _wait_status(page, f" {view}")
            assert overflow(page) == 0, view
            if width == 1400:  # wide enough that no table needs its own scroll bar
                box = page.evaluate("[table.scrollWidth, table.clientWidth]")
                assert box[0] <= box[1], view
        page.click("button[data-view='records']")
        page.fill("#f-text", "xxxxxxxxxx")
        _wait_status(page, "of 1 records")
        assert overflow(page) == 0
        assert opened.console == []
    finally:
        opened.close()
    static = Opened(browser, path, js=False, width=width)
    try:
        assert overflow(static.page) == 0
    finally:
        static.close()


def test_a_narrow_screen_shows_rows_as_labelled_cards(browser, page_file):
    opened = Opened(browser, page_file, width=390)
    page = opened.page
    try:
        cell = page.locator("#table tbody tr:not(.detail)").first.locator("td").first
        assert cell.get_attribute("data-label") == "Health"
        assert cell.evaluate("e => getComputedStyle(e).display") == "block"
        label = cell.evaluate("e => getComputedStyle(e, '::before').content")
        assert label == '"Health"'
    finally:
        opened.close()


def test_long_chart_labels_are_cut_with_the_full_text_on_hover(browser, long_report, tmp_path):
    opened = Opened(browser, _write(tmp_path, long_report))
    try:
        bar = opened.page.locator(".chart a.bar-link", has_text=LONG_HOST[:20]).first
        label = bar.locator("text.cl").text_content()
        assert label.endswith("…") and len(label) <= 28
        assert LONG_HOST in bar.locator("title").text_content()
    finally:
        opened.close()


def _records_with(report: dict, keep) -> int:
    """How many records have a link (with its URL's entry) for which ``keep`` is true."""
    urls = {u["url"]: u for u in report["urls"]}
    return sum(any(keep(lk, urls.get(lk["url"])) for lk in r["links"]) for r in report["records"])


def test_numbers_open_the_records_behind_them(browser, page_file, report):
    """A count in the summary, a chart's bar, a change list, a host's failures and a URL's
    referrers each open the records view filtered to the rows behind that number."""
    fail = set(report["run"]["config"]["output"]["fail_on"])
    opened = Opened(browser, page_file)
    page = opened.page
    try:
        page.click("#h-summary ~ .counts a.count[href='#records?outcome=broken']")
        broken = _records_with(report, lambda lk, u: u and u["outcome"] == "broken")
        _wait_status(page, f"of {broken} records")
        assert page.get_attribute("button[data-view='records']", "aria-selected") == "true"
        assert page.locator("#f-outcome option:checked").inner_text() == "broken"

        page.click("#h-summary ~ .counts a.count[href='#records?health=warning']")
        warnings = sum(r["health"] == "warning" for r in report["records"])
        _wait_status(page, f"of {warnings} records")

        page.click(".card a.num")
        flagged = sum(bool(r["unpublish"]) for r in report["records"])
        _wait_status(page, f"of {flagged} records")

        newly = set(report["changes"]["newly_broken"])
        page.click("a.count[href='#records?change=newly_broken']")
        _wait_status(page, f"of {_records_with(report, lambda lk, u: lk['url'] in newly)} records")

        host = "gone.example.dev"
        page.click(f".chart a.bar-link:has(title:has-text('{host}'))")
        on_host = _records_with(
            report, lambda lk, u: u and u["outcome"] in fail and f"//{host}/" in u["url"]
        )
        _wait_status(page, f"of {on_host} records")
        assert page.input_value("#f-host") == host

        page.click("button[data-view='hosts']")
        page.select_option("#f-scope", "all")
        page.fill("#f-host", host)
        _wait_status(page, "of 1 hosts")
        page.locator("#table tbody tr").first.locator("td").nth(2).locator("a").click()
        _wait_status(page, f"of {on_host} records")

        target = max(report["urls"], key=lambda u: u["referrers"])
        page.evaluate(f"location.hash = '#urls?url={url_anchor(target['url'])}'")
        _wait_status(page, "of 1 urls")
        page.locator("#table tbody tr").first.locator("td").last.locator("a").click()
        linking = sum(
            any(lk["url"] == target["url"] for lk in r["links"]) for r in report["records"]
        )
        _wait_status(page, f"of {linking} records")
        assert page.is_visible("#f-url") and target["url"] in page.inner_text("#f-url")
        page.click("#f-url-clear")
        page.locator("#f-url").wait_for(state="hidden")
        assert opened.console == [] and opened.requests == [opened.url]
    finally:
        opened.close()
