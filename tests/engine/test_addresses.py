"""The resolver: pins, blocked ranges, and reserved names answered without any query."""

from __future__ import annotations

import asyncio
import socket

import pytest

from linkcheck.engine.addresses import (
    AddressPolicy,
    BlockedAddressError,
    GuardedResolver,
    blocked_reason,
)
from linkcheck.specs import Pin


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


@pytest.mark.parametrize(
    ("spelling", "reached"),
    [
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),  # NAT64
        ("64:ff9b::169.254.169.254", "169.254.169.254"),
        ("2002:a9fe:a9fe::1", "169.254.169.254"),  # 6to4
        ("::169.254.169.254", "169.254.169.254"),  # IPv4-compatible
        ("::ffff:169.254.169.254", "169.254.169.254"),  # IPv4-mapped
        ("2001:0:4136:e378:8000:63bf:5601:5601", "169.254.169.254"),  # Teredo
        ("64:ff9b::6464:64c8", "100.100.100.200"),  # Alibaba's metadata, through NAT64
    ],
)
def test_ipv6_spellings_of_a_metadata_address_are_blocked(spelling, reached):
    reason = blocked_reason(spelling, AddressPolicy())
    assert reason == f"blocked address {reached} (link-local/metadata)"


@pytest.mark.parametrize(
    ("spelling", "kind"),
    [("2002:7f00:1::1", "loopback"), ("::10.0.0.1", "private"), ("64:ff9b::c0a8:101", "private")],
)
def test_ipv6_spellings_follow_the_ipv4_ranges_policy(spelling, kind):
    assert blocked_reason(spelling, AddressPolicy()) is None  # loopback and private allowed
    strict = AddressPolicy(allow_private=False, allow_loopback=False)
    assert (blocked_reason(spelling, strict) or "").endswith(f"({kind})")


def test_public_addresses_through_nat64_stay_allowed():
    assert blocked_reason("64:ff9b::8.8.8.8", AddressPolicy()) is None
    assert blocked_reason("2606:4700::1", AddressPolicy()) is None


def test_a_name_resolving_to_nat64_metadata_is_refused():
    resolver = GuardedResolver(AddressPolicy(), delegate=RecordingResolver("64:ff9b::a9fe:a9fe"))
    with pytest.raises(BlockedAddressError, match=r"169\.254\.169\.254"):
        resolve(resolver, "evil.example")
