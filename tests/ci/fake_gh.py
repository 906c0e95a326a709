"""A stand-in for the ``gh`` command: issues and labels kept in a JSON file.

Run as a script (the tests put an executable ``gh`` on PATH that runs it); it answers the
calls ``GhTracker`` makes as gh does, and records every call.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(args: list[str]) -> int:
    state_file = Path(os.environ["FAKE_GH_STATE"])
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    state.setdefault("issues", [])
    state.setdefault("labels", [])
    state.setdefault("calls", [])
    state["calls"].append(args)
    if "--repo" in args:
        at = args.index("--repo")
        args = args[:at] + args[at + 2 :]
    code = _answer(state, args)
    state_file.write_text(json.dumps(state))
    return code


def _flag(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def _answer(state: dict, args: list[str]) -> int:
    issues = state["issues"]
    if os.environ.get("FAKE_GH_FAIL") == " ".join(args[:2]):
        print("HTTP 403: Resource not accessible by integration", file=sys.stderr)
        return 1
    if args[:2] == ["label", "create"]:
        if args[2] in state["labels"]:
            print(f'label with name "{args[2]}" already exists; use `--force`', file=sys.stderr)
            return 1
        state["labels"].append(args[2])
    elif args[:2] == ["issue", "list"]:
        label = _flag(args, "--label")
        listed = [
            {"number": i["number"], "body": i["body"]}
            for i in issues
            if i["state"] == "open" and label in i["labels"]
        ]
        print(json.dumps(listed))
    elif args[:2] == ["issue", "create"]:
        label = _flag(args, "--label")
        if label not in state["labels"]:
            print(f"could not add label: '{label}' not found", file=sys.stderr)
            return 1
        number = len(issues) + 1
        body = sys.stdin.read()
        issues.append(
            {"number": number, "title": _flag(args, "--title"), "body": body,
             "labels": [label], "state": "open", "comments": []}
        )  # fmt: skip
        print(f"https://github.com/owner/site/issues/{number}")
    elif args[:2] == ["issue", "edit"]:
        issues[int(args[2]) - 1]["body"] = sys.stdin.read()
    elif args[:2] == ["issue", "close"]:
        issue = issues[int(args[2]) - 1]
        issue["state"] = "closed"
        issue["comments"].append(_flag(args, "--comment"))
    else:
        print(f"unknown command {args}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
