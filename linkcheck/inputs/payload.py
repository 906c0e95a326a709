"""One read file as the parse cache and a run's work store keep it: data only, checked back.

The payload is two JSON texts on two lines (orjson never writes a raw newline): the
*head* (source, record count, errors, whether the file was skipped, its digest, its links
as plain values) and the *body* (the records, the places of their non-JSON values, and
their ``RecordOnly`` findings). Listing a file's links reads the head alone.

The parse cache lives in the history store, which may come from a CI cache or a
checkout: whatever it holds is untrusted. ``checked_parse`` reads an entry back in full
and returns None for anything a run could not have written (then the file is parsed
again), so a planted entry is at worst a lie about a file's records, never code, never
a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from linkcheck.inputs.lint import RecordOnly
from linkcheck.inputs.plaindata import BadData, Unsupported, flatten, restore
from linkcheck.inputs.records import FileRead
from linkcheck.model import Finding, LinkRef, Record, RecordError, Role

Links = dict[str, list[LinkRef]]
ByRecord = dict[str, RecordOnly]
# A link as plain values: (record key, field, role value, raw, url, line, invalid reason,
# URL to request when credentials were masked: never in the parse cache, title of the
# article an article link is for, #fragment).
LinkRow = tuple[
    str, str, str, str, str | None, int | None, str | None, str | None, str | None, str | None
]

_ROLES = {role.value: role for role in Role}
_INT_ONLY = {int}


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
    digest: str | None = None


def has_credentials(stored: StoredParse) -> bool:
    """Whether a link of the file carries credentials (such a file is not cached)."""
    return any(row[7] is not None for row in stored.links)


def pack_parse(read: FileRead, links: Links, only: ByRecord) -> StoredParse:
    """``read`` with its links and ``RecordOnly`` findings, as a run and the cache keep it.

    A record with a value that has no data form (no reader makes one) turns the file into
    one error rather than into a payload that could not be read back.
    """
    rows = tuple(
        (key, link.field, link.role.value, link.raw, link.url, link.line, link.invalid_reason,
         link.request_url, link.title, link.fragment)
        for key, found in links.items()
        for link in found
    )  # fmt: skip
    try:
        records, typed = flatten([[r.index, r.fields, r.line, r.lines] for r in read.records])
        body = orjson.dumps([records, typed, {k: _only_data(v) for k, v in only.items()}])
    except (Unsupported, orjson.JSONEncodeError, TypeError) as exc:
        error = RecordError(read.source, f"cannot keep the parsed records: {exc}")
        return pack_parse(FileRead(read.source, errors=(error,), digest=read.digest), {}, {})
    errors = [[e.source, e.message, e.line] for e in read.errors]
    head = [read.source, len(read.records), errors, read.skipped, read.digest, rows]
    return _stored(head, orjson.dumps(head) + b"\n" + body)


def unpack_head(payload: bytes) -> StoredParse:
    """What ``pack_parse`` kept, without rebuilding the records."""
    head, _, _ = payload.partition(b"\n")
    return _stored(orjson.loads(head), payload)


def unpack_parse(payload: bytes) -> tuple[FileRead, Links, ByRecord]:
    """The file's records, links by record key and ``RecordOnly`` findings by record key."""
    head_text, _, body_text = payload.partition(b"\n")
    source, _, errors, skipped, digest, rows = orjson.loads(head_text)
    records, typed, only = orjson.loads(body_text)
    restore(records, typed)
    built = tuple(Record(source, i, fields, line, lines) for i, fields, line, lines in records)
    links: Links = {}
    for key, field, role, raw, url, line, reason, request, title, fragment in rows:
        link = LinkRef(key, field, _ROLES[role], raw, url, line, reason, request, title, fragment)
        links.setdefault(key, []).append(link)
    read_errors = tuple(RecordError(*e) for e in errors)
    by_record = {key: _only_value(value) for key, value in only.items()}
    return FileRead(source, built, read_errors, digest, skipped), links, by_record


def checked_parse(payload: Any, source: str, digest: str) -> StoredParse | None:
    """A parse cache entry for the file ``source`` whose bytes hash to ``digest``, checked
    in full (head, links, records, findings); None when it is not what a run writes."""
    try:
        if not isinstance(payload, bytes):
            raise BadData("not bytes")
        head_text, _, body_text = payload.partition(b"\n")
        head = orjson.loads(head_text)
        _check_head(head)
        stored = _stored(head, payload)
        if stored.source != source or stored.digest != digest:
            raise BadData("another file's entry")
        _check_body(orjson.loads(body_text), stored)
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError):
        return None
    return stored


