"""The per-host gate and the scheduler that feeds a fixed pool of workers.

Politeness is per host: at most ``per_host`` URLs of one host in flight, at
least ``host_interval_ms`` between two request starts, and when a host answers
429/503 every URL of that host waits out the same back-off (never hammered by
parallel retries), and the host keeps half its slots for the rest of the run.

Speed comes from never parking a worker on a busy host: the scheduler hands a
worker the next URL of a host that has a free slot, busiest host first, and
only ``max_concurrency`` workers exist, so 100,000 URLs cost 100,000 small queue
entries, not 100,000 suspended tasks.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class HostGate:
    """One host's state: slots in use, the back-off deadline, the next allowed start."""

    def __init__(
        self,
        name: str,
        limit: int,
        interval_s: float = 0.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.name = name
        self.limit = limit
        self.in_flight = 0
        self.interval_s = interval_s
        self.backoff_until = 0.0
        self.throttled = 0
        self._next_start = 0.0
        self._clock = clock
        self._sleep = sleep

    @property
    def has_slot(self) -> bool:
        return self.in_flight < self.limit

    @property
    def backing_off(self) -> bool:
        return self.backoff_until > self._clock()

    @asynccontextmanager
    async def send(self) -> AsyncIterator[None]:
        """Wrap one request: wait out the back-off, keep the interval, then send."""
        await self._wait_backoff()
        await self._keep_interval()
        yield

    async def _wait_backoff(self) -> None:
        # A loop: the deadline may move while we sleep (another URL got a 429).
        while (delay := self.backoff_until - self._clock()) > 0:
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

    def throttle(self, delay_s: float) -> None:
        """The host said "slow down": every URL waits ``delay_s``; the first time, halve slots."""
        self.backoff_until = max(self.backoff_until, self._clock() + delay_s)
        if self.throttled == 0:
            self.limit = max(1, self.limit // 2)
        self.throttled += 1


class HostPool:
    """Gates by host name, created on first use with the run's settings."""

    def __init__(
        self,
        per_host: int,
        interval_s: float = 0.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._per_host = per_host
        self._interval_s = interval_s
        self._clock = clock
        self._sleep = sleep
        self._gates: dict[str, HostGate] = {}

    def gate(self, host: str) -> HostGate:
        host = host.lower()
        gate = self._gates.get(host)
        if gate is None:
            gate = HostGate(host, self._per_host, self._interval_s, self._clock, self._sleep)
            self._gates[host] = gate
        return gate


class Scheduler(Generic[T]):
    """Hands out items so that no host has more than its slots in flight.

    ``take`` gives the next item of a host with a free slot, or None when
    everything has been handed out; ``done`` frees the slot. The host with the
    most work left goes first (longest-processing-time-first): the biggest host
    is the run's critical path, so it must never idle while small hosts run;
    among equals, the order is first come first served, which interleaves hosts.
    Hosts backing off are passed over while any other host is ready.
    """

    def __init__(self, pool: HostPool, items: Iterable[tuple[str, T]]) -> None:
        self._pending: dict[str, deque[T]] = {}
        for host, item in items:
            self._pending.setdefault(host.lower(), deque()).append(item)
        # Heap of (-items left, arrival, gate); a gate is in it at most once and its
        # key cannot go stale, because only take() shortens a queue and it pops first.
        self._ready: list[tuple[int, int, HostGate]] = []
        self._queued: set[str] = set()
        self._arrivals = itertools.count()
        self._changed = asyncio.Condition()
        for host in self._pending:
            self._push(pool.gate(host))

    async def take(self) -> tuple[HostGate, T] | None:
        async with self._changed:
            while True:
                gate = self._pick()
                if gate is not None:
                    return gate, self._hand_out(gate)
                if not self._pending:
                    return None
                await self._changed.wait()

    async def done(self, gate: HostGate) -> None:
        async with self._changed:
            gate.in_flight -= 1
            self._requeue(gate)

    def _pick(self) -> HostGate | None:
        """The busiest ready host not backing off; a backing-off one only if nothing else."""
        passed: list[tuple[int, int, HostGate]] = []
        chosen: HostGate | None = None
        while self._ready:
            entry = heapq.heappop(self._ready)
            gate = entry[2]
            if not gate.has_slot:  # throttled since it was queued; done() requeues it
                self._queued.discard(gate.name)
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
            self._queued.discard(chosen.name)
        return chosen

    def _hand_out(self, gate: HostGate) -> T:
        queue = self._pending[gate.name]
        item = queue.popleft()
        if not queue:
            del self._pending[gate.name]
            if not self._pending:  # idle workers may stop now
                self._changed.notify_all()
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
        heapq.heappush(self._ready, (-len(queue), next(self._arrivals), gate))
        self._queued.add(gate.name)
        return True
