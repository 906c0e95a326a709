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
import functools
import gc
import glob
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from linkcheck.inputs.bodylinks import html_links, markdown_links
from linkcheck.inputs.parallel import map_chunks
from linkcheck.model import ReadResult, Record, RecordError

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
                tag = str(_resolve(self, kind, value, implicit))
                if len(value) <= 32 and len(_RESOLVED) < 4096:
                    _RESOLVED[value] = tag
            return tag
        return str(_resolve(self, kind, value, implicit))


_ScalarNode = yaml.ScalarNode
_resolve = _BaseLoader.resolve
_RESOLVED: dict[str, str] = {}


FRONT_MATTER_SUFFIXES = frozenset({".md", ".markdown", ".html", ".htm"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
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
_NULL_TAG = "tag:yaml.org,2002:null"
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
# input.max_file_bytes: a record file is read whole, so a bigger one (or an endless device
# behind a symlink) is refused rather than read until memory runs out.
DEFAULT_MAX_FILE_BYTES = 10_000_000
# An escape that may spell half of a surrogate pair (JSON ``\ud800``; YAML ``\U0000d800``):
# a lone one is no text (no UTF-8 for it), so such a record is refused, not passed on.
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F]")


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


def iter_input_files(
    paths: Sequence[str],
    exclude: Sequence[str] = (),
    problems: list[RecordError] | None = None,
) -> list[str]:
    """Every file under the inputs (folders walked, globs expanded), sorted and de-duplicated.

    A path that does not exist is kept, so that reading it reports the error. Hidden files and
    folders are not walked; ``exclude`` holds fnmatch patterns on the path as walked (or on the
    part of it below the input folder). A folder that cannot be listed is one error in
    ``problems``, not a silent hole in the run.
    """
    found: set[str] = set()
    for given in paths:
        for path in _expand(given):
            if os.path.isdir(path):
                found.update(_walk(path, exclude, problems))
            elif not _excluded(_clean(path), _clean(path), exclude):
                found.add(_clean(path))
    return sorted(found)


def _expand(given: str) -> list[str]:
    if not os.path.exists(given) and glob.has_magic(given):
        matches = sorted(glob.glob(given, recursive=True))
        return matches or [given]
    return [given]


def _walk(root: str, exclude: Sequence[str], problems: list[RecordError] | None) -> Iterator[str]:
    def unreadable(exc: OSError) -> None:
        if problems is not None:
            where = display_path(_clean(exc.filename or root))
            problems.append(RecordError(where, f"cannot read folder: {_reason(exc)}"))

    for folder, dirs, files in os.walk(root, onerror=unreadable):
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


def display_path(path: str) -> str:
    """``path`` as text that can be written anywhere: a file name that is not UTF-8 comes
    from the file system with its bytes smuggled in (surrogate escapes); they become U+FFFD."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return path


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _rel(rel_folder: str, name: str) -> str:
    return name if rel_folder == "." else _clean(os.path.join(rel_folder, name))


def _clean(path: str) -> str:
    return os.path.normpath(path).replace(os.sep, "/")


def _excluded(path: str, relative: str, exclude: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(relative, p) for p in exclude)


# ---------------------------------------------------------------- reading


def read_inputs(
    paths: Sequence[str], exclude: Sequence[str] = (), max_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> ReadResult:
    """Read every record under the inputs; nothing stops the run and nothing is dropped."""
    problems: list[RecordError] = []
    with gc_paused():
        reads = read_files(iter_input_files(paths, exclude, problems), max_bytes)
        return combine([*reads, *(FileRead(p.source, errors=(p,)) for p in problems)])


def read_files(paths: Sequence[str], max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> list[FileRead]:
    """``read_file`` of each path, in order; many files are read by worker processes."""
    return map_chunks(functools.partial(_read_chunk, max_bytes=max_bytes), paths)


def parse_many(items: Sequence[tuple[str, bytes]]) -> list[FileRead]:
    """``parse_bytes`` of each (source, bytes), in order; many are parsed by worker processes."""
    return map_chunks(_parse_chunk, items)


def _read_chunk(paths: list[str], max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> list[FileRead]:
    with gc_paused():
        return [read_file(path, max_bytes) for path in paths]


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


def read_file(path: str | Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> FileRead:
    """Read and parse one file; an unreadable file gives one error, never an exception."""
    loaded = load_bytes(path, max_bytes)
    return loaded if isinstance(loaded, FileRead) else parse_bytes(_clean(str(path)), loaded)


def load_bytes(path: str | Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> bytes | FileRead:
    """A record file's bytes, or the FileRead that says why there are none (skipped,
    unreadable, not a regular file, too big, a name that is not UTF-8).

    Only regular files are read, and at most ``max_bytes``: a FIFO named ``x.md`` would
    block the run forever, a symlink to /dev/zero would fill the memory. The file is
    opened without blocking and checked on the open handle, so it cannot be swapped for
    something else between the check and the read.
    """
    source = _clean(str(path))
    if not is_record_file(source):
        return FileRead(source, skipped=True)
    shown = display_path(source)
    if shown != source:
        return _unreadable(shown, "the file name is not UTF-8; rename the file")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        return _unreadable(source, f"cannot read file: {_reason(exc)}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return _unreadable(source, f"not a regular file ({_file_kind(info.st_mode)})")
        if info.st_size > max_bytes:
            return _too_big(source, max_bytes)
        data = _read_up_to(fd, max_bytes + 1)
    except OSError as exc:
        return _unreadable(source, f"cannot read file: {_reason(exc)}")
    finally:
        os.close(fd)
    return _too_big(source, max_bytes) if len(data) > max_bytes else data


def _read_up_to(fd: int, limit: int) -> bytes:
    """At most ``limit`` bytes of the open file, a megabyte a read at most."""
    chunks = []
    total = 0
    while total < limit:
        chunk = os.read(fd, min(limit - total, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _unreadable(source: str, message: str) -> FileRead:
    return FileRead(source, errors=(RecordError(source, message),))


def _too_big(source: str, max_bytes: int) -> FileRead:
    return _unreadable(
        source, f"file is larger than {max_bytes:,} bytes (input.max_file_bytes); not read"
    )


def _file_kind(mode: int) -> str:
    kinds = [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"),
             (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")]  # fmt: skip
    return next((name for test, name in kinds if test(mode)), "not a file")


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
    _check_text(fields, text)
    body_links = _body_links(source, text[end.end() :], text.count("\n", 0, end.end()) + 1)
    return Record(source, 0, fields, line=1, lines=lines, body_links=body_links)


def _body_links(source: str, body: str, first_line: int) -> tuple[tuple[str, int], ...]:
    """The links of the body after the front matter: Markdown, or HTML for an .html page."""
    if not body.strip():
        return ()
    markdown = Path(source).suffix.lower() in MARKDOWN_SUFFIXES
    found = (markdown_links if markdown else html_links)(body, first_line)
    return tuple((link.url, link.line) for link in found)


# ---------------------------------------------------------------- YAML


def _read_yaml_file(
    source: str, text: str, records: list[Record], errors: list[RecordError]
) -> None:
    """Every record of a YAML stream: each document a record or a list of records. An empty
    document (a stream often opens with ``---``) holds none; a bad record is one error and
    the records after it are still read."""
    builder = _Builder(first_line=1)
    index = 0
    documents = 0
    try:
        for document in yaml.compose_all(text, Loader=_Loader):
            if document is None or document.tag == _NULL_TAG:
                continue
            documents += 1
            if isinstance(document, yaml.ScalarNode):
                kind = _node_kind_or_error(document)
                message = f"YAML document is {kind}, expected a record (a mapping) or a list"
                errors.append(RecordError(source, message, builder.line_of(document)))
                continue
            items = document.value if isinstance(document, yaml.SequenceNode) else [document]
            for item in items:
                index = _add_record(source, index, item, builder, records, errors, text)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, first_line=1) from None
    if not documents:
        raise _InputError("no record: every YAML document is empty")


def _node_kind_or_error(node: yaml.Node) -> str:
    try:
        return _node_kind(node)
    except _InputError:
        return "a bad value"


def _add_record(
    source: str,
    index: int,
    node: yaml.Node,
    builder: _Builder,
    records: list[Record],
    errors: list[RecordError],
    text: str,
) -> int:
    line = builder.line_of(node)
    if isinstance(node, yaml.MappingNode):
        try:
            fields, lines = builder.record(node)
            _check_text(fields, text)
        except _InputError as exc:
            errors.append(RecordError(source, f"record {index}: {exc.message}", exc.line or line))
        else:
            records.append(Record(source, index, fields, line=line, lines=lines))
    else:
        message = f"record {index} is {_node_kind_or_error(node)}, expected a mapping"
        errors.append(RecordError(source, message, line))
    return index + 1


def _check_text(value: Any, text: str) -> None:
    """Refuse a record holding half a surrogate pair (``"\\ud800"``): it is no text, and
    could be written to no report or store. Only looked for when the file spells one."""
    if _SURROGATE_ESCAPE.search(text) and _has_surrogate(value):
        raise _InputError("a string holds half a surrogate pair (\\ud800-\\udfff escape)")


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


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
            return self.mapping(cast(yaml.MappingNode, node), path, depth)
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
            except (ValueError, OverflowError) as exc:  # 2021-02-30, a 5,000-digit number
                line = self.line_of(node)
                shown = node.value if len(node.value) <= 40 else node.value[:37] + "..."
                reason = str(exc).split(";")[0].rpartition(": ")[2]
                message = f"YAML error at line {line}: bad value {shown!r}: {reason}"
                raise _InputError(message, line) from None
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


def _load_json(text: str, line: int | None = None) -> Any:
    """One JSON document; every way it can fail is one ``_InputError``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at = line or exc.lineno
        raise _InputError(f"JSON error at line {at}: {exc.msg}", at) from None
    except RecursionError:
        raise _InputError(_where_json(line, "nested too deeply"), line) from None
    except ValueError as exc:  # a number of more than 4,300 digits
        digits = str(exc).split(";")[0].rpartition(":")[2].strip()
        raise _InputError(
            _where_json(line, f"a number too long to read ({digits})"), line
        ) from None


