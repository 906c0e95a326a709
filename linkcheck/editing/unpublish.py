"""``linkcheck unpublish``: set ``published: false`` in flagged records, touching nothing else.

A record file is someone's hand-written text, so an edit changes exactly one
value token and keeps every other byte: comments (``published: true  # why``
keeps ``  # why``), quoting, CRLF or LF, a BOM, trailing whitespace, key order.
The token is found with the YAML composer (which knows where each value starts
and ends), replaced in the file's own text, and the result is read again with
linkcheck's own reader: unless the edited records now say ``published: false``
and every other field of every record is unchanged, the file is not written.

Decisions:
- ``published: true`` becomes ``false`` in the same spelling style
  (``True`` -> ``False``, ``yes`` -> ``no``, ``on`` -> ``off``); a record that
  already says false is left alone, so a second run changes nothing.
- ``published: "true"`` (a string) is refused: the report never flags it
  (it is not a boolean), and guessing what the author meant is not our job.
- No ``published`` key: in a Markdown front matter, ``published: false`` is
  added as the last line before the closing ``---``, with the file's line
  ending; in YAML and JSON files that is refused (an inserted key in a flow
  mapping or JSON object needs a comma and an indentation we'd have to guess).
- JSON and JSON Lines: the ``true`` token of that record's ``published`` is
  replaced, nothing else.
- Changed since the report? Each report record may carry ``sha256``, the
  digest of its file's bytes when read; a differing file is skipped. Without
  it the file's mtime is compared with the report's ``run.started_at`` (else
  ``generated_at``): a file modified after the run started is skipped; with no
  time either, the file is refused.
- Writes are atomic (temp file in the same folder + ``os.replace``, file mode
  kept); each change or skip is appended to a JSON-lines log.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from linkcheck.inputs.records import parse_bytes
from linkcheck.inputs.roots import edit_target, report_roots
from linkcheck.output import write_atomic

BOM = b"\xef\xbb\xbf"
_FALSE_OF = {"true": "false", "True": "False", "TRUE": "FALSE", "yes": "no", "Yes": "No",
             "YES": "NO", "on": "off", "On": "Off", "ON": "OFF"}  # fmt: skip
_FALSE = set(_FALSE_OF.values())
_BOOL_TAG = "tag:yaml.org,2002:bool"
_FRONT_MATTER = {".md", ".markdown", ".html", ".htm"}
_YAML = {".yml", ".yaml"}
_JSON_LINES = {".jsonl", ".ndjson"}
_FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)
# The reader's YAML parser (LibYAML when present): a file it read, such as one with a tab
# after ``true``, is one the editor can locate values in. Marks count characters either way.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Edit:
    """What unpublishing does to one file: its bytes before and after, or why not."""

    source: str
    path: Path
    keys: tuple[str, ...]
    before: bytes | None = None
    after: bytes | None = None
    lines: tuple[int, ...] = ()
    problem: str | None = None  # refused or skipped: nothing is written
    note: str | None = None  # nothing to do, and that is fine (already unpublished)

    @property
    def changes(self) -> bool:
        return self.problem is None and self.after is not None and self.after != self.before


@dataclass(frozen=True)
class _Change:
    start: int
    end: int
    text: str


class _Refused(Exception):
    """One record cannot be edited safely; the message says why."""


# ---------------------------------------------------------------- planning


def plan_unpublish(report: Mapping[str, Any], base_dir: str | Path | None = None) -> list[Edit]:
    """One Edit per file that holds records flagged ``unpublish: true``; nothing is written."""
    flagged: dict[str, list[Mapping[str, Any]]] = {}
    for record in report.get("records") or ():
        if isinstance(record, Mapping) and record.get("unpublish") is True:
            flagged.setdefault(str(record.get("source", "")), []).append(record)
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    since = _report_time(report)
    roots = report_roots(report)
    return [
        _plan_file(source, recs, base, since, roots) for source, recs in sorted(flagged.items())
    ]


def _plan_file(
    source: str,
    records: Sequence[Mapping[str, Any]],
    base: Path,
    since: datetime | None,
    roots: Sequence[str] | None,
) -> Edit:
    path, refused = edit_target(source, roots, base)
    keys = tuple(str(r.get("record") or source) for r in records)
    if refused:
        return Edit(source, path, keys, problem=refused)
    try:
        before = path.read_bytes()
    except OSError as exc:
        return Edit(source, path, keys, problem=f"cannot read: {exc.strerror or exc}")
    try:
        after, lines = _edit_bytes(source, before, [_index(source, key) for key in keys])
    except _Refused as exc:
        return Edit(source, path, keys, before, problem=str(exc))
    if after == before:
        return Edit(source, path, keys, before, before, note="already unpublished")
    stale = _changed_since_report(path, before, records, since)
    if stale:
        return Edit(source, path, keys, before, problem=stale)
    return Edit(source, path, keys, before, after, lines)


def _index(source: str, key: str) -> int:
    """``path#2`` -> 2; a key without ``#N`` is the file's first record."""
    if key.startswith(source):
        suffix = key[len(source) :]
    else:
        suffix = "#" + key.rpartition("#")[2] if "#" in key else ""
    if suffix.startswith("#") and suffix[1:].isdigit():
        return int(suffix[1:])
    return 0


