"""The degraded-run rule, alone: host counts, thresholds, old news, canaries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from linkcheck.config import load_config
from linkcheck.errors import ConfigError
from linkcheck.health.changes import Observation
from linkcheck.health.outage import HostCounts, host_counts, judge_run
from linkcheck.model import FailureKind, Outcome, UrlResult

T = datetime(2026, 11, 26, tzinfo=UTC)


@pytest.mark.parametrize(
    ("failed", "contacted", "degraded"),
    [(4, 4, False), (5, 10, True), (5, 11, False), (40, 44, True), (0, 0, False)],
)
def test_at_least_half_and_at_least_five_hosts(failed: int, contacted: int, degraded: bool):
    found = judge_run(HostCounts(contacted, failed), [], min_hosts=5, share=0.5)
    assert (found is not None) is degraded
    if found is not None:
        assert (found.failed_hosts, found.contacted_hosts) == (failed, contacted)


def test_the_rule_is_tunable():
    assert judge_run(HostCounts(10, 3), [], min_hosts=3, share=0.3) is not None
    assert judge_run(HostCounts(10, 9), [], min_hosts=3, share=1.0) is None


def test_a_host_counts_as_failed_only_when_nothing_of_it_answered_and_it_is_news():
    answered = {"up.test": True, "half.test": True, "down.test": False, "gone.test": False}
    failed = [
        ("half.test", "https://half.test/a"),
        ("down.test", "https://down.test/a"),
        ("gone.test", "https://gone.test/a"),
        ("gone.test", "https://gone.test/b"),
    ]
    unreachable = Observation(1, T, Outcome.UNREACHABLE, failure=FailureKind.REFUSED)
    recent = {"https://gone.test/a": [unreachable], "https://gone.test/b": [unreachable]}
    assert host_counts(answered, failed, recent) == HostCounts(contacted=3, failed=1)
    # One URL of the host that is news makes the host news.
    ok = Observation(1, T, Outcome.OK)
    recent["https://gone.test/b"] = [ok, unreachable]
    assert host_counts(answered, failed, recent) == HostCounts(contacted=4, failed=2)


def test_a_failed_canary_degrades_whatever_the_hosts_say():
    up = UrlResult("https://canary.test/", Outcome.OK, 200, "https://canary.test/")
    down = UrlResult("https://c2.test/", Outcome.TIMEOUT, None, "", error="connect timed out")
    assert judge_run(HostCounts(100, 0), [up], 5, 0.5) is None
    found = judge_run(HostCounts(100, 0), [up, down], 5, 0.5)
    assert (
        found is not None
        and found.reason == "canary URL https://c2.test/ failed: connect timed out"
    )
    assert found.to_dict()["failed_canaries"] == [
        {"url": "https://c2.test/", "error": "connect timed out"}
    ]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"http.degraded_share": 1.5}, "http.degraded_share: expected a share of 1 or less"),
        ({"http.degraded_share": 0}, "http.degraded_share: expected a number above 0"),
        ({"http.degraded_min_hosts": 0}, "http.degraded_min_hosts: expected a number above 0"),
        ({"http.canary_urls": ["ftp://x.test/"]}, "http.canary_urls: 'ftp://x.test/' is not"),
        ({"unpublish.dead_statuses": [200]}, "unpublish.dead_statuses: 200 is not a 4xx"),
        ({"unpublish.soft_min_runs": 0}, "unpublish.soft_min_runs: expected a number above 0"),
    ],
)
def test_settings_are_checked(override, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_config(None, override)