def _where_json(line: int | None, problem: str) -> str:
    return f"JSON error at line {line}: {problem}" if line else f"JSON error: {problem}"


def _read_json(source: str, text: str, records: list[Record], errors: list[RecordError]) -> None:
    data = _load_json(text)
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
        _add_json_record(source, index, item, line, lines, text, records, errors)


def _add_json_record(
    source: str,
    index: int,
    item: Any,
    line: int | None,
    lines: dict[str, int],
    text: str,
    records: list[Record],
    errors: list[RecordError],
) -> None:
    if not isinstance(item, dict):
        message = f"record {index} is {_value_kind(item)}, expected a mapping"
        errors.append(RecordError(source, message, line))
        return
    try:
        _check_text(item, text)
    except _InputError as exc:
        errors.append(RecordError(source, f"record {index}: {exc.message}", line))
        return
    records.append(Record(source, index, item, line=line, lines=lines))


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
        if item is None:
            return None
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
    """One record a line. Lines end at LF (CR LF) only: U+2028 and the other characters
    ``str.splitlines`` also breaks at may sit inside a JSON string."""
    index = 0
    for number, line_text in enumerate(text.split("\n"), start=1):
        if not line_text.strip():
            continue
        try:
            item = _load_json(line_text, number)
        except _InputError as exc:
            errors.append(RecordError(source, exc.message, number))
        else:
            lines: dict[str, int] = {}
            if isinstance(item, dict):
                _all_paths(item, "", number, lines)
            _add_json_record(source, index, item, number, lines, line_text, records, errors)
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
