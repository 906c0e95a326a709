"""The per-host gate and the scheduler that feeds a fixed pool of workers.

Politeness is per host: at most the host's current limit of URLs in flight (never
more than ``per_host``; adapted by ``host_policy.HostLimits``: halved when the
host rate-limits or fails across many URLs at once, grown back after
successes), at least ``host_interval_ms`` between two request starts, and while
a host is paused (a 429's ``Retry-After``) no request of it starts.

Speed comes from never parking a worker on a busy host: the scheduler hands a
worker the next URL of a host that has a free slot, busiest host first, and
only ``max_concurrency`` workers exist. A URL waiting to be retried holds no
slot: it leaves the host's queue for its back-off and comes back at the front
(or, after a timeout, at the back: behind the host's other URLs).

Memory comes from pulling lazily: the scheduler takes its items from an
iterable (a generator over the run's SQLite work table) and holds at most
``window`` of them not yet done, so a million URLs never sit in memory at once.
Within the window, busiest-host-first still holds, and the window holds each
host's share when the items come in ``spread_order``.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

from linkcheck.engine.host_policy import HostLimits

T = TypeVar("T")
# Items pulled into the window per take or done at most. A first fill of the whole window
# (5,000 URLs parsed and admitted, ~40 ms) would hold back every worker's first request;
# in steps, the window fills over the run's first few hundred answers instead.
FILL_STEP = 16
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
# Seconds one host may be paused over a run (429s), unless the config says otherwise.
DEFAULT_PAUSE_BUDGET_S = 30.0


class HostGate:
    """One host's state: slots in use, its adaptive limit and pauses, the next allowed start."""

    def __init__(
        self,
        name: str,
        limit: int,
        interval_s: float = 0.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        pause_budget_s: float = DEFAULT_PAUSE_BUDGET_S,
    ) -> None:
        self.name = name
        self.limits = HostLimits(limit, pause_budget_s)
        self.in_flight = 0
        self.interval_s = interval_s
        self._next_start = 0.0
        # Set once the host has refused HEAD (405/501) and then answered GET: from then
        # on its URLs go straight to GET, one request each instead of two.
        self.get_only = False
        self._clock = clock
        self._sleep = sleep

    @property
    def limit(self) -> int:
        limits = self.limits
        return limits.slots_at(self._clock()) if limits.lowered else limits.per_host

    @property
    def throttled(self) -> int:
        return self.limits.throttled

    @property
    def backoff_until(self) -> float:
        return self.limits.paused_until

    @property
    def has_slot(self) -> bool:
        # Asked at every scheduling step: the clock only when the limit was lowered.
        limits = self.limits
        if not limits.lowered:
            return self.in_flight < limits.per_host
        return self.in_flight < limits.slots_at(self._clock())

    @property
    def backing_off(self) -> bool:
        return self.limits.paused_until > self._clock()

    async def turn(self) -> None:
        """Wait until this host may be sent a request: the pause first, then the interval."""
        if self.limits.paused_until:
            await self._wait_backoff()
        await self._keep_interval()

    @asynccontextmanager
    async def send(self) -> AsyncIterator[None]:
        """Wrap one request: wait out the pause, keep the interval, then send."""
        await self.turn()
        yield

    async def _wait_backoff(self) -> None:
        # A loop: the deadline may move while we sleep (another URL got a 429).
        while (delay := self.limits.paused_until - self._clock()) > 0:
            await self._sleep(delay)

    async def _keep_interval(self) -> None:
        if self.interval_s <= 0:
            return
        now = self._clock()
        start = max(now, self._next_start)
        # Reserve the start time before sleeping so concurrent senders queue up.
        self._next_start = start + self.interval_s
        if start > now:
            await self._sleep(start - now)

    def throttle(self, delay_s: float, said: bool = False) -> None:
        """The host rate-limited us (429): pause it ``delay_s`` (within its budget); halve
        its limit unless it ``said`` how long to wait (Retry-After)."""
        self.limits.rate_limited(self._clock(), delay_s, said)

    def answered(self, url: str, overloaded: bool) -> None:
        """One answer of this host: a sign of overload (503, timeout, reset) or not."""
        if overloaded:
            self.limits.failure(self._clock(), url)
        else:
            self.limits.success(self._clock(), url)


