"""Reading the inputs with the history store's parse cache: unchanged files are not re-parsed.

A file's parsed records are stored under a key made of the cache format, the
path and the sha256 of its bytes, so a changed byte, a moved file or a new
linkcheck parse format all miss the cache. Hashing is far cheaper than parsing
YAML: on a nightly re-run over unchanged records almost nothing is parsed.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Sequence

from linkcheck.history import HistoryStore
from linkcheck.model import ReadResult
from linkcheck.records import (
    FileRead,
    combine,
    gc_paused,
    iter_input_files,
    load_bytes,
    parse_bytes,
)

# Bump when Record or FileRead change shape: old cache entries then simply miss.
PARSE_FORMAT = "records-1"


def read_records(
    paths: Sequence[str], exclude: Sequence[str] = (), store: HistoryStore | None = None
) -> tuple[ReadResult, dict[str, str]]:
    """Every record under the inputs, and each file's sha256 by source path."""
    files = iter_input_files(paths, exclude)
    with gc_paused():
        loaded = [(path, load_bytes(path)) for path in files]
        keys = {src: _key(src, data) for src, data in loaded if isinstance(data, bytes)}
        cached = store.cached_parses(keys.values()) if store else {}
        reads, fresh = [], {}
        for source, data in loaded:
            read = _parse(source, data, keys.get(source), cached)
            if store is not None and source in keys and keys[source] not in cached:
                fresh[keys[source]] = pickle.dumps(read, protocol=pickle.HIGHEST_PROTOCOL)
            reads.append(read)
    if store is not None and fresh:
        store.store_parses(fresh)
    digests = {read.source: read.digest for read in reads if read.digest}
    return combine(reads), digests


def _key(source: str, data: bytes) -> str:
    return f"{PARSE_FORMAT}:{source}:{hashlib.sha256(data).hexdigest()}"


def _parse(
    source: str, data: bytes | FileRead, key: str | None, cached: dict[str, bytes]
) -> FileRead:
    if isinstance(data, FileRead):
        return data
    if key in cached:
        return pickle.loads(cached[key])
    return parse_bytes(source, data)
