"""Generate N article records shaped like the reference record, for benchmarks.

Each record is Markdown with YAML front matter like ``corpus/seed/000_69670e491d83c649.md``:
four article URLs, a provider logo, a lead image, and two to four related articles with their
own article and image URLs (about 17 links a record). Sharing is realistic: a few hundred
providers whose logos (half of them site-relative, as in the real site) are referenced by
many records, and related articles that are often other records' own articles.

    python bench/gen_records.py --count 10000 --out /tmp/linkcheck-bench/records-10000
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import zlib
from pathlib import Path

PROVIDERS = 300
WORDS = """power apps data model flow teams canvas portal ai builder automation form gallery
connector license table security mobile release preview update guide tips""".split()  # noqa: SIM905

RECORD = """---
category: news
title: "{title}"
excerpt: "A generated article about {title_lower}: prose may quote https://prose.example.test/ \
but that is not a link."
publishedDateTime: 2021-0{month}-1{day}T10:00:00Z
originalUrl: "{original}"
webUrl: "{original}"
ampWebUrl: "{amp}"
cdnAmpWebUrl: "{cdn}"
type: article
quality: {quality}
published: true

provider:
  name: {provider_name}
  domain: {provider_domain}
  images:
    - url: {logo}
      width: 50
      height: 50

topics:
  - Power Apps

images:
  - url: "{image}"
    width: 1200
    height: 630
    isCached: true

related:
{related}
secured: "{secured}"
---
"""

RELATED = """  - title: "{title}"
    publishedDateTime: 2021-05-10T06:54:00Z
    webUrl: "{web}"
    ampWebUrl: "{amp}"
    cdnAmpWebUrl: "{cdn}"
    type: article
    provider:
      name: {provider_name}
      domain: {provider_domain}
{images}"""

RELATED_IMAGE = """    images:
      - url: "{image}"
        width: 760
        height: 428
        isCached: true
"""


def provider(rng: random.Random) -> tuple[str, str]:
    # A skewed pick: a few providers carry most articles, as in real news.
    n = min(int((rng.paretovariate(1.0) - 1) * 10), PROVIDERS - 1)
    return f"Provider {n}", f"provider{n}.example"


def article(domain: str, slug: str) -> tuple[str, str, str]:
    web = f"https://www.{domain}/articles/{slug}"
    amp = f"https://www.{domain}/amp/articles/{slug}"
    cdn_host = f"www-{domain.replace('.', '-')}.cdn.ampproject.org"
    return web, amp, f"https://{cdn_host}/c/s/www.{domain}/amp/articles/{slug}"


def logo(domain: str) -> str:
    path = f"/assets/images/organizations/{domain}-50x50.jpg"
    if zlib.crc32(domain.encode()) % 2:
        return path
    return f"https://bench.example.test/site{path}"


def record_text(i: int, rng: random.Random, slugs: list[tuple[str, str]]) -> str:
    name, domain = provider(rng)
    words = rng.sample(WORDS, 4)
    slug = f"{'-'.join(words)}-{i}"
    slugs.append((domain, slug))
    web, amp, cdn = article(domain, slug)
    related = []
    for _ in range(rng.randint(2, 4)):
        _, r_domain = provider(rng)
        # Often a related article is another record's own article.
        r_domain, r_slug = rng.choice(slugs) if rng.random() < 0.5 else (r_domain, f"r-{i}-{_}")
        r_name = f"Provider {r_domain.removeprefix('provider').split('.')[0]}"
        r_web, r_amp, r_cdn = article(r_domain, r_slug)
        image = f"https://cdn.{r_domain}/images/{r_slug}.jpg"
        images = RELATED_IMAGE.format(image=image) if rng.random() < 0.8 else ""
        related.append(
            RELATED.format(
                title=" ".join(rng.sample(WORDS, 5)).title(),
                web=r_web,
                amp=r_amp,
                cdn=r_cdn,
                provider_name=r_name,
                provider_domain=r_domain,
                images=images,
            )
        )
    title = " ".join(words).title()
    return RECORD.format(
        title=title,
        title_lower=title.lower(),
        month=rng.randint(1, 9),
        day=rng.randint(0, 9),
        original=web,
        amp=amp,
        cdn=cdn,
        quality=rng.randint(40, 99),
        provider_name=name,
        provider_domain=domain,
        logo=logo(domain),
        image=f"https://images.{domain}//lede/{slug}.jpeg?crop=1xw:0.86xh;0xw,0.04xh",
        related="".join(related),
        secured=hashlib.sha256(slug.encode()).hexdigest() * 4,
    )


def generate(count: int, out: Path, seed: int = 1) -> Path:
    """Write ``count`` records into ``out/_news`` plus a Jekyll ``_config.yml``."""
    rng = random.Random(seed)
    news = out / "_news"
    news.mkdir(parents=True, exist_ok=True)
    (out / "_config.yml").write_text('url: https://bench.example.test\nbaseurl: "/site"\n')
    slugs: list[tuple[str, str]] = []
    for i in range(count):
        text = record_text(i, rng, slugs)
        name = f"{i:06d}_{hashlib.sha256(str(i).encode()).hexdigest()[:16]}.md"
        tmp = news / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, news / name)
    (out / ".count").write_text(str(count))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not 0 < args.count <= 100_000:
        parser.error("--count must be between 1 and 100000")
    generate(args.count, Path(args.out), args.seed)
    print(f"wrote {args.count} records into {args.out}/_news")


if __name__ == "__main__":
    main()
