"""The site's base URL, which site-relative links (``/assets/x.jpg``) resolve against.

``site.base_url`` from the config wins. Otherwise the inputs are usually a Jekyll site or
one of its collection folders, and Jekyll's own ``_config.yml`` says where the site lives:
``url`` + ``baseurl`` (``https://smartableai.github.io`` + ``/microsoft-power-apps``), the
same prefix Jekyll's ``relative_url`` filter puts in front of such paths.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path

import yaml

from linkcheck.inputs.records import SITE_CONFIG_NAMES

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def site_base_url(paths: Sequence[str], configured: str | None) -> str | None:
    """The configured base URL, else the first Jekyll config found for the inputs, else None."""
    if configured:
        return configured.rstrip("/")
    for given in paths:
        config = find_site_config(given)
        if config is not None:
            base = jekyll_base_url(config)
            if base:
                return base
    return None


def find_site_config(path: str | Path) -> Path | None:
    """The nearest ``_config.yml`` in the input's folder or one of its parents.

    The search stops at a repository root (a folder holding ``.git``) so that an unrelated
    config higher up the file system is never picked up.
    """
    text = str(path)
    if glob.has_magic(text):
        text = _static_prefix(text)
    folder = Path(text).resolve() if text else Path.cwd()
    if not folder.is_dir():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        for name in sorted(SITE_CONFIG_NAMES):
            if _is_file(candidate / name):
                return candidate / name
        if _exists(candidate / ".git"):
            return None
    return None


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False where a folder cannot be searched (no x permission)."""
    try:
        return path.is_file()
    except OSError:
        return False


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


def _static_prefix(pattern: str) -> str:
    """The folder part of a glob before its first wildcard."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return os.path.join(*fixed) if fixed else ""


def jekyll_base_url(config_path: Path) -> str | None:
    """``url`` + ``baseurl`` of a Jekyll config; None when it has no usable ``url``."""
    try:
        data = yaml.load(config_path.read_text(encoding="utf-8-sig"), Loader=_Loader)
    except (OSError, UnicodeError, yaml.YAMLError):
        return None
    if not isinstance(data, dict):
        return None
    url = data.get("url")
    if not isinstance(url, str) or not url.strip():
        return None
    baseurl = data.get("baseurl")
    base = url.strip().rstrip("/")
    if isinstance(baseurl, str) and baseurl.strip("/ "):
        base = f"{base}/{baseurl.strip().strip('/')}"
    return base
