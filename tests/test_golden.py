"""The golden reports: the demo's two runs give the same report.json as the gold files.

The demo's web and records are fixed, so what its reports say changes only when linkcheck's
verdicts or the report's shape change. Times, ports, paths and versions are scrubbed. A
change that is meant updates the gold files: ``LINKCHECK_UPDATE_GOLDEN=1 pytest
tests/test_golden.py``, and the diff is reviewed like code.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from linkcheck.cli import main

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
# Keys whose values move with the clock, the machine or the version.
_VOLATILE = {
    "generated_at",
    "started_at",
    "finished_at",
    "duration_s",
    "elapsed_ms",
    "checked_at",
    "version",
    "age_s",
    "paused_s",
    "date",
    "unpublish_since",
    "since",
    "previous_run",
    "sha256",
    "last_modified",
    "expires",
}
_PORT = re.compile(r"(127\.0\.0\.[12]):\d+")
# A day or a time of day in a message ("... since 2026-12-01").
_WHEN = re.compile(r"\bsince \d{4}-\d\d-\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z")


def scrub(value: Any, out: str) -> Any:
    if isinstance(value, dict):
        return {k: "<scrubbed>" if k in _VOLATILE else scrub(v, out) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, out) for v in value]
    if isinstance(value, str):
        return _WHEN.sub("<when>", _PORT.sub(r"\1:PORT", value.replace(out, "<out>")))
    return value


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("golden")
    found = []
    for _ in range(2):
        assert main(["demo", "-o", str(out)]) == 0
        report = json.loads((out / "report.json").read_text("utf-8"))
        found.append(scrub(report, str(out)))
    return found


@pytest.mark.parametrize("run", [0, 1], ids=["first-run", "second-run"])
def test_demo_report_matches_the_gold_file(reports: list[dict[str, Any]], run: int) -> None:
    gold = GOLDEN / f"demo-run-{run + 1}.json"
    got = reports[run]
    if os.environ.get("LINKCHECK_UPDATE_GOLDEN"):
        gold.parent.mkdir(parents=True, exist_ok=True)
        gold.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", "utf-8")
    assert got == json.loads(gold.read_text("utf-8"))
