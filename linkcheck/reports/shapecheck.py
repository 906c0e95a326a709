"""Check plain data against the shipped JSON Schema, without a schema library at run time.

``linkcheck report`` and ``linkcheck unpublish`` read a report.json that anyone may have
written, and the history store hands back report entries it kept: before any of it is
used, it must have the contract's shape, or the user gets one line instead of a
traceback from deep inside a renderer. jsonschema does this in the tests, but it is a
test dependency only (with its own dependencies); the report's schema uses a dozen
keywords, so they are compiled here into plain checking functions (a test holds the
verdicts equal to jsonschema's on generated reports). A keyword not listed refuses to
compile, so the schema cannot outgrow the checker unnoticed.

A re-run checks every record entry it reuses from history, so the checks are cheap when
the data is fine: no path is built on the way down; a failure collects where it happened
as it travels back up (``ShapeError.path``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

Check = Callable[[Any], None]

# Keywords that say nothing about the data.
_NOTES = frozenset({"$schema", "$id", "title", "description", "$defs", "$comment"})


class ShapeError(ValueError):
    """Data that breaks the schema; ``str()`` says where (``$.urls[3].outcome``) and how."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str | int] = []  # innermost first, filled on the way up

    def __str__(self) -> str:
        where = "$"
        for part in reversed(self.path):
            where += f"[{part}]" if isinstance(part, int) else f".{part}"
        return f"{where}: {self.problem}"


def _is_integer(value: Any) -> bool:
    return type(value) is int or (type(value) is float and value.is_integer())


def _is_number(value: Any) -> bool:
    return type(value) is int or (type(value) is float and math.isfinite(value))


# Each JSON type as the Python types that are it for sure, and a test for the rest.
_TYPES: dict[str, tuple[tuple[type, ...], Callable[[Any], bool] | None]] = {
    "object": ((dict,), None),
    "array": ((list,), None),
    "string": ((str,), None),
    "boolean": ((bool,), None),
    "null": ((type(None),), None),
    "integer": ((int,), _is_integer),
    "number": ((int,), _is_number),
}


