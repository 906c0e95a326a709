"""Writing files: always atomically, so a reader never sees half a report."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar

T = TypeVar("T", str, bytes)

# Streamed writes gather pieces into buffers of about this size: few system calls,
# yet a 100 MB report never sits in memory whole.
CHUNK_BYTES = 1 << 20


@contextlib.contextmanager
def atomic_file(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` only once the ``with`` block ends without error.

    The data goes to a temporary file beside ``path``, is fsynced, then renamed over it;
    an existing file keeps its permission bits (a record edited in place stays as it was),
    a new one gets those the umask gives any new file (``mkstemp`` alone would make every
    report 0600: unreadable to the web server or the next CI step).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else _new_file_mode()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _new_file_mode() -> int:
    """The mode ``open()`` would give a new file: 0666 less the process's umask."""
    return 0o666 & ~_umask()


def _umask() -> int:
    """The umask, read without changing it where the system allows: setting it, even for a
    moment, would race with any other thread creating a file meanwhile."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)  # not Linux: the only portable way to read it is to set it
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, text: str | bytes) -> Path:
    """Write ``text`` to ``path`` atomically (see ``atomic_file``)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    with atomic_file(path) as handle:
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
