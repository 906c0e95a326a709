"""JUnit XML: one test case per record, one suite per collection folder.

CI dashboards (GitLab's test report, Jenkins, GitHub test reporters) list dead links by
article: a case's classname is the record's folder, its name the record's source (``#N``
for the Nth record of a multi-record file), its time the time its links took to check.
A record with a failing link is a <failure> (message: the first field and why; text: every
failing link, then any warning). A record that fails nothing but still has trouble
(timeouts, 429, bot walls, 5xx, soft 404s and the other content issues) is <skipped
type="warning">: the check could not conclude, or found something short of a failure;
dashboards show skipped cases and their message, and a warning must not turn a build red.
An unreadable input is an <error>. ElementTree escapes the text; characters XML 1.0
cannot hold are replaced first.

A case per record makes the file as long as the report, so it is written as a stream:
each case is serialised alone (indented as ``ET.indent`` would inside the document) and
spooled per suite while the suite's counts are gathered, because the counts lead it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linkcheck.output import write_chunks
from linkcheck.reports.source import Report, as_report
from linkcheck.reports.view import (
    NOT_OK,
    FailingLink,
    Spool,
    batches,
    degraded,
    degraded_text,
    elapsed_index,
    fail_on,
    record_key,
    records_with_failing_links,
    url_issue_index,
    warnings_of,
)

_CASE_INDENT = "\n    "

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def render_junit(report: Report | Mapping[str, Any]) -> str:
    """The report as a JUnit XML document (a <testsuite> per folder inside <testsuites>)."""
    return "".join(junit_pieces(as_report(report)))


def write_junit(report: Report | Mapping[str, Any], path: str | Path) -> Path:
    """``render_junit`` streamed into ``path`` atomically."""
    return write_chunks(path, (piece.encode() for piece in junit_pieces(as_report(report))))


@dataclass
class _Suite:
    """One folder's cases as they are spooled, and its counts."""

    spool: Spool = field(default_factory=Spool)
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    time_s: float = 0.0

    def add(self, text: str, kind: str, time_s: float = 0.0) -> None:
        self.spool.write(_CASE_INDENT + text)
        self.tests += 1
        self.failures += kind == "failure"
        self.errors += kind == "error"
        self.skipped += kind == "skipped"
        self.time_s += time_s


class _Suites(dict[str, _Suite]):
    """Suites by folder, each made when its first case comes (a spool is a file to close)."""

    def __missing__(self, name: str) -> _Suite:
        suite = self[name] = _Suite()
        return suite


def junit_pieces(report: Report) -> Iterator[str]:
    """The document as pieces: the same text ``ET.indent`` + ``ET.tostring`` give."""
    run = report.get("run", {})
    failing = fail_on(report)
    issues_of = url_issue_index(report)
    suites = _Suites()
    down = degraded(report)
    if down:  # first, as an error of the run itself: the network looked down
        suites["linkcheck"].add(_degraded_case(degraded_text(down)), "error")
    for batch in batches(records_with_failing_links(report, NOT_OK)):
        elapsed = elapsed_index(report, {str(lk.get("url")) for r, _ in batch for lk in _links(r)})
        for record, bad in batch:
            text, kind = _record_case(record, bad, failing, issues_of, elapsed)
            time_s = _record_time(record, elapsed)
            suites[_classname(str(record.get("source", "")))].add(text, kind, time_s)
    for entry in report.get("errors") or ():
        source = str(entry.get("source", ""))
        suites[_classname(source)].add(_error_case(entry), "error")
    totals = ET.Element("testsuites", name="linkcheck")
    for key in ("tests", "failures", "errors", "skipped"):
        totals.set(key, str(sum(getattr(s, key) for s in suites.values())))
    totals.set("time", f"{float(run.get('duration_s') or 0):.3f}")
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    if not suites:
        yield ET.tostring(totals, "unicode") + "\n"
        return
    yield _start_tag(totals)
    for name, suite in suites.items():
        yield "\n  " + _start_tag(_suite_element(name, suite, run))
        yield from suite.spool.chunks()
        yield "\n  </testsuite>"
    yield "\n</testsuites>\n"


