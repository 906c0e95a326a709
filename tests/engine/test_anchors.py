"""Fragments: split from the fetched URL, judged against id/name anchors read incrementally."""

from __future__ import annotations

import pytest

from linkcheck.engine.anchors import (
    AnchorScan,
    is_judged,
    missing_fragments,
    names_for,
)

PAGE = (
    b"<!doctype html><html><head><title>T</title></head><body>\n"
    b'<h2 id="intro">Intro</h2><a name="legacy"></a><p name="not-an-anchor">x</p>\n'
    b'<h2 id="caf\xc3\xa9">Caf\xc3\xa9</h2><h2 id="user-content-install">Install</h2>\n'
    b'<!-- <div id="commented"></div> -->\n'
    b"</body></html>\n"
)


@pytest.mark.parametrize(
    ("fragment", "judged"),
    [("intro", True), ("", False), ("top", False), ("TOP", False),
     (":~:text=hello", False), ("/route/1", False), ("!/route", False)],
)  # fmt: skip
def test_which_fragments_are_judged(fragment: str, judged: bool) -> None:
    assert is_judged(fragment) is judged


def test_names_for_a_percent_encoded_fragment() -> None:
    assert names_for("caf%C3%A9") == ("caf%C3%A9", "café")
    assert names_for("plain") == ("plain",)
    assert names_for("bad%FF")[0] == "bad%FF"  # an undecodable escape is no error


def test_ids_and_a_names_count_other_names_and_comments_do_not() -> None:
    wanted = {"intro", "legacy", "caf%C3%A9", "café", "install", "top",
              "not-an-anchor", "commented", "nowhere"}  # fmt: skip
    assert missing_fragments(PAGE, wanted) == {"not-an-anchor", "commented", "nowhere"}


def test_a_body_cut_at_the_cap_never_says_missing() -> None:
    assert missing_fragments(PAGE[:60], {"intro"}, complete=False) == frozenset()
    assert missing_fragments(PAGE[:60], {"intro"}, complete=True) == {"intro"}


def test_scan_stops_as_soon_as_every_fragment_is_seen() -> None:
    """Fed the growing body (as the fetcher hands it over), byte by byte: done exactly when
    the tag holding the last wanted anchor is complete, a multi-byte character split too."""
    scan = AnchorScan({"intro", "café"})
    done_at = next(n for n in range(1, len(PAGE) + 1) if scan.update(PAGE[:n]))
    assert PAGE[:done_at].endswith(b'<h2 id="caf\xc3\xa9">')
    assert scan.unseen() == frozenset()


def test_nothing_wanted_is_done_at_once() -> None:
    assert AnchorScan({"top", ""}).update(b"")


def test_each_byte_is_parsed_once() -> None:
    """The fetcher hands over the whole body so far: only the new bytes may be parsed."""
    scan = AnchorScan({"ab"})
    assert not scan.update(b'<p id="a')
    assert scan.update(b'<p id="ab">')
