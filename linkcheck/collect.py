"""Records and their links, before anything is fetched: all that `linkcheck links` needs.

Kept apart from run.py so that listing links never imports the HTTP stack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from linkcheck.config import Config
from linkcheck.history import HistoryStore
from linkcheck.inputs import read_records
from linkcheck.model import LinkRef, ReadResult
from linkcheck.recordchecks import RecordOnly
from linkcheck.site import site_base_url


@dataclass(frozen=True)
class Collected:
    """Records and their links, before anything is fetched."""

    read: ReadResult
    base_url: str | None
    links: dict[str, list[LinkRef]]
    digests: Mapping[str, str]
    # Findings of each record alone, by record key, as the parse cache kept them (may be empty).
    record_only: Mapping[str, RecordOnly] = field(default_factory=dict)

    @property
    def all_links(self) -> list[LinkRef]:
        return [link for links in self.links.values() for link in links]


def collect_links(
    paths: Sequence[str], config: Config, store: HistoryStore | None = None
) -> Collected:
    base = site_base_url(paths, config.site.base_url)
    read, digests, links, record_only = read_records(paths, config.input.exclude, store, base)
    return Collected(read, base, links, digests, record_only)
