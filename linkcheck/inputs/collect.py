"""Records and their links, before anything is fetched: all that `linkcheck links` needs.

Kept apart from the pipeline so that listing links never imports the HTTP stack. A run's
records go to a ``RecordSink`` (the run's work store) a batch of files at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from linkcheck.config import Config
from linkcheck.inputs.lint import RecordOnly
from linkcheck.inputs.parse_cache import ParseCache, iter_reads, read_records
from linkcheck.inputs.payload import StoredParse
from linkcheck.inputs.site import site_base_url
from linkcheck.inputs.urls import clear_cache
from linkcheck.model import LinkRef, ReadResult, RecordError


class RecordSink(Protocol):
    """Where a run keeps the files it read (``store.work.WorkStore``)."""

    def add_files(self, parses: Sequence[StoredParse]) -> None:
        """A batch of read files, their records and links."""
        ...

    def end_of_records(self) -> None:
        """Every file is in: group the links into unique URLs."""
        ...


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
    paths: Sequence[str], config: Config, store: ParseCache | None = None
) -> Collected:
    base = site_base_url(paths, config.site.base_url)
    read, digests, links, record_only = read_records(
        paths, config.input.exclude, store, base, config.input.max_file_bytes
    )
    return Collected(read, base, links, digests, record_only)


@dataclass(frozen=True)
class ReadSummary:
    """What reading left in memory when the records themselves went into a ``RecordSink``."""

    base_url: str | None
    errors: tuple[RecordError, ...]
    skipped_files: tuple[str, ...]
    files_read: int


def collect_into(
    work: RecordSink, paths: Sequence[str], config: Config, store: ParseCache | None = None
) -> ReadSummary:
    """Read every record into ``work``, a batch of files at a time (``inputs.iter_reads``)."""
    base = site_base_url(paths, config.site.base_url)
    errors: list[RecordError] = []
    skipped: list[str] = []
    files_read = 0
    batch = []
    reads = iter_reads(
        paths, config.input.exclude, store, base, max_bytes=config.input.max_file_bytes
    )
    for parse in reads:
        if parse.skipped:
            skipped.append(parse.source)
            continue
        files_read += 1
        errors.extend(parse.errors)
        batch.append(parse)
        if len(batch) >= 200:
            work.add_files(batch)
            batch = []
    work.add_files(batch)
    work.end_of_records()
    clear_cache()
    return ReadSummary(base, tuple(errors), tuple(skipped), files_read)
