"""A report as the renderers read it: the small top-level parts at hand, the big lists streamed.

A run over 100,000 records knows about a million URLs; as dicts their report entries would
take gigabytes. So renderers never ask for "all URLs as a list": they iterate ``urls()`` and
``records()`` in the contract's order, look up the few entries they need with ``lookup``,
and find a URL's row number with ``positions``. Two kinds of report answer those calls:

- ``DictReport``: a report loaded from ``report.json`` (``linkcheck report``) or built in
  memory (tests); everything is a plain dict.
- ``StoredReport`` (``store.report``): the entries of a run live in the run's work store,
  in the contract's order; only the head is in memory. Beside each entry a row keeps what
  the writers need of it (host, the HTML script's row, a record's links that are not
  ok...), made once by ``reports.rows``, so a writer reads columns and counts instead of
  decoding every entry again.

``as_report`` accepts either a ``Report`` or a plain report dict, so callers that hold a
dict (tests, ``linkcheck report``) need not wrap it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

import orjson

from linkcheck.store.report import LISTS, HeadAccess, StoredReport, Tally

# The report's top-level keys in the contract's order; "urls" and "records" are streamed.
TOP_LEVEL = (
    "schema",
    "generated_at",
    "complete",
    "tool",
    "run",
    "summary",
    "changes",
    "urls",
    "records",
    "republish",
    "errors",
)


@runtime_checkable
class Report(Protocol):
    """What every renderer reads."""

    @property
    def head(self) -> Mapping[str, Any]:
        """Every top-level key but ``urls`` and ``records``."""
        ...

    def __getitem__(self, key: str) -> Any:
        """A head key (``report["summary"]``); the lists are not available this way."""
        ...

    def get(self, key: str, default: Any = None) -> Any: ...

    def urls(self, outcomes: Collection[str] | None = None) -> Iterator[dict[str, Any]]:
        """URL entries sorted by URL; only those whose outcome is in ``outcomes`` if given."""
        ...

    def records(self, notable_only: bool = False) -> Iterator[dict[str, Any]]:
        """Record entries in the contract's order (source, then record key). With
        ``notable_only`` a report may leave out records that are not flagged to unpublish
        and whose every link is a listed ``ok`` URL (none can have a failing link then,
        unless ``ok`` itself fails the run)."""
        ...

    def url_tallies(self) -> Iterator[Tally]:
        """``tally`` of every URL entry in ``urls()`` order, without decoding the entries."""
        ...

    def lookup(self, urls: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The URL entries of the given URLs that exist."""
        ...

    def url_texts(self) -> Iterator[bytes]:
        """``urls()`` as ``entry_text`` bytes (what report.json holds), in the same order."""
        ...

    def record_texts(self) -> Iterator[bytes]:
        """``records()`` as ``entry_text`` bytes, in the same order."""
        ...

    def positions(self, urls: Iterable[str]) -> dict[str, int]:
        """Each given URL's 0-based index in ``urls()`` order (unknown URLs left out)."""
        ...

    @property
    def url_count(self) -> int: ...

    @property
    def record_count(self) -> int: ...


class DictReport(HeadAccess):
    """A report that is one plain dict: a report file as read, or one built by a test."""

    def __init__(self, report: Mapping[str, Any]) -> None:
        self.data = report
        self.head = {k: v for k, v in report.items() if k not in LISTS}
        self._urls: list[dict[str, Any]] = list(report.get("urls") or ())
        self._records: list[dict[str, Any]] = list(report.get("records") or ())
        self._index: dict[str, dict[str, Any]] | None = None
        self._pos: dict[str, int] | None = None

    def urls(self, outcomes: Collection[str] | None = None) -> Iterator[dict[str, Any]]:
        if outcomes is None:
            return iter(self._urls)
        return (u for u in self._urls if u.get("outcome") in outcomes)

    def records(self, notable_only: bool = False) -> Iterator[dict[str, Any]]:
        return iter(self._records)

    def url_texts(self) -> Iterator[bytes]:
        return (entry_text(u) for u in self._urls)

    def url_tallies(self) -> Iterator[Tally]:
        return (tally(u) for u in self._urls)

    def record_texts(self) -> Iterator[bytes]:
        return (entry_text(r) for r in self._records)

    def lookup(self, urls: Iterable[str]) -> dict[str, dict[str, Any]]:
        if self._index is None:
            self._index = {u["url"]: u for u in self._urls}
        return {u: self._index[u] for u in urls if u in self._index}

    def positions(self, urls: Iterable[str]) -> dict[str, int]:
        if self._pos is None:
            self._pos = {u["url"]: i for i, u in enumerate(self._urls)}
        return {u: self._pos[u] for u in urls if u in self._pos}

    @property
    def url_count(self) -> int:
        return len(self._urls)

    @property
    def record_count(self) -> int:
        return len(self._records)


def notable(record: Mapping[str, Any], ok_urls: Collection[str]) -> bool:
    """Whether ``records(notable_only=True)`` must keep this record entry."""
    links = record.get("links") or ()
    return bool(record.get("unpublish")) or any(lk.get("url") not in ok_urls for lk in links)


def tally(entry: Mapping[str, Any]) -> Tally:
    """What per-host and per-outcome counts need of a URL entry (kept in columns of a
    stored report, so its counts are SQL rather than a decode of every entry)."""
    requests = entry.get("requests", entry.get("attempts", 0))
    return entry["url"], entry["outcome"], int(entry.get("elapsed_ms") or 0), int(requests or 0)


def entry_text(entry: Mapping[str, Any]) -> bytes:
    """One list entry as report.json holds it: orjson's two-space indent, shifted four
    spaces (the depth of a list entry), its first line unindented."""
    text = orjson.dumps(entry, option=orjson.OPT_INDENT_2, default=str)
    return text.replace(b"\n", b"\n    ")


def as_report(report: Report | Mapping[str, Any]) -> Report:
    """A ``Report`` for either kind of argument."""
    if isinstance(report, DictReport | StoredReport):
        return report
    return DictReport(report)  # type: ignore[arg-type]
