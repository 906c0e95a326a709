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


def test_junit_one_case_per_record_and_error_one_suite_per_folder():
    report = make_report(90, hostile=True)
    root = ET.fromstring(render_junit(report).encode())
    suites = root.findall("testsuite")
    cases = [c for suite in suites for c in suite.findall("testcase")]
    assert len(cases) == len(report["records"]) + len(report["errors"])
    folders = {r["source"].rsplit("/", 1)[0] for r in report["records"]}
    folders |= {e["source"].rsplit("/", 1)[0] for e in report["errors"]}
    assert {suite.get("name") for suite in suites} == folders
    for suite in suites:
        assert {c.get("classname") for c in suite.findall("testcase")} == {suite.get("name")}
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
    failed = {fl.record for fl in all_failing_links(report)}
    assert int(root.get("failures")) == len(failed) == sum(int(s.get("failures")) for s in suites)
    assert int(root.get("errors")) == 2
    case = next(c for c in cases if c.get("name") == HOSTILE_SOURCE)
    assert case.get("classname") == HOSTILE_SOURCE.rsplit("/", 1)[0]
    failure = case.find("failure")
    assert failure.get("message").startswith("originalUrl: unsafe scheme")
    assert failure.get("type") == "invalid"
    errors = [c for c in cases if c.find("error") is not None]
    assert errors[0].find("error").get("message") == "YAML error at line 3: bad indent"


def test_junit_warnings_are_skipped_cases_and_every_case_has_a_time():
    report = make_report(300)
    elapsed = {u["url"]: u["elapsed_ms"] for u in report["urls"]}
    fail = fail_on(report)
    outcome = {u["url"]: u["outcome"] for u in report["urls"]}
    root = ET.fromstring(render_junit(report).encode())
    cases = {c.get("name"): c for c in root.iter("testcase")}
    warned = 0
    for record in report["records"]:
        case = cases[record["source"]]
        urls = {lk["url"] for lk in record["links"]}
        assert float(case.get("time")) == round(sum(elapsed.get(u, 0) for u in urls) / 1000, 3)
        outcomes = {outcome.get(u, "invalid") for u in urls}
        trouble = outcomes & {"timeout", "rate_limited", "blocked", "server_error"}
        if outcomes & fail:
            assert case.find("failure") is not None
        elif trouble:
            skipped = case.find("skipped")
            assert skipped is not None and skipped.get("type") == "warning"
            assert any(o in skipped.get("message") for o in trouble)
            warned += 1
    assert warned > 5
    assert int(root.get("skipped")) >= warned
    assert float(root.get("time")) == report["run"]["duration_s"]


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
    failing = all_failing_links(report)
    errors = [r for r in results if r["level"] == "error" and r["ruleId"] != "unreadable_input"]
    assert len(errors) == len(failing)
    assert {r["ruleId"] for r in errors} <= fail_on(report)
    fl = failing[0]
    first = next(r for r in errors if fl.url in r["message"]["text"])
    assert first["locations"][0]["physicalLocation"]["region"]["startLine"] == fl.line
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["shortDescription"]["text"] and not rule["shortDescription"]["text"].startswith(
            "linkcheck finding"
        )
    hostile = [r for r in results if "evil" in json.dumps(r["locations"])]
    assert hostile and "%3C/script%3E" in json.dumps(hostile[0]["locations"])


def _sarif_report() -> dict:
    report = make_report(90)
    record = report["records"][0]
    link = record["links"][0]
    url = next(u for u in report["urls"] if u["url"] == link["url"])
    url["outcome"], url["issues"], url["error"] = "ok", ["soft_404"], None
    record["issues"] = [
        {"code": "mojibake", "field": "title", "message": "broken encoding", "line": 2},
        {"code": "missing_field", "field": "images[0]", "message": "no height", "line": 9},
    ]
    record["health"] = "warning"
    return report


def test_sarif_has_content_codes_and_each_issue_at_its_fields_line():
    report = _sarif_report()
    record, link = report["records"][0], report["records"][0]["links"][0]
    results = json.loads(render_sarif(report))["runs"][0]["results"]

    def at(result: dict) -> tuple[str, int]:
        physical = result["locations"][0]["physicalLocation"]
        return physical["artifactLocation"]["uri"], physical["region"]["startLine"]

    mine = [r for r in results if at(r)[0] == record["source"]]
    by_rule = {r["ruleId"]: r for r in mine}
    assert at(by_rule["mojibake"]) == (record["source"], 2)
    assert at(by_rule["missing_field"]) == (record["source"], 9)
    assert at(by_rule["soft_404"]) == (record["source"], link["line"])
    assert by_rule["soft_404"]["level"] == "warning"
    timeouts = [r for r in results if r["ruleId"] == "timeout"]
    assert timeouts and {r["level"] for r in timeouts} == {"warning"}  # fails nothing


def test_sarif_fingerprints_survive_moved_lines_and_name_their_finding():
    report = _sarif_report()
    before = json.loads(render_sarif(report))["runs"][0]["results"]
    for record in report["records"]:
        for link in record["links"]:
            link["line"] += 5
        for issue in record["issues"]:
            issue["line"] = (issue.get("line") or 1) + 5
    after = json.loads(render_sarif(report))["runs"][0]["results"]
    prints = [r["partialFingerprints"]["linkcheckFinding/v1"] for r in before]
    assert prints == [r["partialFingerprints"]["linkcheckFinding/v1"] for r in after]
    assert len(set(prints)) == len(prints)  # one per finding
    assert before[0]["locations"] != after[0]["locations"]


