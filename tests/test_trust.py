"""Never tell an editor to unpublish a live article: whole runs on a hostile local web.

Each test writes records, runs ``linkcheck check`` (with a history store when runs must
remember) and reads report.json: what is flagged, with which reason, and what is not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from linkcheck.cli import main
from linkcheck.reports.schema import validate_report
from tests.localweb import Host, local_web

PAGE = "<!doctype html><title>{0}</title><h1>{0}</h1><p>Text.</p>"
# What /switch/{name} answers now; tests change it between runs.
SWITCH: dict[str, int] = {}


def noisy_app() -> web.Application:
    """A site whose pages answer the ways real sites do, one route per behaviour."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE.format("A story"), content_type="text/html")

    async def browsers_only(request: web.Request) -> web.Response:
        # Live, but a 403 for any client that does not look like a browser; no bot-wall header.
        if "Mozilla/" not in request.headers.get("User-Agent", ""):
            return web.Response(status=403, text="Forbidden")
        return await page(request)

    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="status")

    async def switch(request: web.Request) -> web.Response:
        code = SWITCH.get(request.match_info["name"], 404)
        if code == 200:
            return await page(request)
        return web.Response(status=code, text="status")

    async def soft(request: web.Request) -> web.Response:
        return web.Response(text=PAGE.format("Page not found"), content_type="text/html")

    async def to_home(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/")

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/story/{name}", page)
    app.router.add_get("/members/{name}", browsers_only)
    app.router.add_get("/status/{code}/{name}", status)
    app.router.add_get("/switch/{name}", switch)
    app.router.add_get("/soft/{name}", soft)
    app.router.add_get("/moved/{name}", to_home)
    return app


@pytest.fixture(scope="module")
def site() -> Iterator[Host]:
    with local_web() as lw:
        yield lw.serve(noisy_app(), "127.0.0.71")


def record(folder: Path, name: str, published: bool = True, **urls: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f'title: "{name}"'] + [f'{k}: "{v}"' for k, v in urls.items()]
    lines.append(f"published: {'true' if published else 'false'}")
    (folder / f"{name}.md").write_text("---\n" + "\n".join(lines) + "\n---\nbody\n")


def check(tmp_path: Path, *extra: str) -> tuple[int, dict]:
    out = tmp_path / "out"
    code = main(
        [
            "check",
            str(tmp_path / "records"),
            "-o",
            str(out),
            "--history",
            str(tmp_path / "history.sqlite"),
            "--retry-backoff-base-s",
            "0",
            "--progress",
            "never",
            *extra,
        ]
    )
    report = json.loads((out / "report.json").read_text())
    validate_report(report)
    return code, report


def by_name(report: dict) -> dict[str, dict]:
    return {Path(r["source"]).stem: r for r in report["records"]}


def test_a_live_article_answering_403_to_non_browsers_is_never_flagged(site, tmp_path) -> None:
    folder = tmp_path / "records"
    for i in range(5):
        record(folder, f"members-{i}", originalUrl=site.url(f"/members/{i}"))
    record(folder, "dead", originalUrl=site.url("/status/404/a"))
    for _ in range(3):  # however long it lasts
        _, report = check(tmp_path)
    records = by_name(report)
    assert [name for name, r in records.items() if r["unpublish"]] == ["dead"]
    members = records["members-0"]
    # The link report shows the 403 as it is.
    assert members["health"] == "broken" and members["unpublish_reasons"] == []
    assert [(i["code"], i["message"]) for i in members["issues"]] == [
        ("broken_link", "broken: HTTP 403")
    ]


def test_the_reason_names_the_article_link_used_and_its_url(site, tmp_path) -> None:
    folder = tmp_path / "records"
    web_url = site.url("/status/404/web")
    record(folder, "no-original", originalUrl="javascript:void(0)", webUrl=web_url)
    record(folder, "both", originalUrl=site.url("/status/410/o"), webUrl=site.url("/story/w"))
    _, report = check(tmp_path)
    records = by_name(report)
    started = report["run"]["started_at"][:10]
    no_original = records["no-original"]
    assert no_original["unpublish_reasons"] == [
        f"webUrl {web_url} answered 404 Not Found on 1 run since {started}"
    ]
    assert ("invalid_url", "originalUrl") in {
        (i["code"], i["field"]) for i in no_original["issues"]
    }
    assert records["both"]["unpublish_reasons"] == [
        f"originalUrl {site.url('/status/410/o')} answered 410 Gone on 1 run since {started}"
    ]


def test_a_soft_dead_article_is_broken_at_once_and_flagged_after_three_runs(site, tmp_path):
    folder = tmp_path / "records"
    soft = site.url("/soft/a")
    record(folder, "soft", originalUrl=soft)
    record(folder, "home", originalUrl=site.url("/moved/b"))
    flags = []
    for _ in range(3):
        _, report = check(tmp_path)
        records = by_name(report)
        flags.append((records["soft"]["unpublish"], records["home"]["unpublish"]))
        # Asked again each run: a soft-dead ok is not reused from history.
        assert {u["url"]: u["from_cache"] for u in report["urls"]}[soft] is False
    assert flags == [(False, False), (False, False), (True, True)]
    soft_record = records["soft"]
    assert soft_record["health"] == "broken"
    gone = [i for i in soft_record["issues"] if i["code"] == "article_gone"]
    assert gone == [
        {
            "code": "article_gone",
            "field": "originalUrl",
            "message": f"{soft} is a page that says it is missing (soft_404)",
        }
    ]
    first_run = report["changes"]["previous_run"]["started_at"][:10]
    assert soft_record["unpublish_reasons"] == [
        f"originalUrl {soft} is a page that says it is missing (soft_404) "
        f"on 3 runs since {first_run}"
    ]
    assert records["home"]["unpublish_reasons"][0].startswith(
        f"originalUrl {site.url('/moved/b')} redirects to the site's front page "
        f"{site.url('/')} (redirect_to_home) on 3 runs"
    )


def test_answers_that_are_no_evidence_neither_count_nor_reset_a_streak(site, tmp_path) -> None:
    folder = tmp_path / "records"
    url = site.url("/switch/flaky")
    record(folder, "story", originalUrl=url)
    min_runs = ("--unpublish-min-runs", "3")
    SWITCH["flaky"] = 404
    _, first = check(tmp_path, *min_runs)
    for bad_night in (503, 403, 429):  # none counts, none resets
        SWITCH["flaky"] = bad_night
        check(tmp_path, *min_runs)
    SWITCH["flaky"] = 404
    _, second = check(tmp_path, *min_runs)
    assert by_name(second)["story"]["unpublish"] is False  # 2 runs of 404, not 3
    _, third = check(tmp_path, *min_runs)
    story = by_name(third)["story"]
    assert story["unpublish"] is True
    assert story["unpublish_reasons"] == [
        f"originalUrl {url} answered 404 Not Found on 3 runs "
        f"since {first['run']['started_at'][:10]}"
    ]
    assert story["unpublish_since"] == first["run"]["started_at"]


def test_a_clean_ok_ends_a_streak(site, tmp_path) -> None:
    folder = tmp_path / "records"
    record(folder, "story", originalUrl=site.url("/switch/back"))
    min_runs = ("--unpublish-min-runs", "2")
    for answer in (404, 200, 404):
        SWITCH["back"] = answer
        _, report = check(tmp_path, *min_runs)
    assert by_name(report)["story"]["unpublish"] is False


def test_an_unpublished_article_whose_link_answers_again_is_a_candidate_to_republish(
    site, tmp_path
) -> None:
    folder = tmp_path / "records"
    back = site.url("/switch/back-again")
    record(folder, "back", originalUrl=back)
    record(folder, "always-fine", published=False, originalUrl=site.url("/story/fine"))
    record(folder, "still-dead", published=False, originalUrl=site.url("/status/404/still"))
    # Down for a night (no evidence of gone), then fine: nothing to undo.
    record(folder, "was-busy", published=False, originalUrl=site.url("/switch/busy-back"))
    SWITCH["back-again"], SWITCH["busy-back"] = 410, 503
    _, first = check(tmp_path)
    assert [n for n, r in by_name(first).items() if r["unpublish"]] == ["back"]
    assert first["republish"] == [] and first["summary"]["republish"] == 0
    # The editor acts on the flag; then the article comes back.
    report_file = tmp_path / "out" / "report.json"
    assert main(["unpublish", str(report_file), "--apply", "--base-dir", "/"]) == 0
    assert "published: false" in (folder / "back.md").read_text()
    SWITCH["back-again"] = SWITCH["busy-back"] = 200
    _, second = check(tmp_path)
    source = str(folder / "back.md")
    assert second["republish"] == [
        {"source": source, "record": source, "field": "originalUrl", "url": back}
    ]
    assert second["summary"]["republish"] == 1
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Candidates to publish again (1)" in html and back in html
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "### Candidates to publish again (1)" in markdown and f"<{back}>" in markdown


def test_on_a_noisy_web_only_the_really_dead_are_flagged(site, tmp_path) -> None:
    """400 records; live pages, a site that answers 403 to any non-browser, 401, 451, 5xx,
    429, soft pages and redirects: only the 404s and 410s are flagged, each naming its link."""
    answers = {
        0: "/story/{i}",
        1: "/members/{i}",
        2: "/status/404/{i}",
        3: "/status/410/{i}",
        4: "/status/401/{i}",
        5: "/status/451/{i}",
        6: "/status/503/{i}",
        7: "/status/429/{i}",
        8: "/soft/{i}",
        9: "/moved/{i}",
    }
    folder = tmp_path / "records"
    expected = set()
    for i in range(400):
        kind = i % len(answers)
        url = site.url(answers[kind].format(i=i))
        published = i % 7 != 0
        record(folder, f"r{i:03}", published=published, originalUrl=url)
        if kind in (2, 3) and published:
            expected.add(f"r{i:03}")
    code, report = check(tmp_path, "--retry-max-attempts", "1")
    assert report["run"]["degraded"] is None and code == 1
    records = by_name(report)
    assert {name for name, r in records.items() if r["unpublish"]} == expected
    for name in expected:
        [reason] = records[name]["unpublish_reasons"]
        url = next(lk["url"] for lk in records[name]["links"] if lk["field"] == "originalUrl")
        assert reason.startswith(f"originalUrl {url} answered 4")
