"""Each record's report entry: its findings, health and unpublish verdict, a file at a time.

A nightly re-run over unchanged files whose links answer as before would assess every record
again to the same result: at 10,000 records that was over half of a re-run. So, with history
on, a file's report rows are kept (history's ``assessed_files``) with a fingerprint of
everything they were made from, and the next run reuses them when the fingerprint matches:

- the file as stored (its bytes' digest, records, links and record-only findings:
  ``inputs.StoredParse``), this module's format and linkcheck's version;
- the settings the assessment reads (``content``, ``unpublish``);
- for each link (``WorkStore.link_digests``): its verdict's content (all but times,
  attempts and reuse, which no record check reads; the response's Date and Age only for a
  working ``cdnAmpWebUrl``, whose age ``cdn_stale`` reads), its https twin's, the records
  sharing it as ``originalUrl``, what the image was when first seen (unless that is what
  it is now), and for a link that may be the article (``unpublish.ARTICLE_FIELDS``) its
  dead streak and archived copy.

A file with a record flagged to unpublish is never kept: its entry says since when, which
moves with the clock. Anything missed above would make a stale entry, so when a record
check starts reading something new, add it to ``WorkStore.link_digests`` or
``_fingerprints`` and bump ASSESSMENT_FORMAT.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from linkcheck import __version__
from linkcheck.config import Config
from linkcheck.health import record as health
from linkcheck.health import recordchecks
from linkcheck.health.outage import Degraded
from linkcheck.health.unpublish import (
    ARTICLE_FIELDS,
    article_gone,
    article_link,
    unpublish_decision,
)
from linkcheck.inputs.parse_cache import StoredParse, unpack_head
from linkcheck.kept_entries import kept_rows, rows_data
from linkcheck.model import Outcome, Role, UrlResult
from linkcheck.reports.rows import AssessedRecord, assessed_record
from linkcheck.store.work import RecordRow, WorkStore, file_records

# Bump when a record's entry, or what it is judged from, changes shape: kept rows then miss.
ASSESSMENT_FORMAT = "assessment-4"
_IMAGES = {role.value for role in Role if role.is_image}
# Files whose verdicts are read together: one query per record cost more than its checks.
FILES_PER_BATCH = 100


@dataclass(frozen=True)
class Memory:
    """What history adds to this run: streaks, changes, archive copies (what images were
    when first seen is in the work store: ``WorkStore.first_seen_for``)."""

    changes: dict[str, Any] | None = None
    streaks: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    archived: Mapping[str, str | None] = dataclasses.field(default_factory=dict)
    # Set when the network looked down (outage.py): then no record is flagged.
    degraded: Degraded | None = None
    # Article URLs that answer ok now after an answer that said gone, within the streak
    # window: a record with published: false linking one is a candidate to publish again.
    revived: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Shared:
    """What every record's assessment needs from the run as a whole."""

    duplicates: dict[str, list[str]]
    memory: Memory
    config: Config
    now: datetime
    settings: bytes  # the fingerprint's start: format, version, settings read
    twins: bool  # whether any https twin was asked


def assess_records(
    work: WorkStore, memory: Memory, config: Config, now: datetime, keep: bool
) -> Iterator[AssessedRecord]:
    """Every record's entry, in the report's order. With ``keep`` (history on), files kept
    by the last run are reused when their fingerprint matches (``recall_assessments``
    copied them in), and this run's are staged for history (``WorkStore.stage_assessed``)."""
    plain = config.to_dict()
    read = json.dumps({key: plain[key] for key in ("content", "unpublish")}, sort_keys=True)
    degraded = memory.degraded is not None
    settings = f"{ASSESSMENT_FORMAT}|{__version__}|{read}|degraded={degraded}".encode()
    shared = _Shared(work.duplicate_originals(), memory, config, now, settings, work.has_twins())
    verdicts = _Verdicts(work)
    files = work.files()
    while batch := list(itertools.islice(files, FILES_PER_BATCH)):
        heads = [unpack_head(payload) for _, _, payload in batch]
        seen = work.first_seen_for(
            url for head in heads for _, _, role, _, url, *_ in head.links if role in _IMAGES
        )
        prints = _fingerprints(work, batch, heads, shared) if keep else {}
        before = work.assessed_before(prints)
        again = {s for s, fp in prints.items() if s in before and before[s][0] == fp}
        wanted = {row[4] for head in heads if head.source not in again for row in head.links}
        known, twins = _verdicts_with_twins(work, verdicts, wanted - {None}, shared.twins)
        staged = []
        for _, source, payload in batch:
            kept = kept_rows(before[source][1], source) if source in again else None
            if kept is not None:
                yield from kept
                continue
            rows = [_assess(row, known, twins, seen, shared) for row in file_records(payload)]
            yield from rows
            if keep and not any(row.unpublish for row in rows):
                staged.append((source, prints[source], rows_data(rows)))
        if staged:
            work.stage_assessed(staged)


