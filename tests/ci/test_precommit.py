"""`linkcheck lint`: the pre-commit check of records, offline, with a line per problem."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from linkcheck.cli import main
from linkcheck.inputs.records import RECORD_SUFFIXES

ROOT = Path(__file__).resolve().parent.parent.parent

GOOD = """---
title: "Good"
type: article
published: true
originalUrl: "https://example.org/a"
webUrl: "https://site.example/a"
images:
  - url: "https://example.org/a.jpg"
    width: 10
    height: 20
---
Body.
"""

BAD = """---
title: "Bad"
type: article
published: true
webUrl: "javascript:alert(1)"
images:
  - url: "ftp://example.org/a.jpg"
    width: 10
related:
  - title: "the nationâ€™s news"
    originalUrl: "https://"
---
"""


def _lint(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, list[str]]:
    code = main(["lint", *argv])
    return code, capsys.readouterr().out.splitlines()


def test_a_good_record_passes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "good.md").write_text(GOOD)
    code, out = _lint(capsys, str(tmp_path / "good.md"))
    assert code == 0
    assert out == ["linkcheck lint: 1 record in 1 file: no problems"]


def test_each_problem_is_a_line_at_its_fields_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text(BAD)
    code, out = _lint(capsys, str(bad))
    assert code == 1
    assert out[:-1] == [
        f"{bad}:1: missing_field originalUrl: a published article needs originalUrl",
        f"{bad}:5: invalid_url webUrl: unsafe scheme javascript:",
        f"{bad}:7: invalid_url images[0].url: unsupported scheme ftp: "
        "(only http and https are checked)",
        f"{bad}:7: missing_field images[0]: image without height",
        f"{bad}:10: mojibake related[0].title: broken encoding: "
        '"nationâ€™s" should read "nation’s"',
        f"{bad}:11: invalid_url related[0].originalUrl: no host",
    ]
    assert out[-1] == "linkcheck lint: 6 problems in 1 of 1 file (1 record)"


def test_unparsable_files_are_problems_and_other_files_are_passed_over(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "broken.yml").write_text("title: [unclosed\n")
    (tmp_path / "README.md").write_text("# Not a record\n")
    (tmp_path / "tool.py").write_text("print(1)\n")
    (tmp_path / "good.md").write_text(GOOD)
    code, out = _lint(capsys, str(tmp_path))
    assert code == 1
    assert len(out) == 2
    assert re.match(rf"{re.escape(str(tmp_path))}/broken.yml:\d+: unreadable: YAML error", out[0])


def test_the_content_switches_apply(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "bad.md").write_text(BAD)
    code, out = _lint(capsys, str(tmp_path), "--no-content-missing-field", "--no-content-mojibake")
    assert code == 1
    assert all("invalid_url" in line for line in out[:-1]) and len(out) == 4


def test_site_relative_links_resolve_against_the_sites_config(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "_config.yml").write_text("url: https://site.example\n")
    (tmp_path / "_news").mkdir()
    (tmp_path / "_news" / "a.md").write_text(GOOD.replace("https://example.org/a.jpg", "/a.jpg"))
    code, _ = _lint(capsys, str(tmp_path / "_news" / "a.md"))
    assert code == 0


def test_lint_never_loads_the_network_stack(tmp_path: Path) -> None:
    """Fast and offline by construction: aiohttp is not even imported."""
    (tmp_path / "good.md").write_text(GOOD)
    script = (
        "import sys; from linkcheck.cli import main; code = main(['lint', sys.argv[1]]); "
        "print(code, 'aiohttp' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.splitlines()[-1] == "0 False"


def test_the_pre_commit_hook_runs_lint_on_record_files() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["entry"] == "linkcheck lint"
    assert hook["language"] == "python"
    files = re.compile(hook["files"])
    for suffix in RECORD_SUFFIXES:
        assert files.search(f"_news/a{suffix}"), suffix
    assert not files.search("tool.py")
    for passed_over in ("site/_config.yml", "linkcheck.yaml", ".github/workflows/a.yml"):
        assert re.search(hook["exclude"], passed_over), passed_over
    assert not re.search(hook["exclude"], "_news/github.yml")
