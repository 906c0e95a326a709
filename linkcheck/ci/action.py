"""The script behind the repository's ``action.yml`` (a composite GitHub Action).

Three steps of the action call it, each with the action's inputs in ``INPUT_*`` variables
(a composite action passes them explicitly; nothing is pasted into a shell script):

- ``prepare``: the folder the history store lives in, which actions/cache keeps between
  runs (the store must have a folder of its own: caching ``.`` would cache the checkout).
- ``run``: ``linkcheck check`` in this process; the command line itself writes the job
  summary, the step outputs, the annotations and, when asked, the issue body
  (ci/github.py). This step only adds ``exit-code`` and always succeeds, so that the
  history is saved and the reports uploaded whatever the links said; the action's last
  step fails the job when ``fail`` asks it to.
- ``finish``: after the upload, a link to the reports artifact in the job summary, and
  the one issue listing the flagged records opened, updated or closed (ci/issue.py).
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

from linkcheck.ci.github import output_text
from linkcheck.ci.issue import GhTracker, RunState, Tracker, read_body, sync_issue, with_links
from linkcheck.errors import LinkcheckError, UsageError
from linkcheck.reports.github import command


def check_argv(env: Mapping[str, str]) -> list[str]:
    """The ``linkcheck`` command line the action's inputs ask for."""
    paths = shlex.split(env.get("INPUT_PATHS", ""))
    if not paths:
        raise UsageError("the action's paths input is empty: name the record folders or files")
    argv = ["--config", env["INPUT_CONFIG"]] if env.get("INPUT_CONFIG") else []
    argv += ["check", *paths, "--progress", "never"]
    argv += ["--output-dir", env.get("INPUT_OUTPUT_DIR") or "linkcheck-reports"]
    argv += ["--history", history_path(env)]
    if env.get("INPUT_FORMATS"):
        argv += ["--formats", env["INPUT_FORMATS"]]
    return argv + shlex.split(env.get("INPUT_ARGS", ""))


def history_path(env: Mapping[str, str]) -> str:
    return env.get("INPUT_HISTORY_PATH") or ".linkcheck/history.sqlite"


def history_dir(env: Mapping[str, str]) -> str:
    """The folder actions/cache keeps: the store's own folder, never the checkout itself."""
    folder = os.path.dirname(os.path.normpath(history_path(env)))
    if folder in ("", ".", "/", ".."):
        raise UsageError(
            f"history-path {history_path(env)!r}: give the store a folder of its own "
            "(e.g. .linkcheck/history.sqlite): the cache keeps the whole folder"
        )
    return folder


def prepare(env: Mapping[str, str]) -> int:
    _append(env, "GITHUB_OUTPUT", output_text({"history-dir": history_dir(env)}))
    return 0


def run(env: Mapping[str, str]) -> int:
    from linkcheck.cli import main

    code = main(check_argv(env))
    _append(env, "GITHUB_OUTPUT", output_text({"exit-code": str(code)}))
    return 0


def finish(env: Mapping[str, str], tracker: Tracker | None = None) -> int:
    """The artifact link in the summary; then the issue, when asked for."""
    artifact = env.get("LINKCHECK_ARTIFACT_URL") or None
    if artifact:
        _append(env, "GITHUB_STEP_SUMMARY", f"\n[HTML and JSON reports]({artifact}) (artifact)\n")
    if env.get("INPUT_ISSUE") != "true":
        return 0
    state = run_state(env)
    body_path = env.get("LINKCHECK_ISSUE_BODY", "")
    body = read_body(body_path) if state.trusted else ""
    body = with_links(body, run_url(env), artifact) if body else body
    if tracker is None:
        tracker = GhTracker(env.get("GITHUB_REPOSITORY") or None)
    title = env.get("INPUT_ISSUE_TITLE") or "Records flagged to unpublish"
    done = sync_issue(tracker, state, body, title, env.get("INPUT_ISSUE_LABEL") or "linkcheck")
    print(f"linkcheck: {done}")
    _append(env, "GITHUB_OUTPUT", output_text({"issue": done}))
    return 0


def run_state(env: Mapping[str, str]) -> RunState:
    """What the run step's outputs say; a run that wrote no issue body is not trusted."""
    code = env.get("LINKCHECK_EXIT_CODE", "")
    trusted = (
        code in ("0", "1")
        and env.get("LINKCHECK_COMPLETE") == "true"
        and env.get("LINKCHECK_DEGRADED") == "false"
        and Path(env.get("LINKCHECK_ISSUE_BODY") or "-missing-").is_file()
    )
    flagged = env.get("LINKCHECK_FLAGGED", "0")
    return RunState(int(flagged) if flagged.isdigit() else 0, trusted)


def run_url(env: Mapping[str, str]) -> str | None:
    parts = [env.get(n) for n in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    if not all(parts):
        return None
    server, repo, run_id = parts
    return f"{server}/{repo}/actions/runs/{run_id}"


def _append(env: Mapping[str, str], name: str, text: str) -> None:
    """Append to a file GitHub names in ``env`` (outputs, summary); absent: nothing to do."""
    path = env.get(name)
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


STEPS = {"prepare": prepare, "run": run, "finish": finish}


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in STEPS:
        print(f"usage: python -m linkcheck.ci.action {{{','.join(STEPS)}}}", file=sys.stderr)
        return 2
    try:
        return STEPS[args[0]](os.environ if env is None else env)
    except LinkcheckError as exc:
        print(command("error", str(exc), title="linkcheck action"))
        return 2


if __name__ == "__main__":
    sys.exit(main())
