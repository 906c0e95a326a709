"""Command-line flags for every config key, generated from the config dataclasses.

Each key ``section.name`` gets ``--section-name`` (``http.per_host`` ->
``--http-per-host``), so no key can be forgotten; a few common keys also get
short aliases (``--per-host``). Parsed flags become dotted overrides for
``load_config``, so flags and the file share one validation path.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any

from linkcheck.config import Config

ALIASES: Mapping[str, tuple[str, ...]] = {
    "http.max_concurrency": ("--concurrency",),
    "http.per_host": ("--per-host",),
    "http.host_interval_ms": ("--host-interval-ms",),
    "http.request_timeout_s": ("--timeout",),
    "http.max_redirects": ("--max-redirects",),
    "http.user_agent": ("--user-agent",),
    "http.accept": ("--accept",),
    "http.exclude": ("--exclude",),
    "http.include": ("--include",),
    "http.resolve": ("--resolve",),
    "http.ca_bundle": ("--ca-bundle",),
    "retry.max_attempts": ("--max-attempts",),
    "site.base_url": ("--base-url",),
    "site.root_dir": ("--root-dir",),
    "history.path": ("--history",),
    "output.dir": ("--output-dir", "-o"),
    "output.formats": ("--formats",),
    "output.fail_on": ("--fail-on",),
    "output.progress": ("--progress",),
}


# Lists whose items never contain commas, so "--formats json,html" works; regexes may.
COMMA_LISTS = frozenset({"output.formats", "output.fail_on"})


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per config key, in a group per section."""
    for section_name, section in typing.get_type_hints(Config).items():
        group = parser.add_argument_group(f"config: {section_name}")
        hints = typing.get_type_hints(section)
        for field in dataclasses.fields(section):
            key = f"{section_name}.{field.name}"
            names = (f"--{key.replace('.', '-').replace('_', '-')}", *ALIASES.get(key, ()))
            _add_flag(group, names, key, hints[field.name])


def _add_flag(group: Any, names: tuple[str, ...], key: str, hint: Any) -> None:
    dest = f"cfg:{key}"
    origin = typing.get_origin(hint)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if origin in (types.UnionType, typing.Union):
        hint, origin = args[0], typing.get_origin(args[0])
    if hint is bool:
        group.add_argument(
            *names,
            dest=dest,
            action=argparse.BooleanOptionalAction,
            default=None,
            help=f"config {key}",
        )
    elif origin is tuple:
        group.add_argument(
            *names,
            dest=dest,
            action="append",
            default=None,
            metavar="VALUE",
            help=f"config {key} (repeatable)",
        )
    elif origin in (Mapping, dict):
        group.add_argument(
            *names,
            dest=dest,
            action="append",
            default=None,
            metavar="HOSTREGEX=NAME:VALUE",
            help=f"config {key} (repeatable)",
        )
    else:
        kind = {int: int, float: float}.get(hint, str)
        group.add_argument(
            *names,
            dest=dest,
            type=kind,
            default=None,
            metavar=kind.__name__.upper(),
            help=f"config {key}",
        )


def overrides_from(namespace: argparse.Namespace) -> dict[str, Any]:
    """The dotted config overrides the user actually gave on the command line."""
    found: dict[str, Any] = {}
    for dest, value in vars(namespace).items():
        if not dest.startswith("cfg:") or value is None:
            continue
        key = dest[4:]
        if key == "http.headers":
            found[key] = _headers(value)
        elif key in COMMA_LISTS:
            found[key] = [part.strip() for item in value for part in item.split(",") if part]
        else:
            found[key] = value
    return found


def _headers(items: list[str]) -> dict[str, dict[str, str]]:
    headers: dict[str, dict[str, str]] = {}
    for item in items:
        pattern, _, header = item.partition("=")
        name, _, value = header.partition(":")
        if not (pattern and name):
            from linkcheck.errors import UsageError

            raise UsageError(f"--http-headers {item!r}: expected HOSTREGEX=NAME:VALUE")
        headers.setdefault(pattern, {})[name.strip()] = value.strip()
    return headers
