"""What `check` is asked to read and how it is configured: a mistake is one line, exit 2.

Unreadable folders are made with chmod 000; as root (who reads anything) the command runs
under ``setpriv`` without the capabilities that override file permissions.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from linkcheck.cli import main

GOOD = '---\ntitle: "Good"\noriginalUrl: "ftp://good.test/"\n---\n'


def records(tmp_path: Path) -> Path:
    folder = tmp_path / "records"
    folder.mkdir(exist_ok=True)
    (folder / "good.md").write_text(GOOD)
    return folder


def check(tmp_path: Path, *args: str) -> int:
    return main(["check", *args, "-o", str(tmp_path / "out"), "--no-history-enabled",
                 "--progress", "never"])  # fmt: skip


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("given", ["no-such-folder", "recrods/*.md", "records/nope.md"])
def test_a_missing_or_mistyped_input_is_an_error_not_an_empty_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    records(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert check(tmp_path, given) == 2
    assert one_line(capsys).startswith(f"linkcheck: error: {given}: no ")
    assert not (tmp_path / "out" / "report.json").exists()
    assert main(["links", given]) == 2


def without_override(command: list[str]) -> list[str]:
    """``command`` as a process that file permissions apply to, even when run as root."""
    if os.geteuid() != 0:
        return command
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be made to apply")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}", *command]


def run_check(tmp_path: Path, *paths: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "linkcheck.cli", "check", *paths, "-o",
               str(tmp_path / "out"), "--no-history-enabled", "--progress", "never"]  # fmt: skip
    return subprocess.run(without_override(command), capture_output=True, text=True, timeout=60)


def test_an_unreadable_folder_given_as_input_is_one_line(tmp_path: Path) -> None:
    folder = records(tmp_path)
    folder.chmod(0)
    try:
        done = run_check(tmp_path, str(folder))
    finally:
        folder.chmod(0o755)
    assert done.returncode == 2, done.stderr
    assert (
        done.stderr.strip() == f"linkcheck: error: {folder}: cannot read folder: permission denied"
    )


def test_an_unreadable_sub_folder_is_reported_not_skipped(tmp_path: Path) -> None:
    folder = records(tmp_path)
    hidden = folder / "drafts"
    hidden.mkdir()
    (hidden / "draft.md").write_text(GOOD)
    hidden.chmod(0)
    try:
        done = run_check(tmp_path, str(folder))
    finally:
        hidden.chmod(0o755)
    assert done.returncode == 1, done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [r["title"] for r in report["records"]] == ["Good"]
    assert report["errors"] == [
        {"source": str(hidden), "line": None, "message": "cannot read folder: permission denied"}
    ]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("flag", "value", "key"),
    [
        ("--concurrency", "1000000", "http.max_concurrency"),
        ("--per-host", "123456789012345678901234567890", "http.per_host"),
        ("--timeout", "nan", "http.request_timeout_s"),
        ("--http-connect-timeout-s", "inf", "http.connect_timeout_s"),
        ("--http-read-timeout-s", "-1", "http.read_timeout_s"),
        ("--history-ok-max-age-h", "1e300", "history.ok_max_age_h"),
        ("--retry-max-attempts", "0", "retry.max_attempts"),
        ("--input-max-file-bytes", "0", "input.max_file_bytes"),
        ("--history-retention-runs", "99999999999", "history.retention_runs"),
    ],
)
def test_absurd_flag_values_are_one_line_naming_the_flag_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str, key: str
) -> None:
    assert check(tmp_path, str(records(tmp_path)), flag, value) == 2
    line = one_line(capsys)
    assert line.startswith("linkcheck: error: command line (--") and f": {key}: " in line


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("http:\n  max_concurrency: 1000000\n", "http.max_concurrency"),
        ("http:\n  request_timeout_s: .nan\n", "http.request_timeout_s"),
        ("http:\n  connect_timeout_s: -.inf\n", "http.connect_timeout_s"),
        ("http:\n  per_host: 123456789012345678901234567890\n", "http.per_host"),
        ("retry:\n  backoff_max_s: 1.0e+20\n", "retry.backoff_max_s"),
        ("content:\n  heuristic_fraction: 2\n", "content.heuristic_fraction"),
        ("history:\n  parse_cache_max_age_days: 1.0e+12\n", "history.parse_cache_max_age_days"),
    ],
)
def test_absurd_config_values_are_one_line_naming_the_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, key: str
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(text)
    assert main(["--config", str(config), "links", str(records(tmp_path))]) == 2
    line = one_line(capsys)
    assert line.startswith(f"linkcheck: error: {config}: {key}: ")


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"http:\n  user_agent: caf\xe9\n", ":2: config is not UTF-8 text (byte 0xe9)"),
        (b"site:\n  base_url: x\nwhen: 2021-02-30\n", ": invalid value in config:"),
        (b"http:\n  per_host: " + b"9" * 5000 + b"\n", ": invalid value in config:"),
    ],
)
def test_a_config_file_that_cannot_be_read_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, says: str
) -> None:
    config = tmp_path / "config.yaml"
    config.write_bytes(data)
    assert main(["--config", str(config), "links", str(records(tmp_path))]) == 2
    assert one_line(capsys).startswith(f"linkcheck: error: {config}{says}")


@pytest.mark.timeout(30)
def test_a_missing_ca_bundle_is_one_line_before_any_input_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = records(tmp_path)
    os.mkfifo(folder / "pipe.md")  # reading the inputs would stop at it for good
    started = time.monotonic()
    assert check(tmp_path, str(folder), "--ca-bundle", str(tmp_path / "nope.pem")) == 2
    assert time.monotonic() - started < 10
    assert one_line(capsys).endswith(f"http.ca_bundle: {tmp_path / 'nope.pem'}: no such file")
    (tmp_path / "bad.pem").write_text("not a certificate")
    assert check(tmp_path, str(folder), "--ca-bundle", str(tmp_path / "bad.pem")) == 2
    assert "not a usable CA bundle" in one_line(capsys)


def test_a_folder_that_can_be_listed_but_not_entered_gives_errors_not_a_traceback(
    tmp_path: Path,
) -> None:
    folder = records(tmp_path)
    folder.chmod(0o444)  # names can be read, files cannot be opened
    try:
        done = run_check(tmp_path, str(folder))
    finally:
        folder.chmod(0o755)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"linkcheck: {folder}/good.md: cannot read file: permission denied" in done.stderr
