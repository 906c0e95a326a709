"""Configuration: every default in one place, then linkcheck.yaml, then flags; validated once.

The sections are frozen dataclasses whose field defaults *are* the defaults;
``load_config`` overlays a YAML file and then CLI overrides (dotted keys such
as ``http.per_host``), rejecting unknown keys and wrong types with a message
that names the file and the key. Nothing else in the package reads YAML config.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
import ssl
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from linkcheck import PROJECT_URL, __version__
from linkcheck.errors import ConfigError
from linkcheck.model import Outcome
from linkcheck.specs import parse_accept, parse_resolve, parse_statuses

# Looked for in the working directory, in this order, when no --config is given.
CONFIG_NAMES = ("linkcheck.yaml", ".linkcheck.yaml")
# Also read, but only when it is a linkcheck config: Hugo and other site generators keep
# their own config.yaml in the site's root, where a nightly job runs.
SHARED_CONFIG_NAME = "config.yaml"
T = TypeVar("T")


def key(default: T, doc: str) -> T:
    """A config key: its default and the text that documents it, in one place.

    ``doc`` is the key's help on the command line (flags.py) and its line in the
    configuration reference; a test checks that every key has one.
    """
    found: T = field(default=default, metadata={"doc": doc})
    return found


@dataclass(frozen=True)
class SiteConfig:
    """Where the site lives, for links written relative to it."""

    base_url: str | None = key(
        None,
        "Base URL that site-relative links (/assets/x.jpg) resolve against; "
        "when unset, an input folder's Jekyll _config.yml (url + baseurl).",
    )
    root_dir: str | None = key(
        None,
        "The site's files on disk: links under base_url are checked against them, "
        "offline, without a request.",
    )


@dataclass(frozen=True)
class InputConfig:
    """Which files are read."""

    exclude: tuple[str, ...] = key(
        (), "Glob patterns (fnmatch, on the path as given) of input files to skip."
    )
    max_file_bytes: int = key(
        10_000_000, "A record file larger than this is refused (one error), not read."
    )


@dataclass(frozen=True)
class HttpConfig:
    """How URLs are requested: limits, politeness, TLS, address ranges, outages."""

    offline: bool = key(
        False,
        "Send nothing: site-internal links are checked from the files under site.root_dir, "
        "every other URL is reported excluded.",
    )
    max_concurrency: int = key(64, "Requests in flight over the whole run.")
    per_host: int = key(6, "Requests in flight to one host (browsers open 6 connections per host).")
    host_interval_ms: int = key(
        0, "Minimum milliseconds between the starts of two requests to one host."
    )
    connect_timeout_s: float = key(10.0, "Seconds to connect (DNS, TCP and TLS).")
    read_timeout_s: float = key(20.0, "Seconds to wait for the next bytes of an answer.")
    request_timeout_s: float = key(
        30.0, "Seconds for one request, all redirect hops and the body read included."
    )
    run_deadline_s: float = key(
        0.0,
        "Checking stops this long after the run starts; what is left is reported unchecked "
        '(outcome timeout, "not checked: run deadline reached"). 0: no deadline.',
    )
    host_pause_budget_s: float = key(
        30.0, "Seconds one host may be paused over a run for its 429s; then its 429s are final."
    )
    max_redirects: int = key(
        10, "Redirect hops followed at most; more is unreachable (too many redirects)."
    )
    max_page_bytes: int = key(
        262_144, "Bytes read at most from a page (streamed, then the connection is closed)."
    )
    max_image_bytes: int = key(65_536, "Bytes read at most from an image.")
    check_fragments: bool = key(
        False,
        "Judge a link's #fragment against the page's id / <a name> anchors (read only as far "
        "as needed, within max_page_bytes); a missing one is the URL issue fragment_missing.",
    )
    user_agent: str | None = key(
        None, "The User-Agent header; unset: linkcheck/<version> (+the project's page)."
    )
    headers: Mapping[str, Mapping[str, str]] = field(
        default_factory=dict,
        metadata={
            "doc": "Extra request headers by host regex, matched against the whole host "
            'name: {"api\\.example\\.com": {"Authorization": "..."}}; values are redacted '
            "in reports."
        },
    )
    accept: str = key(
        "200..=299", 'Status codes that count as ok, lychee-style ranges: "200..=299,429".'
    )
    head_reask: str = key(
        "400,403,404,405,501",
        "HEAD answers asked once more as GET before a verdict (servers that refuse or lie "
        'to HEAD), same syntax as accept; "" trusts every HEAD answer.',
    )
    exclude: tuple[str, ...] = key(
        (), "Regexes on the URL: a URL matching one (and no include) is not requested."
    )
    include: tuple[str, ...] = key((), "Regexes on the URL that win over exclude.")
    resolve: tuple[str, ...] = key((), 'Pin a name to an address, like curl: "host:port:address".')
    ca_bundle: str | None = key(
        None, "A PEM file of CA certificates to trust instead of the system's."
    )
    verify_tls: bool = key(True, "Verify TLS certificates (turn off only for a test site).")
    trust_env: bool = key(True, "Use HTTP(S)_PROXY and NO_PROXY from the environment.")
    allow_private: bool = key(True, "Request private addresses (10/8, 192.168/16, ...).")
    allow_loopback: bool = key(True, "Request loopback addresses (127/8, ::1).")
    allow_link_local: bool = key(
        False, "Request link-local and cloud metadata addresses (169.254/16, fe80::/10)."
    )
    degraded_min_hosts: int = key(
        5,
        "A run is degraded (flags nothing, exit code 3) when at least this many of the "
        "hosts it contacted, and at least degraded_share of them, could not be reached at all.",
    )
    degraded_share: float = key(
        0.5, "The share of the hosts contacted that must be unreachable for a degraded run."
    )
    canary_urls: tuple[str, ...] = key(
        (), "Pages known to be up, asked after the run: any that fails makes it degraded."
    )


@dataclass(frozen=True)
class RetryConfig:
    """Retries of transient failures (connection errors, timeouts, 5xx, 429)."""

    max_attempts: int = key(3, "Attempts per URL, the first included.")
    backoff_base_s: float = key(0.5, "Back-off before retry n: this * 2^n seconds, with jitter.")
    backoff_max_s: float = key(10.0, "Longest back-off between two attempts.")
    retry_after_cap_s: float = key(
        30.0, "Longest Retry-After honoured; a longer one ends the retries."
    )
    max_total_wait_s: float = key(60.0, "Bound on all waiting for one URL.")


@dataclass(frozen=True)
class ContentConfig:
    """Content-health checks; they read only the first bytes of pages and images."""

    enabled: bool = key(True, "Every content check; off, only outcomes are judged.")
    soft_404: bool = key(True, "Pages that answer 2xx but say they are missing.")
    soft_404_patterns: tuple[str, ...] = key(
        (), "Extra regexes (case-insensitive) on a page's title or heading meaning missing."
    )
    redirect_to_home: bool = key(True, "Article URLs that land on a site's front page.")
    content_type: bool = key(True, "Images that are not images, articles that are not HTML.")
    amp: bool = key(True, "AMP URLs whose page is not an AMP document.")
    image_size: bool = key(True, "Declared width and height against the image's real size.")
    cdn_amp: bool = key(True, "cdnAmpWebUrl against the AMP cache URL of ampWebUrl.")
    mojibake: bool = key(True, "Text fields with broken encoding (nationâ€™s).")
    insecure_url: bool = key(True, "http:// links where https:// works.")
    duplicate_original: bool = key(True, "Records sharing an originalUrl.")
    missing_field: bool = key(
        True, "Published articles without their links, images without a declared size."
    )
    heuristic_fraction: float = key(
        0.1, "RFC 9111 heuristic freshness: this fraction of (Date - Last-Modified)."
    )
    cache_stale: bool = key(True, "Copies served past their freshness.")
    content_drift: bool = key(
        True,
        "Article pages whose name (title, og:title, h1) no longer resembles the record's "
        "title nor the one first seen there: a score (0-100) below drift_threshold.",
    )
    drift_threshold: float = key(60.0, "The resemblance score (0-100) below which a page drifted.")
    parked_domain: bool = key(
        True, "Domain-parking and for-sale pages (the markers of health/parking.yaml)."
    )
    parking_hosts: tuple[str, ...] = key((), "More hosts that parked domains redirect to.")
    parking_markup: tuple[str, ...] = key((), "More markup that parking pages carry.")
    parking_phrases: tuple[str, ...] = key((), "More phrases that parking pages say.")


@dataclass(frozen=True)
class HistoryConfig:
    """The SQLite store that remembers results across runs (streaks, changes, reuse)."""

    enabled: bool = key(True, "Remember results across runs.")
    path: str = key(".linkcheck/history.sqlite", "The history store's file.")
    ok_max_age_h: float = key(
        24.0, "A URL checked ok more recently than this many hours is not requested again."
    )
    retention_runs: int = key(60, "Runs kept; older runs and their results are pruned.")
    parse_cache_max_age_days: float = key(
        30.0, "Parsed record files unused for this many days leave the parse cache."
    )
    flap_window_runs: int = key(
        10, "Runs (this one included) looked at for flapping: switching between ok and failing."
    )
    flap_min_changes: int = key(3, "Switches within flap_window_runs that make a URL flapping.")
    streak_window_runs: int = key(
        30, "How many past runs the still-broken and dead-since streaks look back over."
    )


@dataclass(frozen=True)
class UnpublishConfig:
    """When a published record is flagged to unpublish (docs/unpublish.md)."""

    min_runs: int = key(
        1,
        "Flag a published record when its article link says it is gone for this many "
        "consecutive runs, or for min_days.",
    )
    min_days: float = key(0.0, "Flag when the article link has said it is gone for this many days.")
    immediate_gone: bool = key(True, "HTTP 410 Gone counts at once, whatever min_runs says.")
    immediate_dns: bool = key(False, "A name that does not exist (NXDOMAIN) counts at once.")
    dead_statuses: tuple[int, ...] = key(
        (404, 410), "The HTTP statuses that say an article is gone; no other answer flags."
    )
    soft_min_runs: int = key(
        3,
        "Soft-dead pages (soft_404, redirect_to_home, parked_domain) flag after this many "
        "consecutive runs.",
    )


@dataclass(frozen=True)
class ArchiveConfig:
    """Looking dead articles up in a web archive, to suggest a replacement."""

    enabled: bool = key(False, "Ask the archive about each dead article link.")
    endpoint: str = key("https://archive.org/wayback/available", "The archive's lookup API.")
    timeout_s: float = key(10.0, "Seconds for one lookup.")
    max_concurrency: int = key(4, "Lookups in flight at once (a free public service: be polite).")


@dataclass(frozen=True)
class OutputConfig:
    """The reports, the exit code and what is printed while running."""

    dir: str = key("reports", "Where the reports are written.")
    formats: tuple[str, ...] = key(
        ("json", "html", "markdown"),
        "Reports written (report.json always): json, html, markdown, junit, sarif.",
    )
    markdown_max_rows: int = key(50, "Rows at most in the Markdown summary (then N more).")
    fail_on: tuple[str, ...] = key(
        ("broken", "unreachable", "tls_error", "invalid"),
        "Outcomes that fail the run (exit code 1).",
    )
    report_url: str | None = key(
        None,
        "Where the HTML report can be opened (an http(s) URL: a web server, a CI artifact's "
        "page); the Markdown summary links to it.",
    )
    progress: str = key(
        "auto",
        "Progress on stderr: auto (a bar on a terminal, a line now and then off it), "
        "always, never.",
    )


@dataclass(frozen=True)
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    input: InputConfig = field(default_factory=InputConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    retry: RetryConfig = field(default_factory=RetryConfig)
    content: ContentConfig = field(default_factory=ContentConfig)
    history: HistoryConfig = field(default_factory=HistoryConfig)
    unpublish: UnpublishConfig = field(default_factory=UnpublishConfig)
    archive: ArchiveConfig = field(default_factory=ArchiveConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    @property
    def user_agent(self) -> str:
        return self.http.user_agent or f"linkcheck/{__version__} (+{PROJECT_URL})"

    def to_dict(self, redact: bool = True) -> dict[str, Any]:
        """The effective configuration as plain data; header values are redacted."""
        data = _plain(self)
        if redact:
            data["http"]["headers"] = {
                host: {name: "***" for name in hdrs}
                for host, hdrs in data["http"]["headers"].items()
            }
            data = _masked(data)
        return dict(data)

    def digest(self) -> str:
        """A short stable fingerprint, so runs with different settings can be told apart."""
        text = json.dumps(self.to_dict(redact=False), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class KeyInfo:
    """One config key as the command line and the reference show it."""

    section: str
    name: str
    hint: Any  # the annotation, Optional included
    default: Any
    doc: str

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.name}"


def flag_of(dotted: str) -> str:
    """The flag of a key: ``--section-name``, or ``--name`` when the name already starts
    with the section (``retry.retry_after_cap_s`` -> ``--retry-after-cap-s``)."""
    section, _, name = dotted.partition(".")
    stem = name if name.startswith(f"{section}_") else dotted
    return "--" + stem.replace(".", "-").replace("_", "-")


def config_sections() -> dict[str, str]:
    """Each section's name -> the one line that says what it is for, in file order."""
    return {
        name: (section.__doc__ or "").strip()
        for name, section in typing.get_type_hints(Config).items()
    }


