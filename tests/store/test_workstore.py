"""The run's work store: records, unique URLs and verdicts on disk, read back in order."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from linkcheck.inputs.parse_cache import StoredParse, pack_parse
from linkcheck.inputs.records import FileRead
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
from linkcheck.store.history import HistoryStore
from linkcheck.store.work import WorkStore, file_records


def record(source: str, *links: tuple[str, Role, str | None]) -> StoredParse:
    rec = Record(source=source, index=0, fields={"title": source})
    refs = [
        LinkRef(rec.key, field, role, url or "not a url", url, invalid_reason=None if url else "x")
        for field, role, url in links
    ]
    return pack_parse(FileRead(source, (rec,), digest=f"sha-{source}"), {rec.key: refs}, {})


def fill(work: WorkStore, rows: list[StoredParse]) -> None:
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
    assert len(list(work.iter_urls())) == 2
    # Records come back in the report's order with their links and digests.
    records = [row for _, _, payload in work.files() for row in file_records(payload)]
    assert [r.source for r, _, _, _ in records] == ["a.md", "b.md", "c.md"]
    assert [d for _, _, _, d in records] == ["sha-a.md", "sha-b.md", "sha-c.md"]


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


def test_known_and_reused_urls_are_not_queued(work: WorkStore, tmp_path: Path) -> None:
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
    now = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    with HistoryStore(tmp_path / "history.sqlite") as store:
        old = [
            UrlResult(u, Outcome.OK, 200, u, checked_at=now)
            for u in ("https://a.test/1", "https://a.test/2")
        ]
        store.finish_run(store.start_run(now), old)
        # a.test/1 has a verdict of this run already: history's is not copied over it.
        assert store.reuse_into(work.path, now, timedelta(hours=1)) == 1
    assert work.results_for(["https://a.test/2"])["https://a.test/2"].from_cache
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


def test_a_verdict_survives_the_store_field_for_field(work: WorkStore) -> None:
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
    work.put_results([full, bare])
    got = work.results_for([full.url, bare.url])
    # Times are kept to the second, as the report and history show them.
    assert got[full.url] == dataclasses.replace(
        full, checked_at=full.checked_at.replace(microsecond=0)
    )
    assert got[bare.url] == bare


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


def test_history_gets_every_verdict_and_gives_back_only_fresh_ok_ones(
    work: WorkStore, tmp_path: Path
) -> None:
    urls = [f"https://a.test/{n}" for n in range(4)]
    fill(work, [record("a.md", *(("webUrl", Role.WEB, u) for u in urls))])
    now = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    cache = CacheInfo(True, 600, 5, '"e"', None, None, "max-age=600")
    work.put_results(
        [
            UrlResult(urls[0], Outcome.OK, 200, urls[0], cache=cache, attempts=1, checked_at=now),
            UrlResult(urls[1], Outcome.BROKEN, 404, urls[1], checked_at=now),
            UrlResult(urls[2], Outcome.OK, 200, urls[2]),  # no time: history stamps it
        ]
    )
    with HistoryStore(tmp_path / "history.sqlite") as store:
        run_id = store.start_run(now)
        store.write_run(run_id, work.path, now)
        store.complete_run(run_id, {}, now)
        assert [name for _, name, _ in store.db.execute("PRAGMA database_list")] == ["main"]
        assert {url for url in urls if store.url_history(url)} == set(urls[:3])
        with WorkStore(str(tmp_path)) as second:
            fill(second, [record("a.md", *(("webUrl", Role.WEB, u) for u in urls))])
            assert store.reuse_into(second.path, now, timedelta(hours=1)) == 2
            got = second.results_for(urls)
    assert set(got) == {urls[0], urls[2]}  # the 404 is asked again
    assert got[urls[0]].cache == cache
    assert got[urls[0]].from_cache and got[urls[0]].attempts == 0
    assert got[urls[0]].referrers == 1


def test_most_linked_results_are_those_linked_more_than_once_most_first(work: WorkStore) -> None:
    urls = {"https://a.test/3": 3, "https://a.test/2": 2, "https://a.test/1": 1}
    fill(
        work,
        [
            record(f"{n}.md", *(("webUrl", Role.WEB, u) for u, times in urls.items() if times > n))
            for n in range(3)
        ],
    )
    work.put_results([UrlResult(u, Outcome.OK, 200, u) for u in urls])
    assert list(work.most_linked_results(1)) == ["https://a.test/3"]
    assert list(work.most_linked_results(5)) == ["https://a.test/3", "https://a.test/2"]


def test_link_digests_follow_what_checks_read_not_times(work: WorkStore) -> None:
    links = [
        ("webUrl", Role.WEB, "https://a.test/1"),
        ("images[0].url", Role.IMAGE, "https://a.test/i"),
    ]
    swapped = [
        ("webUrl", Role.WEB, "https://a.test/i"),
        ("images[0].url", Role.IMAGE, "https://a.test/1"),
    ]
    fill(work, [record("a.md", *links), record("b.md", *reversed(links)), record("c.md", *swapped)])
    at = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)

    def digests(**changes: object) -> dict[int, bytes]:
        work.put_results(
            [
                UrlResult("https://a.test/1", Outcome.OK, 200, "https://a.test/1", checked_at=at),
                dataclasses.replace(
                    UrlResult("https://a.test/i", Outcome.OK, 200, "https://a.test/i"), **changes
                ),
            ]
        )
        return work.link_digests([1, 2, 3])

    first = digests(image_size=(50, 50), elapsed_ms=3)
    assert first[1] != first[3]  # the same URLs in other fields
    assert digests(image_size=(50, 50), elapsed_ms=900, attempts=3, from_cache=True) == first
    assert digests(image_size=(60, 50), elapsed_ms=3) != first
