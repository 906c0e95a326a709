"""Progress on stderr: a bar on a terminal, a few plain lines when not (CI logs stay short)."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # tqdm is imported only to draw a bar: most runs (CI, cron) never do
    from tqdm import tqdm


class Progress:
    """Counts checked URLs; ``mode`` is ``auto`` (bar only on a terminal), ``always``, ``never``."""

    # In line mode, at most one line per this many seconds.
    LINE_INTERVAL_S = 10.0

    def __init__(self, mode: str = "auto") -> None:
        self.bar_enabled = mode == "always" or (mode == "auto" and sys.stderr.isatty())
        self.lines_enabled = mode == "auto" and not self.bar_enabled
        self._bar: tqdm | None = None
        self.total = 0
        self.done = 0
        self._last_line = time.monotonic()

    def start(self, total: int, what: str = "URLs") -> None:
        self.total, self.done = total, 0
        if self._bar is not None:
            self._bar.close()
        if self.bar_enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit=" " + what, file=sys.stderr, leave=False)
        elif self.lines_enabled and total:
            print(f"checking {total} {what}", file=sys.stderr)

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self._bar is not None:
            self._bar.update(count)
        elif self.lines_enabled and time.monotonic() - self._last_line >= self.LINE_INTERVAL_S:
            self._last_line = time.monotonic()
            print(f"checked {self.done}/{self.total}", file=sys.stderr)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.close()
