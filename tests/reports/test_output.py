"""Files are written atomically; progress stays quiet and line-oriented off a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkcheck.output import write_atomic
from linkcheck.progress import Progress


def test_write_atomic_replaces_whole_files_and_leaves_no_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "report.json"
    write_atomic(target, "first")
    write_atomic(target, b"second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_atomic(target, "old")
    with pytest.raises(TypeError):
        write_atomic(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_progress_off_a_terminal_prints_few_plain_lines(capsys: pytest.CaptureFixture) -> None:
    with Progress("auto") as progress:
        progress.start(1000)
        for _ in range(1000):
            progress.advance()
    err = capsys.readouterr().err
    assert err.splitlines() == ["checking 1000 URLs"]


def test_progress_never_prints_nothing(capsys: pytest.CaptureFixture) -> None:
    with Progress("never") as progress:
        progress.start(10)
        progress.advance(10)
    assert capsys.readouterr().err == ""
