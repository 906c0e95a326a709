"""Every report renderer streams from a ``Report``: same output from a dict or SQLite rows,
byte-identical JSON, and memory that does not grow with the number of URLs."""

from __future__ import annotations

import gc
import json
import os
import random
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkcheck.cli import failing_count, write_reports
from linkcheck.config import Config, OutputConfig
from linkcheck.model import CacheInfo, FailureKind, Hop, Outcome, UrlResult
from linkcheck.reports.github import github_annotations
from linkcheck.reports.html import render_html, write_html
from linkcheck.reports.json import render_json_bytes, write_json
from linkcheck.reports.junit import render_junit, write_junit
from linkcheck.reports.markdown import render_markdown
from linkcheck.reports.rows import UrlRows, insert_records, insert_urls, store_report
from linkcheck.reports.sarif import render_sarif, write_sarif
from linkcheck.reports.schema import validate_report
from linkcheck.reports.source import DictReport, entry_text
from linkcheck.reports.terminal import render_terminal_summary
from linkcheck.reports.view import (
    Anchors,
    all_failing_links,
    fail_on,
    record_anchors,
    top_n,
    url_index,
)
from linkcheck.store.report import ReportTables, StoredReport
from tests.reportgen import make_report

ALL_FORMATS = ("json", "html", "markdown", "junit", "sarif")


def _unlisted_link_report() -> dict[str, Any]:
    """A report whose record links to a URL it does not list (an interrupted run)."""
    report = make_report(150, errors=1)
    report["records"][0]["links"].append(
        {"field": "webUrl", "role": "web", "url": "https://unlisted.example/x", "line": 9}
    )
    return report


def _odd_values_report(fail_on: list[str] | None = None) -> dict[str, Any]:
    """Values a hand-made report may hold that a run never writes, where the stored
    columns (report_rows) and the renderers' walk of a dict could part: no summary counts
    to fall back on, missing or odd healths, a truthy non-bool unpublish, cache ages that
    are not plain ints, negative times, a link without URL, no summary counts."""
    report = make_report(120, errors=0)
    report["summary"].pop("by_outcome", None)
    report["summary"].pop("by_health", None)
    urls, records = report["urls"], report["records"]
    urls[0]["cache"] = {"fresh": True, "age_s": 1.5, "freshness_lifetime_s": True}
    urls[1]["elapsed_ms"] = -40
    urls[2]["outcome"] = "something_new"
    del records[0]["health"]
    records[1]["health"] = 3
    records[2]["unpublish"] = "yes"
    records[3]["health"] = "ok"
    records[3]["unpublish"] = True
    records[4]["links"].append({"field": "webUrl", "role": "odd", "url": None, "line": "7"})
    if fail_on is not None:
        report["run"]["config"]["output"]["fail_on"] = fail_on
    return report


REPORTS: dict[str, Callable[[], dict[str, Any]]] = {
    "hostile": lambda: make_report(300, hostile=True),
    "empty": lambda: make_report(0, n_records=0, changes=False, errors=0),
    "unlisted_link": _unlisted_link_report,
}
# Outside the contract: for the renderers only.
ODD_REPORTS: dict[str, Callable[[], dict[str, Any]]] = {
    "odd_values": _odd_values_report,
    # "ok" failing: the stored bad_links do not cover it, the walk of every record does.
    "ok_fails": lambda: _odd_values_report(["ok", "broken", "something_new"]),
    "nothing_fails": lambda: _odd_values_report([]),
}

RENDERERS: dict[str, Callable[[Any], Any]] = {
    "html": render_html,
    "markdown": lambda r: render_markdown(r, max_rows=7),
    "junit": render_junit,
    "sarif": render_sarif,
    "github": github_annotations,
    "terminal": lambda r: render_terminal_summary(r, color=True, top=3),
    "failing_links": all_failing_links,
}


def _stored(report: dict[str, Any]) -> StoredReport:
    return store_report(report)


@pytest.mark.parametrize("name", [*REPORTS, *ODD_REPORTS])
@pytest.mark.parametrize("renderer", RENDERERS)
def test_every_renderer_reads_a_stored_report_like_a_dict(name: str, renderer: str) -> None:
    report = {**REPORTS, **ODD_REPORTS}[name]()
    render = RENDERERS[renderer]
    expected = render(report)
    assert render(DictReport(report)) == expected
    assert render(_stored(report)) == expected


