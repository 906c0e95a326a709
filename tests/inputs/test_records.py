"""Reading records: formats, line numbers, bad input as values, file walking, the site base URL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkcheck.inputs.records import iter_input_files, parse_bytes, read_file, read_inputs
from linkcheck.inputs.site import find_site_config, jekyll_base_url, site_base_url

DATA = Path(__file__).resolve().parents[1] / "data"
SITE = "tests/data/site"
BAD = "tests/data/bad"


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sources are kept as given, so the tests give paths relative to the repository."""
    monkeypatch.chdir(DATA.parent.parent)


# ---------------------------------------------------------------- our sample site


def test_site_reads_every_format() -> None:
    result = read_inputs([SITE])
    assert result.errors == ()
    assert [(r.key, r.line) for r in result.records] == [
        ("tests/data/site/_news/2024-01-02-first.md", 1),
        ("tests/data/site/_news/2024-01-03-second.md", 1),
        ("tests/data/site/_news/2024-01-04-third.md", 1),
        ("tests/data/site/api/news/index.json", 4),
        ("tests/data/site/api/news/index.json#1", 16),
        ("tests/data/site/feed.jsonl", 1),
        ("tests/data/site/feed.jsonl#1", 3),
        ("tests/data/site/lists/records.yml", 2),
        ("tests/data/site/lists/records.yml#1", 6),
    ]
    # _config.yml is site config, README.md has no front matter, notes.txt is not a record;
    # _layouts (templates) is not walked at all.
    assert result.skipped_files == (
        "tests/data/site/README.md",
        "tests/data/site/_config.yml",
        "tests/data/site/notes.txt",
    )
    assert result.files_read == 6


def test_front_matter_fields_and_file_lines() -> None:
    record = read_file(f"{SITE}/_news/2024-01-02-first.md").records[0]
    assert record.fields["originalUrl"] == "https://Origin.Example.test/articles/first#comments"
    assert record.fields["related"][0]["images"][0]["width"] == 100
    assert record.lines["originalUrl"] == 5
    assert record.lines["provider.images[0].url"] == 14
    assert record.lines["images[0].url"] == 19
    assert record.lines["related[0].webUrl"] == 26
    assert record.lines["related[0].images[0].url"] == 28
    assert record.title == "First article" and record.published is True


def test_dashes_inside_a_string_do_not_end_the_front_matter() -> None:
    record = read_file(f"{SITE}/_news/2024-01-03-second.md").records[0]
    assert record.fields["excerpt"].startswith("Before ------ after")
    assert record.fields["secured"] == "/AbCdEf+ghIJ/kl=="
    assert record.published is False


def test_bom_crlf_and_dots_terminator() -> None:
    read = read_file(f"{SITE}/_news/2024-01-04-third.md")
    assert read.errors == ()
    assert read.records[0].fields["originalUrl"] == "https://origin.example.test/articles/third"
    assert read.records[0].lines["originalUrl"] == 3


def test_json_lines_records_know_their_line() -> None:
    records = read_file(f"{SITE}/feed.jsonl").records
    assert [(r.index, r.line) for r in records] == [(0, 1), (1, 3)]
    assert records[1].lines["images[0].url"] == 3


def test_json_api_page_records_and_lines() -> None:
    records = read_file(f"{SITE}/api/news/index.json").records
    assert [r.fields["path"] for r in records] == [
        "_news/2024-01-02-first.md",
        "_news/2024-01-03-second.md",
    ]
    assert records[0].lines["originalUrl"] == 7
    assert records[0].lines["images[0].url"] == 13


def test_yaml_list_lines() -> None:
    records = read_file(f"{SITE}/lists/records.yml").records
    assert records[0].lines["images[0].url"] == 5
    assert records[1].lines["website"] == 8


def test_timestamps_stay_serialisable() -> None:
    record = read_file(f"{SITE}/_news/2024-01-02-first.md").records[0]
    text = json.dumps(record.fields, default=str)
    assert "2024-01-02" in text


def test_digest_is_sha256_of_the_bytes() -> None:
    import hashlib

    path = f"{SITE}/_news/2024-01-02-first.md"
    assert read_file(path).digest == hashlib.sha256(Path(path).read_bytes()).hexdigest()
    assert read_file(f"{SITE}/notes.txt").skipped


# ---------------------------------------------------------------- bad input

BAD_CASES = [
    ("bad-yaml.md", "YAML error at line 5: while parsing a flow sequence", 5),
    ("no-closing.md", "front matter has no closing '---' line", 1),
    ("latin1.md", "not UTF-8 text: byte 0xe9 at line 2", 2),
    ("list-front-matter.md", "front matter is a list, expected a mapping", 2),
    ("scalar.yml", "YAML document is a string, expected a record", 1),
    ("empty.md", "empty file", None),
    ("empty-front-matter.md", "empty front matter", 1),
    ("bad.json", "JSON error at line 3: Expecting ',' delimiter", 3),
    ("mixed.jsonl", "JSON error at line 2: Expecting value", 2),
    ("mixed-list.yml", "record 1 is a string, expected a mapping", 3),
]


@pytest.mark.parametrize(("name", "message", "line"), BAD_CASES)
def test_each_bad_input_gives_one_clear_error(name: str, message: str, line: int | None) -> None:
    read = read_file(f"{BAD}/{name}")
    assert len(read.errors) == 1
    error = read.errors[0]
    assert error.source == f"{BAD}/{name}"
    assert error.message.startswith(message)
    assert "\n" not in error.message and "Traceback" not in error.message
    assert error.line == line
    where = f"{BAD}/{name}:{line}" if line else f"{BAD}/{name}"
    assert str(error).startswith(f"{where}: {message}")


