"""One bad record is one error line for that record, and the run goes on with the others.

Each bad input sits in a folder beside a good record; `linkcheck check` must read the good
one, report the bad one as one error (one line on stderr), write the report and exit 1.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from linkcheck.cli import main
from linkcheck.inputs.records import parse_bytes, read_file
from linkcheck.reports.schema import validate_report

GOOD = '---\ntitle: "Good"\noriginalUrl: "ftp://good.test/"\n---\n'


def write(folder: Path, name: str | bytes, data: bytes) -> None:
    target = os.path.join(os.fsencode(folder), name if isinstance(name, bytes) else name.encode())
    with open(target, "wb") as handle:
        handle.write(data)


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


# (file name, bytes, what the one error line says)
CASES: list[tuple[str | bytes, bytes, str]] = [
    ("date.md", b"---\ntitle: x\ndate: 2021-02-30\n---\n", "bad value '2021-02-30'"),
    ("huge.md", b"---\nn: " + b"7" * 5000 + b"\n---\n", "bad value"),
    (b"caf\xe9.md", GOOD.encode(), "file name is not UTF-8"),
    ("lone.json", b'{"title": "\\ud800"}', "half a surrogate pair"),
    ("lone.jsonl", b'{"title": "\\udc00x"}\n', "half a surrogate pair"),
    ("digits.json", b'{"n": ' + b"9" * 5000 + b"}", "a number too long to read"),
    ("deep.json", deep(100_000), "nested too deeply"),
    ("deep.yml", b"a: " + deep(100_000), "YAML error"),
    ("deep.jsonl", deep(100_000) + b"\n", "nested too deeply"),
    ("binary.md", b"---\ntitle: \xff\xfe\n---\n", "not UTF-8 text"),
]


@pytest.mark.parametrize(("name", "data", "message"), CASES, ids=[str(c[0]) for c in CASES])
def test_a_bad_record_is_one_error_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str | bytes, data: bytes, message: str
) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    write(folder, "good.md", GOOD.encode())
    write(folder, name, data)
    out = tmp_path / "out"
    code = main(["check", str(folder), "-o", str(out), "--history", str(tmp_path / "h.sqlite"),
                 "--progress", "never"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    report = json.loads((out / "report.json").read_text())
    validate_report(report)
    assert [r["title"] for r in report["records"]] == ["Good"]
    assert len(report["errors"]) == 1 and message in report["errors"][0]["message"]
    assert len([line for line in err.splitlines() if line.startswith("linkcheck: ")]) == 1
    assert (out / "report.html").exists() and (out / "report.md").exists()


def test_a_punycode_host_that_decodes_to_nothing_is_an_invalid_link(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    write(folder, "a.md", b'---\ntitle: "A"\noriginalUrl: "http://xn--zz.example/"\n---\n')
    out = tmp_path / "out"
    assert main(["check", str(folder), "-o", str(out), "--no-history-enabled",
                 "--progress", "never"]) == 1  # fmt: skip
    report = json.loads((out / "report.json").read_text())
    (url,) = report["urls"]
    assert url["outcome"] == "invalid" and "punycode" in url["error"]
    assert report["records"][0]["issues"][0]["code"] == "invalid_url"


def test_a_yaml_stream_whose_first_document_is_empty_keeps_every_record() -> None:
    text = b"---\n---\ntitle: a\n---\ntitle: b\n--- null\n---\ntitle: c\n"
    read = parse_bytes("s.yml", text)
    assert [r.fields["title"] for r in read.records] == ["a", "b", "c"] and read.errors == ()


def test_a_bad_record_in_a_yaml_list_is_one_error_and_the_others_are_read() -> None:
    text = b"- title: a\n- title: b\n  date: 2021-02-30\n- 7\n- title: d\n"
    read = parse_bytes("s.yml", text)
    assert [r.fields["title"] for r in read.records] == ["a", "d"]
    assert [(e.message.split(":")[0], e.line) for e in read.errors] == [
        ("record 1", 3),
        ("record 2 is a number, expected a mapping", 4),
    ]


def test_json_lines_with_u2028_inside_a_string_is_read_as_one_record_a_line() -> None:
    lines = ['{"title": "a\u2028b", "n": 1}', '{"title": "c\u2029d\x85", "n": 2}']
    read = parse_bytes("f.jsonl", "\n".join(lines).encode())
    assert read.errors == ()
    assert [r.fields["title"] for r in read.records] == ["a\u2028b", "c\u2029d\x85"]
    assert [r.line for r in read.records] == [1, 2]


def test_a_lone_surrogate_in_one_record_of_a_json_list_spares_the_others() -> None:
    read = parse_bytes("f.json", b'[{"title": "a"}, {"title": "\\ud800"}, {"title": "c"}]')
    assert [r.fields["title"] for r in read.records] == ["a", "c"]
    assert len(read.errors) == 1 and read.errors[0].message.startswith("record 1:")


Make = Callable[[Path], Path]


def fifo(folder: Path) -> Path:
    path = folder / "pipe.md"
    os.mkfifo(path)
    return path


def dev_zero(folder: Path) -> Path:
    path = folder / "zero.md"
    path.symlink_to("/dev/zero")
    return path


def too_big(folder: Path) -> Path:
    path = folder / "big.md"
    path.write_bytes(GOOD.encode() + b"x" * 2000)
    return path


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (fifo, "not a regular file (a FIFO)"),
        (dev_zero, "not a regular file (a device)"),
        (too_big, "larger than 1,000 bytes (input.max_file_bytes)"),
    ],
)
def test_only_regular_files_are_read_and_only_up_to_the_cap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Make, message: str
) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    write(folder, "good.md", GOOD.encode())
    make(folder)
    out = tmp_path / "out"
    code = main(["check", str(folder), "-o", str(out), "--input-max-file-bytes", "1000",
                 "--no-history-enabled",
                 "--progress", "never"])  # fmt: skip
    assert code == 1
    report = json.loads((out / "report.json").read_text())
    assert [r["title"] for r in report["records"]] == ["Good"]
    assert [e["message"] for e in report["errors"]] == [
        m for m in [e["message"] for e in report["errors"]] if message in m
    ]
    assert len(report["errors"]) == 1


def test_the_cap_is_the_largest_size_read(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(GOOD.encode())
    assert read_file(path, max_bytes=len(GOOD)).errors == ()
    assert "larger than" in read_file(path, max_bytes=len(GOOD) - 1).errors[0].message
