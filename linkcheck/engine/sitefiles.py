"""Site-internal links checked against the site's own files, offline, without a request.

A link under the site's base URL (``site.base_url``, or a Jekyll ``_config.yml``'s
``url`` + ``baseurl``) names a file under ``site.root_dir``: it is ok when the
file exists (its type and, for an image, its pixel size read from the file's
first bytes), broken when it does not. Paths never escape the root folder.
"""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from linkcheck.engine import images
from linkcheck.model import FailureKind, Outcome, UrlResult

# A JPEG's SOF can sit after a large EXIF block; read more only when needed.
_FIRST_READ = 4096
_MAX_READ = 1 << 20


def is_site_url(url: str, base_url: str) -> bool:
    """Whether ``url`` is under ``base_url`` (scheme, host and path prefix, case-blind host)."""
    return site_path(url, base_url) is not None


def site_path(url: str, base_url: str) -> str | None:
    """The path of ``url`` below ``base_url``, unquoted (``assets/x.jpg``); None if outside."""
    link, base = urlsplit(url), urlsplit(base_url)
    if (link.scheme.lower(), link.netloc.lower()) != (base.scheme.lower(), base.netloc.lower()):
        return None
    prefix = base.path.rstrip("/") + "/"
    path = link.path or "/"
    if not (path + ("/" if path == prefix.rstrip("/") else "")).startswith(prefix):
        return None
    return unquote(path[len(prefix) :])


def check_site_file(url: str, base_url: str, root_dir: Path) -> UrlResult:
    """The verdict on a site-internal URL from the file it names (``index.html`` for a folder)."""
    now = datetime.now(UTC)
    relative = site_path(url, base_url)
    if relative is None:
        return _broken(url, f"not under the site's base URL {base_url}", now)
    file = _resolve(root_dir, relative)
    if file is None:
        return _broken(url, f"file not found: {relative or '/'}", now)
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    size = file.stat().st_size
    image_size = read_image_size(file) if content_type.startswith("image/") else None
    return UrlResult(
        url=url,
        outcome=Outcome.OK,
        status=None,
        final_url=url,
        content_type=content_type,
        content_length=size,
        image_size=image_size,
        checked_at=now,
    )


def read_image_size(file: Path) -> tuple[int, int] | None:
    """Pixel size from the file's first bytes, reading further only as far as a JPEG needs."""
    try:
        with file.open("rb") as handle:
            head = handle.read(_FIRST_READ)
            need = images.bytes_needed(head)
            while need and len(head) < need <= _MAX_READ:
                more = handle.read(max(need - len(head), _FIRST_READ))
                if not more:
                    break
                head += more
                need = images.bytes_needed(head)
    except OSError:
        return None
    return images.image_size(head)


def jekyll_base_url(root_dir: Path) -> str | None:
    """``url`` + ``baseurl`` of the site's ``_config.yml``; None when absent or unreadable."""
    try:
        data = yaml.safe_load((root_dir / "_config.yml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        return None
    baseurl = data.get("baseurl") if isinstance(data.get("baseurl"), str) else ""
    return data["url"].rstrip("/") + "/" + baseurl.strip("/")


def _resolve(root_dir: Path, relative: str) -> Path | None:
    root = root_dir.resolve()
    candidate = (root / relative).resolve()
    if candidate != root and root not in candidate.parents:
        return None  # "../" tricks stay inside the site
    if candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def _broken(url: str, message: str, now: datetime) -> UrlResult:
    return UrlResult(
        url=url,
        outcome=Outcome.BROKEN,
        status=None,
        final_url=url,
        error=message,
        failure=FailureKind.OTHER,
        checked_at=now,
    )
