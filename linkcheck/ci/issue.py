"""One GitHub issue that lists the records flagged to unpublish: opened, kept up to date, closed.

The nightly job should not open an issue a night. The issue is found among the open issues
that carry the label by the marker its body starts with (``github.ISSUE_MARKER``); its
body is replaced each night; it is closed, with a comment, once a trusted run flags
nothing. A run that cannot be trusted (degraded: the network looked down; interrupted;
no report at all) leaves the issue as it is: "nothing flagged" from such a run means
nothing.

``GhTracker`` speaks to GitHub through the ``gh`` command (on every GitHub-hosted runner,
authenticated by ``GH_TOKEN``); tests use a fake ``Tracker`` and a fake ``gh``.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from linkcheck.ci.github import ISSUE_MARKER
from linkcheck.errors import LinkcheckError

GH_TIMEOUT_S = 60


class IssueError(LinkcheckError):
    """GitHub could not be asked, or said no."""


class Tracker(Protocol):
    def find_open(self, label: str, marker: str) -> int | None: ...
    def create(self, title: str, body: str, label: str) -> int: ...
    def update(self, number: int, body: str) -> None: ...
    def close(self, number: int, comment: str) -> None: ...


@dataclass(frozen=True)
class RunState:
    """What the run said, from the action's step outputs."""

    flagged: int
    trusted: bool  # complete, not degraded, and a report was written


def sync_issue(tracker: Tracker, state: RunState, body: str, title: str, label: str) -> str:
    """Bring the one issue in line with the run; returns what was done, for the log."""
    if not state.trusted:
        return "issue left as it is: this run cannot be trusted to say what is flagged"
    number = tracker.find_open(label, ISSUE_MARKER)
    if state.flagged:
        if number is None:
            return f"opened issue #{tracker.create(title, body, label)}"
        tracker.update(number, body)
        return f"updated issue #{number}"
    if number is None:
        return "no issue: nothing is flagged"
    tracker.close(number, "No record is flagged to unpublish any more. " + _footer(body))
    return f"closed issue #{number}"


def _footer(body: str) -> str:
    """The body's last line when it holds the run's links (``with_links``), else nothing."""
    last = body.rstrip().splitlines()[-1] if body.strip() else ""
    return last if last.startswith("[") else ""


def with_links(body: str, run_url: str | None, artifact_url: str | None) -> str:
    """The body with a last line linking the workflow run and the reports artifact."""
    links = [f"[{text}]({url})" for text, url in (("Workflow run", run_url),
             ("Reports", artifact_url)) if url]  # fmt: skip
    return body.rstrip("\n") + ("\n\n" + " · ".join(links) + "\n" if links else "\n")


class GhTracker:
    """The ``gh`` command line, one call per step, each bounded in time."""

    def __init__(self, repo: str | None = None, gh: str = "gh") -> None:
        self.repo = ["--repo", repo] if repo else []
        self.gh = gh

    def _run(self, *args: str, stdin: str | None = None) -> str:
        try:
            done = subprocess.run(
                [self.gh, *args, *self.repo],
                input=stdin,
                capture_output=True,
                text=True,
                timeout=GH_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise IssueError(f"gh {args[0]} {args[1]}: {exc}") from None
        if done.returncode != 0:
            why = " ".join(done.stderr.split())[:300] or f"exit code {done.returncode}"
            raise IssueError(f"gh {args[0]} {args[1]}: {why}")
        return done.stdout

    def find_open(self, label: str, marker: str) -> int | None:
        listed = self._run(
            "issue", "list", "--state", "open", "--label", label,
            "--json", "number,body", "--limit", "100",
        )  # fmt: skip
        try:
            issues = json.loads(listed)
        except ValueError:
            raise IssueError("gh issue list: not JSON") from None
        mine = [
            int(i["number"])
            for i in issues
            if isinstance(i, dict) and str(i.get("body", "")).startswith(marker)
        ]
        return min(mine) if mine else None

    def create(self, title: str, body: str, label: str) -> int:
        self._ensure_label(label)
        url = self._run(
            "issue", "create", "--title", title, "--label", label, "--body-file", "-",
            stdin=body,
        )  # fmt: skip
        number = url.strip().rstrip("/").rsplit("/", 1)[-1]
        if not number.isdigit():
            raise IssueError(f"gh issue create: unexpected answer {url.strip()[:100]!r}")
        return int(number)

    def update(self, number: int, body: str) -> None:
        self._run("issue", "edit", str(number), "--body-file", "-", stdin=body)

    def close(self, number: int, comment: str) -> None:
        self._run("issue", "close", str(number), "--comment", comment)

    def _ensure_label(self, label: str) -> None:
        """Create the label if the repository lacks it; one that exists is left as it is."""
        try:
            self._run("label", "create", label, "--color", "B60205",
                      "--description", "Records linkcheck flagged to unpublish")  # fmt: skip
        except IssueError as exc:
            if "already exists" not in str(exc):
                raise


def read_body(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise IssueError(f"{path}: cannot read the issue body: {exc.strerror or exc}") from None
