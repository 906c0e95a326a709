"""Passwords in URLs (``http://admin:hunter2@host/``): sent with the request, shown nowhere.

A record may link a page behind HTTP basic auth by writing the credentials into the URL.
The request needs them; nothing else does, and everything else is written somewhere a
password must not go: the reports, the terminal and CI logs, the history store (often a CI
cache). So they are kept apart where a link is made (``links``): the link's ``url``, the
key every later stage uses, has its userinfo masked (``admin:***@``; a user name alone may
be a token, so it becomes ``***@``), and the URL to request travels beside it
(``LinkRef.request_url``, then the run's work store, then ``UrlCheck.request_url``) to the
fetch. A file holding such a link is not kept in the parse cache. Whatever comes back from
the network (a final URL, redirect hops, error text) is masked as it enters the run
(``masked_fetched``), in case a server echoes credentials back.

Two links that differ only in their password share one masked key: they are checked once,
with the first password met.
"""

from __future__ import annotations

import dataclasses
import re

from linkcheck.model import Fetched, Hop

MASK = "***"
# scheme://userinfo@ in any text: userinfo runs to the last "@" before the path.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^/?#\s@]*(?:@[^/?#\s@]*)*)@")


def split_userinfo(url: str) -> tuple[str, str | None]:
    """``(masked url, url to request)`` of a URL with userinfo; ``(url, None)`` otherwise."""
    masked = mask_text(url)
    return (url, None) if masked == url else (masked, url)


def mask_text(text: str) -> str:
    """``text`` with the userinfo of every URL in it masked."""
    if "@" not in text:
        return text
    return _USERINFO.sub(_mask, text)


def has_userinfo(url: str) -> bool:
    return "@" in url and _USERINFO.search(url) is not None


def _mask(match: re.Match[str]) -> str:
    scheme, userinfo = match.group(1), match.group(2)
    user, colon, _ = userinfo.partition(":")
    if colon and user:
        return f"{scheme}{user}:{MASK}@"
    return f"{scheme}{MASK}@"


def masked_fetched(fetched: Fetched) -> Fetched:
    """``fetched`` with its final URL, redirect hops and error text masked (the network's
    answer as it enters the run)."""
    texts = (fetched.final_url, fetched.error or "", *(hop.url for hop in fetched.redirects))
    if not any("@" in text for text in texts):
        return fetched
    return dataclasses.replace(
        fetched,
        final_url=mask_text(fetched.final_url),
        redirects=tuple(Hop(mask_text(h.url), h.status) for h in fetched.redirects),
        error=mask_text(fetched.error) if fetched.error else fetched.error,
    )
