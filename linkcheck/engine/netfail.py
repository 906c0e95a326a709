"""What a failed name lookup or connection says about the network, in words a report can use.

The unpublish rule and the degraded-run rule both hang on one distinction: an answer that
says *this is gone* (the resolver says the name does not exist) against a failure that only
says *we could not ask* (the resolver was unreachable, timed out or failed; the network
was unreachable). getaddrinfo tells them apart by its error code: ``EAI_NONAME`` is the
resolver's NXDOMAIN; ``EAI_AGAIN`` (no resolver answered, SERVFAIL), ``EAI_FAIL``,
``EAI_NODATA`` and anything else are not proof that the name is gone. aiohttp's optional
c-ares resolver (aiodns) reports the same through its own codes, kept as the cause.
"""

from __future__ import annotations

import errno
import socket

# getaddrinfo's code for "no such name": the resolver answered, and the name does not exist.
_NO_SUCH_NAME = socket.EAI_NONAME
# c-ares (aiodns) codes: ENOTFOUND is its NXDOMAIN; the others name the temporary kinds.
_ARES_NOT_FOUND = 4
_ARES_NAMES = {1: "NODATA", 3: "SERVFAIL", 6: "REFUSED", 11: "resolver refused", 12: "timeout"}
_EAI_NAMES = {
    getattr(socket, name): name
    for name in ("EAI_AGAIN", "EAI_FAIL", "EAI_NODATA", "EAI_SYSTEM", "EAI_MEMORY", "EAI_SERVICE")
    if hasattr(socket, name)
}
# connect() errors that say the network (not the server) could not be reached.
NETWORK_ERRNOS = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN})


def resolver_failure(host: str, error: BaseException | None) -> tuple[bool, str]:
    """(the name does not exist, the text for ``error``) of a failed lookup of ``host``.

    Only the resolver's own "no such name" is definitive; every other failure is
    temporary: asking again, later or from elsewhere, may well succeed.
    """
    code = getattr(error, "errno", None)
    if isinstance(error, socket.gaierror) and code == _NO_SUCH_NAME:
        return True, f"DNS: no such name {host} (NXDOMAIN)"
    ares = _ares_code(error)
    if ares == _ARES_NOT_FOUND:
        return True, f"DNS: no such name {host} (NXDOMAIN)"
    if ares is not None:
        detail = _ARES_NAMES.get(ares, f"c-ares error {ares}")
    elif isinstance(error, socket.gaierror) and code in _EAI_NAMES:
        said = error.strerror
        detail = f"{_EAI_NAMES[code]}: {said}" if said else _EAI_NAMES[code]
    else:
        detail = _first_line(error)
    return False, f"DNS: temporary failure resolving {host} ({detail})"


def is_network_unreachable(error: BaseException | None) -> bool:
    """A connect error that says no route to the server: the network, not the server."""
    return isinstance(error, OSError) and error.errno in NETWORK_ERRNOS


def _ares_code(error: BaseException | None) -> int | None:
    cause = getattr(error, "__cause__", None)
    if cause is None or not type(cause).__module__.startswith("aiodns"):
        return None
    code = cause.args[0] if cause.args else None
    return code if isinstance(code, int) else None


def _first_line(error: BaseException | None) -> str:
    if error is None:
        return "no answer"
    text = " ".join(
        (getattr(error, "strerror", None) or str(error) or type(error).__name__).split()
    )
    return text[:120]
