"""``--resolve HOST:PORT:ADDR`` like curl: pin a host name to an address."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


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
