"""Which addresses linkcheck may connect to, checked on the address actually used.

A link checker fetches URLs written by other people, so a record (or a redirect)
can point it at a cloud metadata service or the machine's own admin pages. The
check is made on the *resolved* address: IP literals before any connection, DNS
names inside the resolver (so ``evil.example -> 169.254.169.254`` is caught
too), redirect hops included. ``--resolve`` pins live in the same resolver; TLS
SNI and the Host header keep the real name because aiohttp only asks the
resolver for an address.

Known gap: through an HTTP proxy (``trust_env``) names are resolved by the
proxy, so only IP literals are checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp import DefaultResolver
from aiohttp.abc import AbstractResolver, ResolveResult

from linkcheck.specs import Pin

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud instance metadata endpoints outside 169.254.0.0/16 (AWS IPv6, Alibaba,
# Oracle's legacy alias); always treated as link-local.
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)
_LINK_LOCAL_V4 = ipaddress.ip_network("169.254.0.0/16")
# The well-known NAT64 prefix (RFC 6052): the last 32 bits are the IPv4 address reached.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class AddressPolicy:
    """Which ranges may be requested; link-local (cloud metadata) is refused by default."""

    allow_private: bool = True
    allow_loopback: bool = True
    allow_link_local: bool = False


def blocked_reason(address: str | IPAddress, policy: AddressPolicy) -> str | None:
    """Why ``address`` must not be requested, or None when it may be.

    An IPv6 address that carries an IPv4 one (mapped, compatible, NAT64, 6to4,
    Teredo) is judged as that IPv4 address: ``64:ff9b::a9fe:a9fe`` is 169.254.169.254.
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        ip = embedded_ipv4(ip) or ip
    if ip in _METADATA or (ip.version == 4 and ip in _LINK_LOCAL_V4) or ip.is_link_local:
        return None if policy.allow_link_local else f"blocked address {ip} (link-local/metadata)"
    if ip.is_unspecified or ip.is_multicast:
        return f"blocked address {ip} (not a unicast host)"
    if ip.is_loopback:
        return None if policy.allow_loopback else f"blocked address {ip} (loopback)"
    if ip.is_private or ip in ipaddress.ip_network("100.64.0.0/10"):
        return None if policy.allow_private else f"blocked address {ip} (private)"
    return None


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 spelling reaches, when it is one of the spellings that
    translate to IPv4 on the way: IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
    (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d), 6to4 (2002:aabb:ccdd::) and Teredo."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64 or (int(ip) >> 32 == 0 and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def literal_address(host: str) -> IPAddress | None:
    """The IP address when ``host`` is an IP literal (brackets allowed), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class BlockedAddressError(OSError):
    """Every address a name resolved to is refused by the policy.

    An OSError so that aiohttp wraps it like a DNS failure
    (``ClientConnectorDNSError.os_error``); the exception map looks for it first.
    """


class GuardedResolver(AbstractResolver):
    """Answers pinned ``host:port`` itself, delegates the rest, then drops refused addresses.

    A delegate that does not answer within ``timeout_s`` fails like a resolver nobody
    reached (``EAI_AGAIN``): a temporary failure, never "no such name".
    """

    def __init__(
        self,
        policy: AddressPolicy,
        pins: Iterable[Pin] = (),
        delegate: AbstractResolver | None = None,
        timeout_s: float | None = None,
    ) -> None:
        self._policy = policy
        self._pins = {(p.host, p.port): p.address for p in pins}
        self._delegate = delegate or DefaultResolver()
        self._timeout_s = timeout_s

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        name = host.lower().rstrip(".")
        if name == "invalid" or name.endswith(".invalid"):
            # RFC 6761 section 6.4: resolvers answer "invalid" names negatively by
            # themselves; no query leaves the machine.
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: reserved name never resolves")
        pinned = self._pins.get((name, port))
        if pinned is not None:
            answers = [_answer(host, pinned, port)]
        else:
            answers = await self._ask(host, port, family)
        allowed = [a for a in answers if blocked_reason(a["host"], self._policy) is None]
        if not allowed:
            reason = blocked_reason(answers[0]["host"], self._policy) if answers else None
            raise BlockedAddressError(f"{host} resolves to a {reason or 'no address'}")
        return allowed

    async def _ask(self, host: str, port: int, family: socket.AddressFamily) -> list[ResolveResult]:
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._delegate.resolve(host, port, family)
        except TimeoutError:
            raise socket.gaierror(
                socket.EAI_AGAIN, f"no answer within {self._timeout_s:g} s"
            ) from None

    async def close(self) -> None:
        await self._delegate.close()


def _answer(host: str, address: str, port: int) -> ResolveResult:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return {
        "hostname": host,
        "host": address,
        "port": port,
        "family": family,
        "proto": 0,
        "flags": socket.AI_NUMERICHOST,
    }