def config_keys() -> list[KeyInfo]:
    """Every key, section by section in file order, with its default and documentation."""
    keys = []
    for section_name, section in typing.get_type_hints(Config).items():
        hints = typing.get_type_hints(section)
        defaults = section()
        for f in dataclasses.fields(section):
            default = getattr(defaults, f.name)
            keys.append(KeyInfo(section_name, f.name, hints[f.name], default, f.metadata["doc"]))
    return keys


def _masked(value: Any) -> Any:
    """Every string with the credentials of a URL in it masked (``site.base_url`` may
    carry a password; the report shows the configuration)."""
    from linkcheck.credentials import mask_text  # late: credentials imports the model

    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return mask_text(value) if isinstance(value, str) else value


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


# ---------------------------------------------------------------- loading


@dataclass(frozen=True)
class FoundConfig:
    """The config file found in a folder (None: the built-in defaults), and what to tell the
    user about the choice (None: nothing worth a line)."""

    path: Path | None
    note: str | None = None


def find_config(folder: str | Path = ".") -> FoundConfig:
    """``linkcheck.yaml``, ``.linkcheck.yaml``, or ``config.yaml`` if it is linkcheck's.

    A ``config.yaml`` is linkcheck's when its top-level keys are all linkcheck sections; one
    that is some other tool's (``baseURL``, ``title``, ``theme``) is passed over, so a
    site generator's file in the working directory never stops a run.
    """
    base = Path(folder)
    for name in CONFIG_NAMES:
        if (base / name).is_file():
            return FoundConfig(base / name)
    shared = base / SHARED_CONFIG_NAME
    if not shared.is_file():
        return FoundConfig(None)
    try:
        data = yaml.safe_load(shared.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, yaml.YAMLError):
        return FoundConfig(None, f"ignoring {shared}: not readable YAML, so not read as config")
    if not isinstance(data, dict) or not data:
        return FoundConfig(None)
    sections = set(config_sections())
    foreign = sorted(str(k) for k in data if k not in sections)
    if not foreign:
        return FoundConfig(
            shared, f"reading {shared} as linkcheck's config (linkcheck.yaml is the clearer name)"
        )
    if len(foreign) == len(data):
        return FoundConfig(None)  # another tool's file: nothing to say
    names = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
    why = (
        f"key {names} is not a linkcheck section"
        if len(foreign) == 1
        else f"keys {names} are not linkcheck sections"
    )
    return FoundConfig(
        None,
        f"ignoring {shared}: its {why}, so it is not read as config "
        "(name linkcheck's config linkcheck.yaml)",
    )


