"""Tests for geo.resolve: 287(g) agencies to county FIPS, against the real raw tables."""

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo.resolve import (
    MATCH_TYPES,
    REVIEW_REASONS,
    AgencyReference,
    load_reference,
    resolve_agencies,
)
from geo.sources import SourceError

NEWEST_SHEET = Path("287g/sheets/2026-05-18_participating.xlsx")


@pytest.fixture(scope="module")
def reference(raw_dir: Path, counties: gpd.GeoDataFrame) -> AgencyReference:
    """The lookup tables, loaded once for the module."""
    return load_reference(raw_dir, counties)


@pytest.fixture(scope="module")
def newest(raw_dir: Path, counties: gpd.GeoDataFrame, reference: AgencyReference) -> pd.DataFrame:
    """The newest ICE participating sheet with its resolution alongside."""
    agencies = _read_newest_sheet(raw_dir, counties)
    return agencies.join(resolve_agencies(agencies, reference))


def _resolve(reference: AgencyReference, *agencies: tuple) -> pd.DataFrame:
    """Resolve (state_abbr, agency, agency_type, county_as_printed) rows."""
    frame = pd.DataFrame(
        agencies, columns=["state_abbr", "agency", "agency_type", "county_as_printed"]
    )
    return resolve_agencies(frame, reference)


def _one(reference: AgencyReference, *agency: object) -> pd.Series:
    return _resolve(reference, tuple(agency)).iloc[0]


def _read_newest_sheet(raw_dir: Path, counties: gpd.GeoDataFrame) -> pd.DataFrame:
    """The newest ICE sheet as resolve_agencies takes it; the header row is found by its STATE cell."""
    raw = pd.read_excel(raw_dir / NEWEST_SHEET, header=None, dtype=object)
    header = raw.index[raw.iloc[:, 0].astype(str).str.strip().str.upper().eq("STATE")][0]
    sheet = raw.iloc[header + 1 :].set_axis(
        raw.iloc[header].astype(str).str.strip().str.upper(), axis=1
    )
    sheet = sheet[sheet["LAW ENFORCEMENT AGENCY"].notna()]
    state_abbr = dict(zip(counties["state_name"].str.upper(), counties["state_abbr"], strict=True))
    return pd.DataFrame(
        {
            "state_abbr": sheet["STATE"].astype(str).str.strip().str.upper().map(state_abbr),
            "agency": sheet["LAW ENFORCEMENT AGENCY"],
            "agency_type": sheet["TYPE"],
            "county_as_printed": sheet["COUNTY"],
        }
    ).astype(object)


def _reason_pattern(template: str) -> str:
    """A REVIEW_REASONS wording as a regex, its {fields} matching anything."""
    return re.sub(r"\\\{\w+(?:!r)?\\\}", ".+", re.escape(template))


# --- Virginia independent cities, Baltimore, St. Louis, DC, Carson City ---------------------------


def test_virginia_city_police_resolves_to_the_city_not_the_county(reference):
    city, county, city_of = _resolve(
        reference,
        ("VA", "Fairfax Police Department", "Municipality", None),
        ("VA", "Fairfax County Police Department", "County", None),
        ("VA", "City of Fairfax Police Department", "Municipality", None),
    )["county_fips"]
    assert (city, county, city_of) == ("51600", "51059", "51600")


def test_hopewell_police_resolves_to_hopewell_city_with_its_ori(reference):
    row = _one(reference, "VA", "Hopewell Police Department", "Municipality", None)
    assert (row.county_fips, row.match_type, row.ori) == ("51670", "agency_roster", "VA1130000")
    assert row.review_reason is None


def test_hopewell_county_is_read_as_hopewell_city_with_a_reason(reference):
    row = _one(reference, "VA", "Hopewell County Sheriff's Office", "County", "Hopewell County")
    assert row.county_fips == "51670"
    assert row.match_type == "county_name"
    assert "COUNTY cell 'Hopewell County' read as Hopewell city (51670)" in row.review_reason


def test_baltimore_city_and_baltimore_county_stay_apart(reference):
    resolved = _resolve(
        reference,
        ("MD", "Baltimore City Sheriff's Office", "County", None),
        ("MD", "Baltimore County Sheriff's Office", "County", "Baltimore County"),
        ("MD", "Baltimore Police Department", "Municipality", None),
    )
    assert resolved["county_fips"].tolist() == ["24510", "24005", "24510"]


def test_st_louis_city_and_st_louis_county_stay_apart(reference):
    resolved = _resolve(
        reference,
        ("MO", "City of St. Louis Sheriff's Office", "County", None),
        ("MO", "St. Louis County Police Department", "County", None),
        ("MO", "Saint Ann Police Department", "Municipality", "St. Louis County"),
    )
    assert resolved["county_fips"].tolist() == ["29510", "29189", "29189"]


