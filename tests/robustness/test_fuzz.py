"""Fuzzing the readers: any bytes in, records or one-line errors out, never an exception.

- the record readers (every format), on arbitrary bytes and on valid records with bytes
  flipped, inserted or cut: a ``FileRead`` whose errors are one line each, and whose
  records go through the parse cache and come back equal;
- the report reader (``report`` and ``unpublish``), on arbitrary bytes and on a valid
  report with any part replaced by any JSON value: either a report every renderer and the
  unpublish planner can use, or one ``UsageError`` line;
- the schema checker the report reader uses, against jsonschema on those same reports.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from linkcheck.cli import load_report
from linkcheck.editing.unpublish import plan_unpublish
from linkcheck.errors import UsageError
from linkcheck.inputs.payload import checked_parse, pack_parse
from linkcheck.inputs.records import parse_bytes
from linkcheck.reports.github import github_annotations
from linkcheck.reports.html import render_html
from linkcheck.reports.junit import render_junit
from linkcheck.reports.markdown import render_markdown
from linkcheck.reports.sarif import render_sarif
from linkcheck.reports.schema import load_schema
from linkcheck.reports.shapecheck import ShapeError, check_report
from linkcheck.reports.terminal import render_terminal_summary
from tests.reportgen import make_report

SUFFIXES = [".md", ".html", ".yml", ".yaml", ".json", ".jsonl", ".ndjson"]
SEEDS = [
    b'---\ntitle: "A"\ndate: 2021-02-03\npublished: true\noriginalUrl: https://a.test/x\n'
    b"images:\n  - url: /logo.png\n    width: 50\n---\nBody <a href='https://b.test/'>b</a>\n",
    b"- title: a\n  originalUrl: https://a.test/\n- title: b\n  related:\n    - webUrl: x\n",
    b'{"page": 1, "value": [{"title": "a", "originalUrl": "https://a.test/"}, {"n": 1e5}]}',
    b'{"title": "a", "ampWebUrl": "https://a.test/amp"}\n{"title": "b"}\n',
    b"---\n---\ntitle: x\n--- !!binary aGk=\n---\nn: .nan\nd: 2001-12-14t21:59:43.10-05:00\n",
]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    """A seed record with a few bytes flipped, inserted or cut."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "insert", "cut"]))
        chunk = draw(st.binary(min_size=1, max_size=8))
        if action == "insert":
            data[at:at] = chunk
        elif action == "cut":
            del data[at : at + len(chunk)]
        elif at < len(data):
            data[at] = chunk[0]
    return bytes(data)


record_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**80), 2**80)
    | st.floats()
    | st.text(max_size=30)
    | st.dates().map(str),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=15,
)


@st.composite
def written_records(draw: st.DrawFn) -> tuple[str, bytes]:
    """Records of any values, written in one of the formats (any keys and text, huge and
    non-finite numbers, nesting)."""
    records = draw(
        st.lists(
            st.dictionaries(st.text(max_size=10), record_values, max_size=6), min_size=1, max_size=3
        )
    )
    suffix = draw(st.sampled_from(SUFFIXES))
    if suffix in (".json", ".jsonl", ".ndjson"):
        lines = [json.dumps(r, ensure_ascii=draw(st.booleans())) for r in records]
        text = "\n".join(lines) if suffix != ".json" else json.dumps(records)
    elif suffix in (".yml", ".yaml"):
        text = yaml.safe_dump(records, allow_unicode=draw(st.booleans()))
    else:
        text = "---\n" + yaml.safe_dump(records[0], allow_unicode=True) + "---\nbody\n"
    return suffix, text.encode("utf-8", "surrogatepass")


def assert_read_safely(suffix: str, data: bytes) -> None:
    read = parse_bytes(f"f{suffix}", data)  # must not raise
    for error in read.errors:
        assert "\n" not in error.message and error.message.strip()
    stored = pack_parse(read, {}, {})
    if read.skipped or not read.records:
        return
    assert not any("cannot keep" in e.message for e in stored.errors)
    back = checked_parse(stored.payload, read.source, read.digest)  # type: ignore[arg-type]
    assert back is not None
    from linkcheck.inputs.payload import unpack_parse

    again = unpack_parse(back.payload)[0]
    assert [_comparable(r.fields) for r in again.records] == [
        _comparable(r.fields) for r in read.records
    ]


