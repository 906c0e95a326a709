"""The body of the issue that lists the flagged records: readable, bounded, and it pings no one."""

from __future__ import annotations

from linkcheck.ci.github import ISSUE_MARKER, ISSUE_MAX_ROWS, issue_body
from linkcheck.reports.source import as_report


def _flagged(n: int, title: str = "A story") -> tuple[dict, list[dict]]:
    records = [
        {
            "source": f"_news/{i:04}.md",
            "title": title,
            "unpublish": True,
            "unpublish_reasons": [f"originalUrl https://gone.example/{i} answered 410 Gone"],
        }
        for i in range(n)
    ]
    return {"summary": {"unpublish": n}}, records


def test_one_row_per_flagged_record_with_why() -> None:
    head, records = _flagged(2, title="Pipes | and @octocat, mail a@b.example")
    body = issue_body(as_report(head), records)
    assert body.startswith(ISSUE_MARKER + "\n")
    assert "**2 published records are flagged to unpublish:**" in body
    rows = [line for line in body.splitlines() if line.startswith("| `_news/")]
    assert len(rows) == 2
    assert "Pipes \\| and @\u2060octocat, mail a@b.example" in rows[0]  # no ping, no new column
    assert rows[0].endswith("| originalUrl https://gone.example/0 answered 410 Gone |")


def test_the_body_stays_under_githubs_limit() -> None:
    head, records = _flagged(5000, title="x" * 300)
    body = issue_body(as_report(head), records)
    assert len(body) < 65_536
    shown = sum(line.startswith("| `_news/") for line in body.splitlines())
    assert shown <= ISSUE_MAX_ROWS
    assert f"...and {5000 - shown} more: see the reports." in body


def test_nothing_flagged_says_so() -> None:
    body = issue_body(as_report({"summary": {"unpublish": 0}}), [])
    assert body == f"{ISSUE_MARKER}\nNo record is flagged to unpublish.\n"
