"""Shared fixtures: the real corpus (read-only) and a report-schema validator."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real corpus; the tests that need it skip only when the folder is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"the real corpus is not beside this clone ({CORPUS} is absent)")
    return CORPUS
