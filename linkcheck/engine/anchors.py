"""URL fragments judged against the ``id`` / ``name`` anchors of a page, read only as far
as needed.

A page is fetched once whatever fragments its links carry (``inputs.urls.fragment_of``
keeps a link's fragment apart from its URL); each fragment is then judged against that
page's anchors as a browser scrolls to one (HTML "find a potential indicated element"): an
element whose ``id`` is the fragment, as written or percent-decoded, else an ``<a name>``.
``#top`` and an empty fragment always exist; text fragments (``#:~:text=``) and script
routes (``#/route``, ``#!route``) are not anchors and are never judged. Ids that GitHub
prefixes (``user-content-x`` for ``#x``, its script scrolls to them) count for the bare
fragment.

``AnchorScan`` is fed the body as it arrives and says when every wanted fragment has been
seen, so the fetcher can stop reading early; what it never saw within the byte cap is
missing only when the whole page was read (``missing``), otherwise unknown.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from html.parser import HTMLParser
from urllib.parse import unquote

# Fragments a page always has, or that are not anchors at all.
_ALWAYS = frozenset({"", "top"})
_NOT_ANCHOR_PREFIXES = (":~:", "/", "!")
GITHUB_PREFIX = "user-content-"


def is_judged(fragment: str) -> bool:
    """Whether a fragment names an anchor that can be missing (not ``#top``, a text fragment
    or a script route)."""
    return fragment.lower() not in _ALWAYS and not fragment.startswith(_NOT_ANCHOR_PREFIXES)


def names_for(fragment: str) -> tuple[str, ...]:
    """The anchor names that satisfy a fragment: as written, and percent-decoded (UTF-8)."""
    decoded = unquote(fragment, errors="replace") if "%" in fragment else fragment
    return (fragment,) if decoded == fragment else (fragment, decoded)


class _Anchors(HTMLParser):
    """Collects every ``id`` and every ``<a name>``; ignores everything else."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.names: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is not None and (name == "id" or (name == "name" and tag == "a")):
                self.names.add(value)
                if value.startswith(GITHUB_PREFIX):
                    self.names.add(value[len(GITHUB_PREFIX) :])

    handle_startendtag = handle_starttag


class AnchorScan:
    """The anchors of one page, collected incrementally from its body.

    ``update(body_so_far)`` feeds only the bytes not seen before (the fetcher hands over the
    whole body read so far) and tells whether every wanted fragment has been found.
    """

    def __init__(self, wanted: Iterable[str]) -> None:
        self.wanted = frozenset(f for f in wanted if is_judged(f))
        self._parser = _Anchors()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._consumed = 0

    def update(self, body: bytes) -> bool:
        """Feed what is new in ``body``; True once nothing wanted is still unseen."""
        if len(body) > self._consumed:
            self._parser.feed(self._decoder.decode(body[self._consumed :]))
            self._consumed = len(body)
        return not self.unseen()

    def unseen(self) -> frozenset[str]:
        """Wanted fragments with no anchor among those read so far."""
        names = self._parser.names
        return frozenset(f for f in self.wanted if not any(n in names for n in names_for(f)))

    def missing(self, complete: bool) -> frozenset[str]:
        """Fragments the page lacks; none can be said missing from a body cut at the cap."""
        return self.unseen() if complete else frozenset()


def missing_fragments(body: bytes, wanted: Iterable[str], complete: bool = True) -> frozenset[str]:
    """The fragments of ``wanted`` that a page's (first) bytes have no anchor for."""
    scan = AnchorScan(wanted)
    scan.update(body)
    return scan.missing(complete)


def judged_fragments(fragments: Iterable[str]) -> frozenset[str]:
    """The fragments of a URL's links that name an anchor (``is_judged``)."""
    return frozenset(f for f in fragments if is_judged(f))
