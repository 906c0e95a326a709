"""`linkcheck demo`: the quick-start command covers every outcome and the main issue codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkcheck.cli import main
from linkcheck.model import Outcome
from linkcheck.reports.schema import validate_report


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "-o", str(out)]) == 0
    first = json.loads((out / "report.json").read_text())
    assert main(["demo", "-o", str(out)]) == 0
    second = json.loads((out / "report.json").read_text())
    return out, first, second


def test_demo_reports_are_valid_and_all_written(demo: tuple[Path, dict, dict]) -> None:
    out, first, second = demo
    validate_report(first)
    validate_report(second)
    for name in ("report.json", "report.html", "report.md", "junit.xml", "report.sarif"):
        assert (out / name).stat().st_size > 0


def test_demo_covers_every_outcome(demo: tuple[Path, dict, dict]) -> None:
    _, first, _ = demo
    counts = first["summary"]["by_outcome"]
    assert {o.value for o in Outcome if counts[o.value] == 0} == set()


def test_demo_shows_the_content_and_record_codes(demo: tuple[Path, dict, dict]) -> None:
    _, first, _ = demo
    url_codes = {code for url in first["urls"] for code in url["issues"]}
    assert url_codes >= {
        "soft_404",
        "redirect_to_home",
        "content_type_mismatch",
        "amp_invalid",
        "cache_stale",
    }
    record_codes = {i["code"] for r in first["records"] for i in r["issues"]}
    assert record_codes >= {
        "broken_link",
        "blocked_link",
        "image_size_mismatch",
        "cdn_amp_mismatch",
        "mojibake",
        "duplicate_original",
        "missing_field",
        "invalid_url",
    }
    flagged = sorted(Path(r["source"]).name for r in first["records"] if r["unpublish"])
    assert flagged == ["2026-11-16-unreachable-hosts.md", "2026-11-19-story-that-vanished.md"]
    assert len(first["errors"]) == 1


def test_second_demo_run_remembers_the_first(demo: tuple[Path, dict, dict]) -> None:
    _, first, second = demo
    assert second["changes"]["previous_run"] is not None
    assert second["summary"]["from_cache"] > 0
    assert second["summary"]["requests"] < first["summary"]["requests"]
    still = {item["url"] for item in second["changes"]["still_broken"]}
    assert any(url.endswith("/articles/gone") for url in still)
