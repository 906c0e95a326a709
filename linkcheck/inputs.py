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
    parse_many,
    read_files,
)

# Bump when Record or FileRead change shape: old cache entries then simply miss.
PARSE_FORMAT = "records-1"


def read_records(
    paths: Sequence[str], exclude: Sequence[str] = (), store: HistoryStore | None = None
) -> tuple[ReadResult, dict[str, str]]:
    """Every record under the inputs, and each file's sha256 by source path."""
    files = iter_input_files(paths, exclude)
    with gc_paused():
        reads = read_files(files) if store is None else _read_with_cache(files, store)
    digests = {read.source: read.digest for read in reads if read.digest}
    return combine(reads), digests


def _read_with_cache(files: Sequence[str], store: HistoryStore) -> list[FileRead]:
    """Parse only the files whose (path, bytes) the store has not seen; store what was parsed."""
    loaded = [(path, load_bytes(path)) for path in files]
    keys = {src: _key(src, data) for src, data in loaded if isinstance(data, bytes)}
    cached = store.cached_parses(keys.values())
    misses = [(src, data) for src, data in loaded if src in keys and keys[src] not in cached]
    parsed = dict(zip([src for src, _ in misses], parse_many(misses), strict=True))
    reads, fresh = [], {}
    for source, data in loaded:
        if isinstance(data, FileRead):
            read = data
        elif source in parsed:
            read = parsed[source]
            fresh[keys[source]] = pickle.dumps(read, protocol=pickle.HIGHEST_PROTOCOL)
        else:
            read = pickle.loads(cached[keys[source]])
        reads.append(read)
    if fresh:
        store.store_parses(fresh)
    return reads


def _key(source: str, data: bytes) -> str:
    return f"{PARSE_FORMAT}:{source}:{hashlib.sha256(data).hexdigest()}"
