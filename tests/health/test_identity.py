"""Still the article? content_drift and parked_domain as the content checks give them."""

from __future__ import annotations

from linkcheck.config import ContentConfig
from linkcheck.health.content import content_findings
from linkcheck.model import Fetched, Hop, Role, UrlCheck

URL = "https://news.example/2026/story"
TITLE = "Council passes the strongest facial recognition ban"


def fetched(title: str, url: str = URL, final: str = URL, hops: tuple[Hop, ...] = ()) -> Fetched:
    body = f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>"
    headers = {"content-type": "text/html"}
    return Fetched(url, 200, final, hops, headers, body.encode())


def check(*titles: str, first: str | None = None, role: Role = Role.ORIGINAL) -> UrlCheck:
    return UrlCheck(URL, frozenset({role}), titles=titles, first_title=first)


def test_a_page_named_after_one_of_its_records_is_fine_and_its_name_is_kept() -> None:
    found = content_findings(fetched(f"{TITLE} | News"), check("Other", TITLE), ContentConfig())
    assert found.issues == () and found.drift is None
    assert found.page_title == f"{TITLE} | News"


def test_another_page_drifts_and_its_name_is_not_kept() -> None:
    found = content_findings(fetched("Weekly recipes"), check(TITLE), ContentConfig())
    assert found.issues == ("content_drift",)
    assert found.drift is not None and found.drift.page_title == "Weekly recipes"
    assert found.page_title is None


def test_never_on_a_redirect_to_the_front_page_even_with_that_check_off() -> None:
    home = fetched("News front page", final="https://news.example/",
                   hops=(Hop(URL, 301),))  # fmt: skip
    assert content_findings(home, check(TITLE), ContentConfig()).issues == ("redirect_to_home",)
    off = ContentConfig(redirect_to_home=False)
    assert content_findings(home, check(TITLE), off).issues == ()


def test_only_article_links_and_only_with_titles() -> None:
    assert (
        content_findings(fetched("Weekly"), check(TITLE, role=Role.OTHER), ContentConfig()).issues
        == ()
    )
    assert content_findings(fetched("Weekly"), check(), ContentConfig()).issues == ()


def test_a_parked_page_is_parked_not_drifted() -> None:
    parked = fetched("news.example is for sale!")
    assert content_findings(parked, check(TITLE), ContentConfig()).issues == ("parked_domain",)
    config = ContentConfig(parked_domain=False)
    assert content_findings(parked, check(TITLE), config).issues == ("content_drift",)
    extra = ContentConfig(parking_phrases=("zu verkaufen",))
    sale = fetched("Domain zu verkaufen")
    assert content_findings(sale, check(TITLE), extra).issues == ("parked_domain",)


def test_first_seen_title_saves_an_editors_headline() -> None:
    page = fetched(f"{TITLE} - News")
    assert content_findings(page, check("Editors pick"), ContentConfig()).issues == (
        "content_drift",
    )
    kept = check("Editors pick", first=f"{TITLE} - News")
    assert content_findings(page, kept, ContentConfig()).issues == ()