def _report_time(report: Mapping[str, Any]) -> datetime | None:
    run = report.get("run")
    for text in ((run or {}).get("started_at") if isinstance(run, Mapping) else None,
                 report.get("generated_at")):  # fmt: skip
        if isinstance(text, str):
            with contextlib.suppress(ValueError):
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
                return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def _changed_since_report(
    path: Path, data: bytes, records: Sequence[Mapping[str, Any]], since: datetime | None
) -> str | None:
    expected = next((r["sha256"] for r in records if isinstance(r.get("sha256"), str)), None)
    if expected is not None:
        if hashlib.sha256(data).hexdigest() != expected:
            return "skipped: the file changed since the report was made (sha256 differs)"
        return None
    if since is None:
        return "refused: the report has no sha256 for this file and no time to compare with"
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    if modified > since:
        return f"skipped: the file was modified ({modified:%Y-%m-%dT%H:%M:%SZ}) after the run"
    return None


# ---------------------------------------------------------------- editing text


def _edit_bytes(source: str, data: bytes, indexes: Sequence[int]) -> tuple[bytes, tuple[int, ...]]:
    """The file's bytes with each indexed record unpublished, and the changed lines."""
    bom = BOM if data.startswith(BOM) else b""
    try:
        text = data[len(bom) :].decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused("refused: not UTF-8 text") from None
    nodes = _record_nodes(source, text)
    changes = []
    for index in sorted(set(indexes)):
        if index >= len(nodes):
            raise _Refused(f"refused: the file has no record #{index} any more")
        change = _published_change(source, text, nodes[index])
        if change is not None:
            changes.append(change)
    if not changes:
        return data, ()
    edited = text
    for change in sorted(changes, key=lambda c: c.start, reverse=True):
        edited = edited[: change.start] + change.text + edited[change.end :]
    after = bom + edited.encode("utf-8")
    _verify(source, data, after, indexes)
    lines = tuple(text.count("\n", 0, c.start) + 1 for c in sorted(changes, key=lambda c: c.start))
    return after, lines


@dataclass(frozen=True)
class _Located:
    """A record's mapping node, the offset of the text it was composed from, and where
    a new key could go (front matter only)."""

    node: yaml.Node
    offset: int
    insert_at: int | None = None


def _record_nodes(source: str, text: str) -> list[_Located]:
    """The records of a file, numbered as ``records.py`` numbers them."""
    suffix = Path(source).suffix.lower()
    try:
        if suffix in _FRONT_MATTER:
            return _front_matter_node(text)
        if suffix in _YAML:
            return [
                _Located(item, 0)
                for doc in yaml.compose_all(text, Loader=_LOADER)
                for item in _items(doc, json_page=False)
            ]
        if suffix in _JSON_LINES:
            return _json_lines_nodes(text)
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise _Refused(f"refused: cannot locate the value safely ({_first_line(exc)})") from None
    except RecursionError:
        raise _Refused("refused: nested too deeply to locate the value safely") from None
    return [_Located(item, 0) for item in _items(node, json_page=True)]


def _front_matter_node(text: str) -> list[_Located]:
    first, newline, _ = text.partition("\n")
    end = _FRONT_MATTER_END.search(text, len(first) + 1) if newline else None
    if first.rstrip() != "---" or end is None:
        raise _Refused("refused: no front matter")
    start = len(first) + 1
    node = yaml.compose(text[start : end.start()], Loader=_LOADER)
    if not isinstance(node, yaml.MappingNode):
        raise _Refused("refused: the front matter is not a mapping")
    return [_Located(node, start, insert_at=end.start())]


def _json_lines_nodes(text: str) -> list[_Located]:
    found, offset = [], 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            node = yaml.compose(line, Loader=_LOADER)
            if node is not None:
                found.append(_Located(node, offset))
        offset += len(line)
    return found


def _items(node: yaml.Node | None, json_page: bool) -> list[yaml.Node]:
    if node is None:
        return []
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if json_page and isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "value" and isinstance(value, yaml.SequenceNode):
                return list(value.value)
    return [node]


def _published_change(source: str, text: str, located: _Located) -> _Change | None:
    """The one replacement that unpublishes this record; None when it already is."""
    node = located.node
    if not isinstance(node, yaml.MappingNode):
        raise _Refused("refused: the record is not a mapping")
    values = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == "published"]
    if not values:
        return _insertion(text, located)
    value = values[-1]  # the YAML loader keeps the last of duplicate keys
    start, end = located.offset + value.start_mark.index, located.offset + value.end_mark.index
    token = text[start:end]
    if not isinstance(value, yaml.ScalarNode) or value.tag != _BOOL_TAG:
        shown = token if len(token) < 40 else token[:37] + "..."
        raise _Refused(f"refused: published is {shown!r}, not a boolean; edit it by hand")
    if token in _FALSE:
        return None
    if token not in _FALSE_OF:
        raise _Refused(f"refused: unexpected boolean spelling {token!r}")
    return _Change(start, end, _FALSE_OF[token])


