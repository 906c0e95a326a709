"""The resolver: pins, blocked ranges, and reserved names answered without any query."""

from __future__ import annotations

import asyncio
import socket

import pytest

from linkcheck.engine.addresses import AddressPolicy, BlockedAddressError, GuardedResolver
from linkcheck.engine.resolve import Pin


class RecordingResolver:
    """A delegate that answers every name with one address and remembers what it was asked."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list:
        self.asked.append(host)
        return [
            {
                "hostname": host,
                "host": self.address,
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        pass


def resolve(resolver: GuardedResolver, host: str, port: int = 80) -> list:
    return asyncio.run(resolver.resolve(host, port))


@pytest.mark.parametrize("name", ["newsroom.invalid", "a.b.INVALID.", "invalid"])
def test_invalid_names_fail_without_asking_dns(name: str) -> None:
    delegate = RecordingResolver("127.0.0.1")
    resolver = GuardedResolver(AddressPolicy(), delegate=delegate)
    with pytest.raises(socket.gaierror):
        resolve(resolver, name)
    assert delegate.asked == []


def test_pins_answer_without_asking_dns() -> None:
    delegate = RecordingResolver("127.0.0.9")
    resolver = GuardedResolver(AddressPolicy(), [Pin("www.vice.com", 443, "127.0.0.5")], delegate)
    assert resolve(resolver, "WWW.Vice.com", 443)[0]["host"] == "127.0.0.5"
    assert delegate.asked == []
    assert resolve(resolver, "www.vice.com", 80)[0]["host"] == "127.0.0.9"


def test_a_name_resolving_to_the_metadata_address_is_refused() -> None:
    resolver = GuardedResolver(AddressPolicy(), delegate=RecordingResolver("169.254.169.254"))
    with pytest.raises(BlockedAddressError):
        resolve(resolver, "metadata.example.test")
