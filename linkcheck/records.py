"""Read article records from files, folders and globs: ``Record`` values, or ``RecordError`` values.

Formats: Markdown/HTML with YAML front matter (Jekyll collections), YAML (one record or a list),
JSON (a record, a list, or an API page ``{"value": [...]}``) and JSON Lines. Each record keeps a
``lines`` map from field path (``related[1].images[0].url``) to its line in the file, so a
finding can point an editor at the exact place; that is why YAML is *composed* (nodes carry
their position) rather than loaded.

Bad input is a value: every unreadable file, YAML or JSON error, wrong encoding or non-mapping
record becomes one ``RecordError`` with a one-line message, and every other record is still
read. ``read_file`` is the unit (one file, with the sha256 of its bytes) so that a later stage
can reuse what it parsed for files that did not change.
"""

from __future__ import annotations

import contextlib
import fnmatch
import gc
import glob
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from linkcheck.model import ReadResult, Record, RecordError
from linkcheck.parallel import map_chunks

_STR_TAG = "tag:yaml.org,2002:str"
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The safe loader (LibYAML when present) with a memo for resolving plain scalars.

    LibYAML composes in C but calls this Python method for every scalar, and records repeat
    the same small values (``width: 50``, ``type: article``, ``isCached: true``), so a memo
    is a large share of the parse time. Quoted scalars are always strings and skip it.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is _ScalarNode:
            if not implicit[0]:
                return _STR_TAG
            tag = _RESOLVED.get(value)
            if tag is None:
                tag = _resolve(self, kind, value, implicit)
                if len(value) <= 32 and len(_RESOLVED) < 4096:
                    _RESOLVED[value] = tag
            return tag
        return _resolve(self, kind, value, implicit)


_ScalarNode = yaml.ScalarNode
_resolve = _BaseLoader.resolve
_RESOLVED: dict[str, str] = {}


FRONT_MATTER_SUFFIXES = frozenset({".md", ".markdown", ".html", ".htm"})
YAML_SUFFIXES = frozenset({".yml", ".yaml"})
JSON_SUFFIXES = frozenset({".json"})
JSON_LINES_SUFFIXES = frozenset({".jsonl", ".ndjson"})
RECORD_SUFFIXES = FRONT_MATTER_SUFFIXES | YAML_SUFFIXES | JSON_SUFFIXES | JSON_LINES_SUFFIXES
# Jekyll's site configuration, not a record.
SITE_CONFIG_NAMES = frozenset({"_config.yml", "_config.yaml"})
# Folders of a Jekyll site that hold templates or build output, never records.
SKIPPED_DIRS = frozenset({"_site", "_layouts", "_includes", "_sass", "node_modules"})

# The front matter ends at the first later line that is exactly `---` or `...`
# (trailing blanks and a CR allowed), so `------` inside a string does not end it.
_FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)
_MERGE_TAG = "tag:yaml.org,2002:merge"
# Constructed scalars of these (immutable) kinds are shared between records.
_MEMO_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("int", "float", "bool", "null", "timestamp")
)
_SCALARS: dict[tuple[str, str], Any] = {}
_MISSING = object()
# Field paths (``related[1].images[0].url``), one string each for all records: records take
# less memory, and a worker's records pickle each path once rather than once per record.
_PATHS: dict[str, str] = {}
_MAX_PATHS = 65_536
# Bounds on YAML aliases ("billion laughs") and nesting, per file.
_MAX_NODES = 1_000_000
_MAX_DEPTH = 200


@dataclass(frozen=True)
class FileRead:
    """What one file gave: its records and errors, and the sha256 of its bytes.

    ``skipped`` is true for a file that is not a record file (an image, a Jekyll
    ``_config.yml``, a page without front matter); it then has no records and no errors.
    """

    source: str
    records: tuple[Record, ...] = ()
    errors: tuple[RecordError, ...] = ()
    digest: str | None = None
    skipped: bool = False


