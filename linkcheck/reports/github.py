"""GitHub Actions workflow commands: a few ranked annotations, then one notice with totals.

GitHub shows 10 error and 10 warning annotations per step (50 per job) and drops the
rest, so one per failing link (thousands on a real site) hid everything after the first
ten, in path order. Here each annotation is a record, at the line of its most telling
field: at most ``MAX_ERRORS`` errors, the most important first (records flagged to
unpublish, then unreadable inputs, then the records with the most failing links), at
most ``MAX_WARNINGS`` warnings (records whose links answered with trouble short of a
failure, or with a content issue, most first), then one ``::notice`` with the totals,
pointing at the job summary where every one is listed.

GitHub parses these lines from the job's output, so untrusted text must not be able to
end a command or start another: data is escaped (``%``, CR, LF) and properties also
escape ``:`` and ``,`` - the same rules as @actions/core's ``issueCommand``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from linkcheck.reports.source import Report, as_report
from linkcheck.reports.textsafe import inert
from linkcheck.reports.view import (
    FailingLink,
    degraded,
    degraded_text,
    fail_on,
    record_key,
    troubled_records,
    url_issue_index,
    warnings_of,
)

MAX_ERRORS = 10
MAX_WARNINGS = 10
# Links or issues named in one annotation's message; the rest are counted.
MAX_NAMED = 3
# Ranks: a flagged record before an unreadable input before a record with failing links.
_FLAGGED, _UNREADABLE, _FAILING = 2, 1, 0


def escape_data(text: str) -> str:
    """A command's data: control characters from records made inert (textsafe), then
    what would end the command escaped."""
    text = inert(text, keep="\r\n")
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
    """``iter_annotations`` as a list (at most ``limit`` lines)."""
    return list(islice(iter_annotations(report), limit))


@dataclass(frozen=True)
class Annotation:
    """One record's annotation before it becomes a command line."""

    level: str  # "error" or "warning"
    file: str
    line: int | None
    title: str
    message: str

    def command(self) -> str:
        return command(self.level, self.message, file=self.file, line=self.line, title=self.title)


class _Top:
    """The ``size`` annotations of highest rank, ties in arrival order, kept in a heap."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.heap: list[tuple[tuple[int, ...], int, Annotation]] = []
        self.seen = 0

    def add(self, rank: tuple[int, ...], item: Annotation) -> None:
        entry = (rank, -self.seen, item)
        self.seen += 1
        if len(self.heap) < self.size:
            heapq.heappush(self.heap, entry)
        elif self.size and entry[:2] > self.heap[0][:2]:
            heapq.heapreplace(self.heap, entry)

    def best_first(self) -> list[Annotation]:
        return [item for _, _, item in sorted(self.heap, key=lambda e: e[:2], reverse=True)]


@dataclass
class _Totals:
    failing_records: int = 0
    failing_links: int = 0
    flagged: int = 0
    unreadable: int = 0
    warned: int = 0


def iter_annotations(report: Report | Mapping[str, Any]) -> Iterator[str]:
    """The capped annotations, most important first, then the notice with the totals.

    A degraded run gives one ``::error`` saying so instead: with the network down every
    link fails, and none of those says anything about the site.
    """
    report = as_report(report)
    down = degraded(report)
    if down:
        yield command("error", degraded_text(down), title="linkcheck: degraded run")
        return
    failing = fail_on(report)
    issues_of = url_issue_index(report)
    errors, warnings, totals = _Top(MAX_ERRORS), _Top(MAX_WARNINGS), _Totals()
    for record, bad in troubled_records(report):
        failed = [fl for fl in bad if fl.outcome in failing]
        if record.get("unpublish") or failed:
            totals.flagged += bool(record.get("unpublish"))
            totals.failing_records += bool(failed)
            totals.failing_links += len(failed)
            rank = (_FLAGGED if record.get("unpublish") else _FAILING, len(failed))
            errors.add(rank, _error(record, failed))
            continue
        said = warnings_of(record, bad, issues_of)
        if said:
            totals.warned += 1
            warnings.add((len(said),), _warning(record, said))
    for entry in report.get("errors") or ():
        totals.unreadable += 1
        errors.add((_UNREADABLE, 0), _unreadable(entry))
    shown = errors.best_first() + warnings.best_first()
    for annotation in shown:
        yield annotation.command()
    if shown:
        yield command("notice", _totals_text(totals, shown), title="linkcheck: totals")


def _error(record: Mapping[str, Any], failed: Sequence[FailingLink]) -> Annotation:
    source = str(record.get("source", ""))
    links = _named(f"{fl.field} {fl.url} -> {fl.outcome}: {fl.why}" for fl in failed)
    if record.get("unpublish"):
        reasons = "; ".join(str(r) for r in record.get("unpublish_reasons") or ()) or "flagged"
        line = _article_line(record, failed)
        also = f" — failing: {links}" if failed else ""
        return Annotation("error", source, line, "linkcheck: flagged to unpublish", reasons + also)
    title = f"linkcheck: {_count(len(failed), 'failing link')}"
    return Annotation("error", source, failed[0].line or record.get("line"), title, links)


def _article_line(record: Mapping[str, Any], failed: Sequence[FailingLink]) -> int | None:
    """The line of the field the first unpublish reason names (``originalUrl ...``)."""
    reasons = record.get("unpublish_reasons") or [""]
    field = str(reasons[0]).split(" ", 1)[0]
    for link in record.get("links") or ():
        if link.get("field") == field and isinstance(link.get("line"), int):
            return int(link["line"])
    line = failed[0].line if failed else record.get("line")
    return line if isinstance(line, int) else None


def _warning(record: Mapping[str, Any], said: Sequence[tuple[int | None, str]]) -> Annotation:
    line = next((at for at, _ in said if at), record.get("line"))
    title = f"linkcheck: {_count(len(said), 'warning')}"
    message = _named(text for _, text in said)
    return Annotation(
        "warning", str(record.get("source", record_key(record))), line, title, message
    )


def _unreadable(entry: Mapping[str, Any]) -> Annotation:
    return Annotation(
        "error",
        str(entry.get("source", "")),
        entry.get("line"),
        "linkcheck: unreadable input",
        str(entry.get("message", "")),
    )


def _named(texts: Iterable[str]) -> str:
    items = list(texts)
    shown = "; ".join(items[:MAX_NAMED])
    more = len(items) - MAX_NAMED
    return f"{shown} (and {more} more)" if more > 0 else shown


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _totals_text(totals: _Totals, shown: Sequence[Annotation]) -> str:
    parts = [
        f"{_count(totals.failing_links, 'failing link')} in "
        f"{_count(totals.failing_records, 'record')}",
        f"{_count(totals.flagged, 'record')} flagged to unpublish",
        f"{_count(totals.unreadable, 'unreadable input')}",
        f"{_count(totals.warned, 'record')} with warnings",
    ]
    errors = sum(a.level == "error" for a in shown)
    warnings = len(shown) - errors
    return (
        f"{', '.join(parts)}. Annotated here: the {_count(errors, 'error')} and "
        f"{_count(warnings, 'warning')} that matter most; every one is in the job summary "
        "and the reports."
    )
