"""GitHub Actions workflow commands: ``::error file=...,line=...,title=...::message``.

GitHub parses these lines from the job's output, so untrusted text must not be able to
end a command or start another: data is escaped (``%``, CR, LF) and properties also
escape ``:`` and ``,`` - the same rules as @actions/core's ``issueCommand``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

from linkcheck.reports.source import Report, as_report
from linkcheck.reports.textsafe import inert
from linkcheck.reports.view import degraded, degraded_text, iter_failing_links


def escape_data(text: str) -> str:
    text = inert(text, keep="\r\n")  # an ESC sequence would act in the job's log
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **props: Any) -> str:
    """One workflow command line; None-valued properties are left out."""
    fields = ",".join(
        f"{key}={escape_property(str(value))}" for key, value in props.items() if value is not None
    )
    head = f"::{kind} {fields}" if fields else f"::{kind}"
    return f"{head}::{escape_data(message)}"


def github_annotations(report: Report | Mapping[str, Any], limit: int | None = None) -> list[str]:
    """One ``::error`` per failing link and per unreadable input (GitHub shows 10 per step)."""
    return list(islice(iter_annotations(report), limit))


def iter_annotations(report: Report | Mapping[str, Any]) -> Iterator[str]:
    """``github_annotations`` as a stream: one line at a time, records read once.

    A degraded run gives one ``::error`` saying so, instead of one per failing link: with
    the network down every link fails, and none of those says anything about the site.
    """
    report = as_report(report)
    down = degraded(report)
    if down:
        yield command("error", degraded_text(down), title="linkcheck: degraded run")
    for fl in () if down else iter_failing_links(report):
        yield command(
            "error",
            f"{fl.field} ({fl.role}): {fl.url} -> {fl.outcome}: {fl.why}",
            file=fl.source,
            line=fl.line,
            title=f"linkcheck {fl.outcome}: {fl.field}",
        )
    for entry in report.get("errors") or ():
        yield command(
            "error",
            str(entry.get("message", "")),
            file=str(entry.get("source", "")),
            line=entry.get("line"),
            title="linkcheck: unreadable input",
        )