def _insertion(text: str, located: _Located) -> _Change:
    if located.insert_at is None:
        raise _Refused(
            "refused: the record has no published key; add `published: false` by hand "
            "(keys are only added to Markdown front matter)"
        )
    at = located.insert_at
    ending = "\r\n" if text[max(at - 2, 0) : at] == "\r\n" else "\n"
    return _Change(at, at, f"published: false{ending}")


def _verify(source: str, before: bytes, after: bytes, indexes: Sequence[int]) -> None:
    """Read both versions as linkcheck does: only the edited records' published may differ."""
    old, new = parse_bytes(source, before), parse_bytes(source, after)
    if new.errors or len(old.records) != len(new.records):
        raise _Refused("refused: the edited file would not read back cleanly; edit it by hand")
    for was, now in zip(old.records, new.records, strict=True):
        expected = dict(was.fields)
        if was.index in indexes:
            expected["published"] = False
        if dict(now.fields) != expected:
            raise _Refused("refused: the edit would change more than `published`; edit by hand")


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:120]


# ---------------------------------------------------------------- showing and applying


def render_diff(edits: Sequence[Edit]) -> str:
    """A unified diff of every planned change (what --apply would write)."""
    out: list[str] = []
    for edit in edits:
        if not edit.changes or edit.before is None or edit.after is None:
            continue
        old = edit.before.decode("utf-8", "surrogateescape").splitlines(keepends=True)
        new = edit.after.decode("utf-8", "surrogateescape").splitlines(keepends=True)
        diff = difflib.unified_diff(old, new, f"a/{edit.source}", f"b/{edit.source}", n=2)
        out.extend(line if line.endswith("\n") else line + "\n" for line in diff)
    return "".join(out)


def apply_edits(
    edits: Sequence[Edit], log_path: str | Path | None, now: datetime | None = None
) -> list[tuple[Edit, str | None]]:
    """Write every planned change atomically and log it.

    Returns (edit, problem) for each file written (problem None) or not
    written because of a problem (skipped or refused).
    """
    done: list[tuple[Edit, str | None]] = []
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for edit in edits:
        problem = edit.problem or (_write(edit) if edit.changes else None)
        if problem or edit.changes:
            done.append((edit, problem))
    if log_path is not None and done:
        _append_log(Path(log_path), [_log_entry(edit, stamp, problem) for edit, problem in done])
    return done


def _write(edit: Edit) -> str | None:
    assert edit.after is not None
    try:
        if edit.path.read_bytes() != edit.before:
            return "skipped: the file changed while unpublishing"
        write_atomic(edit.path, edit.after, keep_owner=True)
    except OSError as exc:
        return f"cannot write: {exc.strerror or exc}"
    return None


def _log_entry(edit: Edit, stamp: str, problem: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "time": stamp,
        "action": "skipped" if problem else "unpublished",
        "source": edit.source,
        "path": str(edit.path),
        "records": list(edit.keys),
    }
    if problem:
        entry["reason"] = problem
    else:
        entry["lines"] = list(edit.lines)
        entry["sha256_before"] = hashlib.sha256(edit.before or b"").hexdigest()
        entry["sha256_after"] = hashlib.sha256(edit.after or b"").hexdigest()
    return entry


def _append_log(path: Path, entries: Sequence[Mapping[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(json.dumps(e, sort_keys=True) + "\n" for e in entries)


def run_unpublish(
    report: Mapping[str, Any],
    base_dir: str | Path | None,
    apply: bool,
    log_path: str | Path | None,
) -> tuple[str, list[str]]:
    """The whole command: (text to print, problems). Without ``apply`` nothing is written."""
    edits = plan_unpublish(report, base_dir)
    if apply:
        done = apply_edits(edits, log_path)
        problems = [f"{e.source}: {problem}" for e, problem in done if problem]
        lines = [f"unpublished {key} (line {', '.join(map(str, e.lines))})"
                 for e, problem in done if not problem for key in e.keys]  # fmt: skip
    else:
        problems = [f"{e.source}: {e.problem}" for e in edits if e.problem]
        diff = render_diff(edits)
        lines = [diff.rstrip("\n")] if diff else []
        changing = sum(len(e.keys) for e in edits if e.changes)
        lines.append(f"dry run: {changing} record(s) would be unpublished; --apply to write")
    lines += [f"{e.source}: {e.note}" for e in edits if e.note]
    lines += problems
    if not edits:
        lines.append("no records are flagged to unpublish")
    return "\n".join(lines) + "\n", problems