class HostPool:
    """Gates by host name, created on first use with the run's settings."""

    def __init__(
        self,
        per_host: int,
        interval_s: float = 0.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        pause_budget_s: float = DEFAULT_PAUSE_BUDGET_S,
    ) -> None:
        self._per_host = per_host
        self._interval_s = interval_s
        self._clock = clock
        self._sleep = sleep
        self._pause_budget_s = pause_budget_s
        self._gates: dict[str, HostGate] = {}

    def gate(self, host: str) -> HostGate:
        host = host.lower()
        gate = self._gates.get(host)
        if gate is None:
            gate = HostGate(
                host,
                self._per_host,
                self._interval_s,
                self._clock,
                self._sleep,
                self._pause_budget_s,
            )
            self._gates[host] = gate
        return gate

    def adapted(self) -> dict[str, HostLimits]:
        """The hosts whose limit moved or that were paused: what the report shows."""
        return {
            name: gate.limits
            for name, gate in self._gates.items()
            if gate.limits.lowest < gate.limits.per_host or gate.limits.paused_s > 0
        }


def spread_order(items: Iterable[tuple[str, T]]) -> list[T]:
    """Each host's items spread evenly over the sequence, in proportion to its count.

    The i-th of a host's n items sorts at (i + 0.5) / n, ties in input order, so
    every stretch of the result holds each host's share: a window of it keeps the
    busiest host busy and the scheduler always has several hosts to choose from.
    Hosts compare case-insensitively. (The work database does the same in SQL.)
    """
    by_host: dict[str, list[tuple[int, T]]] = defaultdict(list)
    for position, (host, item) in enumerate(items):
        by_host[host.lower()].append((position, item))
    keyed: list[tuple[float, int, T]] = []
    for group in by_host.values():
        n = len(group)
        keyed.extend(((i + 0.5) / n, position, item) for i, (position, item) in enumerate(group))
    keyed.sort(key=lambda entry: (entry[0], entry[1]))
    return [item for _, _, item in keyed]


