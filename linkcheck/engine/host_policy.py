"""How many requests one host gets at once, adapted to what the host says; pure logic.

A host starts at ``per_host`` requests in flight. Two signals mean "too much":

- **429** (the host is rate-limiting us): the whole host pauses for what its
  ``Retry-After`` asks (capped). A 429 without ``Retry-After`` says "too much"
  without saying how long: the host pauses for an exponential back-off and its
  limit halves, once per pause (the answers to requests sent before the pause
  began are the same signal, not a new one). With ``Retry-After`` the host has
  said what it wants, and the pause is it: the limit stays;
- **a burst of failures across different URLs**: among the last
  ``WINDOW_URLS`` URLs of the host answered within ``WINDOW_S``, at least
  ``BURST_URLS`` (half the window) whose first failure was a 503, a timeout or a
  reset, and at least half of those answered: the limit halves (no pause). A few
  failing URLs near the end of a host's queue, when few others answer, are not
  a burst.

One URL that answers 503 for ever is not the host asking everyone to slow down:
that URL alone is retried, with its own back-off. After successes the limit
grows back by one per round of ``limit`` successes (additive increase), up to
``per_host``; and ``QUIET_S`` seconds without a new sign of overload restore it
at once (a host whose last URLs are retries that hang has no successes to grow
back on, and would finish them a few at a time).

Every pause counts against the host's ``pause_budget_s``; once it is spent, the
host is not paused again and its 429s are final answers (``exhausted``), so a
host that keeps rate-limiting cannot stretch the run without bound.

Time is passed in (``now``), so all of this is tested without a clock.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

# URLs a host's burst detection looks back over, at most, and for how long. Counted by
# URL, not by answer: the retries of one failing URL are that URL's trouble only.
WINDOW_URLS = 16
WINDOW_S = 5.0
# Different URLs that must fail in the window before it counts as the host's trouble.
BURST_URLS = WINDOW_URLS // 2
# Seconds without a sign of overload after which a lowered limit is back at per_host.
QUIET_S = 10.0


@dataclass
class HostLimits:
    """One host's adaptive limit, its history (lowest, highest) and its pauses."""

    per_host: int
    pause_budget_s: float = 30.0
    limit: float = 0.0
    lowest: int = 0
    highest: int = 0
    paused_s: float = 0.0
    paused_until: float = 0.0
    throttled: int = 0
    # When the limit was last lowered.
    lowered_at: float = 0.0
    # The host's last answers, oldest first: (when, whether it was a URL's first failure).
    # A URL's retries add no failure (``_failed``), so the window counts URLs that fail.
    _recent: deque[tuple[float, bool]] = field(
        default_factory=lambda: deque(maxlen=WINDOW_URLS), repr=False
    )
    # URLs that have failed once already (only their first failure is evidence).
    _failed: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self.per_host = max(1, self.per_host)
        self.limit = float(self.per_host)
        self.lowest = self.highest = self.per_host

    @property
    def slots(self) -> int:
        """Requests the host may have in flight now."""
        return max(1, int(self.limit))

    @property
    def lowered(self) -> bool:
        return self.limit < self.per_host

    def slots_at(self, now: float) -> int:
        """Requests the host may have in flight at ``now``: ``slots``, back at ``per_host``
        once the host has been quiet for ``QUIET_S``."""
        if self.limit < self.per_host and now - self.lowered_at >= QUIET_S:
            self.limit = float(self.per_host)
            self.highest = self.per_host
        return self.slots

    @property
    def exhausted(self) -> bool:
        """The pause budget is spent: no more pauses, and a 429 is not retried."""
        return self.paused_s >= self.pause_budget_s

    def success(self, now: float, url: str) -> None:
        """An answer that is not a sign of overload: one step of additive increase."""
        self._remember(now, False)
        if self.limit < self.per_host:
            self.limit = min(float(self.per_host), self.limit + 1 / self.slots)
            self.highest = max(self.highest, self.slots)

    def failure(self, now: float, url: str) -> bool:
        """A 503, timeout or reset of ``url``; True when it completes a burst (limit halved).

        A URL is evidence once: its retries failing again say nothing new about the host
        (a few URLs that hang for ever would otherwise halve the limit at every round)."""
        if url in self._failed:
            return False
        self._failed.add(url)
        self._remember(now, True)
        failing = sum(failed for _, failed in self._recent)
        if failing < BURST_URLS or 2 * failing < len(self._recent):
            return False
        self._recent.clear()  # one burst, one decrease
        self._decrease(now)
        return True

    def rate_limited(self, now: float, asked_s: float, said: bool = False) -> float:
        """A 429: pause the host ``asked_s`` (within the budget); unless the host ``said``
        how long (Retry-After) or was already paused, halve the limit too.

        Returns the seconds the host's pause was extended by (0 once the budget is spent).
        """
        if not said and now >= self.paused_until:
            self._decrease(now)
        self.throttled += 1
        return self.pause(now, asked_s)

    def pause(self, now: float, seconds: float) -> float:
        """Pause the host until ``now + seconds``, counting only the extension, within budget."""
        start = max(now, self.paused_until)
        extension = min(now + seconds - start, self.pause_budget_s - self.paused_s)
        if extension <= 0:
            return 0.0
        self.paused_until = start + extension
        self.paused_s += extension
        return extension

    def merged(self, other: HostLimits) -> HostLimits:
        """Both passes over a host as one: the lowest and highest limits, the pauses added."""
        both = HostLimits(max(self.per_host, other.per_host), self.pause_budget_s)
        both.lowest = min(self.lowest, other.lowest)
        both.highest = max(self.highest, other.highest)
        both.paused_s = self.paused_s + other.paused_s
        return both

    def _decrease(self, now: float) -> None:
        self.limit = max(1.0, float(self.slots // 2))
        self.lowest = min(self.lowest, self.slots)
        self.lowered_at = now

    def _remember(self, now: float, failed: bool) -> None:
        recent = self._recent
        recent.append((now, failed))  # the deque drops the oldest beyond WINDOW_URLS
        while recent[0][0] < now - WINDOW_S:
            recent.popleft()
