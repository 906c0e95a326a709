"""Parsed record values as plain JSON data and back, for what is kept on disk.

A record read from YAML may hold values JSON has no type for: timestamps (``date:
2021-02-03``), ``!!binary``, integers past 64 bits, ``.nan`` and ``.inf``. What is kept
on disk must be data only (a history store planted in a checkout or a CI cache must not
run code, so no pickle), and read back exactly: those values are written as strings and
their places listed apart (``typed``). Kept apart, no string of a record can pass for a
date, and restoring touches only the few listed places, not every value.

Reading back is validating: ``restore`` raises ``BadData`` on anything ``flatten`` could
not have written.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

# The integers orjson writes as numbers; others are kept as text.
_INT_MIN = -(2**63)
_INT_MAX = 2**64 - 1
_NON_FINITE = {"nan", "inf", "-inf"}

# A place in a value: the keys and indexes leading to it from the top.
Path = tuple[str | int, ...]


class BadData(ValueError):
    """Data read back that ``flatten`` could not have written."""


class Unsupported(TypeError):
    """A value with no plain-data form (a reader never makes one)."""


def flatten(value: Any) -> tuple[Any, list[list[Any]]]:
    """``value`` with only JSON types, and the ``[path, kind]`` of each value made text."""
    typed: list[list[Any]] = []
    return _flat(value, (), typed), typed


def _flat(value: Any, path: Path, typed: list[list[Any]]) -> Any:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise Unsupported(f"a {type(key).__name__} key")
            out[key] = _flat(item, (*path, key), typed)
        return out
    if kind is list or kind is tuple:
        return [_flat(item, (*path, i), typed) for i, item in enumerate(value)]
    if kind is int:
        if _INT_MIN <= value <= _INT_MAX:
            return value
        return _text(str(value), "int", path, typed)
    if kind is float:
        return value if math.isfinite(value) else _text(repr(value), "float", path, typed)
    if kind is datetime:
        return _text(value.isoformat(), "datetime", path, typed)
    if kind is date:
        return _text(value.isoformat(), "date", path, typed)
    if kind is bytes:
        return _text(base64.b64encode(value).decode("ascii"), "bytes", path, typed)
    raise Unsupported(f"a {kind.__name__} value")


def _text(text: str, kind: str, path: Path, typed: list[list[Any]]) -> str:
    typed.append([list(path), kind])
    return text


def restore(value: Any, typed: Any) -> Any:
    """``value`` (as loaded from JSON) with the ``typed`` places turned back into their
    kinds, in place; ``BadData`` when anything does not fit."""
    if not isinstance(typed, list):
        raise BadData("typed places: not a list")
    for entry in typed:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], list)):
            raise BadData("typed place: not a [path, kind] pair")
        path, kind = entry
        if not path:
            raise BadData("typed place: empty path")
        parent = _walk(value, path[:-1])
        last = path[-1]
        current = _child(parent, last)
        if type(current) is not str:
            raise BadData("typed place: not a string")
        parent[last] = _decode(kind, current)
    return value


def _walk(value: Any, path: Sequence[Any]) -> Any:
    for step in path:
        value = _child(value, step)
    return value


def _child(container: Any, step: Any) -> Any:
    if type(container) is dict and type(step) is str and step in container:
        return container[step]
    if type(container) is list and type(step) is int and 0 <= step < len(container):
        return container[step]
    raise BadData("typed place: no such path")


def _decode(kind: Any, text: str) -> Any:
    try:
        if kind == "int" and text.lstrip("-").isdigit() and text.isascii():
            number = int(text)
            if not _INT_MIN <= number <= _INT_MAX:
                return number
        elif kind == "float" and text in _NON_FINITE:
            return float(text)
        elif kind == "datetime":
            return datetime.fromisoformat(text)
        elif kind == "date" and len(text) == 10:
            return date.fromisoformat(text)
        elif kind == "bytes":
            return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        pass
    raise BadData(f"typed place: not a {kind!s:.20}")
