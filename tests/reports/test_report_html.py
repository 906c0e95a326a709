"""The HTML report as text: self-contained, escaped, CSP-locked, capped, anchored."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser

import pytest

from linkcheck.reports import html as report_html
from linkcheck.reports.html import embed_json, render_html, when
from linkcheck.reports.view import record_anchors, url_anchor
from tests.reportgen import HOSTILE_TITLE, HOSTILE_URL, make_report


class _Collect(HTMLParser):
    """Every tag with its attributes, and the text inside each <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)


@pytest.fixture(scope="module")
def hostile_html() -> str:
    return render_html(make_report(120, hostile=True))


def _parse(html: str) -> _Collect:
    parser = _Collect()
    parser.feed(html)
    return parser


def test_hostile_text_is_escaped(hostile_html):
    assert HOSTILE_TITLE not in hostile_html
    assert "&lt;img src=x onerror=alert(1)&gt;" in hostile_html
    assert "<svg onload" not in hostile_html
    assert "<script>alert" not in hostile_html


def test_only_http_urls_become_links(hostile_html):
    hrefs = [a.get("href") or "" for tag, a in _parse(hostile_html).tags if tag == "a"]
    assert hrefs, "the report has links"
    for href in hrefs:
        assert href.startswith(("https://", "http://", "#")), href
    assert HOSTILE_URL in hostile_html  # shown as text, not as a link


def test_exactly_two_scripts_and_the_data_cannot_break_out(hostile_html):
    scripts = _parse(hostile_html).scripts
    assert [s[0].get("type") for s in scripts] == ["application/json", None]
    data = json.loads(scripts[0][1])
    titles = [r[2] for r in data["records"]]
    assert HOSTILE_TITLE in titles
    assert "</script" not in scripts[0][1].lower()
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in scripts[0][1]


def test_csp_allows_only_the_inline_script_and_style(hostile_html):
    tags = _parse(hostile_html).tags
    csp = next(a["content"] for t, a in tags if t == "meta" and a.get("http-equiv"))
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'none'"
    assert directives["img-src"] == "'none'"
    script = _parse(hostile_html).scripts[1][1]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert directives["script-src"] == f"'sha256-{digest}'"
    style = re.search(r"<style>(.*?)</style>", hostile_html, re.S)[1]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert directives["style-src"] == f"'sha256-{digest}'"


def test_self_contained(hostile_html):
    for tag, attrs in _parse(hostile_html).tags:
        assert "src" not in attrs, (tag, attrs)
        assert tag not in ("link", "img", "iframe", "object", "embed"), (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
    assert "style=" not in hostile_html  # inline style attributes would need 'unsafe-inline'


def test_summary_counts_changes_and_unpublish_are_rendered():
    report = make_report(90)
    html = render_html(report)
    s = report["summary"]
    assert f'<span class="num">{s["unique_urls"]}</span>' in html
    assert f"Flagged to unpublish ({s['unpublish']})" in html
    assert "Since the previous run" in html
    assert f"newly broken</span> <strong>{len(report['changes']['newly_broken'])}" in html
    assert "<svg" in html and "Hosts with most failures" in html
    assert "Unreadable inputs (2)" in html


def test_no_changes_section_without_history():
    assert "Since the previous run" not in render_html(make_report(10, changes=False))


def test_incomplete_run_is_announced():
    report = make_report(10)
    report["complete"] = False
    assert "Incomplete run" in render_html(report)
    assert "Incomplete run" not in render_html(make_report(10))


def test_server_rendered_rows_are_capped(monkeypatch):
    monkeypatch.setattr(report_html, "SSR_ROWS", 10)
    report = make_report(400)
    html = render_html(report)
    bad_urls = sum(u["outcome"] != "ok" for u in report["urls"])
    assert f"{bad_urls - 10} more — enable JavaScript to browse all." in html
    data = json.loads(_parse(html).scripts[0][1])
    assert len(data["urls"]) == len(report["urls"])  # the script still gets everything


def test_stable_anchors():
    report = make_report(60)
    html = render_html(report)
    anchors = record_anchors(report["records"])
    broken = [a for r, a in zip(report["records"], anchors, strict=True) if r["health"] != "ok"]
    assert f'id="{broken[0]}"' in html
    failing = next(u for u in report["urls"] if u["outcome"] == "broken")
    assert f'id="{url_anchor(failing["url"])}"' in html
    assert render_html(report) == html  # deterministic


def test_record_anchor_clashes_get_a_suffix():
    records = [
        {"source": "a/b.md"},
        {"source": "a-b.md"},
        {"source": "a/b.md", "record": "a/b.md#1"},
    ]
    assert record_anchors(records) == ["record-a-b-md", "record-a-b-md-2", "record-a-b-md-1"]


def test_empty_report_renders():
    report = make_report(0, n_records=0, changes=False, errors=0)
    html = render_html(report)
    assert "Every record is ok." in html and "Every URL is ok." in html


def test_lone_surrogate_does_not_break_writing():
    report = make_report(3)
    report["records"][0]["title"] = "bad \udcff title"
    render_html(report).encode("utf-8")


def test_embed_json_round_trips():
    value = {"a": "</script><!-- \u2028 & > é 😀"}
    text = embed_json(value)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == value


def test_when_formats_utc():
    assert when("2026-11-26T03:00:42Z") == "2026-11-26 03:00:42 UTC"
    assert when("not a time") == "not a time"


def test_size_grows_linearly_with_urls():
    """About 300 bytes per URL (with its share of records): 100k URLs stay near 30 MB."""
    small = len(render_html(make_report(1000)).encode())
    large = len(render_html(make_report(4000)).encode())
    per_url = (large - small) / 3000
    assert 100 < per_url < 350, per_url


def test_embed_json_is_what_the_stdlib_encoder_writes():
    """The fast path (orjson + escapes) must match json.dumps(ensure_ascii=True) exactly."""
    tricky = '\x00\x1f\x7f\x80é\u2028\u2029\uffff😀\U0010ffff</"\\'
    for value in (
        {"a": [tricky, 1, -2, None, True, False, [], {}], "é": {"x": tricky}},
        {"lone": "bad \udcff surrogate"},  # orjson refuses it: the stdlib path
        [2**70, "big int"],  # beyond 64 bits: the stdlib path
    ):
        expected = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
        expected = expected.replace("<", "\\u003c").replace(">", "\\u003e")
        assert embed_json(value) == expected.replace("&", "\\u0026")
