"""One issue for the records flagged to unpublish: opened once, updated, closed when clean."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from linkcheck.ci import action
from linkcheck.ci.github import ISSUE_MARKER
from linkcheck.ci.issue import GhTracker, IssueError, RunState, sync_issue, with_links

FAKE_GH = Path(__file__).with_name("fake_gh.py")
BODY = f"{ISSUE_MARKER}\n**2 published records are flagged to unpublish:**\n"


class FakeTracker:
    def __init__(self, open_issue: int | None = None) -> None:
        self.open_issue = open_issue
        self.calls: list[tuple] = []

    def find_open(self, label: str, marker: str) -> int | None:
        self.calls.append(("find", label, marker))
        return self.open_issue

    def create(self, title: str, body: str, label: str) -> int:
        self.calls.append(("create", title, body, label))
        return 7

    def update(self, number: int, body: str) -> None:
        self.calls.append(("update", number, body))

    def close(self, number: int, comment: str) -> None:
        self.calls.append(("close", number, comment))


@pytest.mark.parametrize(
    ("open_issue", "state", "said", "last_call"),
    [
        (None, RunState(2, True), "opened issue #7", ("create", "T", BODY, "L")),
        (3, RunState(2, True), "updated issue #3", ("update", 3, BODY)),
        (3, RunState(0, True), "closed issue #3", "close"),
        (None, RunState(0, True), "no issue: nothing is flagged", "find"),
    ],
)
def test_sync_keeps_one_issue(open_issue, state, said, last_call) -> None:
    tracker = FakeTracker(open_issue)
    assert sync_issue(tracker, state, BODY, "T", "L") == said
    assert tracker.calls[-1] == last_call or tracker.calls[-1][0] == last_call


def test_a_run_that_cannot_be_trusted_leaves_the_issue_alone() -> None:
    """A degraded run flags nothing because the network was down, not because all is well."""
    tracker = FakeTracker(3)
    said = sync_issue(tracker, RunState(0, False), "", "T", "L")
    assert said.startswith("issue left as it is")
    assert tracker.calls == []


def test_the_closing_comment_links_the_run() -> None:
    tracker = FakeTracker(3)
    body = with_links(f"{ISSUE_MARKER}\nNo record is flagged.\n", "https://run", "https://art")
    sync_issue(tracker, RunState(0, True), body, "T", "L")
    assert tracker.calls[-1] == (
        "close",
        3,
        "No record is flagged to unpublish any more. [Workflow run](https://run) · "
        "[Reports](https://art)",
    )


# ---------------------------------------------------------------- through a fake gh


@pytest.fixture
def gh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An executable ``gh`` on PATH backed by fake_gh.py; returns its state file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "gh"
    script.write_text(f"#!{sys.executable}\nimport runpy, sys\n"
                      f"runpy.run_path({str(FAKE_GH)!r}, run_name='__main__')\n")  # fmt: skip
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    state = tmp_path / "gh-state.json"
    monkeypatch.setenv("FAKE_GH_STATE", str(state))
    return state


def _finish(tmp_path: Path, flagged: int, body: str, **more: str) -> dict[str, str]:
    issue_body = tmp_path / "issue.md"
    issue_body.write_text(body)
    env = {
        "INPUT_ISSUE": "true",
        "INPUT_ISSUE_LABEL": "linkcheck",
        "INPUT_ISSUE_TITLE": "Records flagged to unpublish",
        "LINKCHECK_ISSUE_BODY": str(issue_body),
        "LINKCHECK_EXIT_CODE": "1" if flagged else "0",
        "LINKCHECK_FLAGGED": str(flagged),
        "LINKCHECK_DEGRADED": "false",
        "LINKCHECK_COMPLETE": "true",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "owner/site",
        "GITHUB_RUN_ID": "42",
        **more,
    }
    assert action.main(["finish"], env) == 0
    return env


def _state(path: Path) -> dict:
    return json.loads(path.read_text())


def test_three_nights_open_update_and_close_one_issue(tmp_path: Path, gh: Path) -> None:
    _finish(tmp_path, 2, BODY)
    (issue,) = _state(gh)["issues"]
    assert issue["labels"] == ["linkcheck"] and issue["state"] == "open"
    assert issue["body"].startswith(BODY)
    assert issue["body"].endswith("[Workflow run](https://github.com/owner/site/actions/runs/42)\n")

    _finish(tmp_path, 1, BODY.replace("2 published records are", "1 published record is"))
    (issue,) = _state(gh)["issues"]
    assert "1 published record is" in issue["body"]

    _finish(tmp_path, 0, f"{ISSUE_MARKER}\nNo record is flagged to unpublish.\n")
    (issue,) = _state(gh)["issues"]
    assert issue["state"] == "closed" and "No record is flagged" in issue["comments"][0]
    calls = [call[:2] for call in _state(gh)["calls"]]
    assert calls.count(["issue", "create"]) == 1
    assert all("--repo" in call for call in _state(gh)["calls"])


def test_an_issue_of_someone_else_with_the_label_is_left_alone(tmp_path: Path, gh: Path) -> None:
    gh.write_text(json.dumps({
        "labels": ["linkcheck"],
        "issues": [{"number": 1, "title": "x", "body": "Please fix the footer", "comments": [],
                    "labels": ["linkcheck"], "state": "open"}],
    }))  # fmt: skip
    _finish(tmp_path, 2, BODY)
    first, mine = _state(gh)["issues"]
    assert first["body"] == "Please fix the footer"
    assert mine["number"] == 2 and mine["body"].startswith(BODY)


def test_a_degraded_night_does_not_close_the_issue(tmp_path: Path, gh: Path) -> None:
    _finish(tmp_path, 2, BODY)
    _finish(tmp_path, 0, BODY, LINKCHECK_DEGRADED="true", LINKCHECK_EXIT_CODE="3")
    (issue,) = _state(gh)["issues"]
    assert issue["state"] == "open"


def test_gh_refusing_is_one_error_line_and_a_failed_step(
    tmp_path: Path, gh: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("FAKE_GH_FAIL", "issue list")
    issue_body = tmp_path / "issue.md"
    issue_body.write_text(BODY)
    env = {"INPUT_ISSUE": "true", "LINKCHECK_ISSUE_BODY": str(issue_body),
           "LINKCHECK_EXIT_CODE": "1", "LINKCHECK_FLAGGED": "2",
           "LINKCHECK_DEGRADED": "false", "LINKCHECK_COMPLETE": "true"}  # fmt: skip
    assert action.main(["finish"], env) == 2
    out = capsys.readouterr().out
    assert out.startswith("::error title=linkcheck action::gh issue list: HTTP 403")
    assert out.count("\n") == 1


def test_gh_missing_is_an_issue_error(tmp_path: Path) -> None:
    with pytest.raises(IssueError, match="gh issue list"):
        GhTracker(gh=str(tmp_path / "no-gh")).find_open("linkcheck", ISSUE_MARKER)
