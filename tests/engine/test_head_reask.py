"""http.head_reask: which HEAD answers are asked again as GET, against a real local web."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from linkcheck.cli import build_parser
from linkcheck.config import HttpConfig, load_config
from linkcheck.engine.fetch import fetch_all
from linkcheck.errors import ConfigError
from linkcheck.flags import overrides_from
from linkcheck.model import Outcome
from linkcheck.specs import parse_accept, parse_statuses
from tests.engine.test_fetch import check, make_config, run, verdict
from tests.engine_web import Stats, engine_app
from tests.localweb import Host, LocalWeb, local_web


@pytest.fixture(scope="module")
def web() -> Iterator[LocalWeb]:
    with local_web() as w:
        yield w


@pytest.fixture
def site(web: LocalWeb) -> tuple[Host, Stats]:
    """A fresh app per test: its method log holds only this test's requests."""
    app, stats = engine_app()
    return web.serve(app, "127.0.0.61"), stats


def methods(stats: Stats, path: str) -> list[str]:
    return [m for m, p in stats.methods if p == path]


def test_default_reasks_a_head_404_as_get(site):
    host, stats = site
    _, result = verdict(host.url("/head-lies"))
    assert methods(stats, "/head-lies") == ["HEAD", "GET"]
    assert result.outcome is Outcome.OK and result.status == 200 and result.requests == 2


def test_default_is_the_issues_list():
    assert parse_statuses(HttpConfig().head_reask) == {400, 403, 404, 405, 501}
    assert load_config(overrides={}).http.head_reask == "400,403,404,405,501"


def test_empty_setting_trusts_head(site):
    host, stats = site
    _, lies = verdict(host.url("/head-lies"), make_config(head_reask=""))
    _, refused = verdict(host.url("/head-refused"), make_config(head_reask=""))
    assert methods(stats, "/head-lies") == ["HEAD"]
    assert methods(stats, "/head-refused") == ["HEAD"]
    assert (lies.outcome, lies.status, lies.requests) == (Outcome.BROKEN, 404, 1)
    assert (refused.status, refused.requests) == (405, 1)


def test_custom_list_reasks_only_its_codes(site):
    host, stats = site
    config = make_config(head_reask="405, 501")
    _, lies = verdict(host.url("/head-lies"), config)
    _, refused = verdict(host.url("/head-refused"), config)
    assert methods(stats, "/head-lies") == ["HEAD"] and lies.status == 404
    assert methods(stats, "/head-refused") == ["HEAD", "GET"] and refused.status == 200


def test_custom_range_is_parsed_like_accept(site):
    host, stats = site
    _, result = verdict(host.url("/head-lies?r"), make_config(head_reask="400..=404"))
    assert methods(stats, "/head-lies?r") == ["HEAD", "GET"] and result.status == 200


def test_host_learning_still_follows_a_reasked_405(site):
    host, stats = site
    paths = [f"/head-refused?n={i}" for i in range(3)]
    config = make_config(per_host=1, max_concurrency=1, head_reask="405")
    got = run([check(host.url(p)) for p in paths], config)
    assert [f.status for f in got] == [200] * 3
    assert [m for m, _ in stats.methods] == ["HEAD", "GET", "GET", "GET"]


def test_get_first_urls_are_untouched_by_the_setting(site):
    host, stats = site
    c = check(host.url("/status/404?body"))
    config = make_config(head_reask="")
    fetched = asyncio.run(fetch_all([c], config, want_body=lambda _c: True))[0]
    assert methods(stats, "/status/404?body") == ["GET"] and fetched.status == 404


@pytest.mark.parametrize("spec", ["40x", "404,abc", "99", "500..=400", "1000"])
def test_bad_text_is_a_config_error_naming_the_key(spec):
    with pytest.raises(ConfigError, match=r"http\.head_reask"):
        load_config(overrides={"http.head_reask": spec})


def test_bad_text_in_a_file_names_the_file_and_key(tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_text('http:\n  head_reask: "404..=4o5"\n')
    with pytest.raises(ConfigError, match=r"config\.yaml: http\.head_reask: bad status range"):
        load_config(path)


def test_not_a_string_names_the_key(tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_text("http:\n  head_reask: 404\n")
    with pytest.raises(ConfigError, match=r"http\.head_reask: expected a string"):
        load_config(path)


def test_cli_flag_sets_the_key():
    args = build_parser().parse_args(["check", "x.md", "--http-head-reask", ""])
    assert load_config(overrides=overrides_from(args)).http.head_reask == ""
    args = build_parser().parse_args(["check", "x.md", "--http-head-reask", "404,405"])
    assert load_config(overrides=overrides_from(args)).http.head_reask == "404,405"


def test_parse_statuses_allows_empty_but_accept_does_not():
    assert parse_statuses("") == frozenset() and parse_statuses(" , ") == frozenset()
    assert parse_statuses("400..403,501") == {400, 401, 402, 501}
    with pytest.raises(ValueError, match="no status codes accepted"):
        parse_accept("")
    assert parse_accept("200..=299,429") == {*range(200, 300), 429}
