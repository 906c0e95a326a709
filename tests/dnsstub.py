"""A stub resolver in linkcheck's DNS layer: names answer as a test says, like getaddrinfo.

linkcheck asks ``GuardedResolver``, which delegates to aiohttp's ``DefaultResolver``
(getaddrinfo in a thread). Tests replace that delegate (``use_stub_dns``) with a
``StubResolver`` that fails the way getaddrinfo does: ``EAI_NONAME`` for a name that does
not exist (NXDOMAIN), ``EAI_AGAIN`` when no resolver could be reached or it answered
SERVFAIL, or no answer at all. Everything above it (aiohttp's connector, linkcheck's
engine) runs for real; the suite's loopback guard still sees every connection.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

# What a name does when it has no address: the getaddrinfo error it raises, or "hang".
NXDOMAIN = "nxdomain"
AGAIN = "again"  # resolver unreachable, SERVFAIL: glibc says EAI_AGAIN
HANG = "hang"  # the resolver never answers

_ERRORS = {
    NXDOMAIN: (socket.EAI_NONAME, "Name or service not known"),
    AGAIN: (socket.EAI_AGAIN, "Temporary failure in name resolution"),
}


class StubResolver(AbstractResolver):
    """``addresses`` map names to loopback addresses; ``behaviour`` says what the other
    names do (NXDOMAIN, AGAIN or HANG), ``default`` for names it does not list."""

    def __init__(
        self,
        addresses: Mapping[str, str] | None = None,
        behaviour: Mapping[str, str] | None = None,
        default: str = NXDOMAIN,
        fail_first: Mapping[str, int] | None = None,
    ) -> None:
        self.addresses = dict(addresses or {})
        self.behaviour = dict(behaviour or {})
        self.default = default
        # A listed name fails with EAI_AGAIN this many times before it resolves.
        self.fail_first = dict(fail_first or {})
        # When set (AGAIN, HANG...), every name does that: the resolver is out of reach.
        self.outage: str | None = None
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if self.outage is not None:
            return await self._fail(self.outage)
        if self.fail_first.get(host, 0) >= self.asked.count(host):
            raise socket.gaierror(*_ERRORS[AGAIN])
        if host in self.addresses:
            return [_answer(host, self.addresses[host], port)]
        return await self._fail(self.behaviour.get(host, self.default))

    async def _fail(self, what: str) -> list[ResolveResult]:
        if what == HANG:
            await asyncio.sleep(3600)
        code, text = _ERRORS[what]
        raise socket.gaierror(code, text)

    async def close(self) -> None:
        return None


def use_stub_dns(monkeypatch: pytest.MonkeyPatch, stub: StubResolver) -> StubResolver:
    """Make every resolver linkcheck builds from now on delegate to ``stub``."""
    monkeypatch.setattr("linkcheck.engine.addresses.DefaultResolver", lambda: stub)
    return stub


def _answer(host: str, address: str, port: int) -> ResolveResult:
    return {
        "hostname": host,
        "host": address,
        "port": port,
        "family": socket.AF_INET,
        "proto": 0,
        "flags": socket.AI_NUMERICHOST,
    }
