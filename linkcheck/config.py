"""Configuration: every default in one place, then config.yaml, then flags; validated once.

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
from typing import Any

import yaml

from linkcheck import __version__
from linkcheck.errors import ConfigError
from linkcheck.model import Outcome
from linkcheck.specs import parse_accept, parse_resolve, parse_statuses

DEFAULT_CONFIG_FILE = "config.yaml"


@dataclass(frozen=True)
class SiteConfig:
    # Base URL that site-relative links (/assets/x.jpg) resolve against; when
    # null, an input folder's Jekyll _config.yml (url + baseurl) is used.
    base_url: str | None = None
    # The site's files on disk: links under base_url are checked against them
    # offline, without a request.
    root_dir: str | None = None


@dataclass(frozen=True)
class InputConfig:
    # Glob patterns (fnmatch, on the path as given) of input files to skip.
    exclude: tuple[str, ...] = ()
    # A record file larger than this is refused (one error), not read.
    max_file_bytes: int = 10_000_000


@dataclass(frozen=True)
class HttpConfig:
    # Requests in flight over the whole run.
    max_concurrency: int = 64
    # Requests in flight to one host (browsers open 6 connections per host).
    per_host: int = 6
    # Minimum time between the starts of two requests to one host.
    host_interval_ms: int = 0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0
    # Bound on one request, all hops and body reading included.
    request_timeout_s: float = 30.0
    # Checking stops this long after the run starts; what is left is reported
    # unchecked (outcome timeout, "not checked: run deadline reached"). 0: no deadline.
    run_deadline_s: float = 0.0
    # Seconds one host may be paused over a run for its 429s; then its 429s are final.
    host_pause_budget_s: float = 30.0
    max_redirects: int = 10
    # Bytes read at most from a page / an image body (streamed, then closed).
    max_page_bytes: int = 262_144
    max_image_bytes: int = 65_536
    # Judge a link's #fragment against the page's id / <a name> anchors (fragment_missing).
    check_fragments: bool = False
    # Null means "linkcheck/<version> (+https://github.com/linkcheck/linkcheck)".
    user_agent: str | None = None
    # Extra request headers by host regex, matched against the whole host name:
    # {"api\\.example\\.com": {"Authorization": "..."}}.
    headers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # Status codes that count as ok, lychee-style: "200..=299,429".
    accept: str = "200..=299"
    # HEAD answers asked once more as GET before a verdict (servers that refuse or lie
    # to HEAD), same syntax as accept; "" trusts every HEAD answer, as lychee does.
    head_reask: str = "400,403,404,405,501"
    # Regexes on the URL: a URL matching an exclude (and no include) is not requested.
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    # Like curl --resolve: "host:port:address" pins a name to an address.
    resolve: tuple[str, ...] = ()
    ca_bundle: str | None = None
    verify_tls: bool = True
    # Take HTTP(S)_PROXY / NO_PROXY from the environment.
    trust_env: bool = True
    # Address ranges: link-local and cloud metadata are never requested unless allowed.
    allow_private: bool = True
    allow_loopback: bool = True
    allow_link_local: bool = False
    # A run is degraded (flags nothing, exit code 3) when at least degraded_share of the
    # hosts it contacted, and at least degraded_min_hosts, could not be reached at all.
    degraded_min_hosts: int = 5
    degraded_share: float = 0.5
    # Pages known to be up, asked after the run: any that fails makes the run degraded.
    canary_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetryConfig:
    max_attempts: int = 3
    backoff_base_s: float = 0.5
    backoff_max_s: float = 10.0
    # Longest Retry-After linkcheck is willing to wait.
    retry_after_cap_s: float = 30.0
    # Bound on all waiting for one URL.
    max_total_wait_s: float = 60.0


@dataclass(frozen=True)
class ContentConfig:
    enabled: bool = True
    soft_404: bool = True
    # Extra regexes (case-insensitive) on a page's title/h1 meaning "missing".
    soft_404_patterns: tuple[str, ...] = ()
    redirect_to_home: bool = True
    content_type: bool = True
    amp: bool = True
    image_size: bool = True
    cdn_amp: bool = True
    mojibake: bool = True
    insecure_url: bool = True
    duplicate_original: bool = True
    missing_field: bool = True
    # RFC 9111 heuristic freshness: this fraction of (Date - Last-Modified).
    heuristic_fraction: float = 0.1
    cache_stale: bool = True
    # An article page whose name (title, og:title, h1) no longer resembles the record's
    # title nor the one first seen there: a score (0-100) below drift_threshold.
    content_drift: bool = True
    drift_threshold: float = 60.0
    # A domain-parking or for-sale page (health/parking.yaml); these extend its markers.
    parked_domain: bool = True
    parking_hosts: tuple[str, ...] = ()
    parking_markup: tuple[str, ...] = ()
    parking_phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryConfig:
    enabled: bool = True
    path: str = ".linkcheck/history.sqlite"
    # A URL checked ok more recently than this is not requested again.
    ok_max_age_h: float = 24.0
    # Runs kept; older ones are pruned.
    retention_runs: int = 60
    # Parsed record files not used for this many days are dropped from the parse cache.
    parse_cache_max_age_days: float = 30.0
    # Flapping: at least flap_min_changes switches between ok and failing in the
    # last flap_window_runs runs (this one included).
    flap_window_runs: int = 10
    flap_min_changes: int = 3
    # How many past runs streaks (still broken, dead for unpublish) look back over.
    streak_window_runs: int = 30


@dataclass(frozen=True)
class UnpublishConfig:
    # A published record is flagged when its article link says it is gone (docs/unpublish.md)
    # for at least min_runs consecutive runs, or for min_days days.
    min_runs: int = 1
    min_days: float = 0.0
    # Count at once, whatever min_runs says: HTTP 410 Gone, a name that does not exist.
    immediate_gone: bool = True
    immediate_dns: bool = False
    # The HTTP statuses that say an article is gone; any other answer never flags.
    dead_statuses: tuple[int, ...] = (404, 410)
    # Soft-dead pages (soft_404, redirect_to_home, parked_domain) flag after this many runs.
    soft_min_runs: int = 3


@dataclass(frozen=True)
class ArchiveConfig:
    # Look dead articles up in a web archive, to suggest a replacement.
    enabled: bool = False
    endpoint: str = "https://archive.org/wayback/available"
    timeout_s: float = 10.0
    # Lookups in flight at once (a free public service: be polite).
    max_concurrency: int = 4


@dataclass(frozen=True)
class OutputConfig:
    dir: str = "reports"
    # Which reports `linkcheck check` writes next to report.json.
    formats: tuple[str, ...] = ("json", "html", "markdown")
    markdown_max_rows: int = 50
    # Outcomes that make the run fail (exit code 1).
    fail_on: tuple[str, ...] = ("broken", "unreachable", "tls_error", "invalid")
    # Progress bar: "auto" (only on a terminal), "always", "never".
    progress: str = "auto"


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
        return self.http.user_agent or (
            f"linkcheck/{__version__} (+https://github.com/linkcheck/linkcheck)"
        )

    def to_dict(self, redact: bool = True) -> dict[str, Any]:
        """The effective configuration as plain data; header values are redacted."""
        data = _plain(self)
        if redact:
            data["http"]["headers"] = {
                host: {name: "***" for name in hdrs}
                for host, hdrs in data["http"]["headers"].items()
            }
            data = _masked(data)
        return data

    def digest(self) -> str:
        """A short stable fingerprint, so runs with different settings can be told apart."""
        text = json.dumps(self.to_dict(redact=False), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


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


def load_config(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Config:
    """Defaults, then the YAML file (``./config.yaml`` when present), then dotted overrides."""
    data: dict[str, Any] = {}
    source = "built-in defaults"
    if path is None and Path(DEFAULT_CONFIG_FILE).is_file():
        path = DEFAULT_CONFIG_FILE
    if path is not None:
        source = str(path)
        data = _read_yaml(Path(path))
    for dotted, value in (overrides or {}).items():
        _set_dotted(data, dotted, value)
    where = _Where(source, set(overrides or ()))
    config = _build(Config, data, where, prefix="")
    _check_values(config, where)
    return config


@dataclass(frozen=True)
class _Where:
    """Where a key's value came from, for the one line that refuses it."""

    source: str
    overridden: set[str]

    def __call__(self, key: str) -> str:
        if key in self.overridden:
            return f"command line (--{key.replace('.', '-').replace('_', '-')})"
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
        if dataclasses.is_dataclass(hint):
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
