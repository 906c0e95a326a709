"""The values passed between pipeline stages.

Data flows one way: ``Record -> LinkRef -> UrlCheck -> Fetched -> UrlResult ->
RecordHealth -> Report``. Every stage takes and returns these frozen dataclasses,
never loose dicts, so a stage can be tested alone. Enum values are the contract's
strings (``../shared/contract/report-json.md``), so they serialise as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """The verdict on one URL: the contract's closed set."""

    OK = "ok"
    BROKEN = "broken"
    SERVER_ERROR = "server_error"
    RATE_LIMITED = "rate_limited"
    BLOCKED = "blocked"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    TLS_ERROR = "tls_error"
    INVALID = "invalid"
    EXCLUDED = "excluded"


class Role(StrEnum):
    """What a link is for in its record; decides which checks apply to it."""

    ORIGINAL = "original"
    WEB = "web"
    AMP = "amp"
    CDN_AMP = "cdn_amp"
    IMAGE = "image"
    PROVIDER_IMAGE = "provider_image"
    OTHER = "other"
    # A link written in markup the record holds: its body after the front matter, or a
    # front-matter field whose value is HTML (an embed). Checked like ``other``.
    BODY = "body"

    @property
    def is_article(self) -> bool:
        return self in (Role.ORIGINAL, Role.WEB, Role.AMP, Role.CDN_AMP)

    @property
    def is_image(self) -> bool:
        return self in (Role.IMAGE, Role.PROVIDER_IMAGE)


