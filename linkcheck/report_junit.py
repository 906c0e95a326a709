"""JUnit XML: one test case per record, so CI dashboards list dead links by article.

The test suite is ``linkcheck``; a case's classname is the record's folder and its name
the record's source (``#N`` for the Nth record of a multi-record file). Each failing link
is a <failure> (message: field and why); an unreadable input is a case with an <error>.
ElementTree escapes the text; characters XML 1.0 cannot hold are replaced first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from linkcheck.report_view import fail_on, failing_links, record_key, url_index

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def render_junit(report: Mapping[str, Any]) -> str:
    """The report as a JUnit XML document (one <testsuite> inside <testsuites>)."""
    index = url_index(report)
    failing = fail_on(report)
    duration = float(report.get("run", {}).get("duration_s") or 0)
    suites = ET.Element("testsuites", name="linkcheck")
    suite = ET.SubElement(suites, "testsuite", name="linkcheck", time=f"{duration:.3f}")
    suite.set("timestamp", xml_safe(report.get("run", {}).get("started_at", "")))
    failures = errors = 0
    records = list(report.get("records", ()))
    for record in records:
        failures += _record_case(suite, record, failing_links(record, index, failing))
    for entry in report.get("errors", ()):
        errors += 1
        _error_case(suite, entry)
    suite.set("tests", str(len(records) + errors))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    for key in ("tests", "failures", "errors"):
        suites.set(key, suite.get(key) or "0")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def _classname(source: str) -> str:
    folder = source.rsplit("/", 1)[0] if "/" in source else "."
    return xml_safe(folder)


def _record_case(suite: ET.Element, record: Mapping[str, Any], links: list) -> int:
    source = str(record.get("source", ""))
    case = ET.SubElement(
        suite, "testcase", classname=_classname(source), name=xml_safe(record_key(record))
    )
    case.set("file", xml_safe(source))
    if not links:
        return 0
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
    return 1


def _error_case(suite: ET.Element, entry: Mapping[str, Any]) -> None:
    source = str(entry.get("source", ""))
    case = ET.SubElement(suite, "testcase", classname=_classname(source), name=xml_safe(source))
    case.set("file", xml_safe(source))
    error = ET.SubElement(
        case, "error", message=xml_safe(entry.get("message", "")), type="unreadable_input"
    )
    line = entry.get("line")
    error.text = xml_safe(f"{source}:{line}: {entry.get('message', '')}" if line else source)
