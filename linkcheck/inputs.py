"""Reading the inputs with the history store's parse cache: unchanged files are not re-parsed.

A file's parsed records, the links extracted from them and the findings that
depend on each record alone (``recordchecks.RecordOnly``) are stored under a
key made of the cache format, the site's base URL, the path and the sha256 of
its bytes, so a changed byte, a moved file, another base URL or a new linkcheck
parse format all miss the cache. Hashing is far cheaper than parsing YAML and
normalising URLs: on a nightly re-run over unchanged records almost nothing is
parsed.
"""

from __future__ import annotations

import hashlib
import marshal
import pickle
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from linkcheck.history import HistoryStore
from linkcheck.links import extract_all
from linkcheck.model import LinkRef, ReadResult, RecordError, Role
from linkcheck.recordchecks import RecordOnly, record_only_findings
from linkcheck.records import (
    FileRead,
    combine,
    gc_paused,
    iter_input_files,
    load_bytes,
    parse_many,
    read_files,
)

# Bump when Record, FileRead, LinkRef or RecordOnly change shape, or when link extraction or
# a record-only check (recordchecks.record_only_findings) changes what it finds: old cache
# entries then simply miss.
PARSE_FORMAT = "records-4"

Links = dict[str, list[LinkRef]]
ByRecord = dict[str, RecordOnly]
# Files read per batch by ``iter_reads`` (`check`): a batch's records are parsed objects,
# ~20 KB a record; 500 files kept a 10,000-record read at a 103 MB peak RSS, 2,000 at 150 MB,
# in the same time. Below parallel.PARALLEL_MIN_ITEMS, so `check` reads in one process;
# `linkcheck links` (read_records) still uses a second one when a core is idle.
BATCH_FILES = 500


# A link as plain values: (record key, field, role value, raw, url, line, invalid reason).
LinkRow = tuple[str, str, str, str, str | None, int | None, str | None]


@dataclass(frozen=True)
class StoredParse:
    """One read file as a run keeps it: what reading needs now as plain values, and all of it
    as ``payload`` bytes (the parse cache's entry) for the records to come back from later.

    A re-run reads its 10,000 files from the cache; rebuilding every record and LinkRef
    only to list the links, then again to assess the records, doubled the cost of reading.
    """

    source: str
    records: int
    errors: tuple[RecordError, ...]
    skipped: bool
    links: tuple[LinkRow, ...]
    payload: bytes


def pack_parse(read: FileRead, links: Links, only: ByRecord) -> StoredParse:
    """``read`` with its links and ``RecordOnly`` findings, as a run and the cache keep it."""
    rows = tuple(
        (key, link.field, link.role.value, link.raw, link.url, link.line, link.invalid_reason)
        for key, found in links.items()
        for link in found
    )
    errors = tuple((e.source, e.message, e.line) for e in read.errors)
    body = pickle.dumps((read.records, only), protocol=pickle.HIGHEST_PROTOCOL)
    head = (read.source, len(read.records), errors, read.skipped, read.digest, rows)
    return _stored(head, marshal.dumps((*head, body)))


def unpack_head(payload: bytes) -> StoredParse:
    """What ``pack_parse`` kept, without rebuilding the records."""
    *head, _ = marshal.loads(payload)
    return _stored(tuple(head), payload)


def unpack_parse(payload: bytes) -> tuple[FileRead, Links, ByRecord]:
    """The file's records, links by record key and ``RecordOnly`` findings by record key."""
    source, _, errors, skipped, digest, rows, body = marshal.loads(payload)
    records, only = pickle.loads(body)
    links: Links = {}
    for key, field, role, raw, url, line, reason in rows:
        links.setdefault(key, []).append(LinkRef(key, field, _ROLES[role], raw, url, line, reason))
    read_errors = tuple(RecordError(*e) for e in errors)
    return FileRead(source, records, read_errors, digest, skipped), links, only


_ROLES = {role.value: role for role in Role}


def _stored(head: tuple, payload: bytes) -> StoredParse:
    source, records, errors, skipped, _, rows = head
    return StoredParse(
        source, records, tuple(RecordError(*e) for e in errors), skipped, rows, payload
    )


def read_records(
    paths: Sequence[str],
    exclude: Sequence[str] = (),
    store: HistoryStore | None = None,
    base_url: str | None = None,
) -> tuple[ReadResult, dict[str, str], Links, ByRecord]:
    """Every record under the inputs, each file's sha256 by source path, the links by record
    and, with a store, each record's ``RecordOnly`` findings (else they are found later)."""
    files = iter_input_files(paths, exclude)
    with gc_paused():
        if store is None:
            reads = read_files(files)
            links = extract_all((r for read in reads for r in read.records), base_url)
            record_only: ByRecord = {}
        else:
            parses = [unpack_parse(p.payload) for p in _read_with_cache(files, store, base_url)]
            reads = [read for read, _, _ in parses]
            links = {k: v for _, found, _ in parses for k, v in found.items()}
            record_only = {k: v for _, _, only in parses for k, v in only.items()}
    digests = {read.source: read.digest for read in reads if read.digest}
    return combine(reads), digests, links, record_only


def iter_reads(
    paths: Sequence[str],
    exclude: Sequence[str] = (),
    store: HistoryStore | None = None,
    base_url: str | None = None,
    batch: int = BATCH_FILES,
) -> Iterator[StoredParse]:
    """``read_records`` a batch of files at a time, one file after another: a run over
    100,000 records never holds them all."""
    files = iter_input_files(paths, exclude)
    for start in range(0, len(files), batch):
        chunk = files[start : start + batch]
        with gc_paused():
            if store is None:
                parses = [
                    pack_parse(r, extract_all(r.records, base_url), {}) for r in read_files(chunk)
                ]
            else:
                parses = _read_with_cache(chunk, store, base_url)
        yield from parses


def _read_with_cache(
    files: Sequence[str], store: HistoryStore, base_url: str | None
) -> list[StoredParse]:
    """Parse only the files the store has not seen like this; store what was parsed."""
    loaded = [(path, load_bytes(path)) for path in files]
    keys = {src: _key(src, data, base_url) for src, data in loaded if isinstance(data, bytes)}
    cached = store.cached_parses(keys.values())
    misses = [(src, data) for src, data in loaded if src in keys and keys[src] not in cached]
    parsed = dict(zip([src for src, _ in misses], parse_many(misses), strict=True))
    parses: list[StoredParse] = []
    fresh = {}
    for source, data in loaded:
        if isinstance(data, FileRead):
            parses.append(pack_parse(data, {}, {}))
        elif source in parsed:
            read = parsed[source]
            found = extract_all(read.records, base_url)
            only = {r.key: record_only_findings(r, found.get(r.key, [])) for r in read.records}
            stored = pack_parse(read, found, only)
            fresh[keys[source]] = stored.payload
            parses.append(stored)
        else:
            parses.append(unpack_head(cached[keys[source]]))
    if fresh:
        store.store_parses(fresh)
    return parses


def _key(source: str, data: bytes, base_url: str | None) -> str:
    return f"{PARSE_FORMAT}:{base_url or ''}:{source}:{hashlib.sha256(data).hexdigest()}"