class Health(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BROKEN = "broken"


class FailureKind(StrEnum):
    """Why a transport-level failure happened; finer than the outcome.

    The unpublish rule needs it: a name the resolver says does not exist
    (``nxdomain``) is evidence that a site is gone, a resolver that could not
    answer (``dns``) is not. The degraded-run rule needs it too: ``dns``,
    ``refused``, ``connect_timeout`` and ``network`` are failures to reach a
    server at all, which a whole network being down looks like.
    """

    NXDOMAIN = "nxdomain"  # the resolver answered: no such name
    DNS = "dns"  # the resolver could not answer: temporary failure, SERVFAIL, unreachable
    REFUSED = "refused"
    NETWORK = "network"  # network or host unreachable: no route to the server
    CONNECT_TIMEOUT = "connect_timeout"
    RESET = "reset"
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    TIMEOUT = "timeout"
    TLS = "tls"
    BLOCKED_ADDRESS = "blocked_address"
    EXCLUDED = "excluded"
    OTHER = "other"


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class Record:
    """One article record as read from its file.

    ``fields`` is the raw mapping; ``lines`` maps a field path such as
    ``related[1].images[0].url`` to its 1-based line in the source file, for
    formats that have lines. ``body_links`` are the (URL as written, file line) of the
    links in a front-matter file's body, found while reading (``inputs.bodylinks``): the
    body itself is not kept, and link extraction is all that needs them.
    """

    source: str
    index: int
    fields: Mapping[str, Any]
    line: int | None = None
    lines: Mapping[str, int] = field(default_factory=dict)
    body_links: tuple[tuple[str, int], ...] = ()

    @property
    def title(self) -> str | None:
        value = self.fields.get("title") or self.fields.get("name")
        return value if isinstance(value, str) else None

    @property
    def published(self) -> bool | None:
        value = self.fields.get("published")
        return value if isinstance(value, bool) else None

    @property
    def key(self) -> str:
        """Identifies the record in reports: the source, plus its position when a file has many."""
        return self.source if self.index == 0 else f"{self.source}#{self.index}"

    def line_of(self, path: str | None) -> int | None:
        """The field's own line; for a field that is absent (``originalUrl`` missing) or has
        none, the nearest enclosing field's (``images[0]`` for ``images[0].width``); else
        the record's own line."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path.rpartition(".")[0] if "." in path else path.rpartition("[")[0]
        return self.line


@dataclass(frozen=True)
class RecordError:
    """An input that could not be read or parsed. Reported, never raised."""

    source: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ReadResult:
    """Everything read from the inputs; nothing is dropped silently."""

    records: tuple[Record, ...]
    errors: tuple[RecordError, ...]
    skipped_files: tuple[str, ...] = ()
    files_read: int = 0


# ---------------------------------------------------------------- links


@dataclass(frozen=True)
class LinkRef:
    """One URL-bearing field of one record.

    ``url`` is the normalised URL used for checking and de-duplication, or
    None when the raw value is not checkable (``invalid_reason`` says why).
    """

    record: str
    field: str
    role: Role
    raw: str
    url: str | None
    line: int | None = None
    invalid_reason: str | None = None
    # The URL to send when ``url`` (and ``raw``) had credentials masked (credentials.py).
    # (``dataclasses.field``: this class has a field named ``field``.)
    request_url: str | None = dataclasses.field(default=None, repr=False)
    # For an article link: the title of the article it is for (content drift).
    title: str | None = dataclasses.field(default=None, repr=False)
    # The ``#fragment`` as written: not part of ``url`` (the page is fetched once).
    fragment: str | None = None

    @property
    def shown_url(self) -> str | None:
        """The URL as the report shows it on the link: with its fragment."""
        if self.url is None or self.fragment is None:
            return self.url
        return f"{self.url}#{self.fragment}"


@dataclass(frozen=True)
class Validators:
    """What a previous response said about its content, for conditional requests."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class UrlCheck:
    """One unique URL to check, with what the checks need to know about it."""

    url: str
    roles: frozenset[Role]
    referrers: int = 1
    validators: Validators | None = None
    # The status it answered last time (history): a HEAD that status would have re-asked
    # as GET (``http.head_reask``) is not sent again.
    last_status: int | None = None
    # What to send when ``url`` has its credentials masked (credentials.py): never shown.
    request_url: str | None = field(default=None, repr=False)
    # The titles of the articles this URL is the article link of (content drift), and the
    # page's title when it was first seen fine (history).
    titles: tuple[str, ...] = ()
    first_title: str | None = None
    # The fragments its links carry (judged with ``http.check_fragments``).
    fragments: tuple[str, ...] = ()
    # How it failed last time (a FailureKind value), when it did without an HTTP status:
    # failing the same way again, it is not retried (``retrying.known_failing``).
    last_failure: str | None = None

    @property
    def wants_body(self) -> bool:
        """A body must be read when content checks apply (pages and images)."""
        return any(r.is_article or r.is_image for r in self.roles)


# ---------------------------------------------------------------- fetching


@dataclass(frozen=True)
class Hop:
    url: str
    status: int


@dataclass(frozen=True)
class Fetched:
    """What the network said about one URL, before any judgement.

    ``headers`` are the final response's headers with lower-case names.
    ``body`` holds only the first bytes (capped). A transport failure has
    ``status`` None (or the last status seen) and ``failure`` set.
    """

    url: str
    status: int | None
    final_url: str
    redirects: tuple[Hop, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    body_truncated: bool = False
    error: str | None = None
    failure: FailureKind | None = None
    elapsed_ms: int = 0
    attempts: int = 1
    requests: int = 1
    fetched_at: datetime | None = None
    not_modified: bool = False


# ---------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class CacheInfo:
    """HTTP cache freshness of a response (RFC 9111 section 4.2)."""

    fresh: bool | None
    freshness_lifetime_s: int | None
    age_s: int | None
    etag: str | None = None
    last_modified: str | None = None
    expires: str | None = None
    cache_control: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class Drift:
    """An article page that no longer resembles the article (``content_drift``)."""

    page_title: str  # the page's name that came closest
    record_title: str
    score: float  # 0-100 against the record's title, below the threshold
    first_seen_title: str | None = None  # what the page was named when it was fine
    first_seen_score: float | None = None
    # The comparison that fired: "first_seen" when the page was known by another name
    # (it changed), else "record".
    against: str = "record"


@dataclass(frozen=True)
class UrlResult:
    """The verdict on one unique URL: one entry of the report's ``urls``."""

    url: str
    outcome: Outcome
    status: int | None
    final_url: str
    redirects: tuple[Hop, ...] = ()
    error: str | None = None
    failure: FailureKind | None = None
    content_type: str | None = None
    elapsed_ms: int = 0
    attempts: int = 0
    requests: int = 0
    from_cache: bool = False
    cache: CacheInfo | None = None
    issues: tuple[str, ...] = ()
    referrers: int = 0
    content_length: int | None = None
    image_size: tuple[int, int] | None = None
    checked_at: datetime | None = None
    # With the content_drift issue: the titles compared and the score.
    drift: Drift | None = None
    # The page's title, when it is an article page judged fine (the history keeps the first).
    page_title: str | None = None
    # With the fragment_missing issue: the fragments the page has no anchor for.
    missing_fragments: tuple[str, ...] = ()

    @property
    def permanent_redirect(self) -> bool:
        return any(h.status in (301, 308) for h in self.redirects)


@dataclass(frozen=True)
class Finding:
    """A record-level issue: one entry of ``records[].issues``."""

    code: str
    field: str | None
    message: str
    # The field's line in the source file (``Record.line_of``), when the format has lines.
    line: int | None = None


@dataclass(frozen=True)
class RecordHealth:
    """The verdict on one record: one entry of the report's ``records``."""

    source: str
    title: str | None
    published: bool | None
    health: Health
    links: tuple[LinkRef, ...]
    issues: tuple[Finding, ...] = ()
    unpublish: bool = False
    unpublish_reasons: tuple[str, ...] = ()
    record_key: str = ""
    line: int | None = None