def test_dc_and_carson_city_resolve_to_their_own_codes(reference):
    resolved = _resolve(
        reference,
        ("DC", "Metropolitan Police Department", "Municipality", None),
        ("NV", "Carson City Sheriff's Office", "County", None),
    )
    assert resolved["county_fips"].tolist() == ["11001", "32510"]


# --- parishes, boroughs, census areas, Saint / St. / Ste. ----------------------------------------


def test_parish_sheriff_with_county_cell_resolves_to_the_parish(reference):
    row = _one(reference, "LA", "Caldwell Parish Sheriff's Office", "County", "Caldwell County")
    assert (row.county_fips, row.match_type, row.ori) == ("22021", "county_name", "LA0110000")
    assert row.review_reason is None


def test_alaska_borough_census_area_and_city_and_borough(reference):
    resolved = _resolve(
        reference,
        ("AK", "Kodiak Police Department", "Municipality", None),
        ("AK", "Bethel Police Department", "Municipality", None),
        ("AK", "Juneau Police Department", "Municipality", None),
    )
    assert resolved["county_fips"].tolist() == ["02150", "02050", "02110"]
    assert resolved["ori"].tolist() == ["AK0010500", "AK0011300", "AK0010300"]


def test_saint_st_and_ste_spellings_meet(reference):
    resolved = _resolve(
        reference,
        ("MO", "Saint Francois County Sheriff's Office", "County", None),
        ("MO", "St. Francois County Sheriff's Office", "County", "Saint Francois County"),
        ("MO", "Ste. Genevieve Police Department", "Municipality", "Ste. Genevieve County"),
        ("MN", "Saint Louis County Sheriff's Office", "County", None),
    )
    assert resolved["county_fips"].tolist() == ["29187", "29187", "29186", "27137"]
    assert resolved["review_reason"].isna().all()


# --- municipal agencies: roster, place, multi-county places --------------------------------------


def test_municipal_agency_with_blank_county_found_in_roster_with_its_ori(reference):
    row = _one(reference, "FL", "Apopka Police Department", "Municipality", None)
    assert (row.county_fips, row.match_type, row.ori) == ("12095", "agency_roster", "FL0480100")
    assert row.county_fips_list == ["12095"]


def test_municipal_agency_absent_from_rosters_found_as_a_place(reference):
    row = _one(reference, "TX", "Kingsbury Police Department", "Municipality", None)
    assert (row.county_fips, row.match_type, row.ori) == ("48187", "place", None)


def test_city_spanning_counties_takes_the_county_the_cell_names(reference):
    named, blank = _resolve(
        reference,
        ("TX", "Houston Police Department", "Municipality", "Harris County"),
        ("TX", "Houston Police Department", "Municipality", None),
    ).itertuples()
    assert (named.county_fips, named.match_type, named.ori) == (
        "48201",
        "agency_roster",
        "TXHPD0000",
    )
    assert blank.county_fips is None
    assert blank.county_fips_list == ["48157", "48201", "48339"]
    assert blank.match_type == "multi_county"


def test_county_cell_disagreeing_with_the_roster_gets_a_reason(reference):
    row = _one(reference, "TX", "Tye Police Department", "Municipality", "Galveston County")
    assert row.county_fips == "48441"
    assert row.review_reason == (
        "COUNTY cell 'Galveston County' disagrees with the roster (Taylor County (48441))"
    )


def test_connecticut_resolves_to_legacy_counties(reference):
    row = _one(reference, "CT", "Danbury Police Department", "Municipality", None)
    assert row.county_fips == "09001"
    ct_places = reference.places[reference.places["state_abbr"].eq("CT")]
    codes = {code for counties in ct_places["county_fips_list"] for code in counties}
    assert codes <= {f"090{n:02d}" for n in range(1, 16, 2)}


# --- state agencies ------------------------------------------------------------------------------


def test_state_agency_is_statewide_with_an_empty_list(reference):
    resolved = _resolve(
        reference,
        ("FL", "Florida Department of Law Enforcement", "State Agency", None),
        ("ID", "Idaho State Police Department", "State Agency", "Jerome County"),
        ("AZ", "AZ Department of Public Safety", None, None),
        ("CO", "CO Dept. of Public Safety", None, None),
    )
    assert resolved["match_type"].tolist() == ["statewide"] * 4
    assert resolved["county_fips_list"].tolist() == [[]] * 4
    assert resolved["county_fips"].isna().all()
    assert resolved["review_reason"].isna().all()


def test_city_police_typed_state_stays_local_with_a_reason(reference):
    row = _one(reference, "FL", "City of Miami Police Department", "State", None)
    assert (row.county_fips, row.match_type) == ("12086", "agency_roster")
    assert row.review_reason == "TYPE says State Agency but the name is a local agency's"


