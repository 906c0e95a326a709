"""The input roots of a run: what ``check`` was asked to read, and all ``unpublish`` may edit.

``check`` refuses an input path that names nothing (a typo must not pass as "0 records,
all fine") and records the roots it read in the report (``run.roots``). ``unpublish``
reads a report that anyone may have written, so a record's ``source`` is only a name to
look up: the file edited is its real path (symlinks resolved), and only when that lies
under the real path of one of the report's roots, itself inside the base folder
(``--base-dir``, the current folder by default). ``../x.md``, ``/etc/x.md``,
``site/../../x.yml`` and a symlink leading out are refused, one line each; a symlink
whose target is inside is followed, so the target is edited and the link stays a link.
A report without ``run.roots`` (an older linkcheck) has the base folder as its one root.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from linkcheck.errors import UsageError
from linkcheck.inputs.records import display_path


def check_inputs(paths: Sequence[str]) -> None:
    """Raise ``UsageError`` (exit 2) for an input that names nothing or a folder that cannot
    be listed: a mistyped path must not pass as an empty site."""
    for given in paths:
        shown = display_path(given)
        if os.path.lexists(given):
            if os.path.isdir(given):
                _listable(given, shown)
            continue
        if glob.has_magic(given):
            if not glob.glob(given, recursive=True):
                raise UsageError(f"{shown}: no file or folder matches this pattern")
            continue
        raise UsageError(f"{shown}: no such file or folder")


def _listable(folder: str, shown: str) -> None:
    try:
        with os.scandir(folder) as entries:
            next(entries, None)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise UsageError(f"{shown}: cannot read folder: {reason}") from None


def input_roots(paths: Sequence[str]) -> list[str]:
    """The roots as the report records them: each path as given, normalised like a record's
    ``source`` (``a/./b/`` -> ``a/b``); a glob's folder part before its first wildcard."""
    roots = set()
    for given in paths:
        text = given if os.path.lexists(given) else _fixed_part(given)
        roots.add(os.path.normpath(display_path(text) or ".").replace(os.sep, "/"))
    return sorted(roots)


def _fixed_part(pattern: str) -> str:
    if not glob.has_magic(pattern):
        return pattern
    fixed = []
    for part in Path(pattern).parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return os.path.join(*fixed) if fixed else "."


def report_roots(report: Any) -> list[str] | None:
    """``run.roots`` of a report, or None when it records none."""
    run = report.get("run") if isinstance(report, dict) else None
    roots = run.get("roots") if isinstance(run, dict) else None
    if isinstance(roots, list) and all(isinstance(r, str) for r in roots):
        return roots
    return None


def edit_target(source: Any, roots: Sequence[str] | None, base: Path) -> tuple[Path, str | None]:
    """The real file to edit for a report's ``source``, and None; or the path as named and
    the one line that refuses it."""
    if not isinstance(source, str) or not source or "\0" in source:
        return base, f"refused: {source!r} is not a file name"
    named = Path(source) if Path(source).is_absolute() else base / source
    real_base = Path(os.path.realpath(base))
    allowed = [Path(os.path.realpath(base / root)) for root in roots] if roots else [real_base]
    allowed = [root for root in allowed if _within(root, real_base)]
    if not allowed:
        return named, (
            f"refused: none of the report's roots ({', '.join(roots or ())}) is inside "
            f"{real_base}; run from the site's folder or pass --base-dir"
        )
    real = Path(os.path.realpath(named))
    if any(_within(real, root) for root in allowed):
        return real, None
    shown = ", ".join(roots) if roots else str(real_base)
    if real != Path(os.path.abspath(named)):
        return named, f"refused: {source} leads to {real}, outside the roots the run read ({shown})"
    return named, f"refused: {source} is outside the roots the run read ({shown})"


def _within(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)
