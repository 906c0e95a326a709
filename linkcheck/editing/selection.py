"""Which flagged records ``linkcheck unpublish`` may act on: a report it may trust, and the
subset an editor reviewed.

A report from a degraded run (the network looked down) is refused outright: nothing it
says about links is evidence, even if it was edited to flag records.

An editor who reviewed the flags applies some of them: ``--only PATH...`` (or a file of
paths, ``--paths-from``: one a line, or the CSV the HTML report exports) and ``--skip
PATH...``. A path names a record file as the report does (its ``source``), as a path
that resolves to the same file, or one record of a multi-record file by its key
(``news.yml#2``). A name that matches no flagged record is an error, and nothing is
written: a typo must not quietly apply less (or more) than what was reviewed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linkcheck.errors import UsageError
from linkcheck.reports.view import degraded

# The columns of an exported CSV that name a record, most precise first.
_CSV_COLUMNS = ("record", "source")
# What the HTML export prefixes to a cell a spreadsheet would read as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def degraded_report(report: Mapping[str, Any]) -> str | None:
    """Why ``--apply`` refuses this report, or None when it may act on it."""
    found = degraded(report)
    if found is None:
        return None
    return (
        f"refused: the report comes from a degraded run ({found.get('reason') or 'network down'});"
        " check the network and run linkcheck check again"
    )


@dataclass(frozen=True)
class Selection:
    """The records to act on: all flagged ones, only some, or all but some."""

    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return not self.only and not self.skip


def read_paths(path: str | Path) -> list[str]:
    """The record names in ``path``: one a line (blank lines and ``#`` comments skipped),
    or the ``record`` (else ``source``) column of a CSV with a header row."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the list of paths: {exc}") from None
    rows = list(csv.reader(io.StringIO(text)))
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    column = next((header.index(name) for name in _CSV_COLUMNS if name in header), None)
    if column is not None and len(header) > 1:
        return [_unguard(row[column]) for row in rows[1:] if len(row) > column and row[column]]
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def select(
    report: Mapping[str, Any], selection: Selection, base_dir: str | Path | None = None
) -> dict[str, Any]:
    """A copy of ``report`` in which only the selected records stay flagged.

    Raises UsageError naming every given path that matches no flagged record.
    """
    if selection.everything:
        return dict(report)
    records = [r for r in report.get("records") or () if isinstance(r, Mapping)]
    flagged = [r for r in records if r.get("unpublish") is True]
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    only = _matches("--only", selection.only, flagged, base)
    skip = _matches("--skip", selection.skip, flagged, base)
    keep = {id(r) for r in flagged if (not selection.only or id(r) in only) and id(r) not in skip}
    return {
        **report,
        "records": [
            r if r.get("unpublish") is not True or id(r) in keep else {**r, "unpublish": False}
            for r in records
        ],
    }


def _matches(
    flag: str, names: Sequence[str], flagged: Sequence[Mapping[str, Any]], base: Path
) -> set[int]:
    """ids of the flagged records ``names`` pick; every name must pick at least one."""
    picked: set[int] = set()
    unknown = []
    for name in names:
        found = [r for r in flagged if _names(name, r, base)]
        if not found:
            unknown.append(name)
        picked.update(id(r) for r in found)
    if unknown:
        raise UsageError(
            f"{flag}: not a record flagged in the report: {', '.join(unknown)} (nothing written)"
        )
    return picked


def _names(name: str, record: Mapping[str, Any], base: Path) -> bool:
    source = str(record.get("source", ""))
    key = str(record.get("record") or source)
    if name in (source, key):
        return True
    if "#" in name and not Path(name).exists():
        return False  # a record key that is not this record's
    return _same_file(Path(name), base / source)


def _same_file(given: Path, source: Path) -> bool:
    try:
        return given.resolve() == source.resolve()
    except OSError:
        return False


def _unguard(cell: str) -> str:
    """A cell as written before the export guarded it against spreadsheet formulas."""
    if cell.startswith("'") and cell[1:].startswith(_FORMULA_START):
        return cell[1:]
    return cell.strip()


def paths_given(only: Iterable[str] | None, paths_from: str | None) -> tuple[str, ...]:
    """``--only`` names and those of the ``--paths-from`` file, together."""
    names = list(only or ())
    if paths_from:
        listed = read_paths(paths_from)
        if not listed:
            raise UsageError(f"{paths_from}: lists no paths (nothing written)")
        names += listed
    return tuple(names)
