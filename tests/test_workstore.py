"""The run's work store: records, unique URLs and verdicts on disk, read back in order."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkcheck.inputs import FileParse
from linkcheck.model import (
    CacheInfo,
    FailureKind,
    Hop,
    LinkRef,
    Outcome,
    Record,
    Role,
    UrlResult,
)
from linkcheck.records import FileRead
from linkcheck.workstore import WorkStore, pack_result, unpack_result


def record(source: str, *links: tuple[str, Role, str | None]) -> FileParse:
    rec = Record(source=source, index=0, fields={"title": source})
    refs = [
        LinkRef(rec.key, field, role, url or "not a url", url, invalid_reason=None if url else "x")
        for field, role, url in links
    ]
    return FileRead(source, (rec,), digest=f"sha-{source}"), {rec.key: refs}, {}, None


def fill(work: WorkStore, rows: list[FileParse]) -> None:
    work.add_files(rows)
    work.end_of_records()


@pytest.fixture
def work(tmp_path: Path):
    with WorkStore(str(tmp_path)) as store:
        yield store


def test_unique_urls_keep_every_role_and_count_every_link(work: WorkStore) -> None:
    work.add_files(
        [
            record("b.md", ("originalUrl", Role.ORIGINAL, "https://a.test/1")),
            record("a.md", ("images[0].url", Role.IMAGE, "https://a.test/1")),
        ]
    )
    fill(work, [record("c.md", ("images[0].url", Role.IMAGE, "https://b.test/x"))])
    assert work.queue_unknown() == 2
    checks = {c.url: c for c in work.queued_checks()}
    assert checks["https://a.test/1"].roles == {Role.ORIGINAL, Role.IMAGE}
    assert checks["https://a.test/1"].referrers == 2
    assert checks["https://b.test/x"].referrers == 1
    assert work.url_count() == 2
    # Records come back in the report's order with their links and digests.
    assert [r.source for r, _, _, _ in work.records()] == ["a.md", "b.md", "c.md"]
    assert [d for _, _, _, d in work.records()] == ["sha-a.md", "sha-b.md", "sha-c.md"]


def test_queue_spreads_each_host_over_the_whole_queue(work: WorkStore) -> None:
    rows = [record(f"big{i}.md", ("webUrl", Role.WEB, f"https://big.test/{i}")) for i in range(90)]
    rows += [
        record(f"small{i}.md", ("webUrl", Role.WEB, f"https://small.test/{i}")) for i in range(10)
    ]
    fill(work, rows)
    assert work.queue_unknown() == 100
    order = [c.url.split("/")[2] for c in work.queued_checks()]
    assert Counter(order) == {"big.test": 90, "small.test": 10}
    # Every tenth of the queue holds about a tenth of the small host's URLs.
    for start in range(0, 100, 20):
        assert order[start : start + 20].count("small.test") == 2


def test_known_and_planned_urls_are_not_queued(work: WorkStore) -> None:
    fill(
        work,
        [
            record(
                "a.md",
                ("originalUrl", Role.ORIGINAL, "https://a.test/1"),
                ("webUrl", Role.WEB, "https://a.test/2"),
                ("ampWebUrl", Role.AMP, "https://a.test/3"),
            )
        ],
    )
    work.put_results([UrlResult("https://a.test/1", Outcome.OK, 200, "https://a.test/1")])
    work.plan_elsewhere(["https://a.test/2"])
    assert work.queue_unknown() == 1
    assert [c.url for c in work.queued_checks()] == ["https://a.test/3"]


def test_listed_results_merge_invalid_links_in_url_order(work: WorkStore) -> None:
    fill(
        work,
        [
            record(
                "a.md",
                ("originalUrl", Role.ORIGINAL, "https://z.test/"),
                ("webUrl", Role.WEB, None),
                ("ampWebUrl", Role.AMP, "https://a.test/"),
            ),
            record("b.md", ("webUrl", Role.WEB, None)),
        ],
    )
    work.put_results(
        [
            UrlResult("https://z.test/", Outcome.BROKEN, 404, "https://z.test/"),
            UrlResult("https://a.test/", Outcome.OK, 200, "https://a.test/"),
            # An https twin: has a verdict but is no record's link, so it is not listed.
            UrlResult("https://twin.test/", Outcome.OK, 200, "https://twin.test/"),
        ]
    )
    listed = [(r.url, r.outcome, refs) for r, refs in work.listed_results(invalid=True)]
    assert listed == [
        ("https://a.test/", Outcome.OK, 1),
        ("https://z.test/", Outcome.BROKEN, 1),
        ("not a url", Outcome.INVALID, 2),
    ]
    assert [r.url for r, _ in work.listed_results()] == ["https://a.test/", "https://z.test/"]


def test_duplicate_originals_name_every_holder_once(work: WorkStore) -> None:
    fill(
        work,
        [
            record("a.md", ("originalUrl", Role.ORIGINAL, "https://a.test/same")),
            record("b.md", ("originalUrl", Role.ORIGINAL, "https://a.test/same")),
            record("c.md", ("originalUrl", Role.ORIGINAL, "https://a.test/own")),
        ],
    )
    assert work.duplicate_originals() == {"https://a.test/same": ["a.md", "b.md"]}


def test_a_verdict_survives_packing_field_for_field() -> None:
    full = UrlResult(
        url="https://a.test/x",
        outcome=Outcome.UNREACHABLE,
        status=301,
        final_url="https://a.test/y",
        redirects=(Hop("https://a.test/x", 301), Hop("https://a.test/y", 302)),
        error="redirect loop",
        failure=FailureKind.REDIRECT_LOOP,
        content_type="text/html",
        elapsed_ms=12,
        attempts=2,
        requests=3,
        from_cache=True,
        cache=CacheInfo(True, 600, 5, '"e"', "Wed, 25 Nov 2026 06:02:22 GMT", None, "max-age=600"),
        issues=("soft_404", "amp_invalid"),
        referrers=4,
        content_length=1234,
        image_size=(50, 50),
        checked_at=datetime(2026, 11, 26, 6, 1, 2, 345678, tzinfo=UTC),
    )
    bare = UrlResult("https://b.test/", Outcome.OK, None, "https://b.test/")
    for result in (full, bare):
        assert unpack_result(pack_result(result)) == result


def test_results_for_reads_what_was_buffered(work: WorkStore) -> None:
    work.put_result(UrlResult("https://a.test/", Outcome.OK, 200, "https://a.test/"))
    assert set(work.results_for(["https://a.test/", "https://b.test/"])) == {"https://a.test/"}


def test_close_removes_the_files(tmp_path: Path) -> None:
    store = WorkStore(str(tmp_path))
    folder = store.dir
    assert folder.exists()
    store.close()
    assert not folder.exists()
    assert list(tmp_path.iterdir()) == []
