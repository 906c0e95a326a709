"""Reading the inputs with a parse cache: unchanged files are not re-parsed.

A file's parsed records, the links extracted from them and the findings that
depend on each record alone (``lint.RecordOnly``) are stored under a
key made of the cache format, the site's base URL, the path and the sha256 of
its bytes, so a changed byte, a moved file, another base URL or a new linkcheck
parse format all miss the cache. Hashing is far cheaper than parsing YAML and
normalising URLs: on a nightly re-run over unchanged records almost nothing is
parsed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Protocol

from linkcheck.inputs.links import extract_all
from linkcheck.inputs.lint import record_only_findings
from linkcheck.inputs.payload import (
    ByRecord,
    LinkRow,
    Links,
    StoredParse,
    checked_parse,
    has_credentials,
    pack_parse,
    unpack_head,
    unpack_parse,
)
from linkcheck.inputs.records import (
    DEFAULT_MAX_FILE_BYTES,
    FileRead,
    combine,
    gc_paused,
    iter_input_files,
    load_bytes,
    parse_many,
    read_files,
)
from linkcheck.model import ReadResult, RecordError

# Bump when Record, FileRead, LinkRef or RecordOnly change shape, when the payload's form
# changes (payload.py), or when link extraction or a record-only check
# (lint.record_only_findings) changes what it finds: old cache entries then miss.
PARSE_FORMAT = "records-7"

# Files read per batch by ``iter_reads`` (`check`): a batch's records are parsed objects,
# ~20 KB a record; 500 files kept a 10,000-record read at a 103 MB peak RSS, 2,000 at 150 MB,
# in the same time. Below parallel.PARALLEL_MIN_ITEMS, so `check` reads in one process;
# `linkcheck links` (read_records) still uses a second one when a core is idle.
BATCH_FILES = 500

__all__ = [
    "BATCH_FILES",
    "PARSE_FORMAT",
    "LinkRow",
    "StoredParse",
    "iter_reads",
    "pack_parse",
    "read_records",
    "unpack_head",
    "unpack_parse",
]


class ParseCache(Protocol):
    """Where parsed files are kept between runs, by key (``store`` provides one)."""

    def cached_parses(self, keys: Iterable[str]) -> dict[str, bytes]:
        """The payloads kept under these keys (a hit counts as a use)."""
        ...

    def store_parses(self, items: Mapping[str, bytes]) -> None:
        """Keep these payloads under their keys."""
        ...


def read_records(
    paths: Sequence[str],
    exclude: Sequence[str] = (),
    store: ParseCache | None = None,
    base_url: str | None = None,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> tuple[ReadResult, dict[str, str], Links, ByRecord]:
    """Every record under the inputs, each file's sha256 by source path, the links by record
    and, with a store, each record's ``RecordOnly`` findings (else they are found later)."""
    problems: list[RecordError] = []
    files = iter_input_files(paths, exclude, problems)
    with gc_paused():
        if store is None:
            reads = read_files(files, max_bytes)
            links = extract_all((r for read in reads for r in read.records), base_url)
            record_only: ByRecord = {}
        else:
            cached = _read_with_cache(files, store, base_url, max_bytes)
            parses = [unpack_parse(p.payload) for p in cached]
            reads = [read for read, _, _ in parses]
            links = {k: v for _, found, _ in parses for k, v in found.items()}
            record_only = {k: v for _, _, only in parses for k, v in only.items()}
    digests = {read.source: read.digest for read in reads if read.digest}
    reads += [FileRead(p.source, errors=(p,)) for p in problems]
    return combine(reads), digests, links, record_only


def iter_reads(
    paths: Sequence[str],
    exclude: Sequence[str] = (),
    store: ParseCache | None = None,
    base_url: str | None = None,
    batch: int = BATCH_FILES,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> Iterator[StoredParse]:
    """``read_records`` a batch of files at a time, one file after another: a run over
    100,000 records never holds them all. A folder that could not be listed comes as a
    file with one error."""
    problems: list[RecordError] = []
    files = iter_input_files(paths, exclude, problems)
    for start in range(0, len(files), batch):
        chunk = files[start : start + batch]
        with gc_paused():
            if store is None:
                reads = read_files(chunk, max_bytes)
                parses = [pack_parse(r, extract_all(r.records, base_url), {}) for r in reads]
            else:
                parses = _read_with_cache(chunk, store, base_url, max_bytes)
        yield from parses
    for problem in problems:
        yield pack_parse(FileRead(problem.source, errors=(problem,)), {}, {})


def _read_with_cache(
    files: Sequence[str], store: ParseCache, base_url: str | None, max_bytes: int
) -> list[StoredParse]:
    """Parse only the files the store has not seen like this; store what was parsed.

    A cache entry is read back in full and checked (``payload.checked_parse``): one that
    a run could not have written is dropped and its file parsed again.
    """
    loaded = [(path, load_bytes(path, max_bytes)) for path in files]
    digests = {
        src: hashlib.sha256(data).hexdigest() for src, data in loaded if isinstance(data, bytes)
    }
    keys = {src: f"{PARSE_FORMAT}:{base_url or ''}:{src}:{d}" for src, d in digests.items()}
    found = store.cached_parses(keys.values())
    cached = {}
    for source, key in keys.items():
        if key in found and (checked := checked_parse(found[key], source, digests[source])):
            cached[source] = checked
    misses = [
        (src, data)
        for src, data in loaded
        if isinstance(data, bytes) and src in keys and src not in cached
    ]
    parsed = dict(zip([src for src, _ in misses], parse_many(misses), strict=True))
    parses: list[StoredParse] = []
    fresh = {}
    for source, data in loaded:
        if isinstance(data, FileRead):
            parses.append(pack_parse(data, {}, {}))
        elif source in parsed:
            read = parsed[source]
            links = extract_all(read.records, base_url)
            only = {r.key: record_only_findings(r, links.get(r.key, [])) for r in read.records}
            stored = pack_parse(read, links, only)
            if not has_credentials(stored):  # a password is never written to history
                fresh[keys[source]] = stored.payload
            parses.append(stored)
        else:
            parses.append(cached[source])
    if fresh:
        store.store_parses(fresh)
    return parses
