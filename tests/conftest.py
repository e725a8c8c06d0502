"""Shared fixtures.

Tests that need the real raw data take the ``raw_dir`` fixture: it reads the directory named by
``ENFORCEMAP_RAW_DIR`` and fails (never skips) when it is not there, so a run without the data
cannot pass by counting skipped tests. ``pytest -m "not raw"`` runs only the self-contained tests.
"""

import os
from pathlib import Path

import pytest

from geo.sources.counties import read_counties


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the real raw data, so it can be selected with ``-m raw``."""
    for item in items:
        if "raw_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.raw)


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """The raw public data folder (``../shared/data`` in CI)."""
    value = os.environ.get("ENFORCEMAP_RAW_DIR")
    if not value:
        pytest.fail("ENFORCEMAP_RAW_DIR is not set; it must name the raw data folder")
    path = Path(value)
    if not (path / "287g").is_dir():
        pytest.fail(f"ENFORCEMAP_RAW_DIR={value} has no 287g/ folder")
    return path


@pytest.fixture(scope="session")
def counties(raw_dir: Path):
    """The served county layer, read once per session."""
    return read_counties(raw_dir)
