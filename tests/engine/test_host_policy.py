"""The adaptive per-host limit, as pure logic: no server, no clock."""

from __future__ import annotations

from linkcheck.engine.host_policy import BURST_URLS, QUIET_S, WINDOW_S, WINDOW_URLS, HostLimits


def test_one_url_failing_for_ever_does_not_slow_the_host():
    limits = HostLimits(per_host=8)
    for n in range(30):
        limits.failure(float(n), "http://h/broken")  # the same URL, again and again
        limits.success(float(n), f"http://h/ok{n}")
    assert limits.slots == 8 and limits.lowest == 8


def test_a_burst_across_different_urls_halves_the_limit_once():
    limits = HostLimits(per_host=8)
    halved = [limits.failure(1.0, f"http://h/{n}") for n in range(BURST_URLS)]
    assert halved == [False] * (BURST_URLS - 1) + [True]
    assert limits.slots == 4 and limits.lowest == 4
    assert limits.failure(1.1, "http://h/x") is False  # the window starts afresh
    assert limits.slots == 4


def test_failures_that_are_a_small_share_of_the_answers_are_no_burst():
    limits = HostLimits(per_host=8)
    for n in range(60):  # one URL in four fails
        if n % 4:
            limits.success(1.0, f"http://h/ok{n}")
        else:
            assert limits.failure(1.0, f"http://h/bad{n}") is False
    assert limits.slots == 8


def test_a_few_failures_when_few_others_answer_are_no_burst():
    limits = HostLimits(per_host=8)
    limits.success(1.0, "http://h/ok")
    for n in range(BURST_URLS - 1):  # the end of a host's queue: its last, failing URLs
        assert limits.failure(1.0, f"http://h/bad{n}") is False
    assert limits.slots == 8


def test_failures_far_apart_are_no_burst():
    limits = HostLimits(per_host=8)
    for n in range(BURST_URLS * 3):
        limits.failure(n * (WINDOW_S + 1), f"http://h/{n}")
    assert limits.slots == 8


def test_limit_grows_back_one_per_round_of_successes():
    limits = HostLimits(per_host=8)
    limits.rate_limited(0.0, 1.0)
    limits.rate_limited(1.5, 1.0)
    assert limits.slots == 2 and limits.lowest == 2
    for _ in range(2):  # one round at 2 slots
        limits.success(10.0, "http://h/a")
    assert limits.slots == 3
    for _ in range(100):
        limits.success(10.0, "http://h/a")
    assert limits.slots == 8 and limits.highest == 8 and limits.lowest == 2


def test_a_429_pauses_the_host_for_what_it_asked():
    limits = HostLimits(per_host=6, pause_budget_s=60)
    assert limits.rate_limited(100.0, 5.0) == 5.0
    assert limits.paused_until == 105.0 and limits.slots == 3
    # Overlapping pauses count once: 2 s more, not 7; and a 429 to a request sent before
    # the pause is the same signal: the limit is not halved again.
    assert limits.rate_limited(102.0, 5.0) == 2.0 and limits.paused_s == 7.0
    assert limits.slots == 3
    limits.rate_limited(107.0, 1.0)
    assert limits.slots == 1


def test_pauses_stop_at_the_budget_and_then_429s_are_final():
    limits = HostLimits(per_host=6, pause_budget_s=12)
    now = 0.0
    for _ in range(10):
        limits.rate_limited(now, 5.0)
        now = limits.paused_until
    assert limits.paused_s == 12.0 and limits.exhausted
    assert limits.rate_limited(now, 5.0) == 0.0 and limits.paused_until == 12.0


def test_never_below_one_slot():
    limits = HostLimits(per_host=1)
    limits.rate_limited(0.0, 0.0)
    for n in range(10):
        limits.failure(0.0, f"http://h/{n}")
    assert limits.slots == 1 and limits.lowest == 1


def test_retries_of_failing_urls_do_not_outweigh_the_others():
    limits = HostLimits(per_host=8)
    for n in range(WINDOW_URLS - BURST_URLS + 2):
        limits.success(1.0, f"http://h/ok{n}")
    for n in range(BURST_URLS - 2):  # a few failing URLs, each asked three times
        for _ in range(3):
            assert limits.failure(1.0, f"http://h/bad{n}") is False
    assert limits.slots == 8


def test_a_quiet_host_is_back_at_full_speed():
    limits = HostLimits(per_host=8)
    limits.rate_limited(100.0, 1.0)
    limits.rate_limited(102.0, 1.0)
    assert limits.slots_at(102.0 + QUIET_S - 0.1) == 2  # not quiet long enough
    assert limits.slots_at(102.0 + QUIET_S) == 8 and limits.lowest == 2


def test_two_passes_over_a_host_merge():
    first, second = HostLimits(per_host=8), HostLimits(per_host=8)
    first.rate_limited(0.0, 2.0)
    second.rate_limited(0.0, 3.0)
    second.rate_limited(5.0, 1.0)
    both = first.merged(second)
    assert (both.lowest, both.highest, both.paused_s) == (2, 8, 6.0)


def test_a_429_that_says_how_long_pauses_without_lowering_the_limit():
    limits = HostLimits(per_host=8)
    assert limits.rate_limited(0.0, 5.0, said=True) == 5.0
    assert limits.slots == 8 and limits.lowest == 8 and limits.paused_until == 5.0
