"""The action's script with a faked GitHub Actions environment: outputs, summary, issue body."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp import web

from linkcheck.ci import action
from linkcheck.ci.github import ISSUE_MARKER
from linkcheck.errors import UsageError
from tests.localweb import Host, local_web


@pytest.fixture(scope="module")
def site() -> Host:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><title>Story</title>", content_type="text/html")

    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=410, text="Gone")

    app = web.Application()
    app.router.add_get("/ok", page)
    app.router.add_get("/gone", gone)
    with local_web() as lw:
        yield lw.serve(app, "127.0.0.23")


def read_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT as GitHub reads it: name=value lines and name<<DELIMITER blocks."""
    found: dict[str, str] = {}
    lines = iter(path.read_text().splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delimiter = line.split("<<", 1)
            value = []
            for more in lines:
                if more == delimiter:
                    break
                value.append(more)
            found[name] = "\n".join(value)
        else:
            name, _, value = line.partition("=")
            found[name] = value
    return found


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A GitHub Actions job's environment: the files GitHub names, in a temp folder."""
    files = {
        "GITHUB_OUTPUT": tmp_path / "gh" / "output",
        "GITHUB_STEP_SUMMARY": tmp_path / "gh" / "summary.md",
        "LINKCHECK_ISSUE_BODY": tmp_path / "gh" / "issue.md",
    }
    files["GITHUB_OUTPUT"].parent.mkdir()
    for name, path in files.items():
        monkeypatch.setenv(name, str(path))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.chdir(tmp_path)
    return files


def write_records(folder: Path, site: Host) -> None:
    folder.mkdir()
    (folder / "alive.md").write_text(
        f"---\ntitle: Alive\npublished: true\noriginalUrl: {site.url('/ok')}\n---\n"
    )
    (folder / "dead.md").write_text(
        f"---\ntitle: 'Dead | gone'\npublished: true\noriginalUrl: {site.url('/gone')}\n---\n"
    )


def test_the_run_step_sets_outputs_summary_annotations_and_the_issue_body(
    site: Host,
    tmp_path: Path,
    github: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    write_records(tmp_path / "_news", site)
    monkeypatch.setenv("INPUT_PATHS", "_news")
    monkeypatch.setenv("INPUT_ARGS", "--retry-max-attempts 1")
    monkeypatch.setenv("INPUT_FORMATS", "json,html,markdown,junit")
    assert action.main(["run"]) == 0  # the job's last step decides on failing
    outputs = read_outputs(github["GITHUB_OUTPUT"])
    assert outputs == {
        "records": "2",
        "links": "2",
        "unique-urls": "2",
        "requests": "2",
        "failing": "1",
        "flagged": "1",
        "unreadable": "0",
        "degraded": "false",
        "complete": "true",
        "report-dir": str(tmp_path / "linkcheck-reports"),
        "exit-code": "1",
    }
    reports = tmp_path / "linkcheck-reports"
    assert {p.name for p in reports.iterdir()} >= {"report.json", "report.html", "junit.xml"}
    # The history is where the cache step looks for it.
    assert (tmp_path / ".linkcheck" / "history.sqlite").is_file()
    assert "dead.md" in github["GITHUB_STEP_SUMMARY"].read_text()
    assert "::error file=_news/dead.md" in capsys.readouterr().out
    body = github["LINKCHECK_ISSUE_BODY"].read_text()
    assert body.startswith(ISSUE_MARKER)
    assert "**1 published record is flagged to unpublish:**" in body
    (row,) = [line for line in body.splitlines() if "dead.md" in line]
    assert "Dead \\| gone" in row and site.url("/gone") in row and "410" in row
    assert "alive.md" not in body


def test_a_run_that_cannot_start_still_says_its_exit_code(
    tmp_path: Path, github: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INPUT_PATHS", "_news")
    monkeypatch.setenv("INPUT_ARGS", "--per-host none")
    assert action.main(["run"]) == 0
    assert read_outputs(github["GITHUB_OUTPUT"]) == {"exit-code": "2"}
    assert not github["LINKCHECK_ISSUE_BODY"].exists()


def test_inputs_become_the_command_line() -> None:
    env = {
        "INPUT_PATHS": "_news 'my site/_learning'\n_people",
        "INPUT_ARGS": "--per-host 2 --exclude '^https://x'",
        "INPUT_CONFIG": "ci/linkcheck.yaml",
        "INPUT_FORMATS": "json,sarif",
        "INPUT_OUTPUT_DIR": "out",
        "INPUT_HISTORY_PATH": "state/h.sqlite",
    }
    assert action.check_argv(env) == [
        "--config", "ci/linkcheck.yaml",
        "check", "_news", "my site/_learning", "_people", "--progress", "never",
        "--output-dir", "out", "--history", "state/h.sqlite", "--formats", "json,sarif",
        "--per-host", "2", "--exclude", "^https://x",
    ]  # fmt: skip
    with pytest.raises(UsageError, match="paths input is empty"):
        action.check_argv({"INPUT_PATHS": " \n"})


@pytest.mark.parametrize(
    ("history", "folder"),
    [("", ".linkcheck"), (".linkcheck/history.sqlite", ".linkcheck"), ("a/b/h.db", "a/b")],
)
def test_prepare_names_the_folder_the_cache_keeps(
    tmp_path: Path, history: str, folder: str
) -> None:
    out = tmp_path / "output"
    assert action.main(["prepare"], {"GITHUB_OUTPUT": str(out), "INPUT_HISTORY_PATH": history}) == 0
    assert read_outputs(out) == {"history-dir": folder}


@pytest.mark.parametrize("history", ["history.sqlite", "./h.sqlite", "/h.sqlite"])
def test_prepare_refuses_to_cache_the_checkout(
    tmp_path: Path, history: str, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "output"
    assert action.main(["prepare"], {"GITHUB_OUTPUT": str(out), "INPUT_HISTORY_PATH": history}) == 2
    assert capsys.readouterr().out.startswith("::error title=linkcheck action::history-path")
    assert not out.exists()


def test_finish_links_the_artifact_in_the_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("## Link report\n")
    env = {"GITHUB_STEP_SUMMARY": str(summary), "LINKCHECK_ARTIFACT_URL": "https://a.example/1"}
    assert action.main(["finish"], env) == 0
    assert summary.read_text().endswith(
        "\n[HTML and JSON reports](https://a.example/1) (artifact)\n"
    )


def test_outputs_with_line_breaks_cannot_set_other_outputs() -> None:
    from linkcheck.ci.github import output_text

    text = output_text({"report-dir": "a\nflagged=0"})
    name, delimiter = text.splitlines()[0].split("<<")
    assert name == "report-dir" and text.splitlines()[1:] == ["a", "flagged=0", delimiter]
    assert json.dumps(text).count(delimiter) == 2
