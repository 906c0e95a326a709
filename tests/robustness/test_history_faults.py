"""The history store under faults: two runs creating it at once, a damaged file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from linkcheck.cli import main

# Waits for the go file, then opens (creates) the store: the children meet at the lock.
_OPEN_AT_ONCE = """
import os, sys, time
from linkcheck.store.history import HistoryStore
go = sys.argv[2]
while not os.path.exists(go):
    time.sleep(0.001)
with HistoryStore(sys.argv[1]) as store:
    store.list_runs()
print("ok")
"""


def test_two_runs_creating_a_new_store_at_once_both_work(tmp_path: Path) -> None:
    for attempt in range(8):
        store = tmp_path / f"h{attempt}.sqlite"
        go = tmp_path / f"go{attempt}"
        children = [
            subprocess.Popen(
                [sys.executable, "-c", _OPEN_AT_ONCE, str(store), str(go)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        time.sleep(0.5)  # every child has imported linkcheck and waits
        go.touch()
        for child in children:
            out, err = child.communicate(timeout=60)
            assert child.returncode == 0 and out.strip() == "ok", err
        with sqlite3.connect(store) as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] > 0


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"this is not an SQLite file at all" * 100,
        lambda data: data[:100] + bytes(len(data) - 100),  # pages zeroed
        lambda data: data[: len(data) // 3],  # truncated
        lambda data: data[:4096] + bytes(b ^ 0x5A for b in data[4096:]),  # pages scrambled
    ],
)
def test_a_damaged_store_is_one_line_that_says_how_to_move_it_aside(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    damage,  # type: ignore[no-untyped-def]
) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "a.md").write_text('---\ntitle: "A"\noriginalUrl: "ftp://x.test/"\n---\n')
    store = tmp_path / "h.sqlite"
    args = ["check", str(folder), "-o", str(tmp_path / "out"), "--history", str(store),
            "--progress", "never"]  # fmt: skip
    main(args)
    with sqlite3.connect(store) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.write_bytes(damage(store.read_bytes()))
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "history store is damaged" in lines[0]
    assert f"mv {store} {store}.broken" in lines[0]
    # Doing what it says starts a fresh store.
    store.rename(f"{store}.broken")
    for suffix in ("-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    assert main(args) == 1  # the ftp:// link is invalid: a problem found, not an error
