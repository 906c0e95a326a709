"""How well the content-drift check tells "still the article" from "another page", and its cost.

The labelled set is built from the real corpus's article titles (``_news`` titles and their
``related[]`` titles), deterministically (seeded), as the page names a site would serve:

- *same article* (must not be flagged): the title dressed with its site's name
  (``Title | Site``, ``Title - Site``, ``Site: Title``); cut at about 60 characters with an
  ellipsis, as og:title often is; with typographic quotes as HTML entities or as mojibake;
  a light headline edit (one word dropped, one added);
- *another page* (must be flagged): another corpus article's title with the same site
  dressing, half of them the most similar other title (shared topic words: the corpus is all
  about one product); the site's landing and section pages (``Site``, ``Home | Site``,
  ``News - Site``...); domain-parking and for-sale page names.

Precision and recall (the positive class is "flagged as drift") are printed for each
threshold of the shipped score (the Dice overlap of the words), and for rapidfuzz's ratios
(``pip install -e '.[bench]'``) at their best threshold by F1 and at the best recall that
keeps precision at 1: token_sort_ratio and token_set_ratio (on the same site-dressing
candidates), WRatio, and a Dice overlap whose words match fuzzily (ratio >= 85). Cost: the
median time of naming a realistic page (``content.scan_html``, which the content checks
already run) and, separately, of judging it (``drift.judge_drift``), over bench/web.py's
realistic pages (38-403 KB).

    python bench/bench_drift.py
    python bench/bench_drift.py --seed 3 --pages 200
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from web import html as page_html  # noqa: E402

from linkcheck.health import drift  # noqa: E402
from linkcheck.health.content import scan_html  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "smartable-power-apps" / "_news"
SITE_NAMES = {
    "powerapps.microsoft.com": "Microsoft Power Apps",
    "youtube.com": "YouTube",
    "www.youtube.com": "YouTube",
    "docs.microsoft.com": "Microsoft Docs",
    "www.electronicdesign.com": "Electronic Design",
    "www.onmsft.com": "OnMSFT.com",
    "www.digitaljournal.com": "Digital Journal",
    "www.neowin.net": "Neowin",
}
DRESS = ("{t} | {s}", "{t} - {s}", "{s}: {t}", "{t} – {s}", "{t}")
LANDING = ("{s}", "Home | {s}", "{s} Blog | {s}", "News - {s}", "Latest news | {s}",
           "{s} – Official Site", "Page 2 | {s}")  # fmt: skip
PARKED = ("{d} is for sale", "This domain may be for sale!", "Buy this domain",
          "{d} - domain parked", "Parked Domain name on Hostinger DNS system",
          "The domain name {d} is for sale")  # fmt: skip
ADDED_WORDS = ("new", "now", "update", "officially", "today")


def corpus_articles() -> list[tuple[str, str]]:
    """(title, site name) of every _news record and of its related articles, de-duplicated."""
    seen: dict[str, str] = {}
    for path in sorted(CORPUS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        fields = yaml.safe_load(text.split("\n---", 1)[0].removeprefix("---\n"))
        items = [fields, *[r for r in fields.get("related") or [] if isinstance(r, dict)]]
        for item in items:
            title, url = item.get("title"), item.get("originalUrl") or item.get("webUrl") or ""
            if isinstance(title, str) and title.strip() and title not in seen:
                seen[title] = site_name(url)
    return sorted(seen.items())


def site_name(url: str) -> str:
    host = urlsplit(url).hostname or "example.com"
    return SITE_NAMES.get(host) or host.removeprefix("www.").split(".")[0].capitalize()


def same_article(title: str, site: str, rng: random.Random) -> list[str]:
    """Names a site serves for this very article."""
    words = title.split()
    edited = list(words)
    if len(words) > 4:
        del edited[rng.randrange(1, len(edited))]
        edited.insert(rng.randrange(1, len(edited)), rng.choice(ADDED_WORDS))
    cut = title if len(title) <= 60 else title[:60].rsplit(" ", 1)[0] + "…"
    quoted = title.replace("'", "’").replace("’", "&#8217;")
    mojibake = title.replace("'", "’").encode("utf-8").decode("cp1252", errors="replace")
    return [
        rng.choice(DRESS).format(t=title, s=site),
        cut,
        f"{quoted} - {site}",
        mojibake,
        rng.choice(DRESS).format(t=" ".join(edited), s=site),
    ]


def other_pages(title: str, site: str, others: list[str], rng: random.Random) -> list[str]:
    """Names of pages that are not this article."""
    closest = max(others, key=lambda o: _overlap(title, o) if o != title else -1.0)
    random_other = rng.choice([o for o in others if o != title])
    domain = site.lower().replace(" ", "") + ".com"
    return [
        rng.choice(DRESS).format(t=closest, s=site),
        rng.choice(DRESS).format(t=random_other, s=site),
        rng.choice(LANDING).format(s=site),
        rng.choice(PARKED).format(d=domain),
    ]


def labelled_set(seed: int) -> list[tuple[str, str, bool]]:
    """(record title, page name, is drift)."""
    rng = random.Random(seed)
    articles = corpus_articles()
    titles = [t for t, _ in articles]
    rows = []
    for title, site in articles:
        rows += [(title, name, False) for name in same_article(title, site, rng)]
        rows += [(title, name, True) for name in other_pages(title, site, titles, rng)]
    return rows


def _tokens(text: str) -> set[str]:
    return set(drift.normalise_title(text).split())


def _overlap(a: str, b: str) -> float:
    ta, tb = _tokens(a), _tokens(b)
    return 100 * len(ta & tb) / len(ta | tb) if ta | tb else 0.0


def rapidfuzz_scorers() -> dict[str, Callable[[str, str], float]]:
    """The alternatives, when rapidfuzz is installed (the bench extra)."""
    try:
        from rapidfuzz import fuzz, process
    except ImportError:
        return {}

    def best(ratio: Callable[[str, str], float]) -> Callable[[str, str], float]:
        def score(title: str, page: str) -> float:
            wanted = drift.normalise_title(title)
            return max((ratio(wanted, c) for c in drift._candidates(page)), default=0.0)

        return score

    def fuzzy_dice(a: str, b: str) -> float:
        ta, tb = a.split(), b.split()
        if not ta or not tb:
            return 0.0
        hits = sum(1 for w in ta if process.extractOne(w, tb, scorer=fuzz.ratio, score_cutoff=85))
        hits += sum(1 for w in tb if process.extractOne(w, ta, scorer=fuzz.ratio, score_cutoff=85))
        return 100.0 * hits / (len(ta) + len(tb))

    return {
        "rapidfuzz token_sort_ratio": best(fuzz.token_sort_ratio),
        "rapidfuzz token_set_ratio": best(fuzz.token_set_ratio),
        "rapidfuzz WRatio": lambda t, p: fuzz.WRatio(
            drift.normalise_title(t), drift.normalise_title(p)
        ),
        "fuzzy-word Dice (rapidfuzz)": best(fuzzy_dice),
    }


def rates(scores: list[tuple[float, bool]], threshold: float) -> tuple[float, float, int, int]:
    """(precision, recall, false positives, false negatives) of "score < threshold"."""
    tp = sum(1 for s, d in scores if s < threshold and d)
    fp = sum(1 for s, d in scores if s < threshold and not d)
    fn = sum(1 for s, d in scores if s >= threshold and d)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, fp, fn


def quality(rows: list[tuple[str, str, bool]]) -> None:
    drifts = sum(1 for *_, d in rows if d)
    print(f"labelled set: {len(rows)} pairs ({len(rows) - drifts} same article, {drifts} drift)")
    shipped = [(drift.similarity(t, p), d) for t, p, d in rows]
    print("\nshipped score (Dice overlap of the words, site dressing tried off):")
    print("threshold  precision  recall  false+  false-")
    for threshold in range(40, 85, 5):
        p, r, fp, fn = rates(shipped, threshold)
        mark = "  <- default" if threshold == drift.DEFAULT_THRESHOLD else ""
        print(f"{threshold:>9}  {p:>9.3f}  {r:>6.3f}  {fp:>6}  {fn:>6}{mark}")
    alternatives = {"token overlap (Jaccard)": _overlap, **rapidfuzz_scorers()}
    print("\nalternatives: at the best threshold by F1 | at the best recall with precision 1")
    for name, scorer in alternatives.items():
        scores = [(scorer(t, p), d) for t, p, d in rows]
        table = {th: rates(scores, th) for th in range(5, 100, 5)}
        top = max(table, key=lambda th: _f1(*table[th][:2]))
        clean = max((th for th in table if table[th][2] == 0), key=lambda th: table[th][1])
        p, r, fp, fn = table[top]
        print(
            f"  {name}: < {top}: precision {p:.3f}, recall {r:.3f} ({fp} false+, {fn} false-)"
            f" | < {clean}: recall {table[clean][1]:.3f}"
        )
    misses = [(t, p) for (t, p, d), (s, _) in zip(rows, shipped, strict=True)
              if (s < drift.DEFAULT_THRESHOLD) != d]  # fmt: skip
    print(f"\nmisjudged at the default ({len(misses)}), first 8:")
    for title, page in misses[:8]:
        print(f"  {drift.similarity(title, page):5.1f}  {title!r}  vs  {page!r}")


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def cost(pages: int, repeat: int) -> None:
    bodies = [page_html(1 + n % 15, amp=False) for n in range(pages)]
    record_title = "Generated article 7 | Provider News"
    scan_times, judge_times = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        signals = [scan_html(body) for body in bodies]
        scan_times.append((time.perf_counter() - start) / pages)
        start = time.perf_counter()
        for page in signals:
            drift.judge_drift((page.title, page.og_title, page.h1), record_title, "Old name")
        judge_times.append((time.perf_counter() - start) / pages)
    size = statistics.median(len(b) for b in bodies) / 1024
    print(f"\ncost per page ({pages} pages of median {size:.0f} KB, median of {repeat} runs):")
    scan, judge = statistics.median(scan_times) * 1e6, statistics.median(judge_times) * 1e6
    print(f"  naming the page (content.scan_html, already run): {scan:8.1f} µs")
    print(f"  judging drift (drift.judge_drift):                 {judge:8.1f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    quality(labelled_set(args.seed))
    cost(args.pages, args.repeat)


if __name__ == "__main__":
    main()
