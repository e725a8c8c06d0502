"""Frames: one date of a map, in the geometry's county order, nulls kept with their reasons."""

from datetime import date

import pytest

from geo.atlas import NO_LIST_NOTE
from geo.layers import counties_layer
from geo.sources.policies import STATUSES
from maps.indicators import MAP_INDICATORS
from maps.projection import Scope


def _field(frame: dict, column: str) -> dict:
    return next(field for field in frame["fields"] if field["column"] == column)


def test_values_are_the_atlas_values_in_geometry_order(maps, snapshot):
    on = date(2021, 6, 30)
    frame = maps.frame(MAP_INDICATORS["agreements"], "TX", on)
    atlas = counties_layer(snapshot, on).set_index("county_fips")
    fips = maps.geometry.get(Scope("TX")).fips
    mapped = frame["fields"][0]
    assert mapped["column"] == "agreements_active"
    assert mapped["values"] == atlas.loc[list(fips), "agreements_active"].tolist()
    assert mapped["periodKind"] == "list"
    assert mapped["period"] == max(d for d in maps.dates if d <= "2021-06-30")
    assert frame["date"] == "2021-06-30"


def test_missing_value_is_null_with_its_reason(maps):
    frame = maps.frame(MAP_INDICATORS["agreements"], "PR", None)
    population = _field(frame, "population")
    assert set(population["values"]) == {None}
    assert {frame["notes"][code] for code in population["notes"]} == {
        "PEP county estimates exclude Puerto Rico"
    }


def test_before_the_first_list_agreements_are_unknown_not_zero(maps):
    frame = maps.frame(MAP_INDICATORS["agreements"], "DE", date(2005, 1, 1))
    mapped = frame["fields"][0]
    assert mapped["values"] == [None, None, None]
    assert {frame["notes"][code] for code in mapped["notes"]} == {NO_LIST_NOTE}


def test_policy_codes_are_positions_in_the_statuses(maps, snapshot):
    frame = maps.frame(MAP_INDICATORS["policy"], "CA", None)
    codes = set(frame["fields"][0]["values"])
    assert codes <= set(range(len(STATUSES)))
    assert STATUSES.index("limits_cooperation") in codes
    assert MAP_INDICATORS["policy"].categories == STATUSES[: len(MAP_INDICATORS["policy"].colours)]


def test_agencies_of_a_state_map_are_that_states_placed_agreements(maps):
    agencies = maps.frame(MAP_INDICATORS["agreements"], "NH", None)["agencies"]
    active = maps.layer("agencies", maps.newest)
    placed = active[(active["state_abbr"] == "NH") & active.geometry.notna()]
    assert len(agencies["x"]) == len(placed)
    assert {agencies["names"][code] for code in agencies["name"]} == set(placed["agency"])


@pytest.mark.parametrize(
    ("on", "fiscal_year"), [(date(2020, 6, 1), 2020), (date(2020, 10, 1), 2021), (None, 2026)]
)
def test_facilities_are_those_of_the_fiscal_year(maps, on, fiscal_year):
    facilities = maps.frame(MAP_INDICATORS["detention"], None, on)["facilities"]
    assert facilities["fiscalYear"] == fiscal_year
    assert len(facilities["name"]) == len(facilities["x"]) == len(facilities["adp"]) > 50


def test_no_facility_before_the_detention_statistics(maps):
    facilities = maps.frame(MAP_INDICATORS["detention"], None, date(2012, 1, 1))["facilities"]
    assert facilities["fiscalYear"] is None and facilities["x"] == []
