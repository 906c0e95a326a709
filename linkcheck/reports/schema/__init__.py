"""The JSON Schema of the report contract (``linkcheck-report/1``), shipped in the package.

jsonschema is a dependency so that whoever consumes reports (a dashboard, the nightly
job) can validate them with the schema of the version that wrote them; it is imported
only when a report is validated, so a run never pays for it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_ID = "linkcheck-report/1"


class ReportSchemaError(ValueError):
    """A report that does not follow the contract; the message names every bad place."""


@cache
def _schema_text() -> str:
    return resources.files(__package__).joinpath("report.schema.json").read_text("utf-8")


def load_schema() -> dict[str, Any]:
    """A fresh copy of the report's JSON Schema (draft 2020-12)."""
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema


def validate_report(report: Mapping[str, Any], max_errors: int = 20) -> None:
    """Raise ReportSchemaError listing where ``report`` breaks the contract (at most max_errors)."""
    try:
        from jsonschema import Draft202012Validator
    except ImportError as exc:  # pragma: no cover - a dependency; absent only if removed
        raise ReportSchemaError(
            "validating a report needs the jsonschema package (pip install jsonschema)"
        ) from exc
    validator = Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(report), key=lambda e: _sort_key(e.absolute_path))
    if not errors:
        return
    lines = [f"  {_where(e.absolute_path)}: {e.message[:200]}" for e in errors[:max_errors]]
    more = len(errors) - max_errors
    if more > 0:
        lines.append(f"  ... and {more} more")
    raise ReportSchemaError(f"report does not follow {SCHEMA_ID}:\n" + "\n".join(lines))


def _where(path: Any) -> str:
    """A JSON-pointer-like path such as ``urls[3].outcome``; ``$`` for the top."""
    text = "$"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _sort_key(path: Any) -> list[tuple[int, int | str]]:
    return [(0, p) if isinstance(p, int) else (1, str(p)) for p in path]
