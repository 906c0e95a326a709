"""How much of a body to read: only what the content checks will look at.

An image is read until its pixel size is known (or it is plainly not an image); an article
page until its first ``</h1>`` is in (the soft-404 check reads the title and first heading)
and, for an AMP page, ``</head>``. The engine stops reading there and closes the
connection, so a 50 MB page costs a few kilobytes.
"""

from __future__ import annotations

import re

from linkcheck.config import ContentConfig
from linkcheck.engine import images
from linkcheck.model import Role, UrlCheck

_H1_CLOSE = re.compile(rb"</h1", re.IGNORECASE)
_HEAD_CLOSE = re.compile(rb"</head", re.IGNORECASE)


def enough_bytes(
    check: UrlCheck, body: bytes | bytearray, config: ContentConfig | None = None
) -> bool:
    """Whether the body read so far answers every content check, so reading can stop early.

    Images stop once their size is known (or they are plainly not an image);
    pages once the first ``</h1>`` is in (soft 404) and ``</head>`` (AMP).
    """
    config = config or ContentConfig()
    if any(r.is_article for r in check.roles):
        # Searched without a lower-cased copy of the body (called at every read step).
        if config.soft_404 and _H1_CLOSE.search(body) is None:
            return False
        if Role.AMP in check.roles and config.amp and _HEAD_CLOSE.search(body) is None:
            return False
        return bool(body)
    if any(r.is_image for r in check.roles):
        return images.bytes_needed(body) in (0, None) and len(body) >= images.MIN_SNIFF_BYTES
    return True