def test_bad_inputs_never_stop_the_good_ones() -> None:
    result = read_inputs([BAD, SITE])
    assert sorted(e.source.rsplit("/", 1)[1] for e in result.errors) == sorted(
        name for name, _, _ in BAD_CASES
    )
    keys = {r.key for r in result.records}
    assert {
        "tests/data/bad/good.md",
        "tests/data/bad/mixed-list.yml",  # its first item is fine
        "tests/data/bad/mixed.jsonl",  # its first line is fine
        "tests/data/bad/url-types.md",  # a record; its bad URLs are link findings
        "tests/data/site/_news/2024-01-02-first.md",
    } <= keys
    assert len(result.records) == 4 + 9


def test_missing_path_is_an_error_not_an_exception() -> None:
    result = read_inputs(["tests/data/nowhere.md", "tests/data/nothing-*.md"])
    assert [(e.source, e.message) for e in result.errors] == [
        ("tests/data/nothing-*.md", "cannot read file: no such file or directory"),
        ("tests/data/nowhere.md", "cannot read file: no such file or directory"),
    ]


def test_unreadable_file(tmp_path: Path) -> None:
    folder = tmp_path / "x.md"
    folder.mkdir()
    read = read_file(folder)
    assert len(read.errors) == 1 and read.errors[0].message == "not a regular file (a folder)"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.md", "---\ntitle: [\n---\n", "YAML error at line 3"),
        ("a.md", "---\ntitle: x\ntitle: 'unterminated\n---\n", "YAML error at line 4"),
        ("a.md", "---\n- &a [*a]\n---\n", "front matter is a list"),
        ("a.yml", "a: &a [*a]\n", "record 0: recursive YAML alias"),
        ("a.yml", "url: !custom x\n", "record 0: YAML error at line 1"),
        ("a.json", "42", "JSON document is a number"),
        ("a.json", "[1, {}]", "record 0 is a number, expected a mapping"),
        ("a.jsonl", '"x"\n', "record 0 is a string, expected a mapping"),
        ("a.yml", "---\n...\n", "no record: every YAML document is empty"),
    ],
)
def test_more_bad_inputs(name: str, text: str, message: str) -> None:
    read = parse_bytes(name, text.encode())
    assert len(read.errors) == 1
    assert read.errors[0].message.startswith(message)


def test_yaml_merge_keys_and_non_string_keys() -> None:
    text = "base: &b {url: 'https://a.test/', n: 1}\nitem:\n  <<: *b\n  n: 2\n2020: year\n"
    record = parse_bytes("a.yml", text.encode()).records[0]
    assert record.fields["item"] == {"n": 2, "url": "https://a.test/"}
    assert record.fields["2020"] == "year"
    assert record.lines["item.n"] == 4


def test_yaml_multi_document_file() -> None:
    text = "title: one\n---\n- title: two\n- title: three\n"
    records = parse_bytes("a.yaml", text.encode()).records
    assert [(r.index, r.line, r.fields["title"]) for r in records] == [
        (0, 1, "one"),
        (1, 3, "two"),
        (2, 4, "three"),
    ]


def test_json_template_with_front_matter_is_skipped() -> None:
    text = '---\nlayout: none\n---\n{"value": [{% for x in site.y %}{}{% endfor %}]}\n'
    read = parse_bytes("_sponsorships/today/index.json", text.encode())
    assert read.skipped and read.errors == ()


def test_page_without_front_matter_is_skipped_but_html_with_it_is_read() -> None:
    assert parse_bytes("page.html", b"<html></html>\n").skipped
    read = parse_bytes("news.html", b"---\nwebUrl: https://a.test/\n---\n<p>x</p>\n")
    assert read.records[0].fields == {"webUrl": "https://a.test/"}


# ---------------------------------------------------------------- walking


def test_walk_skips_hidden_and_excluded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for rel in ["a/x.md", "a/.git/y.md", "a/.hidden.md", "a/_drafts/z.md", "a/sub/w.yml"]:
        Path(rel).parent.mkdir(parents=True, exist_ok=True)
        Path(rel).write_text("---\ntitle: t\n---\n")
    assert iter_input_files(["a"]) == ["a/_drafts/z.md", "a/sub/w.yml", "a/x.md"]
    assert iter_input_files(["a"], exclude=["_drafts/*"]) == ["a/sub/w.yml", "a/x.md"]
    assert iter_input_files(["a"], exclude=["*.yml", "a/_drafts"]) == ["a/x.md"]
    assert iter_input_files(["a/**/*.md", "a/x.md", "./a/x.md"]) == ["a/_drafts/z.md", "a/x.md"]


# ---------------------------------------------------------------- site base URL


def test_site_base_url_from_jekyll_config() -> None:
    expected = "https://news.example.test/blog"
    assert site_base_url([SITE], None) == expected
    assert site_base_url([f"{SITE}/_news"], None) == expected
    assert site_base_url([f"{SITE}/_news/2024-01-02-first.md"], None) == expected
    assert site_base_url([f"{SITE}/_news/*.md"], None) == expected
    assert site_base_url([SITE], "https://configured.test/x/") == "https://configured.test/x"


def test_no_site_config_means_no_base_url() -> None:
    assert find_site_config(BAD) is None
    assert site_base_url([BAD], None) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("url: https://a.test/\nbaseurl: /b/\n", "https://a.test/b"),
        ("url: https://a.test\nbaseurl: ''\n", "https://a.test"),
        ("url: https://a.test\n", "https://a.test"),
        ("baseurl: /b\n", None),
        ("url: [\n", None),
        ("- a list\n", None),
    ],
)
def test_jekyll_base_url(tmp_path: Path, text: str, expected: str | None) -> None:
    config = tmp_path / "_config.yml"
    config.write_text(text)
    assert jekyll_base_url(config) == expected
