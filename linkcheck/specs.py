"""The two small languages some settings are written in, parsed for config and engine alike.

- Status code sets, lychee-style: ``200..=299,429`` or ``200..300``: the codes that count
  as ok (``http.accept``, never empty) and the HEAD answers asked again as GET
  (``http.head_reask``, empty meaning "trust HEAD").
- Host pins, like curl's ``--resolve HOST:PORT:ADDR``: a host name pinned to an address.

Config validates settings with these parsers when it loads them; the engine parses the
same text again where it uses it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Pin:
    host: str
    port: int
    address: str


def parse_resolve(entry: str) -> Pin:
    """Parse one ``host:port:address`` entry (an IPv6 address may be in brackets)."""
    host, sep, rest = entry.partition(":")
    port_text, sep2, address = rest.partition(":")
    if not (sep and sep2 and host and port_text and address):
        raise ValueError(f"bad resolve entry {entry!r} (expected HOST:PORT:ADDRESS)")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"bad port in resolve entry {entry!r}")
    address = address.strip("[]")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"bad address in resolve entry {entry!r}") from None
    return Pin(host.lower(), int(port_text), address)