def test_city_named_like_its_state_is_not_a_state_agency(reference):
    row = _one(reference, "OK", "Oklahoma City Police Department", None, None)
    assert row.match_type != "statewide"


# --- COUNTY cell typos and aliases ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "agency", "printed", "fips", "county"),
    [
        ("AL", "Franklin County Sheriff's Office", "Frankin County", "01059", "Franklin County"),
        (
            "AR",
            "Lafayette County Sheriff's Office",
            "Layafette County",
            "05073",
            "Lafayette County",
        ),
        ("FL", "Bunnell Police Department", "Flagere County", "12035", "Flagler County"),
        ("MI", "Berrien County Sheriff's Office", "Berrian County", "26021", "Berrien County"),
        (
            "SC",
            "McCormick County Sheriff's Office",
            "McCorkmick County",
            "45065",
            "McCormick County",
        ),
        ("TX", "Lampasas County Sheriff's Office", "Lampass County", "48281", "Lampasas County"),
        (
            "PA",
            "Robinson Township Police Department",
            "Alleghany County",
            "42003",
            "Allegheny County",
        ),
        ("TX", "New Berlin Marshal's Office", "Guadalupe Conty", "48187", "Guadalupe County"),
    ],
    ids=[
        "Frankin",
        "Layafette",
        "Flagere",
        "Berrian",
        "McCorkmick",
        "Lampass",
        "Alleghany-PA",
        "Conty",
    ],
)
def test_county_cell_typo_is_corrected_with_a_reason(
    reference, state, agency, printed, fips, county
):
    row = _one(reference, state, agency, "County", printed)
    assert row.county_fips == fips
    assert f"COUNTY cell '{printed}' read as {county} ({fips}) by spelling" in row.review_reason


def test_alleghany_is_a_real_county_in_virginia(reference):
    row = _one(reference, "VA", "Alleghany County Sheriff's Office", "County", "Alleghany County")
    assert (row.county_fips, row.review_reason) == ("51005", None)


def test_north_county_is_not_corrected_to_worth_county(reference):
    row = _one(reference, "MO", "North County Police Cooperative", "Municipality", "North County")
    assert row.match_type == "unresolved"
    assert "COUNTY cell 'North County' names no county of MO" in row.review_reason


def test_german_coast_is_read_as_st_charles_parish_by_the_alias_table(reference):
    row = _one(
        reference, "LA", "St. Charles Parish Sheriff's Office", "County", "German Coast County"
    )
    assert row.county_fips == "22089"
    assert row.review_reason == (
        "COUNTY cell 'German Coast County' read as St. Charles Parish (22089) by the alias table"
    )


def test_county_cell_disagreeing_with_the_agency_name_gets_a_reason(reference):
    row = _one(reference, "TN", "Madison County Sheriff's Office", "County", "Macon County")
    assert row.county_fips == "47113"
    assert row.review_reason == (
        "COUNTY cell 'Macon County' disagrees with the agency name (Madison County (47113))"
    )


def test_misspelt_county_in_the_agency_name_is_corrected_with_a_reason(reference):
    row = _one(reference, "MD", "Hartford County Sheriff's Office", None, None)
    assert row.county_fips == "24025"
    assert "'hartford county' read as Harford County (24025) by spelling" in row.review_reason


# --- ambiguity and not found ---------------------------------------------------------------------


def test_ambiguous_name_stays_unresolved_with_both_candidates_named(reference):
    row = _one(reference, "NJ", "Monroe Township Police Department", "Municipality", None)
    assert row.match_type == "unresolved"
    assert row.county_fips_list == []
    assert row.ori is None
    assert row.review_reason == (
        "2 roster agencies fit the name: Monroe Township (NJ0081100: 34015), "
        "Monroe Township (NJ0121300: 34023)"
    )


def test_county_cell_settles_an_ambiguous_name(reference):
    row = _one(
        reference, "NJ", "Monroe Township Police Department", "Municipality", "Middlesex County"
    )
    assert (row.county_fips, row.ori, row.review_reason) == ("34023", "NJ0121300", None)


def test_unserved_state_is_unresolved_with_a_reason(reference):
    row = _one(reference, None, "CNMI Department of Corrections", "State Agency", None)
    assert row.match_type == "unresolved"
    assert row.review_reason == "state_abbr None is not a served state (50 states, DC, PR)"


# --- multi-county bodies and retired codes -------------------------------------------------------


def test_regional_jail_is_multi_county_listing_every_member(reference):
    resolved = _resolve(
        reference,
        ("VA", "Prince William-Manassas Regional Jail", None, None),
        ("VA", "Rappahannock, Shenandoah, Warren Regional Jail Authority", "County", None),
    )
    assert resolved["match_type"].tolist() == ["multi_county", "multi_county"]
    assert resolved["county_fips"].isna().all()
    assert resolved["county_fips_list"].tolist() == [
        ["51153", "51683"],
        ["51157", "51171", "51187"],
    ]


