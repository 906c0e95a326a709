"""Status code sets written lychee-style: ``200..=299,429`` or ``200..300``.

Used for the codes that count as ok (``http.accept``, never empty) and the HEAD
answers asked again as GET (``http.head_reask``, empty meaning "trust HEAD").
"""

from __future__ import annotations

import re

_RANGE = re.compile(r"^(\d{3})?\.\.(=)?(\d{3})?$")


def parse_accept(spec: str) -> frozenset[int]:
    """The set of status codes a spec accepts; ValueError names the bad part."""
    codes = parse_statuses(spec)
    if not codes:
        raise ValueError("no status codes accepted")
    return codes


def parse_statuses(spec: str) -> frozenset[int]:
    """The set of status codes a spec names, possibly empty; ValueError names the bad part."""
    codes: set[int] = set()
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if part.isdigit():
            codes.add(_code(part))
            continue
        match = _RANGE.match(part)
        if not match:
            raise ValueError(f"bad status range {part!r} (expected e.g. 200..=299,429)")
        low = _code(match.group(1) or "100")
        high = _code(match.group(3) or "999")
        if match.group(3) and not match.group(2):
            high -= 1
        if low > high:
            raise ValueError(f"empty status range {part!r}")
        codes.update(range(low, high + 1))
    return frozenset(codes)


def _code(text: str) -> int:
    value = int(text)
    if not 100 <= value <= 999:
        raise ValueError(f"status code {value} out of range 100..999")
    return value