def load_config(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Config:
    """Defaults, then the YAML file (``find_config`` when none is named), then overrides."""
    data: dict[str, Any] = {}
    source = "built-in defaults"
    if path is None:
        path = find_config().path
    if path is not None:
        source = str(path)
        data = _read_yaml(Path(path))
    for dotted, value in (overrides or {}).items():
        _set_dotted(data, dotted, value)
    where = _Where(source, set(overrides or ()))
    config: Config = _build(Config, data, where, prefix="")
    _check_values(config, where)
    return config


@dataclass(frozen=True)
class _Where:
    """Where a key's value came from, for the one line that refuses it."""

    source: str
    overridden: set[str]

    def __call__(self, key: str) -> str:
        if key in self.overridden:
            return f"command line ({flag_of(key)})"
        return self.source


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data_bytes = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    try:
        text = data_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data_bytes.count(b"\n", 0, exc.start) + 1
        byte = data_bytes[exc.start]
        raise ConfigError(
            f"{path}:{line}: config is not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: invalid YAML in config") from None
    except (ValueError, OverflowError, RecursionError) as exc:  # 2021-02-30, 5,000 digits
        reason = str(exc).split(";")[0]
        raise ConfigError(f"{path}: invalid value in config: {reason}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: config must be a mapping of sections")
    return data


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"config key {dotted}: {part} is not a section")
    node[last] = value