class _InputError(Exception):
    """Internal: one bad file or record, turned into a RecordError where it is caught."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


# ---------------------------------------------------------------- finding files


def iter_input_files(paths: Sequence[str], exclude: Sequence[str] = ()) -> list[str]:
    """Every file under the inputs (folders walked, globs expanded), sorted and de-duplicated.

    A path that does not exist is kept, so that reading it reports the error. Hidden files and
    folders are not walked; ``exclude`` holds fnmatch patterns on the path as walked (or on the
    part of it below the input folder).
    """
    found: set[str] = set()
    for given in paths:
        for path in _expand(given):
            if os.path.isdir(path):
                found.update(_walk(path, exclude))
            elif not _excluded(_clean(path), _clean(path), exclude):
                found.add(_clean(path))
    return sorted(found)


def _expand(given: str) -> list[str]:
    if not os.path.exists(given) and glob.has_magic(given):
        matches = sorted(glob.glob(given, recursive=True))
        return matches or [given]
    return [given]


def _walk(root: str, exclude: Sequence[str]) -> Iterator[str]:
    for folder, dirs, files in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".")
            and d not in SKIPPED_DIRS
            and not _excluded(_clean(os.path.join(folder, d)), _rel(rel_folder, d), exclude)
        ]
        for name in files:
            path = _clean(os.path.join(folder, name))
            if not name.startswith(".") and not _excluded(path, _rel(rel_folder, name), exclude):
                yield path


def _rel(rel_folder: str, name: str) -> str:
    return name if rel_folder == "." else _clean(os.path.join(rel_folder, name))


def _clean(path: str) -> str:
    return os.path.normpath(path).replace(os.sep, "/")


def _excluded(path: str, relative: str, exclude: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(relative, p) for p in exclude)


# ---------------------------------------------------------------- reading


def read_inputs(paths: Sequence[str], exclude: Sequence[str] = ()) -> ReadResult:
    """Read every record under the inputs; nothing stops the run and nothing is dropped."""
    with gc_paused():
        return combine(read_files(iter_input_files(paths, exclude)))


def read_files(paths: Sequence[str]) -> list[FileRead]:
    """``read_file`` of each path, in order; many files are read by worker processes."""
    return map_chunks(_read_chunk, paths)


def parse_many(items: Sequence[tuple[str, bytes]]) -> list[FileRead]:
    """``parse_bytes`` of each (source, bytes), in order; many are parsed by worker processes."""
    return map_chunks(_parse_chunk, items)


def _read_chunk(paths: list[str]) -> list[FileRead]:
    with gc_paused():
        return [read_file(path) for path in paths]


def _parse_chunk(items: list[tuple[str, bytes]]) -> list[FileRead]:
    with gc_paused():
        return [parse_bytes(source, data) for source, data in items]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while parsing builds many small objects.

    Parsing makes no reference cycles, yet every few hundred allocations the collector
    would walk the whole growing heap of records: about 15% of the read time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def combine(reads: Iterable[FileRead]) -> ReadResult:
    """Merge per-file reads (fresh or reused from a cache) into one ``ReadResult``."""
    records: list[Record] = []
    errors: list[RecordError] = []
    skipped: list[str] = []
    files_read = 0
    for read in reads:
        if read.skipped:
            skipped.append(read.source)
            continue
        files_read += 1
        records.extend(read.records)
        errors.extend(read.errors)
    return ReadResult(tuple(records), tuple(errors), tuple(skipped), files_read)


def is_record_file(path: str) -> bool:
    """Whether a file's name says it may hold records (its content may still say otherwise)."""
    name = os.path.basename(path)
    return name not in SITE_CONFIG_NAMES and Path(name).suffix.lower() in RECORD_SUFFIXES


def read_file(path: str | Path) -> FileRead:
    """Read and parse one file; an unreadable file gives one error, never an exception."""
    loaded = load_bytes(path)
    return loaded if isinstance(loaded, FileRead) else parse_bytes(_clean(str(path)), loaded)


