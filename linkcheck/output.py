"""Writing files: always atomically, so a reader never sees half a report."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar

from linkcheck.errors import OutputError

T = TypeVar("T", str, bytes)

# Streamed writes gather pieces into buffers of about this size: few system calls,
# yet a 100 MB report never sits in memory whole.
CHUNK_BYTES = 1 << 20


@contextlib.contextmanager
def atomic_file(path: str | Path, keep_owner: bool = False) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` only once the ``with`` block ends without error.

    The data goes to a temporary file beside ``path``, is fsynced, then renamed over it;
    an existing file keeps its permission bits (a record edited in place stays as it was)
    and, with ``keep_owner``, its owner and group: when they cannot be kept, the file is
    left as it was and ``OSError`` says why.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    before = target.stat() if target.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if before is not None:
            if keep_owner:
                _same_owner(tmp, before)
            os.chmod(tmp, stat.S_IMODE(before.st_mode))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _same_owner(tmp: str, before: os.stat_result) -> None:
    now = os.stat(tmp)
    if (now.st_uid, now.st_gid) == (before.st_uid, before.st_gid):
        return
    try:
        os.chown(tmp, before.st_uid, before.st_gid)
    except OSError:
        raise PermissionError(
            errno.EPERM, f"cannot keep its owner and group ({before.st_uid}:{before.st_gid})"
        ) from None


def write_atomic(path: str | Path, text: str | bytes, keep_owner: bool = False) -> Path:
    """Write ``text`` to ``path`` atomically (see ``atomic_file``)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    with atomic_file(path, keep_owner) as handle:
        handle.write(data)
    return Path(path)


def write_chunks(path: str | Path, pieces: Iterable[bytes]) -> Path:
    """Write a stream of byte pieces to ``path`` atomically, in buffers of ~``CHUNK_BYTES``."""
    with atomic_file(path) as handle:
        for run in runs(pieces, CHUNK_BYTES):
            handle.write(b"".join(run))
    return Path(path)


def runs(pieces: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive pieces gathered into lists of about ``size`` in total length (the last
    may be shorter or empty): streamed writers yield many tiny pieces."""
    run: list[T] = []
    total = 0
    for piece in pieces:
        run.append(piece)
        total += len(piece)
        if total >= size:
            yield run
            run = []
            total = 0
    yield run


def check_output_dir(folder: str | Path, names: Iterable[str]) -> None:
    """Raise ``OutputError`` unless the reports ``names`` can be written into ``folder``
    (created if missing): checked before a run fetches anything, so an unwritable folder,
    or a folder where report.json should go, costs a second, not the whole run."""
    out = Path(folder)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{out}: not a folder; cannot write reports into it") from None
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the report folder: {_reason(exc)}") from None
    for name in names:
        target = out / name
        if target.is_dir():
            raise OutputError(f"{target}: is a folder; cannot write the report there")
    try:
        fd, probe = tempfile.mkstemp(prefix=".linkcheck-probe.", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"{out}: cannot write reports into it: {_reason(exc)}") from None


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()
