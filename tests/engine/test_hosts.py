"""The per-host gate and scheduler, on a fake clock: no server, no real sleeping."""

from __future__ import annotations

import asyncio

from linkcheck.engine.hosts import FILL_STEP, HostGate, HostPool, Scheduler


class FakeTime:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self, advance: bool = True) -> None:
        self.now = 100.0
        self.advance = advance
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds if self.advance else 0
        await asyncio.sleep(0)


def test_interval_spaces_request_starts():
    t = FakeTime(advance=False)  # all three arrive at the same instant
    gate = HostGate("h", limit=4, interval_s=0.5, clock=t.clock, sleep=t.sleep)
    starts: list[float] = []

    async def send() -> None:
        async with gate.send():
            starts.append(t.now)

    async def main() -> None:
        await asyncio.gather(*(send() for _ in range(3)))

    asyncio.run(main())
    assert t.sleeps == [0.5, 1.0]  # starts reserved at +0, +0.5, +1.0


def test_backoff_is_waited_out_by_every_sender():
    t = FakeTime()
    gate = HostGate("h", limit=6, clock=t.clock, sleep=t.sleep)
    gate.throttle(2.0)
    assert gate.backing_off and gate.limit == 3  # first throttle halves the slots

    async def main() -> None:
        async with gate.send():
            pass

    asyncio.run(main())
    assert t.sleeps == [2.0] and not gate.backing_off
    gate.throttle(1.0)
    assert gate.limit == 1 and gate.throttled == 2  # each 429 halves: 6 -> 3 -> 1
    gate.throttle(1.0)
    assert gate.limit == 1  # never below one


def test_backoff_never_shrinks():
    t = FakeTime()
    gate = HostGate("h", limit=2, clock=t.clock, sleep=t.sleep)
    gate.throttle(5.0)
    gate.throttle(1.0)
    assert gate.backoff_until == 105.0


def test_pool_shares_a_gate_per_host_name():
    pool = HostPool(per_host=3)
    assert pool.gate("Example.org") is pool.gate("example.org")
    assert pool.gate("a.example") is not pool.gate("b.example")


def test_scheduler_never_exceeds_slots_and_serves_the_busiest_host_first():
    pool = HostPool(per_host=2)
    items = [("a", f"a{i}") for i in range(6)] + [("b", f"b{i}") for i in range(3)]
    order: list[str] = []
    peak: dict[str, int] = {}

    async def main() -> None:
        scheduler: Scheduler[str] = Scheduler(pool, items)

        async def worker() -> None:
            while (taken := await scheduler.take()) is not None:
                gate, item = taken
                order.append(item)
                peak[gate.name] = max(peak.get(gate.name, 0), gate.in_flight)
                await asyncio.sleep(0.001)
                await scheduler.done(gate)

        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(8))), 5)

    asyncio.run(main())
    assert sorted(order) == sorted(item for _, item in items)
    assert peak == {"a": 2, "b": 2}
    # a (6 items) fills its two slots before b (3 items); then b fills its own.
    assert order[:4] == ["a0", "a1", "b0", "b1"]


def test_scheduler_prefers_hosts_not_backing_off():
    pool = HostPool(per_host=1)
    pool.gate("slow").throttle(60.0)

    async def main() -> list[str]:
        scheduler: Scheduler[str] = Scheduler(pool, [("slow", "s"), ("fast", "f")])
        taken = await scheduler.take()
        assert taken is not None
        return [taken[1]]

    assert asyncio.run(main()) == ["f"]


def test_scheduler_with_nothing_to_do_ends_at_once():
    async def main() -> object:
        return await asyncio.wait_for(Scheduler(HostPool(1), []).take(), 1)

    assert asyncio.run(main()) is None


def test_scheduler_pulls_lazily_within_its_window():
    pool = HostPool(per_host=1)
    pulled: list[str] = []
    done: list[str] = []

    def items():
        for i in range(12):
            pulled.append(f"x{i}")
            yield ("a" if i % 3 else "b"), f"x{i}"

    async def main() -> None:
        scheduler: Scheduler[str] = Scheduler(pool, items(), window=3)
        assert len(pulled) == 3  # the first fill, nothing more

        async def worker() -> None:
            while (taken := await scheduler.take()) is not None:
                gate, item = taken
                assert len(pulled) - len(done) <= 3
                await asyncio.sleep(0.001)
                done.append(item)
                await scheduler.done(gate)

        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(4))), 5)

    asyncio.run(main())
    assert sorted(done) == sorted(pulled) and len(done) == 12


def test_scheduler_reorders_hosts_as_pulled_items_arrive():
    pool = HostPool(per_host=1)
    # b is queued first with 2 items; a arrives later and grows to 3 while queued.
    items = [("b", "b0"), ("b", "b1"), ("a", "a0"), ("a", "a1"), ("a", "a2")]

    async def main() -> str:
        scheduler: Scheduler[str] = Scheduler(pool, iter(items), window=5)
        taken = await scheduler.take()
        assert taken is not None
        return taken[1]

    assert asyncio.run(main()) == "a0"  # the busiest host now, not the first queued


def test_scheduler_fills_a_large_window_in_steps():
    """A whole window admitted up front would hold back every worker's first request."""
    pulled: list[int] = []

    def items():
        for i in range(1000):
            pulled.append(i)
            yield f"h{i % 50}", i

    async def main() -> None:
        scheduler: Scheduler[int] = Scheduler(HostPool(per_host=2), items(), window=500)
        assert len(pulled) == FILL_STEP
        first = await scheduler.take()
        assert first is not None and len(pulled) == 2 * FILL_STEP
        await scheduler.done(first[0])
        assert len(pulled) == 3 * FILL_STEP

    asyncio.run(main())


def test_take_pulls_past_full_hosts_beyond_one_step():
    """No ready host in the first steps: take keeps pulling instead of waiting for a done."""
    items = [("a", f"a{i}") for i in range(3 * FILL_STEP)] + [("b", "b0")]

    async def main() -> list[str]:
        scheduler: Scheduler[str] = Scheduler(HostPool(per_host=1), iter(items), window=None)
        first = await asyncio.wait_for(scheduler.take(), 1)
        second = await asyncio.wait_for(scheduler.take(), 1)  # a's one slot is taken
        assert first is not None and second is not None
        return [first[1], second[1]]

    assert asyncio.run(main()) == ["a0", "b0"]
