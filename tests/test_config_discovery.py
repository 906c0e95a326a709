"""Which config file a run reads when none is named: a site's own config.yaml never stops it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkcheck.cli import main

HUGO = "baseURL: https://example.org/\ntitle: My site\ntheme: ananke\nparams:\n  x: 1\n"


def _run(folder: Path, capsys: pytest.CaptureFixture, *flags: str) -> tuple[int, str, dict]:
    """``linkcheck check`` over an empty records folder, from ``folder``: which output.dir and
    http.per_host the run used tells which config it read."""
    (folder / "records").mkdir(exist_ok=True)
    code = main(["check", "records", "--progress", "never", *flags])
    err = capsys.readouterr().err
    reports = sorted(folder.glob("*/report.json"))
    assert len(reports) == 1, reports
    return code, err, json.loads(reports[0].read_text())["run"]["config"]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_hugo_config_yaml_is_passed_over_without_a_word(site: Path, capsys) -> None:
    (site / "config.yaml").write_text(HUGO)
    code, err, config = _run(site, capsys)
    assert code == 0
    assert config["output"]["dir"] == "reports"
    assert err == ""


def test_a_linkcheck_config_yaml_is_read_and_said_so(site: Path, capsys) -> None:
    (site / "config.yaml").write_text("output:\n  dir: mine\nhttp:\n  per_host: 2\n")
    code, err, config = _run(site, capsys)
    assert code == 0
    assert (config["output"]["dir"], config["http"]["per_host"]) == ("mine", 2)
    assert err == (
        "linkcheck: reading config.yaml as linkcheck's config "
        "(linkcheck.yaml is the clearer name)\n"
    )


@pytest.mark.parametrize("name", ["linkcheck.yaml", ".linkcheck.yaml"])
def test_linkcheck_yaml_comes_first_and_quietly(site: Path, capsys, name: str) -> None:
    (site / "config.yaml").write_text("output:\n  dir: wrong\n")
    (site / name).write_text("output:\n  dir: right\n")
    _, err, config = _run(site, capsys)
    assert config["output"]["dir"] == "right"
    assert err == ""


def test_a_mixed_config_yaml_is_not_read_and_the_line_names_the_strangers(
    site: Path, capsys
) -> None:
    (site / "config.yaml").write_text("output:\n  dir: mine\nbaseURL: https://x.org\n")
    code, err, config = _run(site, capsys)
    assert code == 0 and config["output"]["dir"] == "reports"
    assert err.count("\n") == 1
    assert "ignoring config.yaml: its key baseURL is not a linkcheck section" in err


def test_a_config_yaml_that_is_not_yaml_does_not_stop_the_run(site: Path, capsys) -> None:
    (site / "config.yaml").write_text("title: [unclosed\n")
    code, err, _ = _run(site, capsys)
    assert code == 0
    assert "ignoring config.yaml: not readable YAML" in err


def test_a_config_named_on_the_command_line_is_read_strictly(site: Path, capsys) -> None:
    (site / "config.yaml").write_text(HUGO)
    assert main(["--config", "config.yaml", "check", "records"]) == 2
    assert "unknown config key" in capsys.readouterr().err
