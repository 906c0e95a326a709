"""JUnit XML: one test case per record, so CI dashboards list dead links by article.

The test suite is ``linkcheck``; a case's classname is the record's folder and its name
the record's source (``#N`` for the Nth record of a multi-record file). Each failing link
is a <failure> (message: field and why); an unreadable input is a case with an <error>.
ElementTree escapes the text; characters XML 1.0 cannot hold are replaced first.

A case per record makes the file as long as the report, so it is written as a stream:
each case is serialised alone (indented as ``ET.indent`` would inside the document) and
spooled while the failures are counted, because the counts lead the document.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from linkcheck.output import write_chunks
from linkcheck.reports.source import Report, as_report
from linkcheck.reports.view import (
    FailingLink,
    Spool,
    batches,
    degraded,
    degraded_text,
    record_key,
    records_with_failing_links,
)

_CASE_INDENT = "\n    "

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def render_junit(report: Report | Mapping[str, Any]) -> str:
    """The report as a JUnit XML document (one <testsuite> inside <testsuites>)."""
    return "".join(junit_pieces(as_report(report)))


def write_junit(report: Report | Mapping[str, Any], path: str | Path) -> Path:
    """``render_junit`` streamed into ``path`` atomically."""
    return write_chunks(path, (piece.encode() for piece in junit_pieces(as_report(report))))


def junit_pieces(report: Report) -> Iterator[str]:
    """The document as pieces: the same text ``ET.indent`` + ``ET.tostring`` give."""
    run = report.get("run", {})
    duration = float(run.get("duration_s") or 0)
    suite = ET.Element("testsuite", name="linkcheck", time=f"{duration:.3f}")
    suite.set("timestamp", xml_safe(run.get("started_at", "")))
    spool = Spool()
    tests = failures = 0
    down = degraded(report)
    if down:  # first, as an error of the run itself: the network looked down
        spool.write(_CASE_INDENT + _degraded_case(degraded_text(down)))
    for batch in batches(records_with_failing_links(report)):
        cases = [_record_case(record, links) for record, links in batch]
        failures += sum(failed for _, failed in cases)
        tests += len(cases)
        spool.write("".join(_CASE_INDENT + text for text, _ in cases))
    errors = report.get("errors") or ()
    for entry in errors:
        spool.write(_CASE_INDENT + _error_case(entry))
    errored = len(errors) + bool(down)
    suite.set("tests", str(tests + errored))
    suite.set("failures", str(failures))
    suite.set("errors", str(errored))
    suite.set("skipped", "0")
    suites = ET.Element("testsuites", name="linkcheck")
    for key in ("tests", "failures", "errors"):
        suites.set(key, suite.get(key) or "0")
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield _start_tag(suites) + "\n  "
    if tests + errored:
        yield _start_tag(suite)
        yield from spool.chunks()
        yield "\n  </testsuite>"
    else:
        spool.file.close()
        yield ET.tostring(suite, "unicode")
    yield "\n</testsuites>\n"


def _start_tag(element: ET.Element) -> str:
    """``<tag attr="...">`` as ElementTree writes it (from its empty-element form)."""
    return ET.tostring(element, "unicode").removesuffix(" />") + ">"


def _classname(source: str) -> str:
    folder = source.rsplit("/", 1)[0] if "/" in source else "."
    return xml_safe(folder)


def _case_text(case: ET.Element) -> str:
    """One case as it reads inside the indented document (its own tail left out).

    What ``ET.indent`` writes around a case's one child, set by hand: ``ET.indent`` makes
    a self-referencing closure per call, garbage that only the (paused) collector frees.
    """
    for child in case:
        case.text = "\n      "
        child.tail = "\n    "
    return ET.tostring(case, "unicode")


def _record_case(record: Mapping[str, Any], links: list[FailingLink]) -> tuple[str, bool]:
    """The record's <testcase> text, and whether it has a <failure>."""
    source = str(record.get("source", ""))
    case = ET.Element("testcase", classname=_classname(source), name=xml_safe(record_key(record)))
    case.set("file", xml_safe(source))
    if not links:
        return _case_text(case), False
    first = links[0]
    message = f"{first.field}: {first.why}"
    if len(links) > 1:
        message += f" (and {len(links) - 1} more)"
    failure = ET.SubElement(case, "failure", message=xml_safe(message), type=first.outcome)
    failure.text = xml_safe(
        "\n".join(
            f"{fl.field} [{fl.role}] line {fl.line or '?'}: {fl.url} -> {fl.outcome}: {fl.why}"
            for fl in links
        )
    )
    return _case_text(case), True


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
