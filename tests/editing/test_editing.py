"""`linkcheck unpublish`: only the value of `published` changes, byte for byte, once."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from linkcheck.editing.unpublish import apply_edits, plan_unpublish, render_diff, run_unpublish

SITE = "smartable-power-apps"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def report_for(base: Path, *sources: str, with_sha: bool = True) -> dict:
    records = []
    for source in sources:
        path = source.partition("#")[0]
        reason = "originalUrl: HTTP 410 Gone since 2026-11-20 (1 run)"
        entry = {"source": path, "record": source, "published": True, "unpublish": True,
                 "unpublish_reasons": [reason]}  # fmt: skip
        if with_sha:
            entry["sha256"] = digest(base / path)
        records.append(entry)
    records.append({"source": "other.md", "record": "other.md", "unpublish": False})
    return {"schema": "linkcheck-report/1", "generated_at": "2026-11-26T03:00:00Z",
            "run": {"started_at": "2026-11-26T02:59:00Z"}, "records": records}  # fmt: skip


def only_difference(before: bytes, after: bytes, old: bytes, new: bytes) -> None:
    """`after` is `before` with exactly one `old` token replaced by `new`, nothing else."""
    assert len(after) == len(before) - len(old) + len(new)
    at = next(i for i in range(len(before)) if before[i] != after[i])
    assert before[at : at + len(old)] == old and after[at : at + len(new)] == new
    assert before[at + len(old) :] == after[at + len(new) :]


@pytest.fixture
def site(corpus: Path, tmp_path: Path) -> Path:
    copy = tmp_path / SITE
    shutil.copytree(corpus / SITE, copy, ignore=shutil.ignore_patterns("assets"))
    return copy


def published_files(site: Path, crlf: bool) -> list[str]:
    found = []
    for path in sorted(site.glob("_*/**/*.md")):
        data = path.read_bytes()
        if (b"\npublished: true\r\n" in data) == crlf and b"\npublished: true" in data:
            found.append(str(path.relative_to(site)))
    return found


@pytest.mark.corpus
def test_corpus_records_lf_and_crlf_change_only_the_value_then_nothing(
    site: Path, tmp_path: Path
) -> None:
    chosen = published_files(site, crlf=False)[:5] + published_files(site, crlf=True)[:5]
    assert len(chosen) == 10
    before = {s: (site / s).read_bytes() for s in chosen}
    modes = {s: (site / s).stat().st_mode for s in chosen}
    untouched = {p: p.read_bytes() for p in site.rglob("*") if p.is_file() and
                 str(p.relative_to(site)) not in chosen}  # fmt: skip
    log = tmp_path / "reports" / "unpublish.log"
    report = report_for(site, *chosen)

    text, problems = run_unpublish(report, site, apply=False, log_path=log)
    assert problems == [] and "dry run: 10 record(s)" in text
    assert "-published: true" in text and "+published: false" in text
    assert all((site / s).read_bytes() == before[s] for s in chosen) and not log.exists()

    text, problems = run_unpublish(report, site, apply=True, log_path=log)
    assert problems == [] and text.count("unpublished _") == 10
    for source in chosen:
        after = (site / source).read_bytes()
        only_difference(before[source], after, b"true", b"false")
        assert (site / source).stat().st_mode == modes[source]
    assert all(p.read_bytes() == data for p, data in untouched.items())
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    assert {e["source"] for e in logged} == set(chosen) and logged[0]["action"] == "unpublished"

    after_first = {s: (site / s).read_bytes() for s in chosen}
    text, problems = run_unpublish(report, site, apply=True, log_path=log)
    assert problems == [] and text.count("already unpublished") == 10
    assert all((site / s).read_bytes() == after_first[s] for s in chosen)
    assert len(log.read_text().splitlines()) == 10


@pytest.mark.corpus
def test_corpus_record_changed_since_the_report_is_skipped(site: Path, tmp_path: Path) -> None:
    source = published_files(site, crlf=False)[0]
    report = report_for(site, source)
    path = site / source
    path.write_bytes(path.read_bytes().replace(b"title:", b"title: ", 1))
    edited = path.read_bytes()
    _, problems = run_unpublish(report, site, apply=True, log_path=tmp_path / "u.log")
    assert path.read_bytes() == edited
    assert problems == [f"{source}: skipped: the file changed since the report was made "
                        "(sha256 differs)"]  # fmt: skip
    assert json.loads((tmp_path / "u.log").read_text())["action"] == "skipped"


@pytest.mark.corpus
def test_without_sha256_a_file_modified_after_the_run_is_skipped(site: Path) -> None:
    sources = published_files(site, crlf=False)[:2]
    report = report_for(site, *sources, with_sha=False)
    report["run"]["started_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    old = time.time() - 3600
    os.utime(site / sources[0], (old, old))
    os.utime(site / sources[1], (time.time() + 60, time.time() + 60))
    edits = plan_unpublish(report, site)
    assert edits[0].changes and edits[1].problem.startswith("skipped: the file was modified")
    del report["run"], report["generated_at"]
    assert plan_unpublish(report, site)[0].problem.startswith("refused: the report has no sha256")


@pytest.mark.corpus
def test_corpus_record_without_published_gets_a_line_before_the_closing_dashes(
    site: Path,
) -> None:
    source = next(
        str(p.relative_to(site)) for p in sorted(site.glob("_communities/*.md"))
        if b"\npublished:" not in p.read_bytes()
    )  # fmt: skip
    before = (site / source).read_bytes()
    edits = plan_unpublish(report_for(site, source), site)
    assert apply_edits(edits, None) == [(edits[0], None)]
    after = (site / source).read_bytes()
    ending = b"\r\n" if b"\r\n" in before.split(b"---", 2)[1] else b"\n"
    only_difference(before, after, b"", b"published: false" + ending)
    closing = after.index(b"\n---", 3)
    assert after[:closing].endswith(b"published: false" + ending.rstrip(b"\n"))


# ---------------------------------------------------------------- unusual spellings


def write(tmp_path: Path, name: str, data: bytes) -> str:
    (tmp_path / name).write_bytes(data)
    return name


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"published: true # keep this  \r\n", b"published: false # keep this  \r\n"),
        (b"published:   True\n", b"published:   False\n"),
        (b"published: yes\n", b"published: no\n"),
    ],
)  # fmt: skip
def test_comments_spacing_style_and_bom_are_kept(tmp_path: Path, line: bytes, expected: bytes):
    data = b'\xef\xbb\xbf---\ntitle: "Caf\xc3\xa9 \xe2\x80\x99" \nnested:\n  published: true\n'
    data += line + b"---\nbody published: true\n"
    name = write(tmp_path, "a.md", data)
    edits = plan_unpublish(report_for(tmp_path, name), tmp_path)
    assert edits[0].after == data.replace(line, expected) and edits[0].lines == (5,)


def test_a_string_published_and_a_flow_mapping_are_refused(tmp_path: Path) -> None:
    quoted = write(tmp_path, "q.md", b'---\ntitle: x\npublished: "true"\n---\n')
    flow = write(tmp_path, "f.md", b"---\n{title: x}\n---\n")
    edits = plan_unpublish(report_for(tmp_path, quoted, flow), tmp_path)
    assert edits[0].problem.startswith("refused: the edited file would not read back cleanly")
    assert edits[1].problem == "refused: published is '\"true\"', not a boolean; edit it by hand"
    assert render_diff(edits) == ""


def test_multi_record_yaml_edits_only_the_named_record(tmp_path: Path) -> None:
    data = (b"- title: a\n  published: true\n- title: b\n  published: true  # b\n"
            b"---\n{title: c, published: true}\n")  # fmt: skip
    name = write(tmp_path, "many.yml", data)
    edits = plan_unpublish(report_for(tmp_path, f"{name}#1", f"{name}#2"), tmp_path)
    assert edits[0].after == data.replace(b"true  # b", b"false  # b").replace(
        b"c, published: true", b"c, published: false"
    )
    assert edits[0].lines == (4, 6)


def test_json_and_json_lines_change_only_the_token(tmp_path: Path) -> None:
    page = b'{"page": 1, "value": [\r\n {"title": "a", "published": true},\r\n' \
           b' {"title": "\\u00e9", "published" :true }]}\r\n'  # fmt: skip
    lines = b'{"title": "a", "published": true}\n\n{"title": "b", "published": true}\n'
    json_name = write(tmp_path, "page.json", page)
    lines_name = write(tmp_path, "items.jsonl", lines)
    missing = write(tmp_path, "none.json", b'{"title": "x"}')
    report = report_for(tmp_path, f"{json_name}#1", f"{lines_name}#1", missing)
    edits = {e.source: e for e in plan_unpublish(report, tmp_path)}
    assert edits[json_name].after == page.replace(b":true }", b":false }")
    assert edits[lines_name].after == lines.replace(
        b'"b", "published": true', b'"b", "published": false'
    )
    assert edits[missing].problem.startswith("refused: the record has no published key")


def test_a_file_changed_between_plan_and_apply_is_not_overwritten(tmp_path: Path) -> None:
    name = write(tmp_path, "a.md", b"---\npublished: true\n---\n")
    edits = plan_unpublish(report_for(tmp_path, name), tmp_path)
    (tmp_path / name).write_bytes(b"---\npublished: true\ntitle: new\n---\n")
    assert apply_edits(edits, None)[0][1] == "skipped: the file changed while unpublishing"
    assert (tmp_path / name).read_bytes() == b"---\npublished: true\ntitle: new\n---\n"
    assert list(tmp_path.glob(".*.tmp")) == []


def test_nothing_flagged_says_so(tmp_path: Path) -> None:
    text, problems = run_unpublish({"records": []}, tmp_path, apply=True, log_path=None)
    assert problems == [] and "no records are flagged" in text
