"""`linkcheck check` end to end on a local web: body links, content drift, parked domains."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp import web

from linkcheck.cli import main
from linkcheck.reports.schema import validate_report
from tests.localweb import Host, local_web

STORY = "Power Apps portals Web API support"
DOC = (
    '<!doctype html><title>Docs</title><h2 id="intro">Intro</h2><a name="old-anchor"></a>'
    + "<p>words</p>" * 50
)
# An anchor after 1 MB of text: past the byte cap the tests set.
LONG_DOC = "<!doctype html><title>Long</title>" + "<p>x</p>" * 150_000 + '<h2 id="end">End</h2>'
# What the changing pages say, per run: the test sets it before each run.
NOW_SAYS: dict[str, str] = {}


def page(title: str, extra: str = "") -> str:
    return f"<!doctype html><html><head><title>{title}</title>{extra}</head><body><h1>{title}</h1>"


def drift_app() -> web.Application:
    app = web.Application()

    def serve(text: str):  # type: ignore[no-untyped-def]
        async def handler(request: web.Request) -> web.Response:
            return web.Response(text=text, content_type="text/html")

        return handler

    async def changing(request: web.Request) -> web.Response:
        return web.Response(text=page(NOW_SAYS[request.path]), content_type="text/html")

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404, text="Not Found")

    routes = {
        "/story": page(f"{STORY} | Power Apps News"),
        "/reused": page("Ten summer recipes for the grill | Power Apps News"),
        "/for-sale": page("old-news.example is for sale!"),
        "/lander": page(
            "old-news.example",
            '<script src="https://img1.wsimg.com/parking-lander/static/js/main.js"></script>',
        ),
        "/about-sales": page("Why this domain is for sale: the aftermarket explained"),
        "/embed/1": "<!doctype html><title>player</title>",
    }
    for path, text in routes.items():
        app.router.add_get(path, serve(text))
    app.router.add_get("/changing/{n}", changing)
    app.router.add_get("/doc", serve(DOC))
    app.router.add_get("/long-doc", serve(LONG_DOC))
    app.router.add_get("/missing", missing)
    return app


@pytest.fixture(scope="module")
def site() -> Host:
    with local_web() as lw:
        yield lw.serve(drift_app(), "127.0.0.41")


def record(folder: Path, name: str, title: str, url: str, body: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = f'---\ntitle: "{title}"\noriginalUrl: "{url}"\npublished: true\n---\n{body}'
    (folder / name).write_text(text, encoding="utf-8")


def run(tmp_path: Path, folder: Path, *flags: str) -> tuple[int, dict]:
    out = tmp_path / "out"
    code = main(
        ["check", str(folder), "--output-dir", str(out), "--history",
         str(tmp_path / "history.sqlite"), "--history-ok-max-age-h", "0",
         "--retry-max-attempts", "1", "--progress", "never", *flags]
    )  # fmt: skip
    report = json.loads((out / "report.json").read_text())
    validate_report(report)
    return code, report


def by_path(report: dict) -> dict[str, dict]:
    return {u["url"].split(":", 2)[2].split("/", 1)[1]: u for u in report["urls"]}


def by_name(report: dict) -> dict[str, dict]:
    return {Path(r["source"]).name: r for r in report["records"]}


def test_drift_and_parking_on_article_links(site: Host, tmp_path: Path) -> None:
    folder = tmp_path / "records"
    record(folder, "story.md", STORY, site.url("/story"))
    record(folder, "reused.md", STORY, site.url("/reused"))
    record(folder, "for-sale.md", STORY, site.url("/for-sale"))
    record(folder, "lander.md", STORY, site.url("/lander"))
    about = "Why this domain is for sale: the aftermarket explained"
    record(folder, "about-sales.md", about, site.url("/about-sales"))
    _, report = run(tmp_path, folder)
    urls = by_path(report)
    assert urls["story"]["issues"] == [] and "content_drift" not in urls["story"]
    assert urls["reused"]["issues"] == ["content_drift"]
    assert urls["reused"]["content_drift"] == {
        "page_title": "Ten summer recipes for the grill | Power Apps News",
        "record_title": STORY,
        "score": 44.4,  # the site name shares "power apps" with the title
        "first_seen_title": None,
        "first_seen_score": None,
        "against": "record",
    }
    assert urls["for-sale"]["issues"] == ["parked_domain"]  # not drift too: it is parked
    assert urls["lander"]["issues"] == ["parked_domain"]
    assert urls["about-sales"]["issues"] == []
    records = by_name(report)
    # A parked article is soft-dead: named at once, flagged only after soft_min_runs runs.
    assert [i["code"] for i in records["for-sale.md"]["issues"]] == ["article_gone"]
    assert "parked_domain" in records["for-sale.md"]["issues"][0]["message"]
    assert records["for-sale.md"]["unpublish"] is False
    _, report = run(tmp_path, folder, "--unpublish-soft-min-runs", "2")
    assert by_name(report)["for-sale.md"]["unpublish"] is True
    assert by_name(report)["reused.md"]["unpublish"] is False  # drift never unpublishes


def test_drift_is_judged_against_the_title_first_seen(site: Host, tmp_path: Path) -> None:
    folder = tmp_path / "records"
    first = "Dataflows gain incremental refresh in Power Query"
    NOW_SAYS.update({"/changing/1": first, "/changing/2": first})
    record(folder, "kept.md", first, site.url("/changing/1"))
    record(folder, "changed.md", first, site.url("/changing/2"))
    _, report = run(tmp_path, folder)
    assert all(u["issues"] == [] for u in report["urls"])
    # The editors retitle both records; one page still says what it said, one changed.
    headline = "Editors pick of the week"
    record(folder, "kept.md", headline, site.url("/changing/1"))
    record(folder, "changed.md", headline, site.url("/changing/2"))
    NOW_SAYS["/changing/2"] = "Welcome to the Power Query blog"
    _, report = run(tmp_path, folder)
    urls = by_path(report)
    assert urls["changing/1"]["issues"] == []
    assert urls["changing/2"]["issues"] == ["content_drift"]
    drift = urls["changing/2"]["content_drift"]
    assert (drift["against"], drift["first_seen_title"]) == ("first_seen", first)
    assert drift["first_seen_score"] < 60 and drift["record_title"] == headline


def test_drift_can_be_turned_off_and_its_threshold_set(site: Host, tmp_path: Path) -> None:
    folder = tmp_path / "records"
    record(folder, "reused.md", STORY, site.url("/reused"))
    record(folder, "story.md", STORY, site.url("/story"))
    _, report = run(tmp_path, folder, "--no-content-content-drift", "--no-content-parked-domain")
    assert all(u["issues"] == [] for u in report["urls"])
    _, report = run(tmp_path, folder)
    assert by_path(report)["reused"]["issues"] == ["content_drift"]
    _, report = run(tmp_path, folder, "--content-drift-threshold", "40")
    assert by_path(report)["reused"]["issues"] == []  # its score, 44.4, is not below 40


def test_body_links_are_checked_and_count_as_broken_links(site: Host, tmp_path: Path) -> None:
    folder = tmp_path / "records"
    body = (
        f"\nRead [the story]({site.url('/story')}).\n\n"
        f"```\n[not a link]({site.url('/missing')}?in-code)\n```\n\n"
        f'<iframe src="{site.url("/embed/1")}"></iframe>\n\n'
        f"![gone]({site.url('/missing')})\n"
    )
    record(folder, "with-body.md", STORY, site.url("/story"), body)
    (folder / "embed.md").write_text(
        f'---\ntitle: "{STORY}"\noriginalUrl: "{site.url("/story")}?2"\n'
        f'featuredContent: "<iframe src=\\"{site.url("/missing")}?embed\\"></iframe>"\n---\n'
    )
    code, report = run(tmp_path, folder)
    assert code == 1
    records = by_name(report)
    links = [(ln["field"], ln["role"], ln["line"]) for ln in records["with-body.md"]["links"]]
    assert links == [("originalUrl", "original", 3), ("body", "body", 7),
                     ("body", "body", 13), ("body", "body", 15)]  # fmt: skip
    issues = records["with-body.md"]["issues"]
    assert [(i["code"], i["field"]) for i in issues] == [("broken_link", "body")]
    assert records["with-body.md"]["unpublish"] is False
    assert [(i["code"], i["field"]) for i in records["embed.md"]["issues"]] == [
        ("broken_link", "featuredContent")
    ]
    assert not any("in-code" in u["url"] for u in report["urls"])


def test_fragments_kept_on_links_and_judged_when_asked(site: Host, tmp_path: Path) -> None:
    folder = tmp_path / "records"
    body = "".join(
        f"- [{name}]({site.url('/doc')}{fragment})\n"
        for name, fragment in [("a", "#intro"), ("b", "#missing"), ("c", "#old-anchor"),
                               ("d", ""), ("e", "#top"), ("f", "#:~:text=words")]
    ) + f"- [g]({site.url('/long-doc')}#end)\n"  # fmt: skip
    record(folder, "doc.md", STORY, site.url("/story"), "\n" + body)
    _, report = run(tmp_path, folder)
    [doc] = [u for u in report["urls"] if u["url"] == site.url("/doc")]
    assert doc["issues"] == [] and doc["referrers"] == 6  # one entry, fetched once
    shown = [ln["url"] for ln in by_name(report)["doc.md"]["links"] if ln["role"] == "body"]
    assert shown[:3] == [site.url("/doc#intro"), site.url("/doc#missing"),
                         site.url("/doc#old-anchor")]  # fmt: skip
    code, report = run(tmp_path, folder, "--http-check-fragments", "--http-max-page-bytes", "65536")
    urls = by_path(report)
    assert urls["doc"]["issues"] == ["fragment_missing"]
    assert urls["doc"]["missing_fragments"] == ["missing"]
    assert urls["long-doc"]["issues"] == []  # cut at the cap: not said missing
    assert report["summary"]["requests"] == 3  # /story, /doc and /long-doc, once each
    assert code == 0  # a missing fragment is not a broken link
    assert by_name(report)["doc.md"]["issues"] == []