def _same(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and bool(a == b)
    return bool(a == b)


class Compiler:
    """Turns one schema document into checking functions, a ``$ref`` target once."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.refs: dict[str, Check] = {}
        self._compiling: dict[str, list[Check]] = {}

    def ref(self, pointer: str) -> Check:
        """The check for ``#/$defs/name``, compiled on first use (recursion allowed)."""
        if pointer in self.refs:
            return self.refs[pointer]
        if pointer in self._compiling:  # a schema that refers to itself
            holder = self._compiling[pointer]
            return lambda value: holder[0](value)
        prefix = "#/$defs/"
        name = pointer[len(prefix) :]
        if not pointer.startswith(prefix) or name not in self.document.get("$defs", {}):
            raise ValueError(f"unsupported $ref {pointer!r}")
        self._compiling[pointer] = []
        check = self.compile(self.document["$defs"][name])
        self._compiling.pop(pointer).append(check)
        self.refs[pointer] = check
        return check

    def compile(self, schema: Mapping[str, Any]) -> Check:
        found = [c for key, value in schema.items() if (c := self._keyword(key, value, schema))]
        if len(found) == 1:
            return found[0]

        def check(value: Any) -> None:
            for one in found:
                one(value)

        return check

    def _keyword(self, key: str, value: Any, schema: Mapping[str, Any]) -> Check | None:
        if key in _NOTES:
            return None
        make = _KEYWORDS.get(key)
        if make is None:
            raise ValueError(f"unsupported schema keyword {key!r}")
        return make(self, value, schema)


def _type(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    names = [value] if isinstance(value, str) else list(value)
    sure = tuple(t for name in names for t in _TYPES[name][0])
    tests = [test for name in names if (test := _TYPES[name][1])]
    shown = " or ".join(names)

    def check(data: Any) -> None:
        if type(data) not in sure and not any(test(data) for test in tests):
            raise ShapeError(f"expected {shown}, got {_kind(data)}")

    return check


def _enum(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    plain = {v for v in value if type(v) is str or v is None}

    def check(data: Any) -> None:
        if (type(data) is str or data is None) and data in plain:
            return
        if not any(_same(data, option) for option in value):
            raise ShapeError(f"{_short(data)} is not one of {value}")

    return check


def _const(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return _enum(c, [value], schema)


def _required(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    names = tuple(value)

    def check(data: Any) -> None:
        if type(data) is dict:
            for name in names:
                if name not in data:
                    raise ShapeError(f"missing {name!r}")

    return check


def _inside(error: ShapeError, step: str | int) -> ShapeError:
    error.path.append(step)
    return error


def _properties(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    checks = [(name, c.compile(sub)) for name, sub in value.items()]

    def check(data: Any) -> None:
        if type(data) is dict:
            for name, one in checks:
                if name in data:
                    try:
                        one(data[name])
                    except ShapeError as exc:
                        raise _inside(exc, name) from None

    return check


def _additional(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    named = set(schema.get("properties", {}))
    one = c.compile(value)

    def check(data: Any) -> None:
        if type(data) is dict:
            for name, item in data.items():
                if name not in named:
                    try:
                        one(item)
                    except ShapeError as exc:
                        raise _inside(exc, name) from None

    return check


def _property_names(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    one = c.compile(value)

    def check(data: Any) -> None:
        if type(data) is dict:
            for name in data:
                try:
                    one(name)
                except ShapeError as exc:
                    exc.problem = f"key {_short(name)}: {exc.problem}"
                    raise

    return check


def _items(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    one = c.compile(value)
    skip = len(schema.get("prefixItems", ()))

    def check(data: Any) -> None:
        if type(data) is list:
            for i in range(skip, len(data)):
                try:
                    one(data[i])
                except ShapeError as exc:
                    raise _inside(exc, i) from None

    return check


def _prefix_items(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    checks = [c.compile(sub) for sub in value]

    def check(data: Any) -> None:
        if type(data) is list:
            for i, (item, one) in enumerate(zip(data, checks, strict=False)):
                try:
                    one(item)
                except ShapeError as exc:
                    raise _inside(exc, i) from None

    return check


def _length(bound: str) -> Callable[[Compiler, Any, Mapping[str, Any]], Check]:
    def make(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
        def check(data: Any) -> None:
            if type(data) is list and (len(data) < value if bound == "min" else len(data) > value):
                raise ShapeError(f"{len(data)} items, expected {bound} {value}")

        return check

    return make


def _number(bound: str) -> Callable[[Compiler, Any, Mapping[str, Any]], Check]:
    def make(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
        def check(data: Any) -> None:
            if type(data) in (int, float) and (data < value if bound == "min" else data > value):
                side = "below" if bound == "min" else "above"
                raise ShapeError(f"{_short(data)} is {side} {value}")

        return check

    return make


def _pattern(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    regex = re.compile(value)

    def check(data: Any) -> None:
        if type(data) is str and not regex.search(data):
            raise ShapeError(f"{_short(data)} does not match {value!r}")

    return check


def _ref(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    return c.ref(value)


def _one_of(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    checks = [c.compile(sub) for sub in value]

    def check(data: Any) -> None:
        passed = 0
        first: ShapeError | None = None
        for one in checks:
            try:
                one(data)
            except ShapeError as exc:
                first = first or exc
            else:
                passed += 1
        if passed != 1:
            raise first or ShapeError("matches more than one allowed shape")

    return check


_KEYWORDS: dict[str, Callable[[Compiler, Any, Mapping[str, Any]], Check | None]] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "required": _required,
    "properties": _properties,
    "additionalProperties": _additional,
    "propertyNames": _property_names,
    "items": _items,
    "prefixItems": _prefix_items,
    "minItems": _length("min"),
    "maxItems": _length("max"),
    "minimum": _number("min"),
    "maximum": _number("max"),
    "pattern": _pattern,
    "$ref": _ref,
    "oneOf": _one_of,
}


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "an integer", float: "a number", type(None): "null"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@cache
def report_checks() -> Compiler:
    """The shipped report schema, compiled once."""
    from linkcheck.reports.schema import load_schema

    return Compiler(load_schema())


@cache
def _whole_report() -> Check:
    compiler = report_checks()
    return compiler.compile(compiler.document)


def check_report(report: Any) -> None:
    """Raise ``ShapeError`` at the first place ``report`` breaks the report's schema."""
    _whole_report()(report)


def check_entry(kind: str, entry: Any) -> None:
    """Raise ``ShapeError`` when ``entry`` is not a ``kind`` (``record``, ``url``) entry."""
    report_checks().ref(f"#/$defs/{kind}")(entry)
