"""The Markdown summary: counts, changes, unpublish flags, failing links, capped and escaped."""

from __future__ import annotations

import re

from linkcheck.reports.markdown import md_text, md_url, render_markdown
from linkcheck.reports.view import all_failing_links
from tests.reportgen import make_report


def test_sections_and_counts():
    report = make_report(90)
    md = render_markdown(report)
    s = report["summary"]
    assert md.startswith("## Link report\n")
    assert f"| broken (fails the run) | {s['by_outcome']['broken']} |" in md
    assert f"flagged to unpublish: **{s['unpublish']}**" in md
    assert f"- newly broken: {len(report['changes']['newly_broken'])}" in md
    assert f"### Flagged to unpublish ({s['unpublish']})" in md
    assert f"### Failing links ({len(all_failing_links(report))})" in md
    assert "### Unreadable inputs (2)" in md


def test_rows_are_capped_with_a_more_line():
    report = make_report(300)
    failing = all_failing_links(report)
    md = render_markdown(report, max_rows=5)
    table = md.split("### Failing links", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("| `") or line.startswith("| ″")]
    assert len(rows) == 5
    rest = {fl.record for fl in failing[5:]}
    assert f"… {len(failing) - 5} more failing links in {len(rest)} records." in md


def test_failing_link_row_has_record_line_field_and_why():
    report = make_report(60)
    fl = all_failing_links(report)[0]
    md = render_markdown(report)
    assert f"`{fl.source}:{fl.line}`" in md
    row = next(line for line in md.splitlines() if line.startswith(f"| `{fl.source}:"))
    assert f"`{fl.field}`" in row and fl.outcome in row and md_text(fl.why) in row


def test_hostile_content_is_inert():
    md = render_markdown(make_report(30, hostile=True))
    outside_code = re.sub(r"`[^`]*`", "", md)
    raw_angles = re.findall(r"(?<!\\)<(?!https?://)", outside_code)
    assert raw_angles == []
    assert "\\<img src=x onerror=alert\\(1\\)\\>" in md
    assert "<javascript:" not in md and "](javascript:" not in md
    assert "`javascript:alert(1)`" in md
    table = md.split("### Failing links", 1)[1]
    for line in table.splitlines():
        if line.startswith("| "):  # the separators of every table row are intact
            assert len(re.findall(r"(?<!\\)\|", line)) == 7, line


def test_no_failures_no_history():
    report = make_report(3, changes=False, errors=0)
    for url in report["urls"]:
        url["outcome"] = "ok"
    for record in report["records"]:
        record["unpublish"] = False
    md = render_markdown(report)
    assert "### Failing links\n\nNone." in md
    assert "previous run" not in md and "Flagged" not in md


def test_md_helpers():
    assert md_text("a\nb  *c*") == "a b \\*c\\*"
    assert md_url("https://x.org/a_(b)") == "<https://x.org/a_(b)>"
    assert md_url("data:text/html,<b>") == "`data:text/html,<b>`"
