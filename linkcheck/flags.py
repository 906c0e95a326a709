"""Command-line flags for every config key, generated from the config dataclasses.

Each key ``section.name`` gets ``--section-name`` (``http.per_host`` ->
``--http-per-host``), without saying the section twice (``retry.retry_after_cap_s`` ->
``--retry-after-cap-s``; the doubled spelling still works, unlisted), so no key can be
forgotten; a few common keys also get short aliases (``--per-host``). The help text is
the key's own documentation (``config.key``). Parsed flags become dotted overrides for
``load_config``, so flags and the file share one validation path.
"""

from __future__ import annotations

import argparse
import types
import typing
from collections.abc import Collection, Mapping
from typing import Any

from linkcheck.config import KeyInfo, config_keys, config_sections, flag_of

ALIASES: Mapping[str, tuple[str, ...]] = {
    "http.offline": ("--offline",),
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
    "output.dir": ("-o",),
    "output.formats": ("--formats",),
    "output.fail_on": ("--fail-on",),
    "output.progress": ("--progress",),
}


# What a flag's value is, when "TEXT" says too little.
METAVARS: Mapping[str, str] = {
    "site.base_url": "URL",
    "site.root_dir": "DIR",
    "input.exclude": "GLOB",
    "http.exclude": "REGEX",
    "http.include": "REGEX",
    "http.resolve": "HOST:PORT:ADDRESS",
    "http.ca_bundle": "FILE",
    "http.accept": "STATUSES",
    "http.head_reask": "STATUSES",
    "http.canary_urls": "URL",
    "content.soft_404_patterns": "REGEX",
    "history.path": "FILE",
    "unpublish.dead_statuses": "STATUS",
    "archive.endpoint": "URL",
    "output.dir": "DIR",
    "output.formats": "FORMAT",
    "output.fail_on": "OUTCOME",
    "output.progress": "auto|always|never",
}


# Lists whose items never contain commas, so "--formats json,html" works; regexes may.
COMMA_LISTS = frozenset({"output.formats", "output.fail_on", "unpublish.dead_statuses"})


def flag_name(key: KeyInfo) -> str:
    """``--section-name``, or ``--name`` when the name already starts with the section."""
    return flag_of(key.dotted)


def add_config_flags(
    parser: argparse.ArgumentParser, sections: Collection[str] | None = None
) -> None:
    """One flag per config key (of ``sections``, when named), in a group per section."""
    groups = {
        name: parser.add_argument_group(f"config: {name}", doc)
        for name, doc in config_sections().items()
        if sections is None or name in sections
    }
    for key in config_keys():
        if key.section not in groups:
            continue
        primary = flag_name(key)
        names = tuple(dict.fromkeys((primary, *ALIASES.get(key.dotted, ()))))
        _add_flag(groups[key.section], names, key, _help(key, _repeatable(key.hint)))
        doubled = f"--{key.section}-{key.name}".replace("_", "-")
        if doubled != primary:  # the spelling scripts may still use
            _add_flag(groups[key.section], (doubled,), key, argparse.SUPPRESS)


def _repeatable(hint: Any) -> bool:
    return typing.get_origin(hint) in (tuple, Mapping, dict)


def _help(key: KeyInfo, repeatable: bool) -> str:
    text = key.doc.replace("%", "%%") + (" Repeatable." if repeatable else "")
    shown = _shown(key.default)
    return f"{text} (default: {shown})" if shown else text


def _shown(default: Any) -> str:
    """The default as a user would type it; empty when there is nothing to show."""
    if isinstance(default, bool):
        return "on" if default else "off"
    if isinstance(default, tuple):
        return ",".join(str(item) for item in default)
    if default is None or isinstance(default, Mapping):
        return ""
    return str(default)


def _add_flag(group: Any, names: tuple[str, ...], key: KeyInfo, help: str) -> None:
    dest = f"cfg:{key.dotted}"
    hint = key.hint
    origin = typing.get_origin(hint)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if origin in (types.UnionType, typing.Union):
        hint, origin = args[0], typing.get_origin(args[0])
    if hint is bool:
        group.add_argument(
            *names, dest=dest, action=argparse.BooleanOptionalAction, default=None, help=help
        )
    elif origin is tuple:
        item = typing.get_args(hint)[0]
        many = "[,...]" if key.dotted in COMMA_LISTS else ""
        group.add_argument(
            *names,
            dest=dest,
            action="append",
            default=None,
            type=None if key.dotted in COMMA_LISTS else _scalar(item),
            metavar=f"{METAVARS.get(key.dotted) or _metavar(item)}{many}",
            help=help,
        )
    elif origin in (Mapping, dict):
        group.add_argument(
            *names,
            dest=dest,
            action="append",
            default=None,
            metavar="HOSTREGEX=NAME:VALUE",
            help=help,
        )
    else:
        group.add_argument(
            *names,
            dest=dest,
            type=_scalar(hint),
            default=None,
            metavar=METAVARS.get(key.dotted) or _metavar(hint),
            help=help,
        )


def _scalar(hint: Any) -> Any:
    return {int: int, float: float}.get(hint, str)


def _metavar(hint: Any) -> str:
    return {int: "N", float: "NUMBER"}.get(hint, "TEXT")


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
            found[key] = [_item(key, part.strip()) for v in value for part in v.split(",") if part]
        else:
            found[key] = value
    return found


def _item(key: str, text: str) -> Any:
    """One item of a comma list, as its key's type wants it (dead statuses are numbers)."""
    if key == "unpublish.dead_statuses":
        try:
            return int(text)
        except ValueError:
            from linkcheck.errors import UsageError

            raise UsageError(f"--unpublish-dead-statuses: {text!r} is not a status code") from None
    return text


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
