"""action.yml and the examples agree with the script, with each other and with linkcheck.

The action cannot run here (it needs GitHub's runners), so what can be checked without
them is checked: every input used is declared, every step output read is one a step
writes, the cache saves under the key it restores from, and the examples use real inputs.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from linkcheck.ci import action
from linkcheck.ci.github import step_outputs
from linkcheck.reports.source import as_report

ROOT = Path(__file__).resolve().parent.parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS = ACTION["runs"]["steps"]
ACTION_TEXT = (ROOT / "action.yml").read_text()
SCRIPT_TEXT = Path(action.__file__).read_text()


def _step(step_id: str) -> dict:
    (found,) = [s for s in STEPS if s.get("id") == step_id]
    return found


def _run_outputs() -> set[str]:
    report = as_report({"summary": {}, "run": {}, "errors": []})
    return {*step_outputs(report, 0, Path(".")), "exit-code"}


def test_every_input_used_is_declared() -> None:
    used = set(re.findall(r"inputs\.([a-z0-9-]+)", ACTION_TEXT))
    assert used == set(ACTION["inputs"])


def test_every_step_output_read_is_written() -> None:
    written = {
        "install": {"python"},
        "prepare": {"history-dir"},
        "run": _run_outputs(),
        "upload": {"artifact-url"},  # actions/upload-artifact@v4
        "finish": {"issue"},
    }
    for step_id, name in re.findall(r"steps\.([a-z]+)\.outputs\.([a-z-]+)", ACTION_TEXT):
        assert name in written[step_id], f"steps.{step_id}.outputs.{name}"
    declared = {n: o["value"] for n, o in ACTION["outputs"].items()}
    assert {n for n, v in declared.items() if "steps.run." in v} == _run_outputs()


def test_the_script_reads_the_variables_the_action_passes() -> None:
    passed = {
        name
        for step in STEPS
        for name in step.get("env") or {}
        if name.startswith(("INPUT_", "LINKCHECK_")) and name != "LINKCHECK_PYTHON"
    }
    read = set(re.findall(r'"((?:INPUT|LINKCHECK)_[A-Z_]+)"', SCRIPT_TEXT))
    assert read == passed
    for step in STEPS:
        if "linkcheck.ci.action" in step.get("run", ""):
            assert shlex.split(step["run"])[-1] in action.STEPS


def test_each_run_saves_the_history_under_a_new_key_the_next_one_restores() -> None:
    restore = next(s for s in STEPS if s.get("uses", "").startswith("actions/cache/restore@"))
    save = next(s for s in STEPS if s.get("uses", "").startswith("actions/cache/save@"))
    assert restore["with"]["key"] == save["with"]["key"]
    assert "github.run_id" in save["with"]["key"] and "github.run_attempt" in save["with"]["key"]
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])
    assert (
        restore["with"]["path"]
        == save["with"]["path"]
        == "${{ steps.prepare.outputs.history-dir }}"
    )
    assert save["if"].startswith("always()")  # failing links must not lose the night's history
    upload = _step("upload")
    assert upload["if"].startswith("always()")
    assert upload["with"]["path"] == "${{ inputs.output-dir }}"


def test_defaults_agree_with_the_script() -> None:
    inputs = ACTION["inputs"]
    assert inputs["history-path"]["default"] == action.history_path({})
    argv = action.check_argv({"INPUT_PATHS": "x"})
    assert argv[argv.index("--output-dir") + 1] == inputs["output-dir"]["default"]


def test_the_nightly_example_uses_real_inputs() -> None:
    workflow = yaml.safe_load((ROOT / "examples" / "nightly.yml").read_text())
    steps = workflow["jobs"]["linkcheck"]["steps"]
    (uses,) = [s for s in steps if "linkcheck@" in s.get("uses", "")]
    assert set(uses["with"]) <= set(ACTION["inputs"])
    required = {n for n, i in ACTION["inputs"].items() if i.get("required")}
    assert required <= set(uses["with"])
    assert workflow["permissions"]["issues"] == "write"
    assert workflow["concurrency"]["cancel-in-progress"] is False
    text = (ROOT / "examples" / "nightly.yml").read_text()
    for name in re.findall(r"steps\.linkcheck\.outputs\.([a-z-]+)", text):
        assert name in ACTION["outputs"]


def test_the_gitlab_example_caches_the_history_and_reports_junit() -> None:
    job = yaml.safe_load((ROOT / "examples" / "gitlab-ci.yml").read_text())["linkcheck"]
    script = shlex.split(" ".join(job["script"]))
    out = script[script.index("--output-dir") + 1]
    history = script[script.index("--history") + 1]
    assert "junit" in script[script.index("--formats") + 1].split(",")
    assert job["artifacts"]["reports"]["junit"] == f"{out}/junit.xml"
    assert job["artifacts"]["when"] == "always"
    (cache,) = job["cache"]
    assert cache["paths"] == [str(Path(history).parent) + "/"]
    assert cache["when"] == "always"