def load_bytes(path: str | Path) -> bytes | FileRead:
    """A record file's bytes, or the FileRead that says why there are none (skipped, unreadable)."""
    source = _clean(str(path))
    if not is_record_file(source):
        return FileRead(source, skipped=True)
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        return FileRead(source, errors=(RecordError(source, f"cannot read file: {reason}"),))


def parse_bytes(source: str, data: bytes) -> FileRead:
    """Parse the bytes of one record file named ``source`` (the suffix picks the format)."""
    digest = hashlib.sha256(data).hexdigest()
    suffix = Path(source).suffix.lower()
    records: list[Record] = []
    errors: list[RecordError] = []
    try:
        text = _decode(data)
        if not text.strip():
            raise _InputError("empty file")
        if suffix in FRONT_MATTER_SUFFIXES:
            parsed = _read_front_matter(source, text)
            if parsed is None:
                return FileRead(source, digest=digest, skipped=True)
            records.append(parsed)
        elif suffix in YAML_SUFFIXES:
            _read_yaml_file(source, text, records, errors)
        elif suffix in JSON_LINES_SUFFIXES:
            _read_json_lines(source, text, records, errors)
        elif text.startswith("---"):
            # A .json page with front matter is a Jekyll (Liquid) template, not data.
            return FileRead(source, digest=digest, skipped=True)
        else:
            _read_json(source, text, records, errors)
    except _InputError as exc:
        errors.append(RecordError(source, exc.message, exc.line))
    return FileRead(source, tuple(records), tuple(errors), digest)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        raise _InputError(
            f"not UTF-8 text: byte 0x{byte:02x} at line {line} (save the file as UTF-8)", line
        ) from None


# ---------------------------------------------------------------- front matter


def _read_front_matter(source: str, text: str) -> Record | None:
    """The record in a page's front matter; None when the page has no front matter."""
    first, newline, _ = text.partition("\n")
    if first.rstrip() != "---":
        return None
    start = len(first) + len(newline)
    end = _FRONT_MATTER_END.search(text, start) if newline else None
    if end is None:
        raise _InputError("front matter has no closing '---' line", 1)
    node = _compose_one(text[start : end.start()], first_line=2)
    if node is None:
        raise _InputError("empty front matter", 1)
    if not isinstance(node, yaml.MappingNode):
        raise _InputError(f"front matter is {_node_kind(node)}, expected a mapping", 2)
    fields, lines = _Builder(first_line=2).record(node)
    return Record(source, 0, fields, line=1, lines=lines)


# ---------------------------------------------------------------- YAML


def _read_yaml_file(
    source: str, text: str, records: list[Record], errors: list[RecordError]
) -> None:
    builder = _Builder(first_line=1)
    index = 0
    try:
        for document in yaml.compose_all(text, Loader=_Loader):
            for item, line in _document_items(document, builder):
                index = _add_record(source, index, item, line, builder, records, errors)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, first_line=1) from None


def _document_items(node: yaml.Node | None, builder: _Builder) -> Iterator[tuple[Any, int]]:
    if node is None:
        raise _InputError("empty YAML document")
    if isinstance(node, yaml.ScalarNode):
        raise _InputError(
            f"YAML document is {_node_kind(node)}, expected a record (a mapping) "
            "or a list of records",
            builder.line_of(node),
        )
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    for item in items:
        yield item, builder.line_of(item)


def _add_record(
    source: str,
    index: int,
    node: yaml.Node,
    line: int,
    builder: _Builder,
    records: list[Record],
    errors: list[RecordError],
) -> int:
    if isinstance(node, yaml.MappingNode):
        fields, lines = builder.record(node)
        records.append(Record(source, index, fields, line=line, lines=lines))
    else:
        message = f"record {index} is {_node_kind(node)}, expected a mapping"
        errors.append(RecordError(source, message, line))
    return index + 1


def _compose_one(text: str, first_line: int) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, first_line) from None


