"""County profiles on the committed snapshot, checked against plain row-by-row computations.

The counties are chosen for how agreements reach them: Maricopa (its own agreements and
Arizona's statewide ones), Johnson County KS (statewide only), Warren County VA (a regional jail
authority covering three counties) and Adjuntas PR (no agreement, no population estimates).
"""

from pathlib import Path

import pandas as pd
import pytest

from geo.profile import APPLIES_THROUGH, CountyProfiles
from geo.sources.agreements import participating_dates
from geo.store import load_snapshot

DATA = Path(__file__).resolve().parents[2] / "data"
CHOSEN = {"04013": "county", "20091": "state", "51187": "multi_county", "72001": None}


@pytest.fixture(scope="module")
def snapshot():
    return load_snapshot(DATA)


@pytest.fixture(scope="module")
def profiles(snapshot) -> CountyProfiles:
    return CountyProfiles(snapshot)


def _county(snapshot, county_fips: str) -> pd.Series:
    counties = snapshot.counties
    return counties[counties["county_fips"] == county_fips].iloc[0]


def _levels(snapshot, county_fips: str) -> dict[str, str]:
    """agreement_id -> the level it applies through, deciding row by row."""
    state = _county(snapshot, county_fips)["state_abbr"]
    levels = {}
    for row in snapshot.agreements.itertuples():
        if row.match_type == "statewide" and row.state_abbr == state:
            levels[row.agreement_id] = "state"
        elif county_fips in list(row.county_fips_list):
            multi = row.match_type == "multi_county"
            levels[row.agreement_id] = "multi_county" if multi else "county"
    return levels


@pytest.mark.parametrize("county_fips", CHOSEN)
def test_agreements_apply_through_their_level(snapshot, profiles, county_fips):
    expected = _levels(snapshot, county_fips)
    level = CHOSEN[county_fips]
    assert (level in expected.values()) if level else not expected  # the county still fits
    applies = profiles.of(county_fips)["agreements"]["applies"]
    assert len(applies) == len(expected)
    assert {a["agreement_id"]: a["applies_through"] for a in applies} == expected


@pytest.mark.parametrize("county_fips", CHOSEN)
def test_agreements_are_listed_by_level_status_agency_model(profiles, county_fips):
    applies = profiles.of(county_fips)["agreements"]["applies"]

    def key(a: dict) -> tuple:
        return a["applies_through"], a["status"], a["agency"], a["model"] is None, a["model"] or ""

    assert applies == sorted(applies, key=key)


@pytest.mark.parametrize("county_fips", CHOSEN)
def test_active_counts_cover_every_list_and_count_its_rows(snapshot, profiles, county_fips):
    levels = _levels(snapshot, county_fips)
    sightings = snapshot.sightings
    listed = sightings[
        (sightings["list"] == "participating") & sightings["agreement_id"].isin(levels)
    ]
    expected = listed.groupby([listed["snapshot_date"], listed["agreement_id"].map(levels)]).size()
    rows = profiles.of(county_fips)["agreements"]["active_over_time"]
    dates = participating_dates(sightings)
    assert [row["list_date"] for row in rows] == [day.isoformat() for day in dates]
    for day, row in zip(dates, rows, strict=True):
        for level in APPLIES_THROUGH:
            assert row[level] == expected.get((day, level), 0), (day, level)
    assert sum(row[level] for row in rows for level in APPLIES_THROUGH) == len(listed)


@pytest.mark.parametrize("county_fips", CHOSEN)
def test_county_fields_and_population_rows(snapshot, profiles, county_fips):
    county = _county(snapshot, county_fips)
    population = snapshot.population
    mine = population[population["county_fips"] == county_fips]
    profile = profiles.of(county_fips)
    assert (profile["name"], profile["state_abbr"], profile["state_name"]) == (
        county["name_lsad"],
        county["state_abbr"],
        county["state_name"],
    )
    values = profile["population"]["values"]
    assert [v["year"] for v in values] == mine["year"].tolist()
    assert [v["population"] for v in values] == [
        None if pd.isna(p) else int(p) for p in mine["population"]
    ]


def test_puerto_rico_has_years_without_population(snapshot, profiles):
    population = snapshot.population
    mine = population[population["county_fips"] == "72001"]
    assert len(mine) and mine["population"].isna().all()
    values = profiles.of("72001")["population"]["values"]
    assert len(values) == len(mine)
    assert all(v["population"] is None for v in values)


def test_unknown_county_is_a_key_error(profiles):
    with pytest.raises(KeyError):
        profiles.of("99999")