def test_sarif_uris_are_relative_to_srcroot(tmp_path):
    report = make_report(30, errors=0)
    records = report["records"]
    records[0]["source"] = "./_news/a.md"
    records[1]["source"] = str(tmp_path / "_news" / "b.md")
    records[2]["source"] = "/elsewhere/_news/c.md"
    for record in records[:3]:
        record["issues"] = [{"code": "mojibake", "field": "title", "message": "m", "line": 2}]
        record["health"] = "warning"
    log = json.loads(render_sarif(report, base=tmp_path))
    run = log["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.as_uri() + "/"}}
    seen = {
        json.dumps(r["locations"][0]["physicalLocation"]["artifactLocation"], sort_keys=True)
        for r in run["results"]
    }
    assert json.dumps({"uri": "_news/a.md", "uriBaseId": "%SRCROOT%"}, sort_keys=True) in seen
    assert json.dumps({"uri": "_news/b.md", "uriBaseId": "%SRCROOT%"}, sort_keys=True) in seen
    assert json.dumps({"uri": "file:///elsewhere/_news/c.md"}, sort_keys=True) in seen


def test_sarif_and_user_agent_point_at_this_projects_page():
    from linkcheck import PROJECT_URL
    from linkcheck.config import Config

    text = render_sarif(_sarif_report())
    assert "github.com/linkcheck" not in text
    driver = json.loads(text)["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == PROJECT_URL
    assert {r["helpUri"] for r in driver["rules"]} == {PROJECT_URL}
    assert PROJECT_URL in Config().user_agent


def test_annotations_escape_per_github_rules():
    assert escape_property("a:b,c%d\r\ne") == "a%3Ab%2Cc%25d%0D%0Ae"
    assert (
        command("error", "x\ny%", file="f,1:2", line=3) == "::error file=f%2C1%3A2,line=3::x%0Ay%25"
    )
    lines = github_annotations(make_report(60, hostile=True))
    for line in lines:
        assert "\n" not in line and "\r" not in line
        head, _, _message = line[2:].partition("::")
        assert head.split(" ")[0] in ("error", "warning", "notice")
        assert "::" not in head
    nasty = next(line for line in lines if "evil" in line)
    assert nasty.startswith("::error file=_news/evil</script><script>alert(2)</script>.md,line=3,")


def _kinds(lines: list[str]) -> list[str]:
    return [line[2:].split(" ", 1)[0].split("::", 1)[0] for line in lines]


def test_annotations_fit_githubs_limits_most_important_first():
    """GitHub shows 10 errors and 10 warnings a step: the 10 that matter most, then a notice."""
    report = make_report(3000)
    lines = github_annotations(report)
    kinds = _kinds(lines)
    assert kinds == ["error"] * 10 + ["warning"] * 10 + ["notice"]
    flagged = {r["source"] for r in report["records"] if r["unpublish"]}
    assert len(flagged) > 10
    assert all("title=linkcheck%3A flagged to unpublish" in line for line in lines[:10])
    assert {line.split("file=")[1].split(",")[0] for line in lines[:10]} <= flagged
    totals = lines[-1]
    failing = all_failing_links(report)
    records = {fl.record for fl in failing}
    assert f"{len(failing):,} failing links in {len(records):,} records" in totals
    assert f"{len(flagged):,} records flagged to unpublish" in totals
    assert "2 unreadable inputs" in totals and "job summary" in totals


def test_after_the_flagged_come_unreadable_inputs_then_the_most_failing_links():
    report = make_report(300)
    for record in report["records"]:
        record["unpublish"] = False
    report["summary"]["unpublish"] = 0
    lines = [line for line in github_annotations(report) if line.startswith("::error")]
    assert len(lines) == 10
    assert [("unreadable input" in line) for line in lines[:2]] == [True, True]
    counts = [int(line.split("title=linkcheck%3A ")[1].split(" ")[0]) for line in lines[2:]]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
    by_record: dict[str, int] = {}
    for fl in all_failing_links(report):
        by_record[fl.source] = by_record.get(fl.source, 0) + 1
    assert counts[0] == max(by_record.values())
    first = lines[2].split("file=")[1].split(",")[0]
    line_no = int(lines[2].split("line=")[1].split(",")[0])
    fl = next(f for f in all_failing_links(report) if f.source == first)
    assert line_no == fl.line  # at the first failing link's own line


def test_warnings_name_what_fails_nothing_yet_is_wrong():
    report = make_report(300)
    warnings = [line for line in github_annotations(report) if line.startswith("::warning")]
    assert warnings
    text = " ".join(warnings)
    assert any(o in text for o in ("timeout", "rate_limited", "server_error", "blocked"))


def test_no_problems_no_annotations():
    report = make_report(0, n_records=0, changes=False, errors=0)
    assert github_annotations(report) == []


def test_a_degraded_run_is_one_error():
    report = make_report(90)
    report["run"]["degraded"] = {"reason": "9 of 9 hosts", "failed_hosts": 9, "contacted_hosts": 9}
    (line,) = github_annotations(report)
    assert line.startswith("::error title=linkcheck%3A degraded run::Degraded run")


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