def _yaml_error(exc: yaml.YAMLError, first_line: int) -> _InputError:
    """One line: where (in the file, not in the front matter) and what."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    text = f"{context}: {problem}" if context else problem
    text = " ".join(str(text).split())
    if mark is None:
        return _InputError(f"YAML error: {text}")
    line = mark.line + first_line
    return _InputError(f"YAML error at line {line}: {text}", line)


def _node_kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    return _value_kind(_Builder(1).value(node, "", 0))


def _value_kind(value: Any) -> str:
    if value is None:
        return "null"
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "a string",
             list: "a list", dict: "a mapping"}  # fmt: skip
    return kinds.get(type(value), f"a {type(value).__name__}")


def _share_path(path: str) -> str:
    if len(_PATHS) < _MAX_PATHS:
        _PATHS[path] = path
    return path


class _Builder:
    """Turns composed YAML nodes into plain data plus the field-path -> file-line map.

    Scalars are constructed as PyYAML's safe loader would (ints, bools, timestamps...);
    mapping keys always become strings, so a record's fields are JSON-friendly by path.
    """

    def __init__(self, first_line: int) -> None:
        self.first_line = first_line
        self.constructor = yaml.constructor.SafeConstructor()
        self.budget = _MAX_NODES
        self.lines: dict[str, int] = {}
        self.active: set[int] = set()

    def line_of(self, node: yaml.Node) -> int:
        return node.start_mark.line + self.first_line

    def record(self, node: yaml.MappingNode) -> tuple[dict[str, Any], dict[str, int]]:
        self.lines = {}
        fields = self.mapping(node, "", 0)
        return fields, self.lines

    def value(self, node: yaml.Node, path: str, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0 or depth > _MAX_DEPTH:
            raise _InputError("YAML too large or too deeply nested (aliases?)", self.line_of(node))
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _STR_TAG:
                return node.value
            return self.scalar(node)
        if id(node) in self.active:
            raise _InputError("recursive YAML alias", self.line_of(node))
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return self.sequence(node, path, depth)
            return self.mapping(node, path, depth)
        finally:
            self.active.discard(id(node))

    def scalar(self, node: yaml.ScalarNode) -> Any:
        """Ints, bools, nulls, timestamps: immutable, so one constructed value serves all."""
        key = (node.tag, node.value)
        value = _SCALARS.get(key, _MISSING)
        if value is _MISSING:
            try:
                value = self.constructor.construct_object(node)
            except yaml.YAMLError as exc:
                raise _yaml_error(exc, self.first_line) from None
            if node.tag in _MEMO_TAGS and len(_SCALARS) < 4096:
                _SCALARS[key] = value
        return value

    def sequence(self, node: yaml.SequenceNode, path: str, depth: int) -> list[Any]:
        out = []
        lines = self.lines
        first_line = self.first_line
        for i, item in enumerate(node.value):
            item_path = f"{path}[{i}]"
            item_path = _PATHS.get(item_path) or _share_path(item_path)
            lines[item_path] = item.start_mark.line + first_line
            if item.tag == _STR_TAG and type(item) is _ScalarNode:
                out.append(item.value)  # the common case, inlined for speed
            else:
                out.append(self._item(item, item_path, depth))
        return out

    def mapping(self, node: yaml.MappingNode, path: str, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merges = []
        lines = self.lines
        first_line = self.first_line
        for key_node, value_node in node.value:
            if key_node.tag == _STR_TAG and type(key_node) is _ScalarNode:
                key = key_node.value
            elif key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            else:
                key = self._key(key_node, depth)
            key_path = f"{path}.{key}" if path else key
            key_path = _PATHS.get(key_path) or _share_path(key_path)
            lines[key_path] = key_node.start_mark.line + first_line
            if not path:
                key = key_path  # the shared string
            if value_node.tag == _STR_TAG and type(value_node) is _ScalarNode:
                out[key] = value_node.value  # the common case, inlined for speed
            else:
                out[key] = self._item(value_node, key_path, depth)
        for merge in merges:
            self._merge(out, merge, path, depth)
        return out

    def _item(self, node: yaml.Node, path: str, depth: int) -> Any:
        """A key's or list item's value; a known number or boolean without calling ``value``."""
        if type(node) is _ScalarNode:
            known = _SCALARS.get((node.tag, node.value), _MISSING)
            if known is not _MISSING:
                return known
        return self.value(node, path, depth + 1)

    def _key(self, node: yaml.Node, depth: int) -> str:
        key = self.value(node, "", depth + 1)
        return str(key)

    def _merge(self, out: dict[str, Any], node: yaml.Node, path: str, depth: int) -> None:
        """YAML merge keys (``<<: *defaults``): explicit keys win."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise _InputError("YAML merge key needs a mapping", self.line_of(source))
            saved = dict(self.lines)
            merged = self.value(source, path, depth + 1)
            for key, value in merged.items():
                if key in out:
                    continue
                out[key] = value
            self.lines = {**self.lines, **saved}