def _build(cls: type, data: Any, where: _Where, prefix: str) -> Any:
    if not isinstance(data, Mapping):
        section = prefix.rstrip(".") or "config"
        raise ConfigError(f"{where(section)}: {section}: expected a mapping")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in names:
            known = ", ".join(sorted(names))
            raise ConfigError(
                f"{where(prefix + str(key))}: unknown config key {prefix}{key} (known: {known})"
            )
    kwargs = {}
    for name in names:
        if name not in data:
            continue
        hint = hints[name]
        key = f"{prefix}{name}"
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            kwargs[name] = _build(hint, data[name], where, f"{key}.")
        else:
            kwargs[name] = _coerce(hint, data[name], where(key), key)
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, source: str, key: str) -> Any:
    """Check one value against its annotation; tuples accept YAML lists."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(inner[0], value, source, key)
    if origin is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{source}: {key}: expected a list, got {_kind(value)}")
        return tuple(_coerce(args[0], v, source, key) for v in value)
    if origin in (Mapping, dict) or hint is Mapping:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{source}: {key}: expected a mapping, got {_kind(value)}")
        return {str(k): _coerce(args[1], v, source, f"{key}.{k}") for k, v in value.items()}
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{source}: {key}: expected true or false, got {_kind(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{source}: {key}: expected an integer, got {_kind(value)}")
        if abs(value) > _LARGEST:
            raise ConfigError(f"{source}: {key}: {_shown(value)} is far too large")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{source}: {key}: expected a number, got {_kind(value)}")
        if not math.isfinite(value):
            raise ConfigError(f"{source}: {key}: expected a finite number, got {value}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{source}: {key}: expected a string, got {_kind(value)}")
        return value
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


_POSITIVE = {
    "input.max_file_bytes",
    "http.max_concurrency",
    "http.per_host",
    "http.max_redirects",
    "http.max_page_bytes",
    "http.max_image_bytes",
    "http.connect_timeout_s",
    "http.read_timeout_s",
    "http.request_timeout_s",
    "retry.max_attempts",
    "history.retention_runs",
    "unpublish.min_runs",
    "http.degraded_min_hosts",
    "http.degraded_share",
    "unpublish.soft_min_runs",
    "output.markdown_max_rows",
    "archive.timeout_s",
    "history.flap_window_runs",
    "history.flap_min_changes",
    "history.streak_window_runs",
    "archive.max_concurrency",
    "history.parse_cache_max_age_days",
}
_NON_NEGATIVE = {
    "http.host_interval_ms",
    "retry.backoff_base_s",
    "retry.backoff_max_s",
    "retry.retry_after_cap_s",
    "retry.max_total_wait_s",
    "history.ok_max_age_h",
    "unpublish.min_days",
    "content.heuristic_fraction",
    "content.drift_threshold",
}
# Upper bounds: a value past them is a typo or an attack, and would cost memory (a million
# requests in flight), overflow a timer or a date, or break the report (a 30-digit number).
_AT_MOST: Mapping[str, float] = {
    "input.max_file_bytes": 1_000_000_000,
    "http.max_concurrency": 1000,
    "http.per_host": 1000,
    "http.host_interval_ms": 3_600_000,
    "http.connect_timeout_s": 3600,
    "http.read_timeout_s": 3600,
    "http.request_timeout_s": 3600,
    "http.max_redirects": 100,
    "http.max_page_bytes": 100_000_000,
    "http.max_image_bytes": 100_000_000,
    "retry.max_attempts": 100,
    "retry.backoff_base_s": 3600,
    "retry.backoff_max_s": 86_400,
    "retry.retry_after_cap_s": 86_400,
    "retry.max_total_wait_s": 86_400,
    "content.heuristic_fraction": 1,
    "content.drift_threshold": 100,
    "history.ok_max_age_h": 876_000,
    "history.retention_runs": 1_000_000,
    "history.parse_cache_max_age_days": 36_500,
    "history.flap_window_runs": 10_000,
    "history.flap_min_changes": 10_000,
    "history.streak_window_runs": 10_000,
    "unpublish.min_runs": 10_000,
    "unpublish.soft_min_runs": 10_000,
    "unpublish.min_days": 36_500,
    "archive.timeout_s": 3600,
    "archive.max_concurrency": 100,
    "output.markdown_max_rows": 1_000_000,
}
# Any number, whatever its key: JSON readers (and the report) keep integers exactly to here.
_LARGEST = 2**53
_FORMATS = {"json", "html", "markdown", "junit", "sarif"}


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 20 else f"a {len(text)}-digit number"


def _check_values(config: Config, where: _Where) -> None:
    """Value rules that types alone don't express; each error names its key."""

    def get(dotted: str) -> Any:
        section, name = dotted.split(".")
        return getattr(getattr(config, section), name)

    for key in sorted(_POSITIVE):
        if get(key) <= 0:
            raise ConfigError(f"{where(key)}: {key}: expected a number above 0, got {get(key)}")
    for key in sorted(_NON_NEGATIVE):
        if get(key) < 0:
            raise ConfigError(f"{where(key)}: {key}: expected 0 or more, got {get(key)}")
    for key, bound in _AT_MOST.items():
        if get(key) > bound:
            raise ConfigError(
                f"{where(key)}: {key}: expected at most {bound:,}, got {_shown(get(key))}"
            )
    _check_choices(config, where)
    _check_patterns(config, where)
    _check_ca_bundle(config.http.ca_bundle, where("http.ca_bundle"))


