"""The Markdown summary: flagged records first, hosts, failing links worst first, capped."""

from __future__ import annotations

import re

from linkcheck.reports.markdown import md_text, md_url, render_markdown, severity
from linkcheck.reports.view import all_failing_links
from tests.reportgen import make_report


def _section(md: str, title: str) -> str:
    return md.split(f"### {title}", 1)[1].split("\n### ", 1)[0]


def _rows(table: str) -> list[str]:
    return [line for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]


def test_sections_and_counts_in_the_order_an_editor_acts():
    report = make_report(90)
    md = render_markdown(report)
    s = report["summary"]
    assert md.startswith("## Link report\n")
    assert f"| broken (fails the run) | {s['by_outcome']['broken']} |" in md
    assert f"flagged to unpublish: **{s['unpublish']}**" in md
    assert f"- newly broken: {len(report['changes']['newly_broken'])}" in md
    assert "### Unreadable inputs (2)" in md
    heads = re.findall(r"^### (.+?)(?: \(|$)", md, re.MULTILINE)
    assert heads == [
        "Flagged to unpublish",
        "Hosts with failures",
        "Failing links",
        "Since the previous run",
        "Unreadable inputs",
    ]
    assert f"### Failing links ({len(all_failing_links(report))}), worst first" in md


def test_each_flagged_record_names_its_dead_link():
    report = make_report(90)
    record = next(r for r in report["records"] if r["unpublish"])
    dead = next(lk for lk in record["links"] if lk["field"] == "originalUrl")
    record["unpublish_reasons"] = [f"originalUrl {dead['url']} answered 410 Gone on 2 runs"]
    line = next(
        x
        for x in _section(render_markdown(report), "Flagged").splitlines()
        if record["source"] in x
    )
    assert line.startswith(f"- `{record['source']}:{dead['line']}` ")
    assert f"`originalUrl` <{dead['url']}> answered 410 Gone on 2 runs" in line


def test_failing_links_are_worst_first_and_capped():
    report = make_report(300)
    flagged = {r["source"] for r in report["records"] if r["unpublish"]}
    failing = all_failing_links(report)
    expected = sorted(
        range(len(failing)), key=lambda i: (severity(failing[i], failing[i].source in flagged), i)
    )[:5]
    md = render_markdown(report, max_rows=5)
    rows = _rows(_section(md, "Failing links"))
    assert len(rows) == 5
    for row, i in zip(rows, expected, strict=True):
        fl = failing[i]
        assert row.startswith(f"| {fl.outcome} | `{fl.source}:{fl.line}` | `{fl.field}` |"), row
    assert f"… {len(failing) - 5} more failing links: see the full report." in md
    # Not in path order: a flagged record's article link comes before any other row.
    assert any(failing[i].source in flagged for i in expected[:1])


def test_a_host_that_fails_everywhere_leads_the_hosts():
    report = make_report(300)
    for u in report["urls"]:
        if "docs.example.com" in u["url"]:
            u["outcome"], u["error"] = "unreachable", "connection refused"
    rows = _rows(_section(render_markdown(report), "Hosts with failures"))
    docs = sum("docs.example.com" in u["url"] for u in report["urls"])
    assert rows[0].startswith(f"| `docs.example.com` | {docs} | {docs} |")


def test_report_url_links_the_full_report():
    report = make_report(30)
    report["run"]["config"]["output"]["report_url"] = "https://ci.example/runs/7/report.html"
    assert "Full report: <https://ci.example/runs/7/report.html>" in render_markdown(report)
    report["run"]["config"]["output"]["report_url"] = "javascript:alert(1)"
    assert "Full report" not in render_markdown(report)


def test_hostile_content_is_inert():
    md = render_markdown(make_report(30, hostile=True))
    outside_code = re.sub(r"`[^`]*`", "", md)
    raw_angles = re.findall(r"<(?!https?://)", outside_code)
    assert raw_angles == []
    assert "&lt;img src=x onerror=alert(1)>" in md
    assert "<javascript:" not in md and "](javascript:" not in md
    assert "`javascript:alert(1)`" in md
    for title in ("Failing links", "Hosts with failures"):
        for line in _section(md, title).splitlines():
            if line.startswith("| "):  # the separators of every table row are intact
                cells = 5
                assert len(re.findall(r"(?<!\\)\|", line)) == cells + 1, line


def test_no_failures_no_history():
    report = make_report(3, changes=False, errors=0)
    for url in report["urls"]:
        url["outcome"] = "ok"
    for record in report["records"]:
        record["unpublish"] = False
    md = render_markdown(report)
    assert "### Failing links\n\nNone." in md
    assert "previous run" not in md and "Flagged" not in md and "Hosts" not in md


def test_md_text_escapes_markup_only():
    assert md_text("a\nb  *c*") == "a b \\*c\\*"
    assert md_text("snake_case file_name (2020) -> 'quoted' #1 + done!") == (
        "snake_case file_name (2020) -> 'quoted' #1 + done!"
    )
    assert md_text("_em_ [link](x) `code` ~~gone~~ back\\slash") == (
        "\\_em\\_ \\[link](x) \\`code\\` \\~\\~gone\\~\\~ back\\\\slash"
    )
    assert md_text("<img src=x> &amp; & fish") == "&lt;img src=x> &amp;amp; & fish"


def test_md_helpers():
    assert md_url("https://x.org/a_(b)") == "<https://x.org/a_(b)>"
    assert md_url("data:text/html,<b>") == "`data:text/html,<b>`"