def _comparable(value: Any) -> Any:
    """NaN is not equal to itself; compare its spelling instead."""
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


@FUZZ
@given(suffix=st.sampled_from(SUFFIXES), data=st.binary(max_size=2000))
def test_any_bytes_are_records_or_one_line_errors(suffix: str, data: bytes) -> None:
    assert_read_safely(suffix, data)


@FUZZ
@given(suffix=st.sampled_from(SUFFIXES), data=mangled())
def test_mangled_records_are_records_or_one_line_errors(suffix: str, data: bytes) -> None:
    assert_read_safely(suffix, data)


@FUZZ
@given(written=written_records())
def test_records_of_any_values_are_read_and_come_back_from_the_cache_equal(
    written: tuple[str, bytes],
) -> None:
    assert_read_safely(*written)


# ---------------------------------------------------------------- the report reader

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
BASE = make_report(12, hostile=True)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*prefix, i))
    return found


PATHS = _paths(BASE)


def _like(value: Any) -> st.SearchStrategy[Any]:
    """Values of the same JSON kind as ``value``: most still fit the schema, and reach the
    renderers with odd text, numbers and lengths."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(0, 2**63)
    if isinstance(value, float):
        return st.floats(0, 1e12)
    if isinstance(value, str):
        return st.text(max_size=40) | st.sampled_from(["", "\x1b[2J", "</script>", "%0A::x"])
    if isinstance(value, list):
        return st.lists(st.sampled_from(value), max_size=len(value) + 2) if value else st.just([])
    return json_values


@st.composite
def mutated_reports(draw: st.DrawFn) -> dict:
    """The generated report with one to three parts replaced by a value of the same kind, by
    any JSON value, or removed."""
    report = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS[1:]))
        parent: Any = report
        try:
            for step in path[:-1]:
                parent = parent[step]
            how = draw(st.sampled_from(["like", "like", "any", "drop"]))
            if how == "drop" and isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif how == "like":
                parent[path[-1]] = draw(_like(parent[path[-1]]))
            else:
                parent[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the way there
    return report


def read_report(data: bytes) -> dict | None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.json"
        path.write_bytes(data)
        try:
            return load_report(str(path))
        except UsageError as exc:
            assert "\n" not in str(exc) and str(exc).startswith(str(path))
            return None


def use_everywhere(report: dict) -> None:
    """Everything `report` and `unpublish` do with a report they accepted."""
    for render in (render_html, render_junit, render_sarif, render_terminal_summary):
        render(report)
    render_markdown(report, max_rows=5)
    github_annotations(report)
    with tempfile.TemporaryDirectory() as folder:
        plan_unpublish(report, folder)


@FUZZ
@given(data=st.binary(max_size=500))
def test_any_bytes_given_as_a_report_are_one_line(data: bytes) -> None:
    read_report(data)  # a report, or one UsageError line (checked there): nothing else


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report=mutated_reports())
def test_a_report_of_any_shape_is_refused_in_one_line_or_used_safely(report: dict) -> None:
    accepted = read_report(json.dumps(report).encode())
    if accepted is not None:
        use_everywhere(accepted)


VALIDATOR = Draft202012Validator(load_schema())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report=mutated_reports())
def test_the_schema_checker_agrees_with_jsonschema(report: dict) -> None:
    try:
        check_report(report)
        mine = True
    except ShapeError:
        mine = False
    assert mine == VALIDATOR.is_valid(report)


def test_the_schema_checker_accepts_the_generated_reports() -> None:
    check_report(BASE)
    check_report(make_report(200))


@pytest.mark.parametrize("deep", [10, 300, 100_000])
def test_deep_json_is_one_line(deep: int) -> None:
    assert read_report(b"[" * deep + b"]" * deep) is None