def _check_choices(config: Config, where: _Where) -> None:
    outcomes = {o.value for o in Outcome}
    for name in config.output.fail_on:
        if name not in outcomes:
            raise ConfigError(
                f"{where('output.fail_on')}: output.fail_on: unknown outcome {name!r} "
                f"(expected some of {', '.join(sorted(outcomes))})"
            )
    for name in config.output.formats:
        if name not in _FORMATS:
            raise ConfigError(
                f"{where('output.formats')}: output.formats: unknown format {name!r} "
                f"(expected some of {', '.join(sorted(_FORMATS))})"
            )
    if config.http.degraded_share > 1:
        raise ConfigError(
            f"{where('http.degraded_share')}: http.degraded_share: expected a share of 1 or less, "
            f"got {config.http.degraded_share}"
        )
    for url in config.http.canary_urls:
        if not re.match(r"(?i)https?://[^/?#\s]+", url):
            raise ConfigError(
                f"{where('http.canary_urls')}: http.canary_urls: {url!r} is not an http(s) URL"
            )
    for status in config.unpublish.dead_statuses:
        if not 400 <= status <= 599:
            raise ConfigError(
                f"{where('unpublish.dead_statuses')}: unpublish.dead_statuses: {status} "
                "is not a 4xx or 5xx status"
            )
    report_url = config.output.report_url
    if report_url is not None and not re.match(r"(?i)https?://[^/?#\s]+", report_url):
        raise ConfigError(
            f"{where('output.report_url')}: output.report_url: {report_url!r} is not an http(s) URL"
        )
    if config.output.progress not in ("auto", "always", "never"):
        raise ConfigError(
            f"{where('output.progress')}: output.progress: expected auto, always or never"
        )


