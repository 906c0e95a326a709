"""The shipped JSON Schema accepts contract-shaped reports and names what is wrong."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from linkcheck.reports.schema import ReportSchemaError, load_schema, validate_report
from tests.reportgen import make_report

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "contract" / "report-json.md"


def test_schema_is_valid_draft_2020_12():
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_schema_ships_as_package_data():
    import linkcheck.reports.schema

    path = Path(linkcheck.reports.schema.__file__).with_name("report.schema.json")
    assert json.loads(path.read_text("utf-8")) == load_schema()


@pytest.mark.parametrize("n_urls", [1, 50, 2000])
@pytest.mark.parametrize("hostile", [False, True])
def test_generated_reports_follow_the_schema(n_urls, hostile):
    validate_report(make_report(n_urls, hostile=hostile))


def test_minimal_contract_example_validates():
    """The contract's example, with only the fields it shows, is a valid report."""
    report = make_report(3, changes=False, errors=0)
    for url in report["urls"]:
        for extra in ("failure", "requests", "content_length", "image_size", "checked_at"):
            del url[extra]
    for record in report["records"]:
        for extra in ("record", "line", "unpublish_since", "archive_url"):
            del record[extra]
        for link in record["links"]:
            del link["line"]
    for extra in ("errors", "skipped_files", "by_health", "from_cache"):
        del report["summary"][extra]
    del report["complete"], report["changes"]
    validate_report(report)


def test_additive_fields_are_allowed():
    report = make_report(5)
    report["new_top_level"] = {"x": 1}
    report["urls"][0]["new_field"] = True
    report["records"][0]["links"][0]["raw"] = "x"
    report["summary"]["new_count"] = 3
    validate_report(report)


def _broken(mutate) -> str:
    report = make_report(5, hostile=True)
    mutate(report)
    with pytest.raises(ReportSchemaError) as info:
        validate_report(report)
    return str(info.value)


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda r: r.update(schema="linkcheck-report/2"), "$.schema"),
        (lambda r: r["urls"][0].update(outcome="dead"), "$.urls[0].outcome"),
        (lambda r: r["records"][0].update(health="sick"), "$.records[0].health"),
        (lambda r: r["records"][0]["links"][0].update(role="hero"), "$.records[0].links[0].role"),
        (lambda r: r["records"][0]["links"][0].update(line="6"), "$.records[0].links[0].line"),
        (lambda r: r["urls"][1].pop("final_url"), "$.urls[1]"),
        (lambda r: r["summary"]["by_outcome"].update(gone=1), "$.summary.by_outcome"),
        (
            lambda r: r["records"][0]["issues"].append(
                {"code": "Bad-Code", "field": None, "message": "x"}
            ),
            "$.records[0].issues",
        ),
        (lambda r: r["urls"][0].update(failure="cosmic_rays"), "$.urls[0].failure"),
        (lambda r: r.update(generated_at="yesterday"), "$.generated_at"),
        (lambda r: r["changes"].update(still_broken=[{"url": "x"}]), "$.changes"),
        (lambda r: r["urls"][0].update(image_size=[1]), "$.urls[0].image_size"),
        (lambda r: r["summary"].update(by_health={"ok": 1}), "$.summary.by_health"),
        (lambda r: r.pop("errors"), "'errors' is a required property"),
    ],
)
def test_contract_violations_are_named(mutate, where):
    assert where in _broken(mutate)


def test_line_may_be_null():
    report = make_report(5)
    report["records"][0]["links"][0]["line"] = None
    validate_report(report)


def test_error_message_is_capped():
    report = make_report(100)
    for url in report["urls"]:
        url["outcome"] = "dead"
    with pytest.raises(ReportSchemaError) as info:
        validate_report(report, max_errors=5)
    text = str(info.value)
    assert text.count("\n") == 6 and "and 95 more" in text


def test_schema_closed_sets_match_the_contract_text():
    """Each outcome and role named in the contract is in the schema's enums, and no other."""
    schema = load_schema()["$defs"]
    from linkcheck.model import Outcome, Role

    assert set(schema["outcome"]["enum"]) == {o.value for o in Outcome}
    assert set(schema["role"]["enum"]) == {r.value for r in Role}
    if CONTRACT.is_file():
        text = CONTRACT.read_text("utf-8")
        for outcome in schema["outcome"]["enum"]:
            assert f"| `{outcome}` |" in text


def test_validate_does_not_mutate():
    report = make_report(10)
    before = copy.deepcopy(report)
    validate_report(report)
    assert report == before