@pytest.mark.parametrize("renderer", ["markdown", "terminal", "github", "failing_links"])
def test_summaries_of_a_stored_report_decode_only_what_they_show(renderer: str) -> None:
    """The failing-link writers read the stored columns (bad_links, host, outcome): with
    every ok URL's entry and every unflagged record without a bad link made unreadable,
    they render exactly as before. (Decoding them all again was most of a re-run's
    report time: issue 6.)"""
    report = make_report(300, hostile=True)
    render = RENDERERS[renderer]
    expected = render(report)
    stored = _stored(report)
    spoiled = stored.db.execute(
        "UPDATE report_url_entries SET entry = x'00' "
        "WHERE url IN (SELECT url FROM report_urls WHERE outcome = 'ok')"
    ).rowcount
    spoiled += stored.db.execute(
        "UPDATE report_records SET entry = x'00' WHERE bad_links IS NULL AND NOT unpublish"
    ).rowcount
    assert spoiled > 200
    assert render(stored) == expected


@pytest.mark.parametrize("name", REPORTS)
def test_write_json_is_byte_identical_and_follows_the_schema(name: str, tmp_path: Path) -> None:
    report = REPORTS[name]()
    expected = render_json_bytes(report)
    for kind, source in (("dict", report), ("stored", _stored(report))):
        written = write_json(source, tmp_path / f"{kind}.json")
        assert written.read_bytes() == expected, kind
    validate_report(json.loads(expected))


def test_write_json_of_a_one_url_report_with_extra_keys(tmp_path: Path) -> None:
    """Edge shapes of orjson's indent: one entry per list, and a key outside the contract."""
    report = make_report(1, n_records=1, changes=False, errors=0)
    report["extra"] = {"nested": [[], {}, [1, {"a": None}]]}
    write_json(_stored(report), tmp_path / "r.json")
    assert (tmp_path / "r.json").read_bytes() == render_json_bytes(report)


@pytest.mark.parametrize(
    ("write", "render"),
    [(write_html, render_html), (write_junit, render_junit), (write_sarif, render_sarif)],
)
def test_streamed_files_hold_what_the_render_returns(write, render, tmp_path: Path) -> None:
    report = make_report(200, hostile=True)
    path = write(_stored(report), tmp_path / "out")
    assert path.read_bytes() == render(report).encode("utf-8")


