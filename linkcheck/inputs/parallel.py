"""Run a function over chunks of a list in several processes, in order; or here, when not worth it.

Reading records is CPU-bound Python (LibYAML composes in C, the rest is Python code), so a
machine with two idle cores reads faster with two processes. On a machine shared with other
jobs a second process only adds the cost of pickling its results back, so this process does
the first chunk itself while watching (``/proc/stat``) how busy the cores are meanwhile, and
starts a worker only for a core that stayed idle. Then this process takes chunks from the
front while the workers take them from the back, and it takes over every chunk no worker has
started yet: a worker slowed down by a neighbour costs little. Below ``PARALLEL_MIN_ITEMS``
items none of this pays. The result is the same list, in the same order, either way.

Whatever goes wrong with the pool itself (no semaphores in a sandbox, a worker killed, a
result that cannot be pickled) falls back to doing the work in this process, so a failure of
the machinery is never a failure of the run. ``LINKCHECK_WORKERS=N`` sets the number of
processes and skips the idle check (``1``: this one only); the default is one per core, at
most 4, as far as they are idle.

Workers start with ``fork`` (no imports to repeat) unless this process runs other threads
(a test's local web server, say), where forking could copy a held lock: then ``spawn``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_MIN_ITEMS = 2000
MAX_PROCESSES = 4
# Several chunks per process: load balances, and results stream back while others are parsed.
CHUNKS_PER_PROCESS = 6
PROCESSES_ENV = "LINKCHECK_WORKERS"


def map_chunks(
    func: Callable[[list[T]], list[R]],
    items: Sequence[T],
    min_items: int = PARALLEL_MIN_ITEMS,
    start_method: str | None = None,
) -> list[R]:
    """``func(list(items))``, computed chunk by chunk by several processes when it pays.

    ``func`` must be a module-level function (workers import it by name) that returns one
    result per item, in order.
    """
    processes = process_count()
    if processes < 2 or len(items) < max(min_items, 2):
        return func(list(items))
    chunks = split(items, processes * CHUNKS_PER_PROCESS)
    # The first chunk is done here while watching how busy the machine is meanwhile: a
    # worker is only worth starting on a core that other jobs leave idle.
    before = _cpu_ticks()
    first = func(chunks[0])
    rest = chunks[1:]
    workers = processes - 1 if _forced() else min(processes - 1, _idle_cores(before))
    if workers < 1:
        return first + func([item for chunk in rest for item in chunk])
    try:
        parts = _shared(func, rest, workers, start_method)
    except Exception:  # the pool's machinery failed: the same work, here
        parts = [func([item for chunk in rest for item in chunk])]
    return first + [result for part in parts for result in part]


def process_count() -> int:
    """Processes to use: ``LINKCHECK_WORKERS``, else the cores this process may run on."""
    given = os.environ.get(PROCESSES_ENV, "").strip()
    if given.isdigit():
        return int(given)
    affinity = getattr(os, "sched_getaffinity", None)
    cores = len(affinity(0)) if affinity else (os.cpu_count() or 1)
    return min(cores, MAX_PROCESSES)


def _forced() -> bool:
    return os.environ.get(PROCESSES_ENV, "").strip().isdigit()


def _cpu_ticks() -> tuple[int, int] | None:
    """(idle, total) CPU time of the whole machine so far, in ticks; None where unknown."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    if len(fields) < 5:
        return None
    # user nice system idle iowait irq softirq steal...: waiting for I/O is idle too.
    return fields[3] + fields[4], sum(fields[:8])


def _idle_cores(before: tuple[int, int] | None) -> int:
    """Cores left idle since ``before`` while this process was busy; all of them if unknown."""
    after = _cpu_ticks()
    cores = os.cpu_count() or 1
    if before is None or after is None or after[1] <= before[1]:
        return cores
    idle = (after[0] - before[0]) / (after[1] - before[1]) * cores
    return round(idle)


def split(items: Sequence[T], count: int) -> list[list[T]]:
    """``items`` in at most ``count`` contiguous chunks of nearly equal size, in order."""
    count = max(1, min(count, len(items)))
    size, extra = divmod(len(items), count)
    chunks, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        chunks.append(list(items[start:end]))
        start = end
    return chunks


def _shared(
    func: Callable[[list[T]], list[R]],
    chunks: list[list[T]],
    workers: int,
    start_method: str | None,
) -> list[list[R]]:
    """Workers take chunks from the back; this process from the front, until they meet."""
    context = multiprocessing.get_context(start_method or _start_method())
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_ignore_interrupts)
    # A worker's results come through a pipe that this process's reader thread empties; with
    # the default 5 ms switch interval that thread waits for the GIL at every 64 KiB while
    # this thread parses, and the worker, its pipe full, waits with it.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.0005))
    try:
        futures = {i: pool.submit(func, chunks[i]) for i in reversed(range(len(chunks)))}
        here: dict[int, list[R]] = {}
        for i in range(len(chunks)):
            if not futures[i].cancel():  # a worker has it already
                break
            here[i] = func(chunks[i])
        parts = [here[i] if i in here else futures[i].result() for i in range(len(chunks))]
    except BaseException:
        # Ctrl-C or a broken pool: do not wait for chunks nobody will use.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        sys.setswitchinterval(interval)
    pool.shutdown()
    return parts


def _start_method() -> str:
    forkable = "fork" in multiprocessing.get_all_start_methods()
    return "fork" if forkable and threading.active_count() == 1 else "spawn"


def _ignore_interrupts() -> None:
    """Ctrl-C is the parent's to handle; a worker's traceback would only be noise."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
