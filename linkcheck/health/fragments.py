"""``fragment_missing``: with ``http.check_fragments``, the fragments of a URL's links that its
page has no anchor for (``engine.anchors``: ids, ``<a name>``, read only as far as needed).

Pure. Judged only on a 2xx HTML page: a PDF's ``#page=2`` or a JSON answer has no anchors
to look for. A fragment not seen in a body cut at ``http.max_page_bytes`` is not called
missing.
"""

from __future__ import annotations

from linkcheck.engine.anchors import missing_fragments
from linkcheck.health.content import HTML_TYPES, looks_like_markup, media_type
from linkcheck.model import Fetched, UrlCheck

FRAGMENT_MISSING = "fragment_missing"


def fragment_findings(fetched: Fetched, check: UrlCheck) -> tuple[str, ...]:
    """The fragments of ``check`` the fetched page lacks, sorted; () when none or not judged."""
    if not check.fragments or fetched.status is None or not 200 <= fetched.status < 300:
        return ()
    if media_type(fetched.headers) not in HTML_TYPES and not looks_like_markup(fetched.body):
        return ()
    missing = missing_fragments(fetched.body, check.fragments, not fetched.body_truncated)
    return tuple(sorted(missing))
