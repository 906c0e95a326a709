"""What a finished run gives a GitHub Actions job: summary, annotations, outputs, issue body.

Called by the command line after the reports are written, when it runs inside GitHub
Actions (``GITHUB_ACTIONS=true``, and the files GitHub names in ``GITHUB_STEP_SUMMARY``
and ``GITHUB_OUTPUT``). Everything is read from the report as it streams, so a run over
100,000 records never holds them: the outputs come from the summary, the issue body
from the records flagged to unpublish.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from linkcheck.output import write_atomic
from linkcheck.reports.markdown import md_code, md_text
from linkcheck.reports.source import Report

# An HTML comment the issue body starts with: how the issue step finds its own issue among
# the open issues that carry its label.
ISSUE_MARKER = "<!-- linkcheck: records flagged to unpublish -->"
# GitHub refuses an issue body over 65,536 characters; rows past these bounds are counted.
ISSUE_MAX_ROWS = 200
ISSUE_MAX_CHARS = 60_000
_MENTION = re.compile(r"(?<![\w`])@(?=[A-Za-z0-9])")


def step_outputs(report: Report, failing: int, directory: Path) -> dict[str, str]:
    """The step's outputs, as the action's documentation lists them."""
    summary = report.get("summary") or {}
    return {
        "records": str(summary.get("records", 0)),
        "links": str(summary.get("links", 0)),
        "unique-urls": str(summary.get("unique_urls", 0)),
        "requests": str(summary.get("requests", 0)),
        "failing": str(failing),
        "flagged": str(summary.get("unpublish", 0)),
        "unreadable": str(len(report.get("errors") or ())),
        "degraded": _bool(bool((report.get("run") or {}).get("degraded"))),
        "complete": _bool(report.get("complete", True) is not False),
        "report-dir": str(directory),
    }


def _bool(value: bool) -> str:
    return "true" if value else "false"


def output_text(outputs: Mapping[str, str]) -> str:
    """``GITHUB_OUTPUT`` lines: ``name=value``, or a heredoc for a value with a line break
    (whose delimiter no value can contain, so a value cannot set another output)."""
    lines = []
    for name, value in outputs.items():
        if "\n" in value or "\r" in value:
            delimiter = f"linkcheck_{secrets.token_hex(8)}"
            lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            lines.append(f"{name}={value}\n")
    return "".join(lines)


def issue_body(report: Report, flagged: Iterable[Mapping[str, Any]]) -> str:
    """The issue that lists the records flagged to unpublish, each with why (the dead link).

    ``flagged`` are the report's records with ``unpublish: true``, in report order.
    """
    count = int((report.get("summary") or {}).get("unpublish", 0))
    if not count:
        return f"{ISSUE_MARKER}\nNo record is flagged to unpublish.\n"
    rows: list[str] = []
    size = 0
    for record in flagged:
        row = _issue_row(record)
        size += len(row)
        if len(rows) >= ISSUE_MAX_ROWS or size > ISSUE_MAX_CHARS:
            break
        rows.append(row)
    more = count - len(rows)
    noun = "record is" if count == 1 else "records are"
    parts = [
        ISSUE_MARKER,
        f"**{count} published {noun} flagged to unpublish:** their article link is gone. "
        "Review them, then apply the edits with "
        "`linkcheck unpublish report.json --apply` (all) or `--only PATH...` (some).",
        "| Record | Why |\n| --- | --- |\n" + "\n".join(rows),
    ]
    if more > 0:
        parts.append(f"...and {more} more: see the reports.")
    return "\n\n".join(parts) + "\n"


def _issue_row(record: Mapping[str, Any]) -> str:
    title = record.get("title")
    name = md_code(record.get("source", "?")) + (f" {md_text(title)}" if title else "")
    reasons = record.get("unpublish_reasons") or ["flagged"]
    why = "<br>".join(md_text(r) for r in reasons)
    return _quiet(f"| {_cell(name)} | {_cell(why)} |")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _quiet(text: str) -> str:
    """No ``@name`` in record text pings anyone when the issue is posted: a zero-width
    joiner after the ``@`` keeps it from being read as a mention."""
    return _MENTION.sub("@\u2060", text)


def publish(
    report: Report,
    max_rows: int,
    failing: int,
    directory: Path,
    environ: Mapping[str, str],
) -> Iterator[str]:
    """Write what the job asked for, now; return the annotation lines for the caller to print.

    ``GITHUB_STEP_SUMMARY``: the Markdown summary is appended. ``GITHUB_OUTPUT``: the step
    outputs are appended. ``LINKCHECK_ISSUE_BODY``: the flagged-records issue body is
    written there (the action sets it when asked to keep an issue). ``GITHUB_ACTIONS=true``:
    annotations.
    """
    summary_path = environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        from linkcheck.reports.markdown import render_markdown

        with open(summary_path, "a", encoding="utf-8", errors="replace") as handle:
            handle.write(render_markdown(report, max_rows=max_rows))
    output_path = environ.get("GITHUB_OUTPUT")
    if output_path:
        with open(output_path, "a", encoding="utf-8", errors="replace") as handle:
            handle.write(output_text(step_outputs(report, failing, directory)))
    body_path = environ.get("LINKCHECK_ISSUE_BODY")
    if body_path:
        flagged = (r for r in report.records(notable_only=True) if r.get("unpublish"))
        write_atomic(body_path, issue_body(report, flagged).encode("utf-8", "replace"))
    if environ.get("GITHUB_ACTIONS") == "true":
        from linkcheck.reports.github import iter_annotations

        return iter_annotations(report)
    return iter(())
