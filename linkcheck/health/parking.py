"""Parked domains: a page that is a domain-parking or for-sale page, not the article.

Pure, over what the fetch already has: the redirect hops and final URL, the first bytes of
the body and the page's names (``<title>``, ``og:title``, first ``<h1>``, from
``content.scan_html``). The markers are data (``parking.yaml``, shipped with the package)
and config extends them; three kinds, each specific enough that a news article about domain
sales is not taken for a parked page:

- ``hosts``: a hop or the final URL on a parking or domain-sale service (``sedo.com``,
  ``dan.com``...) or a subdomain of one;
- ``markup``: a string only parking pages load (a parking service's lander script, Google's
  AdSense for Domains), searched in the lower-cased body read so far;
- ``phrases``: a phrase in the page's name ("this domain is for sale"), unless the record's
  own title says it too (an article about domain sales).

The first marker found is returned as a short text for the report (``host sedo.com``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

import yaml

PARKED_DOMAIN = "parked_domain"
_KINDS = ("hosts", "markup", "phrases")


@dataclass(frozen=True)
class ParkingMarkers:
    """What marks a parking page; all lower case."""

    hosts: frozenset[str] = frozenset()
    markup: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()

    def extended(
        self, hosts: Sequence[str] = (), markup: Sequence[str] = (), phrases: Sequence[str] = ()
    ) -> ParkingMarkers:
        """These markers plus more (from config)."""
        return ParkingMarkers(
            self.hosts | {h.lower().strip(".") for h in hosts},
            _unique(self.markup, markup),
            _unique(self.phrases, phrases),
        )


def _unique(old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*old, *(s.lower() for s in new if s.strip())]))


def shipped_markers() -> ParkingMarkers:
    """The markers shipped in ``parking.yaml``; a broken data file is a bug, so it raises."""
    text = resources.files("linkcheck.health").joinpath("parking.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or set(data) != set(_KINDS):
        raise ValueError(f"parking.yaml: expected the keys {', '.join(_KINDS)}")
    for kind in _KINDS:
        if not all(isinstance(item, str) and item.strip() for item in data[kind]):
            raise ValueError(f"parking.yaml: {kind}: expected a list of non-empty strings")
    return ParkingMarkers().extended(data["hosts"], data["markup"], data["phrases"])


def parking_marker(
    urls: Iterable[str],
    body: bytes,
    names: Iterable[str | None],
    markers: ParkingMarkers,
    record_title: str | None = None,
) -> str | None:
    """The first marker saying the page is parked (``host dan.com``), or None.

    ``urls`` are the redirect hops and the final URL; ``names`` the page's title, og:title
    and first h1.
    """
    for url in urls:
        host = _on_listed_host(url, markers.hosts)
        if host:
            return f"host {host}"
    if body and markers.markup:
        lower = body.lower()
        for marker in markers.markup:
            if marker.encode() in lower:
                return f"markup {marker!r}"
    own = (record_title or "").casefold()
    for name in names:
        text = " ".join((name or "").casefold().split())
        for phrase in markers.phrases:
            if phrase in text and phrase not in own:
                return f"page name says {phrase!r}"
    return None


def _on_listed_host(url: str, hosts: frozenset[str]) -> str | None:
    host = (urlsplit(url).hostname or "").rstrip(".")
    labels = host.split(".")
    for i in range(len(labels) - 1):
        suffix = ".".join(labels[i:])
        if suffix in hosts:
            return suffix
    return None
