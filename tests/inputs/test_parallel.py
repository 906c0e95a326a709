"""Reading in several processes: the same results in the same order, or the work done here."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from linkcheck.inputs import parallel
from linkcheck.inputs.parallel import map_chunks, split
from linkcheck.inputs.records import read_files

DATA = Path(__file__).resolve().parents[1] / "data"


def squares_with_pid(items: list[int]) -> list[tuple[int, int]]:
    time.sleep(0.05)  # long enough that a worker takes some chunks before this process does
    return [(item * item, os.getpid()) for item in items]


def test_split_keeps_order_and_balances() -> None:
    chunks = split(list(range(10)), 4)
    assert chunks == [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]
    assert split([1, 2], 8) == [[1], [2]]
    assert split([], 3) == [[]]


def test_workers_share_the_chunks_and_the_order_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKCHECK_WORKERS", "2")
    got = map_chunks(squares_with_pid, list(range(60)), min_items=1)
    assert [square for square, _ in got] == [i * i for i in range(60)]
    assert len({pid for _, pid in got}) == 2  # this process and one worker
    assert got[0][1] == os.getpid()  # this process starts from the front


def test_spawned_workers_give_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKCHECK_WORKERS", "2")
    got = map_chunks(squares_with_pid, list(range(30)), min_items=1, start_method="spawn")
    assert [square for square, _ in got] == [i * i for i in range(30)]


def test_no_idle_core_means_no_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINKCHECK_WORKERS", raising=False)
    monkeypatch.setattr(parallel, "process_count", lambda: 2)
    monkeypatch.setattr(parallel, "_idle_cores", lambda before: 0)
    got = map_chunks(squares_with_pid, list(range(20)), min_items=1)
    assert {pid for _, pid in got} == {os.getpid()}
    assert [square for square, _ in got] == [i * i for i in range(20)]


def test_a_failing_pool_falls_back_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKCHECK_WORKERS", "2")

    def local(items: list[int]) -> list[int]:  # not importable by a worker: pickling fails
        return [-item for item in items]

    assert map_chunks(local, list(range(25)), min_items=1) == [-i for i in range(25)]


def test_reading_in_workers_equals_reading_here(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted(str(p) for p in DATA.rglob("*") if p.is_file())
    monkeypatch.setenv("LINKCHECK_WORKERS", "1")
    here = read_files(paths)
    monkeypatch.setenv("LINKCHECK_WORKERS", "2")
    monkeypatch.setattr("linkcheck.inputs.records.map_chunks", _eager_map_chunks)
    shared = read_files(paths)
    assert shared == here
    assert any(read.errors for read in shared) and any(read.records for read in shared)


def _eager_map_chunks(func: Callable[[list[Any]], list[Any]], items: Sequence[Any]) -> list[Any]:
    return map_chunks(func, items, min_items=1)