# ---------------------------------------------------------------- JSON


def _read_json(source: str, text: str, records: list[Record], errors: list[RecordError]) -> None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _InputError(f"JSON error at line {exc.lineno}: {exc.msg}", exc.lineno) from None
    if isinstance(data, dict) and isinstance(data.get("value"), list):
        items = data["value"]  # an API page: {"page": N, "value": [...]}
    elif isinstance(data, list):
        items = data
    elif isinstance(data, dict):
        items = [data]
    else:
        raise _InputError(
            f"JSON document is {_value_kind(data)}, expected a record (a mapping), "
            'a list of records or {"value": [...]}'
        )
    located = _json_item_lines(text, len(items))
    for index, item in enumerate(items):
        line, lines = located[index] if located else (None, {})
        if isinstance(item, dict):
            records.append(Record(source, index, item, line=line, lines=lines))
        else:
            message = f"record {index} is {_value_kind(item)}, expected a mapping"
            errors.append(RecordError(source, message, line))


def _json_item_lines(text: str, count: int) -> list[tuple[int, dict[str, int]]] | None:
    """Lines of each record and field, by reading the JSON again as YAML (nearly a superset).

    Nice to have only: when the YAML parser disagrees (tabs, odd escapes), there are no lines.
    """
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return None
    items = [node]
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "value" and isinstance(value, yaml.SequenceNode):
                items = value.value
    elif isinstance(node, yaml.SequenceNode):
        items = node.value
    if len(items) != count:
        return None
    located = []
    for item in items:
        lines: dict[str, int] = {}
        _node_lines(item, "", lines)
        located.append((item.start_mark.line + 1, lines))
    return located


def _node_lines(node: yaml.Node, path: str, out: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            key_path = f"{path}.{key.value}" if path else str(key.value)
            out[key_path] = key.start_mark.line + 1
            _node_lines(value, key_path, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[f"{path}[{i}]"] = item.start_mark.line + 1
            _node_lines(item, f"{path}[{i}]", out)


def _read_json_lines(
    source: str, text: str, records: list[Record], errors: list[RecordError]
) -> None:
    index = 0
    for number, line_text in enumerate(text.splitlines(), start=1):
        if not line_text.strip():
            continue
        try:
            item = json.loads(line_text)
        except json.JSONDecodeError as exc:
            errors.append(RecordError(source, f"JSON error at line {number}: {exc.msg}", number))
        else:
            if isinstance(item, dict):
                lines: dict[str, int] = {}
                _all_paths(item, "", number, lines)
                records.append(Record(source, index, item, line=number, lines=lines))
            else:
                message = f"record {index} is {_value_kind(item)}, expected a mapping"
                errors.append(RecordError(source, message, number))
        index += 1


def _all_paths(value: Any, path: str, line: int, out: dict[str, int]) -> None:
    """Every field of a one-line record is on that line."""
    if isinstance(value, dict):
        for key, item in value.items():
            key_path = f"{path}.{key}" if path else str(key)
            out[key_path] = line
            _all_paths(item, key_path, line, out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out[f"{path}[{i}]"] = line
            _all_paths(item, f"{path}[{i}]", line, out)
