"""Packaging: a free distribution name, ``python -m linkcheck``, and what a plain install can do."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from linkcheck import DIST_NAME, PROJECT_URL, __version__
from linkcheck.config import Config

ROOT = Path(__file__).resolve().parent.parent


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_the_distribution_is_not_called_linkcheck_but_the_command_is() -> None:
    """ "linkcheck" is another project's name on PyPI; installing ours must not fetch it."""
    project = _project()
    assert project["name"] == DIST_NAME != "linkcheck"
    assert project["scripts"] == {"linkcheck": "linkcheck.cli:main"}


def test_report_validation_needs_no_extra() -> None:
    """``validate_report`` is public: a plain install has jsonschema."""
    names = [dep.split(">")[0].split("=")[0].strip() for dep in _project()["dependencies"]]
    assert "jsonschema" in names


def test_python_dash_m_runs_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "linkcheck", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"linkcheck {__version__}"


def test_the_user_agent_points_at_this_projects_page() -> None:
    assert Config().user_agent == f"linkcheck/{__version__} (+{PROJECT_URL})"
    assert DIST_NAME in PROJECT_URL
