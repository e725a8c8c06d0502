"""The committed snapshot and its map views, shared by the map tests (geometry built once)."""

import dataclasses
from pathlib import Path

import pytest

from geo.store import Snapshot, load_snapshot
from maps.views import SnapshotMaps

DATA = Path(__file__).resolve().parents[2] / "data"
INJECTED = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">{{ 7 * 7 }}'
"""A name that would run code if a page wrote it as HTML, or be evaluated if it went through a
Jinja template (as folium macros do)."""
POISONED_COUNTY = "33015"


@pytest.fixture(scope="session")
def snapshot() -> Snapshot:
    """The committed snapshot."""
    return load_snapshot(DATA)


@pytest.fixture(scope="session")
def maps(snapshot: Snapshot) -> SnapshotMaps:
    """Map views of the committed snapshot."""
    return SnapshotMaps.uncached(snapshot)


@pytest.fixture(scope="session")
def poisoned_maps(snapshot: Snapshot) -> SnapshotMaps:
    """The snapshot with markup in a New Hampshire county's name, in every NH agency's name and
    in every NH facility's name: the strings that reach popups, tooltips and the search list."""
    counties = snapshot.counties.copy()
    counties.loc[counties["county_fips"] == POISONED_COUNTY, "name_lsad"] = INJECTED
    agreements = snapshot.agreements.copy()
    agreements.loc[agreements["state_abbr"] == "NH", "agency"] = INJECTED
    facilities = snapshot.facilities.copy()
    facilities.loc[facilities["county_fips"].str.startswith("33", na=False), "name"] = INJECTED
    return SnapshotMaps.uncached(
        dataclasses.replace(
            snapshot, counties=counties, agreements=agreements, facilities=facilities
        )
    )