def _check_patterns(config: Config, where: _Where) -> None:
    patterns = {
        "http.exclude": config.http.exclude,
        "http.include": config.http.include,
        "content.soft_404_patterns": config.content.soft_404_patterns,
        "http.headers": tuple(config.http.headers),
    }
    for key, found in patterns.items():
        for pattern in found:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"{where(key)}: {key}: bad regex {pattern!r}: {exc}") from None
    try:
        parse_accept(config.http.accept)
    except ValueError as exc:
        raise ConfigError(f"{where('http.accept')}: http.accept: {exc}") from None
    try:
        parse_statuses(config.http.head_reask)
    except ValueError as exc:
        raise ConfigError(f"{where('http.head_reask')}: http.head_reask: {exc}") from None
    for entry in config.http.resolve:
        try:
            parse_resolve(entry)
        except ValueError as exc:
            raise ConfigError(f"{where('http.resolve')}: http.resolve: {exc}") from None


def _check_ca_bundle(path: str | None, source: str) -> None:
    """The CA bundle is read before any input, so a wrong path is one line, not a traceback
    after the records were read."""
    if path is None:
        return
    if not os.path.isfile(path):
        raise ConfigError(f"{source}: http.ca_bundle: {path}: no such file")
    try:
        ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        raise ConfigError(
            f"{source}: http.ca_bundle: {path}: not a usable CA bundle ({reason})"
        ) from None
