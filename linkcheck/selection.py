"""Which flagged records ``linkcheck unpublish`` may act on.

A report from a degraded run (the network looked down) is refused outright: nothing it
says about links is evidence, even if it was edited to flag records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from linkcheck.report_view import degraded


def degraded_report(report: Mapping[str, Any]) -> str | None:
    """Why ``--apply`` refuses this report, or None when it may act on it."""
    found = degraded(report)
    if found is None:
        return None
    return (
        f"refused: the report comes from a degraded run ({found.get('reason') or 'network down'});"
        " check the network and run linkcheck check again"
    )