def test_streamed_writes_are_atomic_and_keep_the_file_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    os.chmod(target, 0o640)
    write_json(make_report(20), target)
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]

    class Broken(DictReport):
        def record_texts(self) -> Iterator[bytes]:
            raise RuntimeError("the store went away")

    with pytest.raises(RuntimeError):
        write_json(Broken(make_report(20)), target)
    assert json.loads(target.read_text())["summary"]["unique_urls"] == 20
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_write_reports_streams_every_format_from_a_stored_report(tmp_path: Path) -> None:
    report = make_report(240, hostile=True)
    config = Config(output=OutputConfig(formats=ALL_FORMATS))
    from_dict = write_reports(report, config, str(tmp_path / "dict"))
    from_rows = write_reports(_stored(report), config, str(tmp_path / "rows"))
    assert [p.name for p in from_rows] == [
        "report.json",
        "report.html",
        "report.md",
        "junit.xml",
        "report.sarif",
    ]
    for a, b in zip(from_dict, from_rows, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert (tmp_path / "rows" / "report.json").read_bytes() == render_json_bytes(report)


def test_failing_count_reads_the_summary_not_the_urls() -> None:
    report = make_report(300)
    walked = sum(u["outcome"] in fail_on(report) for u in report["urls"])
    assert walked > 0
    assert failing_count(report) == walked
    assert failing_count(_stored(report)) == walked


def test_unlisted_links_fail_as_invalid_only_when_invalid_fails() -> None:
    report = _unlisted_link_report()
    unlisted = [fl for fl in all_failing_links(report) if fl.url == "https://unlisted.example/x"]
    assert [(fl.outcome, fl.why) for fl in unlisted] == [("invalid", "not checked")]
    report["run"]["config"]["output"]["fail_on"] = ["broken"]
    assert {fl.outcome for fl in all_failing_links(_stored(report))} == {"broken"}


def test_top_n_is_most_common_with_ties_in_arrival_order() -> None:
    rng = random.Random(3)
    for _ in range(200):
        keys = [f"k{rng.randrange(30)}" for _ in range(rng.randrange(60))]
        counts = Counter(keys)
        n = rng.randrange(6)
        assert top_n(((c, k) for k, c in counts.items()), n) == [
            (c, k) for k, c in counts.most_common(n)
        ]


def test_streamed_anchors_are_the_listed_anchors() -> None:
    records = make_report(90)["records"] + [{"source": "a/b.md"}, {"source": "a-b.md"}]
    anchors = Anchors()
    assert [anchors.next(r) for r in records] == record_anchors(records)
    assert url_index(_stored(make_report(9))) == url_index(make_report(9))


# ---------------------------------------------------------------- memory
#
# Rows are written as the pipeline writes them (report_rows); each URL entry is a full
# contract entry and each record links to 10 URLs, 15% of the URLs failing. Measured on
# this machine, peak traced memory (tracemalloc) while writing:
#   200,000 URLs / 20,000 records, write_json:  streamed ~2.6 MB; the same report made a
#       dict and rendered by render_json_bytes (what cli did before): ~1,040 MB.
#   200,000 URLs / 20,000 records, write_html:  streamed ~9.4 MB (~16 MB before the
#       script's rows were stored with the entries); materialised: ~920 MB.
#   60,000 URLs / 6,000 records, write_html (the test): streamed ~10 MB; materialised
#       ~276 MB.
# The bounds sit far below the materialising numbers and well above the streamed ones.
# The cyclic collector is paused as in cli.write_reports: garbage in reference cycles
# would pile up, and must not.
JSON_BOUND_MB = 60
HTML_BOUND_MB = 60


def _big_stored(n_urls: int, n_records: int) -> StoredReport:
    base = make_report(24, n_records=8)
    head = {k: v for k, v in base.items() if k not in ("urls", "records")}
    outcomes = ["ok"] * 17 + ["broken", "timeout", "unreachable"]
    tables = ReportTables.in_memory()

    def url(i: int) -> str:
        return f"https://host{i % 300}.example.com/article/{i:07d}/a-slug-of-some-words"

    def url_entries() -> Iterator[dict[str, Any]]:
        template = base["urls"][0]
        for i in range(n_urls):
            outcome = outcomes[i % len(outcomes)]
            yield {
                **template,
                "url": url(i),
                "final_url": url(i),
                "outcome": outcome,
                "status": 200 if outcome == "ok" else 404,
                "error": None if outcome == "ok" else "HTTP 404 Not Found",
                "referrers": 1,
            }

    def record_texts() -> Iterator[tuple[bytes, bool]]:
        template = base["records"][0]
        per = n_urls // n_records
        for r in range(n_records):
            source = f"_news/2026-01-01-record-{r:06d}.md"
            links = [
                {"field": f"related[{k}].webUrl", "role": "web", "url": url(r * per + k), "line": k}
                for k in range(per)
            ]
            entry = {
                **template,
                "source": source,
                "record": source,
                "links": links,
                "health": "broken" if r % 3 == 0 else "ok",
                "unpublish": r % 50 == 0,
            }
            yield entry_text(entry), True

    insert_urls(tables, url_entries())
    insert_records(tables, record_texts())
    return tables.report(head)


def _peak_mb(func: Callable[[], Any]) -> float:
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
        if enabled:
            gc.enable()


def test_write_json_memory_stays_flat_at_200k_urls(tmp_path: Path) -> None:
    report = _big_stored(200_000, 20_000)
    path = tmp_path / "report.json"
    peak = _peak_mb(lambda: write_json(report, path))
    assert peak < JSON_BOUND_MB, f"write_json peaked at {peak:.1f} MB"
    assert path.stat().st_size > 200_000 * 500  # the whole report was written
    with path.open("rb") as handle:
        assert handle.read(2) == b"{\n"


def test_write_html_memory_stays_flat(tmp_path: Path) -> None:
    report = _big_stored(60_000, 6_000)
    path = tmp_path / "report.html"
    peak = _peak_mb(lambda: write_html(report, path))
    assert peak < HTML_BOUND_MB, f"write_html peaked at {peak:.1f} MB"
    text = path.read_text("utf-8")
    data = text.split('id="report-data">', 1)[1].split("</script>", 1)[0]
    parsed = json.loads(data)
    assert (len(parsed["urls"]), len(parsed["records"])) == (60_000, 6_000)


def test_url_rows_added_in_any_order_are_numbered_by_url_and_the_last_entry_wins() -> None:
    def entry(url: str, outcome: str = "ok", cached: bool = True) -> dict[str, Any]:
        return {"url": url, "outcome": outcome, "status": 200, "elapsed_ms": 5,
                "requests": 0 if cached else 1, "from_cache": cached}  # fmt: skip

    tables = ReportTables.in_memory(by_url=True)
    rows = UrlRows(tables)
    rows.add([entry("https://c.test/"), entry("https://a.test/")])  # while the fetch runs
    rows.add(
        [entry("https://b.test/", "broken", False), entry("https://c.test/", "invalid", False)]
    )
    assert rows.finish() == (3, Counter({"ok": 1, "broken": 1, "invalid": 1}), 1)
    report = tables.report({})
    assert [(e["url"], e["outcome"]) for e in report.urls()] == [
        ("https://a.test/", "ok"),
        ("https://b.test/", "broken"),
        ("https://c.test/", "invalid"),
    ]
    assert report.positions(["https://c.test/"]) == {"https://c.test/": 2}


_verdicts = st.builds(
    UrlResult,
    url=st.sampled_from(["https://a.test/", "http://b.test/x?y=1", "https://c.test/ü"]),
    outcome=st.sampled_from(list(Outcome)),
    status=st.none() | st.integers(100, 999),
    final_url=st.sampled_from(["", "https://a.test/", "https://d.test/z"]),
    redirects=st.lists(
        st.builds(Hop, st.sampled_from(["https://e.test/"]), st.sampled_from([301, 302, 308])),
        max_size=3,
    ).map(tuple),
    error=st.none() | st.text(max_size=20),
    failure=st.none() | st.sampled_from(list(FailureKind)),
    content_type=st.none() | st.just("text/html"),
    elapsed_ms=st.integers(0, 10_000),
    attempts=st.integers(0, 5),
    requests=st.integers(0, 9),
    from_cache=st.booleans(),
    cache=st.none()
    | st.builds(
        CacheInfo,
        fresh=st.none() | st.booleans(),
        freshness_lifetime_s=st.none() | st.integers(0, 10**6),
        age_s=st.none() | st.integers(0, 10**6),
        etag=st.none() | st.just('"e"'),
        last_modified=st.none() | st.just("Wed, 25 Nov 2026 06:02:22 GMT"),
        expires=st.none() | st.just("0"),
        cache_control=st.none() | st.just("max-age=60"),
        date=st.none() | st.just("Wed, 25 Nov 2026 06:02:22 GMT"),
    ),
    issues=st.lists(st.sampled_from(["soft_404", "amp_invalid"]), max_size=2).map(tuple),
    referrers=st.integers(0, 5),
    content_length=st.none() | st.integers(0, 10**7),
    image_size=st.none() | st.tuples(st.integers(0, 5000), st.integers(0, 5000)),
    checked_at=st.none() | st.datetimes(timezones=st.just(UTC), min_value=datetime(2000, 1, 1)),
)


@given(result=_verdicts, reused=st.none() | st.booleans(), referrers=st.integers(0, 9))
def test_a_url_entry_from_stored_columns_is_the_entry_of_the_verdict(
    result: UrlResult, reused: bool | None, referrers: int
) -> None:
    from linkcheck.reports.json import url_entry_from_row
    from linkcheck.reports.rows import listed_entry
    from linkcheck.store.verdict_rows import from_row, to_row

    row = to_row(result)
    verdict = from_row(row, reused, result.requests, referrers)
    assert url_entry_from_row(row, result.requests, referrers, reused) == listed_entry(
        verdict, referrers
    )