def _suite_element(name: str, suite: _Suite, run: Mapping[str, Any]) -> ET.Element:
    element = ET.Element("testsuite", name=xml_safe(name))
    for key in ("tests", "failures", "errors", "skipped"):
        element.set(key, str(getattr(suite, key)))
    element.set("time", f"{suite.time_s:.3f}")
    element.set("timestamp", xml_safe(run.get("started_at", "")))
    return element


def _start_tag(element: ET.Element) -> str:
    """``<tag attr="...">`` as ElementTree writes it (from its empty-element form)."""
    return ET.tostring(element, "unicode").removesuffix(" />") + ">"


def _classname(source: str) -> str:
    folder = source.rsplit("/", 1)[0] if "/" in source else "."
    return xml_safe(folder)


def _links(record: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    return record.get("links") or ()


def _record_time(record: Mapping[str, Any], elapsed: Mapping[str, int]) -> float:
    """Seconds its links took to check (each URL once, as it was asked once)."""
    urls = {str(lk.get("url")) for lk in _links(record)}
    return sum(elapsed.get(url, 0) for url in urls) / 1000


def _case_text(case: ET.Element) -> str:
    """One case as it reads inside the indented document (its own tail left out).

    What ``ET.indent`` writes around a case's one child, set by hand: ``ET.indent`` makes
    a self-referencing closure per call, garbage that only the (paused) collector frees.
    """
    for child in case:
        case.text = "\n      "
        child.tail = "\n    "
    return ET.tostring(case, "unicode")


def _record_case(
    record: Mapping[str, Any],
    bad: Sequence[FailingLink],
    failing: frozenset[str],
    issues_of: Mapping[str, Sequence[str]],
    elapsed: Mapping[str, int],
) -> tuple[str, str]:
    """The record's <testcase> text, and its kind: failure, skipped (warnings) or passed."""
    source = str(record.get("source", ""))
    case = ET.Element("testcase", classname=_classname(source), name=xml_safe(record_key(record)))
    case.set("file", xml_safe(source))
    case.set("time", f"{_record_time(record, elapsed):.3f}")
    failed = [fl for fl in bad if fl.outcome in failing]
    warned = warnings_of(record, [fl for fl in bad if fl.outcome not in failing], issues_of)
    warning_lines = [f"warning, line {at or '?'}: {text}" for at, text in warned]
    if failed:
        first = failed[0]
        message = f"{first.field}: {first.why}"
        if len(failed) > 1:
            message += f" (and {len(failed) - 1} more)"
        failure = ET.SubElement(case, "failure", message=xml_safe(message), type=first.outcome)
        lines = [
            f"{fl.field} [{fl.role}] line {fl.line or '?'}: {fl.url} -> {fl.outcome}: {fl.why}"
            for fl in failed
        ]
        failure.text = xml_safe("\n".join(lines + warning_lines))
        return _case_text(case), "failure"
    if warned:
        first_text = warned[0][1]
        message = f"{len(warned)} warning{'s' if len(warned) > 1 else ''}: {first_text}"
        skipped = ET.SubElement(case, "skipped", message=xml_safe(message), type="warning")
        skipped.text = xml_safe("\n".join(warning_lines))
        return _case_text(case), "skipped"
    return _case_text(case), "passed"


def _degraded_case(text: str) -> str:
    case = ET.Element("testcase", classname="linkcheck", name="network")
    error = ET.SubElement(case, "error", message="degraded run", type="degraded_run")
    error.text = xml_safe(text)
    return _case_text(case)


def _error_case(entry: Mapping[str, Any]) -> str:
    source = str(entry.get("source", ""))
    case = ET.Element("testcase", classname=_classname(source), name=xml_safe(source))
    case.set("file", xml_safe(source))
    error = ET.SubElement(
        case, "error", message=xml_safe(entry.get("message", "")), type="unreadable_input"
    )
    line = entry.get("line")
    error.text = xml_safe(f"{source}:{line}: {entry.get('message', '')}" if line else source)
    return _case_text(case)