class Scheduler(Generic[T]):
    """Hands out items so that no host has more than its slots in flight.

    ``take`` gives the next item of a host with a free slot, or None when
    everything has been handed out; ``done`` frees the slot. The host with the
    most work left goes first (longest-processing-time-first): the biggest host
    is the run's critical path, so it must never idle while small hosts run;
    among equals, the order is first come first served, which interleaves hosts.
    Hosts backing off are passed over while any other host is ready.

    Items are pulled from ``items`` lazily, at most ``window`` (None: all) taken
    but not yet ``done``; the window is topped up on every ``take`` and ``done``,
    ``FILL_STEP`` items at a time (a take with no ready host pulls on until one is).
    Keeping it full gives busiest-host-first the most to choose from, and a window
    full of one slow host's items still drains as that host answers.

    ``retry`` frees the slot of an item that must be asked again and brings the
    item back after its wait (``sleep``): at the front of its host's queue, or at
    the back after a timeout. ``take`` returns None only once every item is done.
    """

    def __init__(
        self,
        pool: HostPool,
        items: Iterable[tuple[str, T]],
        window: int | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if window is not None and window < 1:
            raise ValueError("window must be at least 1")
        self._pool = pool
        self._sleep = sleep
        self._waiting: set[asyncio.Task[None]] = set()
        self._source: Iterator[tuple[str, T]] = iter(items)
        self._window = window
        self._open = 0  # pulled and not done: what the window bounds
        self._exhausted = False
        self._pending: dict[str, deque[T]] = {}
        # Heap of (-items left, arrival, gate). A gate has one live entry, the one whose
        # arrival is in _queued; an entry made stale by newly pulled items is skipped.
        self._ready: list[tuple[int, int, HostGate]] = []
        self._queued: dict[str, int] = {}
        self._arrivals = itertools.count()
        self._changed = asyncio.Condition()
        self._fill()

    async def take(self) -> tuple[HostGate, T] | None:
        async with self._changed:
            while True:
                self._wake(self._fill())
                gate = self._pick()
                if gate is not None:
                    return gate, self._hand_out(gate)
                if self._finished:
                    return None
                if not self._can_pull():
                    await self._changed.wait()

    async def done(self, gate: HostGate) -> None:
        async with self._changed:
            gate.in_flight -= 1
            self._open -= 1
            self._requeue(gate)
            self._wake(self._fill())

    async def retry(self, gate: HostGate, item: T, wait_s: float, behind: bool) -> None:
        """Free ``item``'s slot now; after ``wait_s`` it is queued again (``behind``: last)."""
        async with self._changed:
            gate.in_flight -= 1
            self._requeue(gate)
        task = asyncio.create_task(self._come_back(gate, item, wait_s, behind))
        self._waiting.add(task)
        task.add_done_callback(self._waiting.discard)

    async def _come_back(self, gate: HostGate, item: T, wait_s: float, behind: bool) -> None:
        await self._sleep(wait_s)
        async with self._changed:
            queue = self._pending.get(gate.name)
            if queue is None:
                queue = self._pending[gate.name] = deque()
            if behind:
                queue.append(item)
            else:
                queue.appendleft(item)
            self._queued.pop(gate.name, None)  # its entry's count is stale: push a fresh one
            if self._push(gate):
                self._changed.notify()

    def close(self) -> Iterator[T]:
        """End the run now: waiting retries are cancelled, nothing more is handed out.

        Returns the items never pulled; the caller accounts for the ones it holds."""
        for task in self._waiting:
            task.cancel()
        self._pending.clear()
        exhausted, self._exhausted = self._exhausted, True
        return iter(()) if exhausted else (item for _host, item in self._source)

    @property
    def _finished(self) -> bool:
        return self._exhausted and not self._pending and self._open == 0

    def _can_pull(self) -> bool:
        return not self._exhausted and (self._window is None or self._open < self._window)

    def _fill(self) -> int:
        """Pull up to FILL_STEP items, within the window; how many hosts became ready."""
        ready = 0
        pending = self._pending
        for _ in range(FILL_STEP):
            if not self._can_pull():
                break
            try:
                host, item = next(self._source)
            except StopIteration:
                self._exhausted = True
                break
            host = host.lower()
            queue = pending.get(host)
            if queue is None:
                queue = pending[host] = deque()
            queue.append(item)
            self._open += 1
            gate = self._pool.gate(host)
            if host in self._queued:
                self._queued.pop(host)  # its entry's count is stale: push a fresh one
            ready += self._push(gate)
        return ready

    def _wake(self, ready: int) -> None:
        if self._finished:
            self._changed.notify_all()  # nothing left anywhere: idle workers stop
        elif ready:
            self._changed.notify(ready)

    def _pick(self) -> HostGate | None:
        """The busiest ready host not backing off; a backing-off one only if nothing else."""
        passed: list[tuple[int, int, HostGate]] = []
        chosen: HostGate | None = None
        while self._ready:
            entry = heapq.heappop(self._ready)
            gate = entry[2]
            if self._queued.get(gate.name) != entry[1]:
                continue  # stale: a fresher entry of this gate is in the heap
            if not gate.has_slot:  # throttled since it was queued; done() requeues it
                del self._queued[gate.name]
            elif gate.backing_off:
                passed.append(entry)
            else:
                chosen = gate
                break
        if chosen is None and passed:
            # Every ready host is backing off: the worker waits inside gate.send().
            chosen = passed.pop(0)[2]
        for entry in passed:
            heapq.heappush(self._ready, entry)
        if chosen is not None:
            del self._queued[chosen.name]
        return chosen

    def _hand_out(self, gate: HostGate) -> T:
        queue = self._pending[gate.name]
        item = queue.popleft()
        if not queue:
            del self._pending[gate.name]
        gate.in_flight += 1
        self._requeue(gate)
        return item

    def _requeue(self, gate: HostGate) -> None:
        if self._push(gate):
            self._changed.notify()

    def _push(self, gate: HostGate) -> bool:
        queue = self._pending.get(gate.name)
        if not queue or not gate.has_slot or gate.name in self._queued:
            return False
        arrival = next(self._arrivals)
        heapq.heappush(self._ready, (-len(queue), arrival, gate))
        self._queued[gate.name] = arrival
        return True