def test_misspelt_member_of_a_regional_jail_is_kept_with_a_reason(reference):
    row = _one(
        reference,
        "VA",
        "Rappahannok,Shenandoah, Warren Regional Jail Authority",
        "Municipality",
        None,
    )
    assert row.county_fips_list == ["51157", "51171", "51187"]
    assert "'Rappahannok' read as Rappahannock County (51157) by spelling" in row.review_reason


def test_judicial_circuit_typed_state_is_unresolved_not_statewide(reference):
    row = _one(
        reference,
        "FL",
        "Office of the State Attorney, 20th Judicial Circuit",
        "State Agency",
        "Lee County",
    )
    assert row.match_type == "unresolved"
    assert row.review_reason == (
        "multi-county body whose member counties cannot be read from its name; "
        "the COUNTY cell 'Lee County' names one member county only"
    )


def test_split_valdez_cordova_code_is_settled_by_the_leaic_zip(reference):
    row = _one(reference, "AK", "Valdez Police Department", "Municipality", None)
    assert (row.county_fips, row.match_type, row.ori) == ("02063", "zip", "AK0011200")


def test_renamed_county_maps_to_its_successor(reference):
    row = _one(reference, "SD", "Shannon County Sheriff's Office", None, None)
    assert row.county_fips == "46102"


# --- the contract --------------------------------------------------------------------------------


def test_result_keeps_the_input_index(reference):
    agencies = pd.DataFrame(
        {
            "state_abbr": ["TX", "TX"],
            "agency": ["Keller Police Department", "Keller Police Department "],
            "agency_type": ["Municipality", "Municipality "],
            "county_as_printed": ["Tarrant County", "Tarrant County "],
        },
        index=["first", "second"],
    )
    resolved = resolve_agencies(agencies, reference)
    assert resolved.index.tolist() == ["first", "second"]
    assert resolved["county_fips"].tolist() == ["48439", "48439"]


def test_missing_raw_file_raises_source_error_naming_it(tmp_path, counties):
    with pytest.raises(SourceError, match=r"fbi_lee_latest_agency_roster\.csv: file not found"):
        load_reference(tmp_path, counties)


def test_counties_in_another_crs_are_rejected(raw_dir, counties):
    with pytest.raises(ValueError, match="counties must be in EPSG:4326"):
        load_reference(raw_dir, counties.to_crs(5070))


def test_missing_column_is_named(reference):
    with pytest.raises(ValueError, match=r"agencies lacks columns \['county_as_printed'\]"):
        resolve_agencies(pd.DataFrame(columns=["state_abbr", "agency", "agency_type"]), reference)


def test_unknown_agency_type_is_named(reference):
    agencies = pd.DataFrame(
        {
            "state_abbr": ["TX"],
            "agency": ["X"],
            "agency_type": ["Tribal"],
            "county_as_printed": [None],
        }
    )
    with pytest.raises(ValueError, match=r"agency_type has unknown values \['tribal'\]"):
        resolve_agencies(agencies, reference)


def test_newest_sheet_resolves_at_least_99_percent_and_every_unresolved_row_has_a_reason(newest):
    assert len(newest) == 1843
    assert set(newest["match_type"]) <= set(MATCH_TYPES)
    assert newest["match_type"].ne("unresolved").mean() >= 0.99
    unresolved = newest[newest["match_type"].eq("unresolved")]
    assert unresolved["review_reason"].notna().all()
    assert (unresolved["county_fips_list"].map(len) == 0).all()


def test_newest_sheet_counties_are_served_and_inside_the_agency_state(newest, counties):
    state_of = dict(zip(counties["county_fips"], counties["state_abbr"], strict=True))
    listed = newest.explode("county_fips_list").dropna(subset="county_fips_list")
    assert listed["county_fips_list"].map(state_of).eq(listed["state_abbr"]).all()
    single = newest["county_fips_list"].map(len).eq(1)
    assert newest.loc[single, "county_fips"].eq(newest.loc[single, "county_fips_list"].str[0]).all()
    assert newest.loc[~single, "county_fips"].isna().all()
    assert newest["ori"].dropna().str.fullmatch(r"[A-Z0-9]{9}").all()


def test_every_review_reason_is_composed_from_the_vocabulary(newest):
    wording = re.compile("|".join(f"(?:{_reason_pattern(t)})" for t in REVIEW_REASONS.values()))
    sentences = newest["review_reason"].dropna().str.split("; ").explode()
    assert sentences.map(lambda sentence: bool(wording.fullmatch(sentence))).all()
