"""Sanctuary policies: the policy table from the real files, county status on a date, errors."""

import csv
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo.resolve import AgencyReference, load_reference
from geo.sources import SourceError
from geo.sources.policies import (
    DETAINER_LIST_FILE,
    DOJ_LIST_FILE,
    LEVELS,
    POLICY_COLUMNS,
    SOURCE_FILES,
    STATE_LAWS_FILE,
    STATUS_COLUMNS,
    STATUSES,
    county_policy_status,
    read_policies,
)

ON = date(2018, 6, 1)


@pytest.fixture(scope="module")
def reference(raw_dir: Path, counties: gpd.GeoDataFrame) -> AgencyReference:
    """The resolver's lookup tables, loaded once for the module."""
    return load_reference(raw_dir, counties)


@pytest.fixture(scope="module")
def policies(raw_dir: Path, counties: gpd.GeoDataFrame, reference: AgencyReference) -> pd.DataFrame:
    return read_policies(raw_dir, counties, reference)


@pytest.fixture(scope="module")
def laws(raw_dir: Path) -> pd.DataFrame:
    """The raw state-law rows, to take expected values from."""
    return pd.read_csv(raw_dir / STATE_LAWS_FILE, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def status_2018(policies: pd.DataFrame, counties: gpd.GeoDataFrame) -> pd.DataFrame:
    return county_policy_status(policies, counties, ON).set_index("county_fips")


def _law(laws: pd.DataFrame, state: str, number_starts: str) -> pd.Series:
    row = laws[laws["state_abbr"].eq(state) & laws["law_number"].str.startswith(number_starts)]
    assert len(row) == 1
    return row.iloc[0]


def _policy_of(policies: pd.DataFrame, law: pd.Series) -> pd.Series:
    row = policies[
        policies["source"].eq("state_laws")
        & policies["state_abbr"].eq(law["state_abbr"])
        & policies["citation"].str.endswith(law["law_number"])
    ]
    assert len(row) == 1
    return row.iloc[0]


def _in_state(status: pd.DataFrame, counties: gpd.GeoDataFrame, state: str) -> pd.DataFrame:
    return status.loc[counties.loc[counties["state_abbr"].eq(state), "county_fips"]]


# --- the policy table -----------------------------------------------------------------------------


def test_every_distinct_source_row_is_one_policy(policies, raw_dir):
    rows = [
        pd.read_csv(raw_dir / path, dtype=str, keep_default_na=False).drop_duplicates()
        for path in SOURCE_FILES
    ]
    assert len(policies) == sum(len(frame) for frame in rows)
    assert len(policies) >= 200
    assert policies.columns.tolist() == POLICY_COLUMNS
    assert policies["policy_id"].is_unique


def test_policy_ids_are_content_derived_and_stable(policies, raw_dir, counties, reference):
    again = read_policies(raw_dir, counties, reference)
    assert again["policy_id"].tolist() == policies["policy_id"].tolist()
    assert policies["policy_id"].str.fullmatch(r"pol-[0-9a-f]{12}").all()


def test_levels_and_fips_are_consistent(policies, counties):
    assert set(policies["level"]) == set(LEVELS)
    states = policies[policies["level"].eq("state")]
    assert states["county_fips_list"].map(len).eq(0).all()
    assert states["match_type"].eq("statewide").all()
    state_of = dict(zip(counties["county_fips"], counties["state_fips"], strict=True))
    local = (
        policies[policies["level"].ne("state")]
        .explode("county_fips_list")
        .dropna(subset="county_fips_list")
    )
    assert local["county_fips_list"].map(state_of).eq(local["state_fips"]).all()


def test_unresolved_names_none_in_the_real_files_and_reasons_worded(policies):
    assert policies["match_type"].ne("unresolved").all()
    assert policies["county_fips_list"].map(len).gt(0).sum() == policies["level"].ne("state").sum()


def test_doj_cities_resolve_to_the_counties_the_list_gives(policies, raw_dir):
    doj = pd.read_csv(raw_dir / DOJ_LIST_FILE, dtype=str, keep_default_na=False)
    cities = doj[doj["list_section"].eq("CITIES")].set_index("name_as_listed")
    ours = policies[policies["source"].eq("doj_designation") & policies["level"].eq("city")]
    ours = ours.set_index("jurisdiction")
    assert ours["county_fips_list"].map(";".join).to_dict() == cities["county_fips_all"].to_dict()
    assert ours["place_geoid"].to_dict() == cities["place_geoid"].to_dict()
    assert ours.loc["New York City, NY", "county_fips_list"] == sorted(
        cities.loc["New York City, NY", "county_fips_all"].split(";")
    )


def test_doj_rows_say_they_are_designations(policies):
    doj = policies[policies["source"].eq("doj_designation")]
    assert len(doj) == 35
    assert doj["direction"].eq("limits_cooperation").all()
    assert doj["adopted"].eq(date(2025, 8, 5)).all()
    disputed = doj[doj["confidence"].eq("low")]
    assert disputed["jurisdiction"].tolist() == ["Baltimore County, MD"]
    assert "disputes its listing" in disputed["review_reason"].iloc[0]


def test_state_law_dates_and_elements_are_read(policies, laws):
    sb54 = _policy_of(policies, _law(laws, "CA", "SB 54"))
    assert sb54["adopted"] == date(2017, 10, 5)
    assert sb54["effective"] == date(2018, 1, 1)
    assert sb54["in_force_from"] == date(2018, 1, 1)
    assert sb54["elements"] == _law(laws, "CA", "SB 54")["policy_elements"].split(";")
    nj = _policy_of(policies, _law(laws, "NJ", "(AG directive, September 2019"))
    assert (nj["adopted"], nj["adopted_precision"]) == (date(2019, 9, 1), "month")
    assert nj["in_force_from"] == date(2019, 9, 30)


def test_undated_policy_is_kept_with_a_reason_and_never_in_force(policies, laws, counties):
    blank = laws[laws["date_enacted"].eq("") & laws["date_effective"].eq("")]
    assert len(blank) > 0
    undated = policies[policies["in_force_from"].isna()]
    assert len(undated) == len(blank)
    assert undated["review_reason"].str.contains("never counted in force").all()
    status = county_policy_status(policies, counties, date(2026, 5, 18))
    in_force = set(status["policy_ids"].explode().dropna())
    assert not in_force & set(undated["policy_id"])


def test_detainer_list_typos_are_read_with_reasons(policies):
    by_place = policies.set_index("jurisdiction")
    cass = by_place.loc["Cass County, lowa"]
    assert (cass["state_abbr"], cass["county_fips"]) == ("IA", "19029")
    assert "'lowa' read as IA" in cass["review_reason"]
    berkley = by_place.loc["Berkley, California"]
    assert berkley["place_geoid"] == by_place.loc["Berkeley, CA", "place_geoid"]
    assert "'Berkley' read as 'Berkeley'" in berkley["review_reason"]
    boston = by_place.loc["Boston, Massachusetts"]
    assert (boston["adopted"], boston["adopted_precision"]) == (date(2014, 8, 1), "month")
    assert "'2015-08-14'" in boston["review_reason"]
    haven = by_place.loc["East Haven. Connecticut"]
    assert (haven["state_abbr"], haven["county_fips_list"]) == ("CT", ["09009"])
    assert by_place.loc["Franklin County, Washington 99301", "county_fips"] == "53021"


def test_identical_rows_become_one_policy_with_a_reason(policies):
    douglas = policies[policies["jurisdiction"].eq("Douglas County, Oregon")]
    assert len(douglas) == 1
    assert "listed 2 times" in douglas["review_reason"].iloc[0]


def test_city_row_whose_policy_is_the_county_jail_is_the_county(policies):
    taos = policies.set_index("jurisdiction").loc["Taos, New Mexico"]
    assert (taos["level"], taos["county_fips"]) == ("county", "35055")
    assert "Taos County" in taos["review_reason"]


def test_all_county_jails_row_covers_every_county_of_the_state(policies, counties):
    jails = policies.set_index("jurisdiction").loc["Colorado County Jails, Colorado"]
    colorado = sorted(counties.loc[counties["state_abbr"].eq("CO"), "county_fips"])
    assert jails["level"] == "county"
    assert jails["county_fips"] is None
    assert jails["county_fips_list"] == colorado


# --- county status on a date ----------------------------------------------------------------------


def test_status_has_one_row_per_county_from_the_vocabulary(status_2018, counties):
    assert status_2018.index.tolist() == sorted(counties["county_fips"])
    assert status_2018.reset_index().columns.tolist() == STATUS_COLUMNS
    assert set(status_2018["status"]) <= set(STATUSES)
    assert "none" not in set(status_2018["status"])


def test_california_counties_limit_by_state_law_on_2018_06_01(
    status_2018, counties, policies, laws
):
    california = _in_state(status_2018, counties, "CA")
    sb54 = _policy_of(policies, _law(laws, "CA", "SB 54"))
    assert california["status"].eq("limits_cooperation").all()
    assert california["status_level"].eq("state").all()
    assert california["policy_ids"].map(lambda ids: sb54["policy_id"] in ids).all()


def test_texas_counties_mandate_by_state_law_on_2018_06_01(status_2018, counties):
    texas = _in_state(status_2018, counties, "TX")
    assert texas["status"].eq("mandates_cooperation").all()
    assert texas["status_level"].eq("state").all()


def test_texas_law_does_not_count_before_its_effective_date(policies, counties, laws):
    sb4 = _law(laws, "TX", "SB 4,")
    effective = date.fromisoformat(sb4["date_effective"])
    sb4_id = _policy_of(policies, sb4)["policy_id"]
    before = _in_state(
        county_policy_status(policies, counties, effective - timedelta(days=1)).set_index(
            "county_fips"
        ),
        counties,
        "TX",
    )
    assert before["state_direction"].isna().all()
    assert not before["policy_ids"].map(lambda ids: sb4_id in ids).any()
    on_the_day = county_policy_status(policies, counties, effective).set_index("county_fips")
    assert _in_state(on_the_day, counties, "TX")["status"].eq("mandates_cooperation").all()


def test_year_only_date_counts_from_the_end_of_that_year(policies, laws, counties):
    ab4 = _law(laws, "CA", "AB 4")
    assert ab4["date_enacted_precision"] == "year"
    year_end = date(int(ab4["date_enacted"]), 12, 31)
    before = county_policy_status(policies, counties, year_end - timedelta(days=1))
    assert (
        _in_state(before.set_index("county_fips"), counties, "CA")["state_direction"].isna().all()
    )
    on_the_day = county_policy_status(policies, counties, year_end).set_index("county_fips")
    california = _in_state(on_the_day, counties, "CA")
    assert california["state_direction"].eq("limits_cooperation").all()
    assert california["status_level"].eq("state").all()


def test_county_without_documentation_is_undocumented(policies, status_2018, counties):
    documented = set(policies["state_abbr"])
    quiet = counties[~counties["state_abbr"].isin(documented)]
    assert len(quiet) > 0
    status = status_2018.loc[quiet["county_fips"]]
    assert status["status"].eq("undocumented").all()
    assert status["status_level"].isna().all()
    assert status["policy_ids"].map(len).eq(0).all()


def test_county_that_only_contains_a_listed_city_shows_the_city(status_2018, policies):
    boston = policies.set_index("jurisdiction").loc["Boston, Massachusetts"]
    (suffolk,) = boston["county_fips_list"]
    row = status_2018.loc[suffolk]
    assert row["status"] == "city_limits_cooperation"
    assert row["status_level"] == "city"
    assert row["county_direction"] is None
    assert row["city_direction"] == "limits_cooperation"
    assert boston["policy_id"] in row["policy_ids"]


def test_state_mandate_and_county_limit_are_both_visible(status_2018, policies):
    travis = policies.set_index("jurisdiction").loc["Travis County, Texas", "county_fips"]
    row = status_2018.loc[travis]
    assert row["status"] == "mandates_cooperation"
    assert row["state_direction"] == "mandates_cooperation"
    assert row["county_direction"] == "limits_cooperation"


def test_city_spanning_counties_marks_each_of_them(status_2018, policies):
    nyc = policies.set_index("jurisdiction").loc["New York City, New York"]
    assert len(nyc["county_fips_list"]) == 5
    rows = status_2018.loc[nyc["county_fips_list"]]
    assert rows["city_direction"].eq("limits_cooperation").all()


def test_both_directions_at_the_deciding_level_are_conflicting(counties):
    county = counties["county_fips"].iloc[0]
    both = pd.DataFrame(
        {
            "policy_id": ["pol-a", "pol-b"],
            "level": ["county", "county"],
            "state_fips": [county[:2]] * 2,
            "county_fips_list": [[county], [county]],
            "direction": ["limits_cooperation", "mandates_cooperation"],
            "in_force_from": [date(2020, 1, 1)] * 2,
            "ended": [None, None],
            "match_type": ["county_name"] * 2,
        }
    )
    row = county_policy_status(both, counties, date(2021, 1, 1)).set_index("county_fips")
    assert row.loc[county, "status"] == "conflicting"
    assert row.loc[county, "policy_ids"] == ["pol-a", "pol-b"]
    ended = both.assign(ended=[None, date(2020, 6, 1)])
    row = county_policy_status(ended, counties, date(2021, 1, 1)).set_index("county_fips")
    assert row.loc[county, "status"] == "limits_cooperation"


def test_status_rejects_a_non_date(policies, counties):
    with pytest.raises(TypeError, match="on must be a date, got str"):
        county_policy_status(policies, counties, "2018-06-01")


def test_status_rejects_policies_missing_a_column(policies, counties):
    with pytest.raises(ValueError, match=r"policies lacks columns \['in_force_from'\]"):
        county_policy_status(policies.drop(columns="in_force_from"), counties, ON)
    with pytest.raises(ValueError, match=r"counties lacks columns \['state_fips'\]"):
        county_policy_status(policies, counties.drop(columns="state_fips"), ON)


# --- error paths on small synthetic files ---------------------------------------------------------

# Synthetic rows in the real files' layouts; no value here describes a real policy.
_LAW = {
    "state": "Kansas",
    "state_abbr": "KS",
    "state_fips": "20",
    "law_name": "Synthetic Act",
    "law_number": "SB 0",
    "instrument_type": "statute",
    "direction": "limits_cooperation",
    "policy_elements": "detainer_limits",
    "date_enacted": "2020-01-02",
    "date_enacted_precision": "day",
    "date_effective": "",
    "date_effective_precision": "",
    "date_notes": "",
    "summary": "synthetic",
    "primary_source_url": "",
    "primary_source_read": "",
    "secondary_source_urls": "",
    "confidence": "high",
    "provenance": "test",
}
_DOJ = {
    "list_date": "2025-08-05",
    "list_section": "CITIES",
    "list_order": "1",
    "name_as_listed": "Nowhere Notaplace, KS",
    "jurisdiction_level": "city",
    "state_abbr": "KS",
    "state_fips": "20",
    "county_fips": "",
    "county_name_2020": "",
    "county_fips_all": "",
    "place_geoid": "",
    "notes": "",
    "publisher": "test",
    "source_url": "",
}
_DETAINER = {
    "Location": "Sedgwick County, Kansas",
    "Date Enacted": "Jul-14",
    "Policy": "Synthetic decision",
    "Criteria for Honoring Detainer": "synthetic",
    "Designation": "2",
}


def _write(path: Path, row: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)


def _synthetic_raw(tmp_path: Path, law=None, doj=None, detainer=None) -> Path:
    _write(tmp_path / STATE_LAWS_FILE, {**_LAW, **(law or {})})
    _write(tmp_path / DOJ_LIST_FILE, {**_DOJ, **(doj or {})})
    _write(tmp_path / DETAINER_LIST_FILE, {**_DETAINER, **(detainer or {})})
    return tmp_path


def test_synthetic_files_read_and_unresolved_city_kept_with_reason(tmp_path, counties, reference):
    policies = read_policies(_synthetic_raw(tmp_path), counties, reference)
    assert policies["level"].tolist() == ["state", "county", "city"]
    city = policies.iloc[2]
    assert city["match_type"] == "unresolved"
    assert city["county_fips_list"] == []
    assert "not found" in city["review_reason"]
    status = county_policy_status(policies, counties, date(2026, 1, 1)).set_index("county_fips")
    assert city["policy_id"] not in set(status["policy_ids"].explode().dropna())
    sedgwick = policies.iloc[1]["county_fips"]
    assert status.loc[sedgwick, "county_direction"] == "limits_cooperation"
    assert status.loc[sedgwick, "status_level"] == "state"


def test_missing_file_names_the_file(tmp_path, counties, reference):
    raw = _synthetic_raw(tmp_path)
    (raw / DOJ_LIST_FILE).unlink()
    with pytest.raises(SourceError, match=r"doj_sanctuary.*file not found"):
        read_policies(raw, counties, reference)


def test_missing_column_names_the_column(tmp_path, counties, reference):
    raw = _synthetic_raw(tmp_path)
    _write(raw / STATE_LAWS_FILE, {k: v for k, v in _LAW.items() if k != "direction"})
    with pytest.raises(SourceError, match=r"state_laws\.csv: missing columns \['direction'\]"):
        read_policies(raw, counties, reference)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"law": {"direction": "encourages"}}, r"state_laws\.csv: unknown direction 'encourages'"),
        ({"law": {"state_abbr": "XX"}}, r"state_laws\.csv: unknown state 'XX'"),
        ({"law": {"state_fips": "21"}}, r"state_fips '21' does not belong to KS \(20\)"),
        ({"law": {"policy_elements": "hugs"}}, r"unknown policy element 'hugs'"),
        (
            {"law": {"policy_elements": "287g_required"}},
            r"'287g_required' belongs to mandates_cooperation, not limits_cooperation",
        ),
        ({"law": {"date_enacted": "2020-01"}}, r"date_enacted '2020-01' does not have .* 'day'"),
        ({"law": {"date_enacted": "2020-02-30"}}, r"impossible date_enacted '2020-02-30'"),
        ({"law": {"confidence": "certain"}}, r"unknown confidence 'certain'"),
        ({"doj": {"state_abbr": "GU", "state_fips": "66"}}, r"doj_.*: unknown state 'GU'"),
        ({"doj": {"list_section": "COUNTIES"}}, r"in section COUNTIES but has jurisdiction_level"),
        (
            {"detainer": {"Location": "Sedgwick County, Kanzas"}},
            r"ice_cis_.*: unknown state 'Kanzas' in Location",
        ),
        ({"detainer": {"Designation": "4"}}, r"unknown Designation '4'"),
        ({"detainer": {"Date Enacted": "Summer-14"}}, r"unreadable Date Enacted 'Summer-14'"),
    ],
    ids=lambda value: str(value)[:40] if isinstance(value, dict) else None,
)
def test_bad_cell_raises_source_error_naming_file_and_problem(
    tmp_path, counties, reference, files, message
):
    raw = _synthetic_raw(tmp_path, **files)
    with pytest.raises(SourceError, match=message):
        read_policies(raw, counties, reference)
