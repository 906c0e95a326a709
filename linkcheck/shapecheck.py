"""Check plain data against the shipped JSON Schema, without a schema library at run time.

``linkcheck report`` and ``linkcheck unpublish`` read a report.json that anyone may have
written, and the history store hands back report entries it kept: before any of it is
used, it must have the contract's shape, or the user gets one line instead of a
traceback from deep inside a renderer. jsonschema does this in the tests, but it is a
test dependency only (with its own dependencies); the report's schema uses a dozen
keywords, so they are compiled here into plain checking functions (a test holds the
verdicts equal to jsonschema's on generated reports). A keyword not listed refuses to
compile, so the schema cannot outgrow the checker unnoticed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

Check = Callable[[Any, str], None]

# Keywords that say nothing about the data.
_NOTES = frozenset({"$schema", "$id", "title", "description", "$defs", "$comment"})


class ShapeError(ValueError):
    """Data that breaks the schema; the message says where (``$.urls[3].outcome``) and how."""


def _fail(where: str, what: str) -> None:
    raise ShapeError(f"{where}: {what}")


_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: type(v) is dict,
    "array": lambda v: type(v) is list,
    "string": lambda v: type(v) is str,
    "boolean": lambda v: type(v) is bool,
    "null": lambda v: v is None,
    "integer": lambda v: type(v) is int or (type(v) is float and v.is_integer()),
    "number": lambda v: type(v) is int or (type(v) is float and math.isfinite(v)),
}


def _same(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


class Compiler:
    """Turns one schema document into checking functions, a ``$ref`` target once."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.refs: dict[str, Check] = {}

    def ref(self, pointer: str) -> Check:
        """The check for ``#/$defs/name``, compiled on first use (recursion allowed)."""
        if pointer not in self.refs:
            prefix = "#/$defs/"
            if not pointer.startswith(prefix) or pointer[len(prefix) :] not in self.document.get(
                "$defs", {}
            ):
                raise ValueError(f"unsupported $ref {pointer!r}")
            holder: list[Check] = []
            self.refs[pointer] = lambda value, where: holder[0](value, where)
            holder.append(self.compile(self.document["$defs"][pointer[len(prefix) :]]))
        return self.refs[pointer]

    def compile(self, schema: Mapping[str, Any]) -> Check:
        checks = [self._keyword(key, value, schema) for key, value in schema.items()]
        found = [c for c in checks if c is not None]

        def check(value: Any, where: str) -> None:
            for one in found:
                one(value, where)

        return found[0] if len(found) == 1 else check

    def _keyword(self, key: str, value: Any, schema: Mapping[str, Any]) -> Check | None:
        if key in _NOTES:
            return None
        make = _KEYWORDS.get(key)
        if make is None:
            raise ValueError(f"unsupported schema keyword {key!r}")
        return make(self, value, schema)


def _type(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    names = [value] if isinstance(value, str) else list(value)
    tests = [_TYPES[name] for name in names]
    shown = " or ".join(names)

    def check(data: Any, where: str) -> None:
        if not any(test(data) for test in tests):
            _fail(where, f"expected {shown}, got {_kind(data)}")

    return check


def _enum(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    def check(data: Any, where: str) -> None:
        if not any(_same(data, option) for option in value):
            _fail(where, f"{_short(data)} is not one of {value}")

    return check


def _const(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return _enum(c, [value], schema)


def _required(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    def check(data: Any, where: str) -> None:
        if type(data) is dict:
            for name in value:
                if name not in data:
                    _fail(where, f"missing {name!r}")

    return check


def _properties(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    checks = [(name, c.compile(sub)) for name, sub in value.items()]

    def check(data: Any, where: str) -> None:
        if type(data) is dict:
            for name, one in checks:
                if name in data:
                    one(data[name], f"{where}.{name}")

    return check


def _additional(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    named = set(schema.get("properties", {}))
    one = c.compile(value)

    def check(data: Any, where: str) -> None:
        if type(data) is dict:
            for name, item in data.items():
                if name not in named:
                    one(item, f"{where}.{name}")

    return check


def _property_names(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    one = c.compile(value)

    def check(data: Any, where: str) -> None:
        if type(data) is dict:
            for name in data:
                one(name, f"{where} key {_short(name)}")

    return check


def _items(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    one = c.compile(value)
    skip = len(schema.get("prefixItems", ()))

    def check(data: Any, where: str) -> None:
        if type(data) is list:
            for i in range(skip, len(data)):
                one(data[i], f"{where}[{i}]")

    return check


def _prefix_items(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    checks = [c.compile(sub) for sub in value]

    def check(data: Any, where: str) -> None:
        if type(data) is list:
            for i, (item, one) in enumerate(zip(data, checks, strict=False)):
                one(item, f"{where}[{i}]")

    return check


def _length(bound: str) -> Callable[[Compiler, Any, Mapping[str, Any]], Check]:
    def make(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
        def check(data: Any, where: str) -> None:
            if type(data) is list and (len(data) < value if bound == "min" else len(data) > value):
                _fail(where, f"{len(data)} items, expected {bound} {value}")

        return check

    return make


def _number(bound: str) -> Callable[[Compiler, Any, Mapping[str, Any]], Check]:
    def make(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
        def check(data: Any, where: str) -> None:
            if type(data) in (int, float) and (data < value if bound == "min" else data > value):
                _fail(where, f"{_short(data)} is {'below' if bound == 'min' else 'above'} {value}")

        return check

    return make


def _pattern(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    regex = re.compile(value)

    def check(data: Any, where: str) -> None:
        if type(data) is str and not regex.search(data):
            _fail(where, f"{_short(data)} does not match {value!r}")

    return check


def _ref(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    return c.ref(value)


def _one_of(c: Compiler, value: Any, _: Mapping[str, Any]) -> Check:
    checks = [c.compile(sub) for sub in value]

    def check(data: Any, where: str) -> None:
        passed = 0
        first: ShapeError | None = None
        for one in checks:
            try:
                one(data, where)
            except ShapeError as exc:
                first = first or exc
            else:
                passed += 1
        if passed != 1:
            raise first or ShapeError(f"{where}: matches more than one allowed shape")

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
    from linkcheck.schema import load_schema

    return Compiler(load_schema())


@cache
def _whole_report() -> Check:
    compiler = report_checks()
    return compiler.compile(compiler.document)


def check_report(report: Any) -> None:
    """Raise ``ShapeError`` at the first place ``report`` breaks the report's schema."""
    _whole_report()(report, "$")


def check_entry(kind: str, entry: Any, where: str = "$") -> None:
    """Raise ``ShapeError`` when ``entry`` is not a ``kind`` (``record``, ``url``) entry."""
    report_checks().ref(f"#/$defs/{kind}")(entry, where)
