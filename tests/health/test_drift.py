"""Content drift: the page's names against the record's title and the title first seen."""

from __future__ import annotations

import pytest

from linkcheck.health.drift import (
    DEFAULT_THRESHOLD,
    Drift,
    judge_drift,
    normalise_title,
    similarity,
)

TITLE = "Microsoft Power Apps | 2019 release wave 2 overview"


def test_normalise_title_decodes_repairs_and_flattens() -> None:
    assert normalise_title("Microsoft&#8217;s  Power-Apps: NEW!") == "microsofts power apps new"
    assert normalise_title("the nationâ€™s apps") == "the nations apps"


@pytest.mark.parametrize(
    "page",
    [
        f"{TITLE} - YouTube",
        f"YouTube: {TITLE}",
        "microsoft power apps — 2019 RELEASE WAVE 2 OVERVIEW",
        "Microsoft Power Apps | 2019 release wave 2 overview &amp; more",
    ],
)
def test_the_same_article_dressed_by_its_site_resembles(page: str) -> None:
    assert similarity(TITLE, page) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "page",
    [
        "Microsoft Power Apps",  # the site's landing page: its name is the title's prefix
        "Power Apps Blog | Microsoft Power Apps",
        "Introducing Custom API preview | Microsoft Power Apps",  # another article
        "powerapps-news.com is for sale",
    ],
)
def test_another_page_does_not(page: str) -> None:
    assert similarity(TITLE, page) < DEFAULT_THRESHOLD


def test_drift_names_the_closest_page_name_and_the_score() -> None:
    found = judge_drift(["Buy this domain", None, "Welcome"], TITLE)
    assert found == Drift("Welcome", TITLE, 0.0) or found == Drift("Buy this domain", TITLE, 0.0)
    found = judge_drift(["Microsoft Power Apps", "Power Apps"], TITLE)
    assert found is not None
    assert (found.page_title, found.score, found.against) == (
        "Microsoft Power Apps",
        54.5,
        "record",
    )


def test_one_page_name_that_resembles_is_enough() -> None:
    assert judge_drift(["Home", f"{TITLE} - YouTube", None], TITLE) is None


def test_the_first_seen_title() -> None:
    editors_headline = "Everything new in Power Apps this autumn"
    page = [f"{TITLE} - YouTube"]
    # The record carries its own headline; the page still says what it said when fine.
    assert judge_drift(page, editors_headline, first_seen=TITLE) is None
    # The page changed since it was first seen, and resembles the record neither.
    found = judge_drift(["Power Apps Blog | Microsoft Power Apps"], editors_headline, TITLE)
    assert found is not None
    assert found.against == "first_seen"
    assert (found.first_seen_title, found.first_seen_score) == (TITLE, 54.5)


@pytest.mark.parametrize(
    ("names", "title"),
    [
        ([None, "", "  "], TITLE),  # no name
        (["Just a moment..."], TITLE),  # an interstitial, not the page
        (["Before you continue to YouTube"], TITLE),
        (["Anything at all"], "Apps"),  # a title too short to compare
        (["Anything at all"], None),
    ],
)
def test_not_judged(names: list[str | None], title: str | None) -> None:
    assert judge_drift(names, title) is None


def test_a_name_cut_with_an_ellipsis_is_compared_with_the_titles_start() -> None:
    title = (
        "How Microsoft's Digital Transformation Group is conducting Monthly Business Reviews"
        " using Microsoft Power Platform and Dynamics 365"
    )
    assert similarity(title, "How Microsoft’s Digital Transformation Group is conducting…") == 100
    assert similarity(title, "How Microsoft’s Digital Transformation Group is conducting") < 60
