"""Shared fixtures: the real corpus (read-only) and a report-schema validator."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real corpus; the tests that need it skip only when the folder is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"the real corpus is not beside this clone ({CORPUS} is absent)")
    return CORPUS


# ---------------------------------------------------------------- loopback only
#
# The suite must never send a packet beyond 127.0.0.0/8, not even a DNS query.
# Every name lookup and every connection is checked here; anything else fails
# the test that tried it (linkcheck itself answers .invalid names without a query).

# uvloop resolves names and connects in C, past these guards: the suite runs linkcheck on
# asyncio's own loop whatever the environment says (tests/test_loop.py runs uvloop
# explicitly, against the local web).
os.environ.pop("LINKCHECK_LOOP", None)
_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback(host: object) -> bool:
    if host in (None, "localhost", b"localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).strip("[]")).is_loopback
    except ValueError:
        return False


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if not _loopback(host):
        raise AssertionError(f"test tried to resolve {host!r}: only loopback is allowed")
    return _real_getaddrinfo(host, *args, **kwargs)


def _check_address(address: object) -> None:
    if isinstance(address, tuple) and not _loopback(address[0]):
        raise AssertionError(f"test tried to connect to {address!r}: only loopback is allowed")


def _guarded_connect(self, address):  # type: ignore[no-untyped-def]
    _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):  # type: ignore[no-untyped-def]
    _check_address(address)
    return _real_connect_ex(self, address)


socket.getaddrinfo = _guarded_getaddrinfo
socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


# ---------------------------------------------------------------- nothing written here
#
# linkcheck's defaults write into the working folder (./.linkcheck/history.sqlite,
# ./reports/): a test that forgets to point them elsewhere must not leave files in the
# checkout (a history file left there changes the next run's results).


def _defaults_written() -> set[Path]:
    return {*ROOT.glob(".linkcheck/*"), *ROOT.glob("reports/*")}


@pytest.fixture(autouse=True, scope="session")
def _checkout_stays_clean() -> object:
    before = _defaults_written()
    yield
    left = sorted(str(p.relative_to(ROOT)) for p in _defaults_written() - before)
    assert not left, f"tests left files in the checkout: {left}"