def _fingerprints(
    work: WorkStore,
    batch: list[tuple[int, str, bytes]],
    heads: list[StoredParse],
    shared: _Shared,
) -> dict[str, bytes]:
    """Each file's fingerprint (see the module docstring): what its links' checks read of
    the work store comes summed from SQLite (``WorkStore.link_digests``); what the run
    holds in memory (shared ``originalUrl``s, an article's streak and archived copy) is
    added for the few links it concerns."""
    sums = work.link_digests([seq for seq, _, _ in batch])
    memory = shared.memory
    prints = {}
    for (seq, source, payload), head in zip(batch, heads, strict=True):
        digest = hashlib.blake2b(shared.settings, digest_size=16)
        digest.update(payload)
        digest.update(sums.get(seq, b""))
        for _, field, _, _, url, *_ in head.links:
            if url is None:
                continue
            article = field in ARTICLE_FIELDS  # unpublish_decision reads these for it only
            extra = (
                shared.duplicates.get(url),
                memory.streaks.get(url) if article else None,
                memory.archived.get(url) if article else None,
                True if article and url in memory.revived else None,
            )
            if extra != (None, None, None, None):
                digest.update(repr((url, extra)).encode())
        prints[source] = digest.digest()
    return prints


def _verdicts_with_twins(
    work: WorkStore, verdicts: _Verdicts, urls: Iterable[str], twins: bool
) -> tuple[dict[str, UrlResult], dict[str, UrlResult]]:
    """The verdicts of ``urls``, and of the https twins of the http ones, by http URL."""
    known = verdicts.get(urls)
    if not twins:
        return known, {}
    twin_of = work.twins_for(u for u in known if u.startswith("http://"))
    found = verdicts.get(twin_of.values()) if twin_of else {}
    return known, {url: found[t] for url, t in twin_of.items() if t in found}


def _assess(
    row: RecordRow,
    known: Mapping[str, UrlResult],
    twins: Mapping[str, UrlResult],
    seen: Mapping[str, recordchecks.ImageSeen],
    shared: _Shared,
) -> AssessedRecord:
    """One record's entry; ``known`` and ``twins`` hold its links' verdicts and the verdicts
    on their https twins, ``seen`` what its images were when first seen, among others."""
    record, links, record_only, digest = row
    memory, config = shared.memory, shared.config
    results = {link.url: known[link.url] for link in links if link.url and link.url in known}
    findings = recordchecks.record_findings(
        record,
        links,
        results,
        config.content,
        duplicates=shared.duplicates,
        https_twins={url: twins[url] for url in results if url in twins},
        first_seen=seen,
        record_only=record_only,
    )
    article = article_link(links)
    url = article.url if article else None
    result = results.get(url) if url else None
    gone = article_gone(article, result)
    if gone is not None:
        findings.append(gone)
    flag, reasons, since = False, [], None
    if memory.degraded is None:  # a run that could not judge flags nothing
        flag, reasons, since = unpublish_decision(
            record,
            article,
            result,
            memory.streaks.get(url) if url else None,
            config.unpublish,
            shared.now,
            memory.archived.get(url) if url else None,
        )
    assessed = health.assess(record, links, results, findings, reasons if flag else ())
    extra = {
        "sha256": digest,
        "unpublish_since": since if flag else None,
        "archive_url": memory.archived.get(url) if url else None,
    }
    notable = flag or any(
        link.url is None or (r := results.get(link.url)) is None or r.outcome is not Outcome.OK
        for link in links
    )
    back = None
    if record.published is False and article is not None and url in memory.revived:
        back = (record.source, record.key, article.field, url or "")
    return assessed_record(assessed, extra, notable, back)


class _Verdicts:
    """Verdicts by URL from the work store, the most linked ones read once and kept.

    Provider logos and popular articles are linked by thousands of records, most URLs by
    one record: once ``PIN_AFTER`` lookups show many records are being judged, the
    ``PINNED`` most linked URLs are read and kept; every other verdict is read when a batch
    of records needs it, and not kept. (An emptied-when-full cache read a third of the
    verdicts twice; a re-run that judges a few hundred files again needs no pinning.)
    """

    PINNED = 20_000
    PIN_AFTER = 50_000

    def __init__(self, work: WorkStore) -> None:
        self.work = work
        self.pinned: dict[str, UrlResult] | None = None
        self.asked = 0

    def get(self, urls: Iterable[str]) -> dict[str, UrlResult]:
        urls = list(urls)
        self.asked += len(urls)
        if self.pinned is None and self.asked >= self.PIN_AFTER:
            self.pinned = self.work.most_linked_results(self.PINNED)
        pinned = self.pinned or {}
        found = {}
        missing = []
        for url in urls:
            hit = pinned.get(url)
            if hit is None:
                missing.append(url)
            else:
                found[url] = hit
        if missing:
            found.update(self.work.results_for(missing))
        return found
