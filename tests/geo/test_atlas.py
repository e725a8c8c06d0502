"""The atlas on the committed snapshot: one row per county, each value with its as-of."""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from geo.atlas import INDICATORS, county_atlas, fiscal_year
from geo.store import load_snapshot

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def snapshot():
    return load_snapshot(DATA)


@pytest.fixture(scope="module")
def newest(snapshot) -> pd.DataFrame:
    return county_atlas(snapshot, date(2026, 5, 18)).set_index("county_fips")


def test_one_row_per_served_county(snapshot, newest):
    assert newest.index.tolist() == snapshot.counties["county_fips"].tolist()


def test_every_indicator_has_its_as_of_column(newest):
    for name, (_, as_of) in INDICATORS.items():
        assert name in newest.columns
        assert as_of in newest.columns


def test_harris_county_carries_every_layer(newest):
    harris = newest.loc["48201"]
    assert harris["population_year"] == 2024
    assert harris["policy_status"] == "mandates_cooperation"
    assert harris["policy_level"] == "state"
    assert harris["detention_fiscal_year"] == 2026 and harris["detention_adp"] > 0
    assert harris["ucr_year"] == 2017 and harris["nibrs_year"] == 2023


def test_ucr_and_nibrs_stay_in_separate_columns(newest):
    assert not any(c.startswith("violent") or c == "crime_rate" for c in newest.columns)
    assert {"ucr_violent_rate", "nibrs_violent_rate"} <= set(newest.columns)
    assert INDICATORS["nibrs_violent_rate"][1] == "nibrs_year"
    assert INDICATORS["ucr_violent_rate"][1] == "ucr_year"


def test_values_before_a_series_starts_are_null_with_a_reason(snapshot):
    old = county_atlas(snapshot, date(2016, 6, 1)).set_index("county_fips")
    assert old["detention_adp"].isna().all()
    assert (old["detention_note"] == "ICE detention statistics start in FY2019").all()
    assert old["nibrs_violent_rate"].isna().all()
    assert old["nibrs_note"].eq("the NIBRS series starts in 2021").all()
    assert old["ucr_year"].eq(2015).all()


def test_before_the_first_287g_list_agreements_are_unknown_not_zero(snapshot):
    early = county_atlas(snapshot, date(2006, 1, 1))
    assert early["agreements_active"].isna().all()
    assert early["agreements_note"].str.contains("no ICE 287").all()


def test_undocumented_is_never_none(snapshot, newest):
    assert "none" not in set(newest["policy_status"])
    assert (newest["policy_status"] == "undocumented").sum() > 0
    assert newest.loc[newest["policy_status"] == "undocumented", "policy_level"].isna().all()


def test_detention_zero_only_where_no_facility_is_placed(newest):
    zero = newest["detention_adp"] == 0
    assert (newest.loc[zero, "detention_facilities"] == 0).all()
    assert (newest.loc[newest["detention_facilities"] > 0, "detention_adp"] > 0).all()


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2025, 9, 30), 2025), (date(2025, 10, 1), 2026), (date(2026, 5, 18), 2026)],
)
def test_fiscal_year_starts_in_october(day, expected):
    assert fiscal_year(day) == expected
