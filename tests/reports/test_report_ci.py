"""JUnit, SARIF, GitHub annotations and the terminal summary, from the same report."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from linkcheck.reports.github import command, escape_property, github_annotations
from linkcheck.reports.junit import render_junit
from linkcheck.reports.sarif import render_sarif
from linkcheck.reports.terminal import render_terminal_summary
from linkcheck.reports.view import all_failing_links, fail_on
from tests.reportgen import HOSTILE_SOURCE, make_report


def test_junit_one_case_per_record_and_error():
    report = make_report(90, hostile=True)
    root = ET.fromstring(render_junit(report).encode())
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == len(report["records"]) + len(report["errors"])
    failed = {fl.record for fl in all_failing_links(report)}
    assert int(suite.get("failures")) == len(failed)
    assert int(suite.get("errors")) == 2
    case = next(c for c in cases if c.get("name") == HOSTILE_SOURCE)
    assert case.get("classname") == HOSTILE_SOURCE.rsplit("/", 1)[0]
    failure = case.find("failure")
    assert failure.get("message").startswith("originalUrl: unsafe scheme")
    assert failure.get("type") == "invalid"
    errors = [c for c in cases if c.find("error") is not None]
    assert errors[0].find("error").get("message") == "YAML error at line 3: bad indent"


def test_junit_survives_control_characters():
    report = make_report(5)
    report["records"][0]["source"] = "_news/a\x00b\x1b.md"
    ET.fromstring(render_junit(report).encode())


def test_sarif_results_point_at_file_and_line():
    report = make_report(90, hostile=True)
    log = json.loads(render_sarif(report))
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    results = run["results"]
    assert {r["ruleId"] for r in results} == rules
    link_results = [r for r in results if r["ruleId"] in fail_on(report)]
    assert len(link_results) == len(all_failing_links(report))
    fl = all_failing_links(report)[0]
    first = link_results[0]["locations"][0]["physicalLocation"]
    assert first["region"]["startLine"] == fl.line
    assert "mojibake" in rules or "invalid_url" in rules
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["shortDescription"]["text"]
    hostile = [r for r in results if "evil" in json.dumps(r["locations"])]
    assert hostile and "%3C/script%3E" in json.dumps(hostile[0]["locations"])


def test_annotations_escape_per_github_rules():
    assert escape_property("a:b,c%d\r\ne") == "a%3Ab%2Cc%25d%0D%0Ae"
    assert (
        command("error", "x\ny%", file="f,1:2", line=3) == "::error file=f%2C1%3A2,line=3::x%0Ay%25"
    )
    lines = github_annotations(make_report(60, hostile=True))
    for line in lines:
        assert "\n" not in line and "\r" not in line
        head, _, _message = line[2:].partition("::")
        assert head.startswith("error file=")
        assert "::" not in head
    nasty = next(line for line in lines if "evil" in line)
    assert nasty.startswith("::error file=_news/evil</script><script>alert(2)</script>.md,line=3,")


def test_annotation_per_failing_link_and_error():
    report = make_report(90)
    lines = github_annotations(report)
    assert len(lines) == len(all_failing_links(report)) + len(report["errors"])
    fl = all_failing_links(report)[0]
    assert lines[0] == (
        f"::error file={fl.source},line={fl.line},title=linkcheck {fl.outcome}%3A {fl.field}"
        f"::{fl.field} ({fl.role}): {fl.url} -> {fl.outcome}: {fl.why}"
    )
    assert len(github_annotations(report, limit=3)) == 3


def test_terminal_summary_names_the_worst():
    report = make_report(120)
    text = render_terminal_summary(report, top=3)
    assert "\x1b[" not in text
    s = report["summary"]
    assert f"{s['unique_urls']} unique URLs" in text
    assert f"broken {s['by_outcome']['broken']}" in text
    assert "Hosts with most failures:" in text
    assert text.split("Hosts with most failures:\n")[1].splitlines()[0].endswith("gone.example.dev")
    assert text.split("Slowest hosts:\n")[1].splitlines()[0].endswith("slow.example.io")
    assert f"{s['unpublish']} records flagged to unpublish:" in text
    worst = text.split("most first:\n")[1].splitlines()
    counts = [int(line.split()[0]) for line in worst[:3]]
    assert counts == sorted(counts, reverse=True)


def test_terminal_summary_color_and_control_characters():
    report = make_report(30, hostile=True)
    report["records"][0]["unpublish"] = True
    report["records"][0]["source"] = "a\x1b[2Jb.md"
    text = render_terminal_summary(report, color=True)
    assert "\x1b[31m" in text
    assert "\x1b[2J" not in text


def test_fail_on_comes_from_the_run_config():
    report = make_report(300)
    report["run"]["config"]["output"]["fail_on"] = ["timeout"]
    assert {fl.outcome for fl in all_failing_links(report)} == {"timeout"}
    del report["run"]["config"]["output"]
    assert fail_on(report) == {"broken", "unreachable", "tls_error", "invalid"}