def _stored(head: list[Any], payload: bytes) -> StoredParse:
    source, records, errors, skipped, digest, rows = head
    return StoredParse(
        source,
        records,
        tuple(RecordError(*e) for e in errors),
        skipped,
        tuple(tuple(row) for row in rows),
        payload,
        digest,
    )


# ---------------------------------------------------------------- findings as data


def _finding(f: Finding) -> list[Any]:
    return [f.code, f.field, f.message]


def _only_data(only: RecordOnly) -> list[Any]:
    return [
        [_finding(f) for f in only.invalid_url],
        [_finding(f) for f in only.missing_field],
        [_finding(f) for f in only.mojibake],
        {field: _finding(f) for field, f in only.cdn_amp_mismatch.items()},
    ]


def _only_value(data: list[Any]) -> RecordOnly:
    invalid, missing, mojibake, cdn = data
    return RecordOnly(
        tuple(Finding(*f) for f in invalid),
        tuple(Finding(*f) for f in missing),
        tuple(Finding(*f) for f in mojibake),
        {field: Finding(*f) for field, f in cdn.items()},
    )


# ---------------------------------------------------------------- checking


def _is(value: Any, *kinds: type | None) -> bool:
    """``value`` is exactly one of ``kinds`` (None: null); a bool is no int here."""
    return any(value is None if kind is None else type(value) is kind for kind in kinds)


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise BadData(what)


def _check_head(head: Any) -> None:
    _need(type(head) is list and len(head) == 6, "head")
    source, records, errors, skipped, digest, rows = head
    _need(_is(source, str) and _is(records, int) and records >= 0, "head: source, count")
    _need(_is(skipped, bool) and _is(digest, str, None) and type(errors) is list, "head")
    for error in errors:
        _need(type(error) is list and len(error) == 3, "error")
        _need(_is(error[0], str) and _is(error[1], str) and _is(error[2], int, None), "error")
    _need(type(rows) is list, "links")
    for row in rows:  # ~17 a file, 10,000 files a re-run: plain comparisons, no helpers
        _need(type(row) is list and len(row) == 10, "link")
        key, field, role, raw, url, line, reason, request, title, fragment = row
        _need(title is None or type(title) is str, "link: title")
        _need(fragment is None or type(fragment) is str, "link: fragment")
        _need(
            type(key) is str
            and type(field) is str
            and type(role) is str
            and role in _ROLES
            and type(raw) is str
            and (url is None or type(url) is str)
            and (line is None or type(line) is int)
            and (reason is None or type(reason) is str)
            and request is None,  # a link with credentials is never written to the cache
            "link",
        )


def _check_body(body: Any, head: StoredParse) -> None:
    _need(type(body) is list and len(body) == 3, "body")
    records, typed, only = body
    _need(type(records) is list and len(records) == head.records and type(only) is dict, "body")
    keys = set()
    for record in records:
        _need(type(record) is list and len(record) == 4, "record")
        index, fields, line, lines = record
        _need(_is(index, int) and index >= 0 and type(fields) is dict, "record")
        _need(_is(line, int, None) and type(lines) is dict, "record")
        _need(not lines or {*map(type, lines.values())} == _INT_ONLY, "record lines")
        keys.add(head.source if index == 0 else f"{head.source}#{index}")
    restore(records, typed)  # every typed place is there and holds what it says
    _need(all(row[0] in keys for row in head.links), "a link of no record")
    for key, value in only.items():
        _need(key in keys and _only_shape(value), "findings")


def _only_shape(value: Any) -> bool:
    if not (type(value) is list and len(value) == 4 and type(value[3]) is dict):
        return False
    lists = [*value[0], *value[1], *value[2], *value[3].values()]
    return all(type(v) is list for v in value[:3]) and all(_finding_shape(f) for f in lists)


def _finding_shape(f: Any) -> bool:
    return (
        type(f) is list
        and len(f) == 3
        and _is(f[0], str)
        and _is(f[1], str, None)
        and (_is(f[2], str))
    )
