"""Content drift: an article URL answers 200 with a page whose name no longer resembles the
article's title (a reused slug, a story replaced by a landing page, a domain sold).

Pure. The page's names are the ones ``content.scan_html`` already keeps (``<title>``,
``og:title``, the first ``<h1>``). Both sides are normalised (entities decoded, mojibake
repaired with ftfy, NFKC, case-folded, punctuation dropped) and split into words; the score
(0-100) is the Dice overlap of the two sets of words, 2·|shared| / (|title| + |page|), the
best over the page's names, each also tried without its first or last part (`` | Site``,
``Site: ``): sites dress a headline with their name. The record's title is never cut: a
landing page named after the site must not match a site prefix in the record's title.

Why a token overlap and not an edit-distance ratio: on the labelled set
(bench/bench_drift.py, docs/links-and-drift.md) it tells sibling articles and landing pages
from the same article's dressed, cut or lightly edited names better than rapidfuzz's
token_sort_ratio, WRatio and token_set_ratio (which scores a landing page named after the
site 100 against any title containing the site's name), and as well as rapidfuzz-based fuzzy
word matching: no dependency earns its place here.

Not judged (no evidence either way): a page with no name, a name that is an interstitial
("Just a moment...", a consent or sign-in wall) rather than a page, or a record title too
short to compare.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

import ftfy

from linkcheck.model import Drift

CONTENT_DRIFT = "content_drift"
# Below this score the page is taken for another page: on the labelled set no page of the
# same article scores below it (bench/bench_drift.py).
DEFAULT_THRESHOLD = 60.0
# Titles shorter than this (normalised characters) say too little to compare.
MIN_TITLE_CHARS = 8
# Names of pages that stand in front of the page: no evidence of drift.
INTERSTITIAL = re.compile(
    r"(?i)^(?:just a moment|attention required|before you continue|sign in|log ?in"
    r"|access denied|are you a robot|verify you are human|one more step|please wait"
    r"|security check|captcha|redirecting|loading)\b"
)
_SEPARATORS = re.compile(r"\s+[|\-–—·:»•~/]+\s+|\s*[|–—·»•]\s*|::")
_PUNCT = re.compile(r"[^\w\s]+")


def normalise_title(text: str) -> str:
    """Entities decoded, mojibake repaired, NFKC, case-folded, punctuation and spacing flat."""
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii():  # ftfy costs ~10 µs a call; mojibake is never plain ASCII
        text = ftfy.fix_text(text)
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "").replace("'", "")
    return " ".join(_PUNCT.sub(" ", text).split())


def similarity(expected: str, page_name: str) -> float:
    """0-100: how much of the page name (or it without a site prefix/suffix) is ``expected``.

    A name cut with an ellipsis ("How Microsoft's Digital Transformation Group is…", as
    og:title often is) is compared with as many first words of ``expected`` as it has.
    """
    words = normalise_title(expected).split()
    wanted = set(words)
    cut = page_name.rstrip().endswith(("…", "..."))
    best = 0.0
    for candidate in _candidates(page_name):
        found = candidate.split()
        against = set(words[: len(found)]) if cut else wanted
        best = max(best, _dice(against, set(found)))
    return best


def _dice(a: set[str], b: set[str]) -> float:
    return 200.0 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def _candidates(page_name: str) -> set[str]:
    parts = [p for p in _SEPARATORS.split(page_name) if p and p.strip()]
    names = {page_name}
    if len(parts) > 1:
        names.add(" ".join(parts[1:]))
        names.add(" ".join(parts[:-1]))
    return {normalise_title(n) for n in names} - {""}


def best_match(expected: str, page_names: Iterable[str | None]) -> tuple[str, float] | None:
    """The page name closest to ``expected`` and its score; None when nothing can be judged."""
    names = [n.strip() for n in page_names if n and n.strip() and not INTERSTITIAL.match(n)]
    if not names or len(normalise_title(expected)) < MIN_TITLE_CHARS:
        return None
    scored = [(name, similarity(expected, name)) for name in names]
    return max(scored, key=lambda pair: pair[1])


def judge_drift(
    page_names: Iterable[str | None],
    record_title: str | None,
    first_seen: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> Drift | None:
    """A ``Drift`` when the page resembles neither the record's title nor (when known) the
    name it had when first seen fine; None when it resembles either, or cannot be judged.

    A page that still says what it said when it was fine is not drift even if the record's
    title is an editor's own headline; a page that says what the record says is not drift
    even if the site retitled it since.
    """
    names = list(page_names)
    if not record_title:
        return None
    to_record = best_match(record_title, names)
    if to_record is None or to_record[1] >= threshold:
        return None
    to_first = best_match(first_seen, names) if first_seen else None
    if to_first is not None and to_first[1] >= threshold:
        return None
    return Drift(
        page_title=to_record[0],
        record_title=record_title,
        score=round(to_record[1], 1),
        first_seen_title=first_seen if to_first is not None else None,
        first_seen_score=round(to_first[1], 1) if to_first is not None else None,
        against="first_seen" if to_first is not None else "record",
    )


def judge_titles(
    page_names: Iterable[str | None],
    titles: Iterable[str],
    first_seen: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> Drift | None:
    """``judge_drift`` for a URL that is the article link of several records (or related
    entries): drift only when the page resembles none of their titles."""
    names = list(page_names)
    found = None
    for title in dict.fromkeys(titles):
        drift = judge_drift(names, title, first_seen, threshold)
        if drift is None:
            return None
        found = found or drift
    return found
