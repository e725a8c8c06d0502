"""Tests for geo.sources.crime: county crime rates, reporting coverage and NCVS context.

Tests taking ``raw_dir`` or ``counties`` read the real raw data and compare against values read
straight from the raw files here, independently of the module. The others write tiny files in
``tmp_path`` so each rule (a retired code, a split code, Connecticut's planning regions, the
coverage weights) and each error path is checked on numbers small enough to work out by hand.
"""

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.resolve import AgencyReference, load_reference
from geo.sources import SourceError
from geo.sources.counties import read_population
from geo.sources.crime import (
    COVERAGE_COLUMNS,
    LEE_FILE,
    NCVS_NATIONAL_FILE,
    NCVS_NATIONAL_RAW,
    NCVS_STATE_RAW,
    NIBRS_FILE,
    PARTICIPATION_DATA_YEAR,
    PARTICIPATION_FILE,
    PARTICIPATION_NOTE,
    RATE_COLUMNS,
    SOURCE_FILES,
    UCR_COVERAGE_FILE,
    UCR_FILE,
    read_crime_rates,
    read_ncvs_context,
    read_reporting_coverage,
)

UCR_VALUES = ["ucr_violent_rate", "ucr_property_rate", "ucr_quality", "ucr_coverage"]
NIBRS_VALUES = ["nibrs_violent_rate", "nibrs_property_rate", "nibrs_quality"]
NYC = ["36005", "36047", "36061", "36081", "36085"]
CT_LEGACY = [f"090{code:02d}" for code in range(1, 16, 2)]
LEAIC_FILE = Path("crime/leaic_2012_ori_county_crosswalk.csv.gz")


def _raw(raw_dir: Path, file: Path) -> pd.DataFrame:
    """An Urban county file as strings with ``fips`` = state + county, read independently."""
    frame = pd.read_csv(raw_dir / file, dtype=str, keep_default_na=False)
    return frame.assign(fips=frame["state"] + frame["county"], year=frame["year"].astype(int))


def _number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.replace({"": None, "NA": None}))


@pytest.fixture(scope="module")
def rates(raw_dir: Path, counties: gpd.GeoDataFrame) -> pd.DataFrame:
    return read_crime_rates(raw_dir, counties)


@pytest.fixture(scope="module")
def coverage(raw_dir: Path, counties: gpd.GeoDataFrame) -> pd.DataFrame:
    population = read_population(raw_dir, counties)
    return read_reporting_coverage(raw_dir, counties, population, load_reference(raw_dir, counties))


@pytest.fixture(scope="module")
def ncvs(raw_dir: Path) -> dict[str, pd.DataFrame]:
    return read_ncvs_context(raw_dir)


# --- crime rates (real data) ---------------------------------------------------------------------


def test_source_files_exist(raw_dir: Path) -> None:
    assert all((raw_dir / file).is_file() for file in SOURCE_FILES)


def test_one_row_per_served_county_and_file_year(
    rates: pd.DataFrame, counties: gpd.GeoDataFrame, raw_dir: Path
) -> None:
    years = set(_raw(raw_dir, UCR_FILE)["year"]) | set(_raw(raw_dir, NIBRS_FILE)["year"])
    assert list(rates.columns) == RATE_COLUMNS
    assert len(rates) == len(counties) * len(years)
    assert not rates.duplicated(["county_fips", "year"]).any()
    assert set(rates["county_fips"]) == set(counties["county_fips"])


def test_more_than_9000_county_years_with_values(rates: pd.DataFrame) -> None:
    valued = rates[UCR_VALUES[:2] + NIBRS_VALUES[:2]].notna().any(axis=1)
    assert valued.sum() > 9000


def test_ucr_and_nibrs_never_share_a_row_or_a_year(rates: pd.DataFrame, raw_dir: Path) -> None:
    has_ucr = rates[UCR_VALUES].notna().any(axis=1)
    has_nibrs = rates[NIBRS_VALUES].notna().any(axis=1)
    assert not (has_ucr & has_nibrs).any()
    ucr_years, nibrs_years = set(rates.loc[has_ucr, "year"]), set(rates.loc[has_nibrs, "year"])
    assert ucr_years == set(_raw(raw_dir, UCR_FILE)["year"])
    assert nibrs_years == set(_raw(raw_dir, NIBRS_FILE)["year"])
    assert not ucr_years & nibrs_years
    by_year = rates.groupby("year")["source"].unique()
    assert all(len(sources) == 1 for sources in by_year)


def test_ucr_values_are_the_rates_file(rates: pd.DataFrame, raw_dir: Path) -> None:
    raw = _raw(raw_dir, UCR_FILE)
    joined = raw.merge(rates, left_on=["fips", "year"], right_on=["county_fips", "year"])
    assert len(joined) == len(raw) - raw["fips"].eq("02261").sum()
    np.testing.assert_allclose(joined["ucr_violent_rate"], _number(joined["violent_crime_rate"]))
    np.testing.assert_allclose(joined["ucr_property_rate"], _number(joined["property_crime_rate"]))
    assert (
        joined["ucr_quality"]
        .astype("Float64")
        .equals(_number(joined["crime_rate_quality"]).astype("Float64"))
    )


def test_nibrs_values_are_the_nibrs_file(rates: pd.DataFrame, raw_dir: Path) -> None:
    raw = _raw(raw_dir, NIBRS_FILE)
    joined = raw.merge(rates, left_on=["fips", "year"], right_on=["county_fips", "year"])
    np.testing.assert_allclose(joined["nibrs_violent_rate"], _number(joined["rate_crime_violent"]))
    np.testing.assert_allclose(
        joined["nibrs_property_rate"], _number(joined["rate_crime_property"])
    )
    assert (
        joined["nibrs_quality"]
        .astype("Float64")
        .equals(_number(joined["rate_crime_violent_quality"]).astype("Float64"))
    )


def test_nyc_counties_carry_the_dcjs_quality_flag(rates: pd.DataFrame, raw_dir: Path) -> None:
    raw = _raw(raw_dir, UCR_FILE)
    flagged = raw[raw["crime_rate_quality"] == "1"]
    assert set(flagged["fips"]) == set(NYC)
    ours = rates[rates["county_fips"].isin(NYC) & rates["year"].isin(raw["year"])]
    assert len(ours) == len(flagged)
    assert (ours["ucr_quality"] == 1).all()
    nyc_2017 = ours[ours["year"] == 2017]
    assert nyc_2017["ucr_coverage"].isna().all()
    assert nyc_2017["note"].str.contains(UCR_COVERAGE_FILE.name).all()


def test_new_york_county_nibrs_rate_is_kept_with_a_caution(
    rates: pd.DataFrame, raw_dir: Path
) -> None:
    raw = _raw(raw_dir, NIBRS_FILE)
    others = raw[raw["fips"].isin(NYC) & (raw["fips"] != "36061")]
    blank = others.groupby("year")["rate_crime_violent"].apply(lambda rate: (rate == "NA").all())
    manhattan = rates[(rates["county_fips"] == "36061") & rates["year"].isin(blank[blank].index)]
    assert len(manhattan) > 0
    assert manhattan["nibrs_violent_rate"].notna().all()
    assert manhattan["note"].str.contains("NYPD").all()
    assert not rates.loc[rates["county_fips"] != "36061", "note"].str.contains("NYPD").any()


def test_ucr_coverage_is_the_coverage_file_indicator(rates: pd.DataFrame, raw_dir: Path) -> None:
    raw = _raw(raw_dir, UCR_COVERAGE_FILE)
    joined = raw.merge(rates, left_on=["fips", "year"], right_on=["county_fips", "year"])
    indicator = _number(joined["coverage_indicator_crime"]) / 100
    np.testing.assert_allclose(joined["ucr_coverage"], indicator)
    assert rates["ucr_coverage"].dropna().between(0, 1).all()
    in_rates_file = _raw(raw_dir, UCR_FILE)
    no_indicator = rates.merge(
        in_rates_file[~in_rates_file["year"].isin(raw["year"])],
        left_on=["county_fips", "year"],
        right_on=["fips", "year"],
    )
    assert len(no_indicator) > 0
    assert no_indicator["ucr_coverage"].isna().all()
    assert no_indicator["note"].str.contains("no file gives a UCR coverage indicator").all()


def test_split_valdez_cordova_gives_neither_successor_a_rate(
    rates: pd.DataFrame, raw_dir: Path
) -> None:
    raw = _raw(raw_dir, UCR_FILE)
    valdez = raw[raw["fips"] == "02261"]
    assert _number(valdez["violent_crime_rate"]).notna().all()
    assert "02261" not in set(rates["county_fips"])
    successors = rates[
        rates["county_fips"].isin(["02063", "02066"]) & rates["year"].isin(raw["year"])
    ]
    assert len(successors) == 2 * len(valdez)
    assert successors[UCR_VALUES].isna().all().all()
    assert successors["note"].str.contains("retired code 02261").all()


def test_connecticut_legacy_counties_stay_as_is(rates: pd.DataFrame, raw_dir: Path) -> None:
    ct = rates[rates["county_fips"].isin(CT_LEGACY)]
    assert len(ct) == len(CT_LEGACY) * rates["year"].nunique()
    raw = _raw(raw_dir, NIBRS_FILE)
    region_years = set(raw.loc[raw["fips"].str.match(r"091[1-9]0"), "year"])
    legacy_years = set(raw.loc[raw["fips"].isin(CT_LEGACY), "year"])
    assert region_years and legacy_years and not region_years & legacy_years
    in_regions = ct[ct["year"].isin(region_years)]
    assert in_regions[NIBRS_VALUES].isna().all().all()
    assert in_regions["note"].str.contains("planning regions").all()
    legacy = raw[raw["fips"].isin(CT_LEGACY)].merge(
        ct, left_on=["fips", "year"], right_on=["county_fips", "year"]
    )
    np.testing.assert_allclose(legacy["nibrs_violent_rate"], _number(legacy["rate_crime_violent"]))
    assert (
        ct.loc[ct["year"].isin(_raw(raw_dir, UCR_FILE)["year"]), "ucr_violent_rate"].notna().all()
    )


def test_every_null_rate_has_a_note(rates: pd.DataFrame) -> None:
    ucr_year = rates["source"].str.startswith("urban_ucr")
    missing = (ucr_year & rates["ucr_violent_rate"].isna()) | (
        ~ucr_year & rates["nibrs_violent_rate"].isna()
    )
    assert missing.any()
    assert rates.loc[missing, "note"].notna().all()
    assert rates.loc[rates["county_fips"].str.startswith("72"), "note"].str.contains("no row").all()


# --- reporting coverage (real data) --------------------------------------------------------------


def test_coverage_one_row_per_county_in_range(
    coverage: pd.DataFrame, counties: gpd.GeoDataFrame
) -> None:
    assert list(coverage.columns) == COVERAGE_COLUMNS
    assert coverage["county_fips"].tolist() == sorted(counties["county_fips"])
    assert coverage["coverage"].dropna().between(0, 1).all()
    assert (coverage["data_year"] == PARTICIPATION_DATA_YEAR).all()
    assert coverage["note"].str.startswith(PARTICIPATION_NOTE).all()
    null = coverage["coverage"].isna()
    assert coverage.loc[null, "note"].str.len().gt(len(PARTICIPATION_NOTE)).all()
    assert (coverage["agencies_reporting"] <= coverage["agencies"]).all()
    assert coverage["coverage"].notna().sum() > 3000
    puerto_rico = coverage[coverage["county_fips"].str.startswith("72")]
    assert puerto_rico["coverage"].isna().all()


def test_coverage_of_autauga_from_the_raw_files(coverage: pd.DataFrame, raw_dir: Path) -> None:
    """Autauga AL: every agency with population has the same county in LEAIC and LEE."""
    leaic = pd.read_csv(raw_dir / LEAIC_FILE, dtype=str, keep_default_na=False)
    oris = leaic.loc[leaic["FIPS"] == "01001", "ORI9"]
    lee = pd.read_csv(raw_dir / LEE_FILE, dtype=str)
    months = pd.read_csv(raw_dir / PARTICIPATION_FILE, dtype=str)
    agencies = months[months["ori"].isin(oris)].merge(lee[["ori", "population"]], on="ori")
    population = agencies["population"].astype(float)
    agencies = agencies[population > 0]
    population = agencies["population"].astype(float)
    share = agencies["months_reported"].astype(float) / 12
    row = coverage.set_index("county_fips").loc["01001"]
    assert row["agencies"] == len(agencies)
    assert row["coverage"] == pytest.approx((population * share).sum() / population.sum())


def test_coverage_places_valdez_cordova_agencies_by_zip(
    coverage: pd.DataFrame, raw_dir: Path
) -> None:
    leaic = pd.read_csv(raw_dir / LEAIC_FILE, dtype=str, keep_default_na=False)
    assert (leaic["FIPS"] == "02261").any()
    chugach = coverage.set_index("county_fips").loc["02063"]
    assert chugach["agencies"] > 0
    assert not np.isnan(chugach["coverage"])


# --- NCVS context (real data) --------------------------------------------------------------------


def test_ncvs_tables_are_tidy_and_sourced(ncvs: dict[str, pd.DataFrame]) -> None:
    assert set(ncvs) == {
        "reported_by_crime_type",
        "reported_by_state",
        "violent_victimization_series",
    }
    for table in ncvs.values():
        assert len(table) > 0
        assert table["source"].notna().all()
    series = ncvs["violent_victimization_series"]
    assert series["year"].is_unique and series["year"].between(1993, 2017).all()


def test_ncvs_national_shares_read_back_from_bjs_table(
    ncvs: dict[str, pd.DataFrame], raw_dir: Path
) -> None:
    raw = pd.read_csv(
        raw_dir / NCVS_NATIONAL_RAW, header=None, dtype=str, encoding="cp1252", skiprows=12
    )
    national = ncvs["reported_by_crime_type"].set_index(["type_of_crime", "year"])
    for label in ("Violent crime", "Property crime"):
        row = raw[raw[0].str.match(rf"{label}(/[a-z])?$", na=False)].iloc[0]
        assert national.loc[(label, 2016), "pct_reported"] == float(row[3])
        assert national.loc[(label, 2017), "pct_reported"] == float(row[5])
    assert national["pct_reported_se"].notna().all()


def test_ncvs_state_shares_read_back_from_bjs_tables(
    ncvs: dict[str, pd.DataFrame], raw_dir: Path
) -> None:
    states = ncvs["reported_by_state"]
    for crime_type, file in NCVS_STATE_RAW.items():
        part = states[states["crime_type"] == crime_type]
        assert len(part) == 23 and (part["state"] == "United States").sum() == 1
        raw = pd.read_csv(raw_dir / file, header=None, dtype=str, encoding="cp1252", skiprows=12)
        us = raw[raw[1] == "United States*"].iloc[0]
        assert part.loc[part["state"] == "United States", "pct_reported"].item() == float(us[2])
        assert part.loc[part["state"] == "United States", "se"].item() == float(us[4])
        assert part["sig_diff_from_us"].isna().sum() == 1
        assert set(part["sig_confidence_pct"].dropna()) <= {90, 95}


# --- error paths and rules (tiny files) ----------------------------------------------------------

UCR_HEADER = "year,state,county,violent_crime_rate,property_crime_rate,crime_rate_quality\n"
COVERAGE_HEADER = (
    "year,state,county,violent_crime_rate,property_crime_rate,coverage_indicator_crime,"
    "crime_rate_quality\n"
)
NIBRS_HEADER = (
    "year,state,county,rate_crime_violent,rate_crime_property,rate_crime_violent_quality,"
    "rate_crime_property_quality\n"
)


def _counties(*codes: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"county_fips": list(codes)}, geometry=[Point(0, 0)] * len(codes), crs=4326
    )


def _write(raw_dir: Path, file: Path, text: str) -> Path:
    path = raw_dir / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _rate_files(
    raw_dir: Path,
    ucr: str = "2015,01,001,100.5,900,2\n2017,01,001,110,950,3\n",
    coverage: str = "2017,01,001,110,950,87.5,2\n",
    nibrs: str = "2021,01,001,700,2000,1,1\n",
) -> Path:
    _write(raw_dir, UCR_FILE, UCR_HEADER + ucr)
    _write(raw_dir, UCR_COVERAGE_FILE, COVERAGE_HEADER + coverage)
    _write(raw_dir, NIBRS_FILE, NIBRS_HEADER + nibrs)
    return raw_dir


def test_small_files_give_one_family_per_year(tmp_path: Path) -> None:
    rates = read_crime_rates(_rate_files(tmp_path), _counties("01001"))
    assert rates["year"].tolist() == [2015, 2017, 2021]
    assert rates["ucr_violent_rate"].tolist()[:2] == [100.5, 110.0]
    assert rates["ucr_coverage"].tolist()[1] == pytest.approx(0.875)
    assert rates.loc[2, UCR_VALUES].isna().all() and rates.loc[:1, NIBRS_VALUES].isna().all().all()
    assert rates["source"].tolist() == [
        "urban_ucr_2015_2017",
        "urban_ucr_2015_2017+urban_ucr_2017_coverage",
        "urban_nibrs_2021_2023",
    ]


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    _rate_files(tmp_path)
    (tmp_path / NIBRS_FILE).unlink()
    with pytest.raises(SourceError, match=rf"{NIBRS_FILE.name}: file not found"):
        read_crime_rates(tmp_path, _counties("01001"))


def test_missing_column_names_the_file_and_column(tmp_path: Path) -> None:
    _rate_files(tmp_path)
    _write(tmp_path, UCR_FILE, "year,state,county,violent_crime_rate\n2015,01,001,1\n")
    with pytest.raises(
        SourceError, match=rf"{UCR_FILE.name}: missing columns.*property_crime_rate"
    ):
        read_crime_rates(tmp_path, _counties("01001"))


def test_non_numeric_rate_names_the_file_county_and_value(tmp_path: Path) -> None:
    _rate_files(tmp_path, nibrs="2021,01,001,seven,2000,1,1\n")
    with pytest.raises(
        SourceError,
        match=rf"{NIBRS_FILE.name}: rate_crime_violent is not a number for county 01001 in 2021",
    ):
        read_crime_rates(tmp_path, _counties("01001"))


def test_negative_rate_is_refused(tmp_path: Path) -> None:
    _rate_files(tmp_path, ucr="2015,01,001,-1,900,2\n")
    with pytest.raises(SourceError, match="violent_crime_rate is negative"):
        read_crime_rates(tmp_path, _counties("01001"))


def test_malformed_fips_names_the_line(tmp_path: Path) -> None:
    _rate_files(tmp_path, ucr="2015,1,001,100,900,2\n")
    with pytest.raises(SourceError, match=r"malformed county code '1001' on line 2"):
        read_crime_rates(tmp_path, _counties("01001"))


def test_unknown_county_code_is_refused(tmp_path: Path) -> None:
    _rate_files(tmp_path, nibrs="2021,01,999,700,2000,1,1\n")
    with pytest.raises(SourceError, match="county 01999 is neither a served county"):
        read_crime_rates(tmp_path, _counties("01001"))


def test_quality_flag_outside_scale_is_refused(tmp_path: Path) -> None:
    _rate_files(tmp_path, nibrs="2021,01,001,700,2000,4,4\n")
    with pytest.raises(SourceError, match="rate_crime_violent_quality 4"):
        read_crime_rates(tmp_path, _counties("01001"))


def test_year_in_both_families_is_refused(tmp_path: Path) -> None:
    _rate_files(tmp_path, nibrs="2017,01,001,700,2000,1,1\n")
    with pytest.raises(SourceError, match="year 2017 is also in"):
        read_crime_rates(tmp_path, _counties("01001"))


def test_retired_codes_renamed_and_split_code_left_null(tmp_path: Path) -> None:
    _rate_files(
        tmp_path,
        ucr="2015,46,113,50,500,2\n2015,02,261,60,600,2\n",
        coverage="2017,46,113,55,550,90,2\n",
        nibrs="2021,02,063,700,2000,1,1\n",
    )
    with pytest.raises(SourceError, match="year 2017 is not in"):
        read_crime_rates(tmp_path, _counties("46102", "02063", "02066"))
    _write(tmp_path, UCR_COVERAGE_FILE, COVERAGE_HEADER)
    rates = read_crime_rates(tmp_path, _counties("46102", "02063", "02066")).set_index(
        ["county_fips", "year"]
    )
    assert rates.loc[("46102", 2015), "ucr_violent_rate"] == 50
    assert "retired code 46113" in rates.loc[("46102", 2015), "note"]
    for successor in ("02063", "02066"):
        assert np.isnan(rates.loc[(successor, 2015), "ucr_violent_rate"])
        assert (
            "retired code 02261, split into 02063 and 02066" in rates.loc[(successor, 2015), "note"]
        )
    assert rates.loc[("02063", 2021), "nibrs_violent_rate"] == 700


def test_connecticut_planning_regions_leave_legacy_counties_null(tmp_path: Path) -> None:
    _rate_files(tmp_path, nibrs="2021,09,001,700,2000,1,1\n2022,09,110,800,2100,1,1\n")
    rates = read_crime_rates(tmp_path, _counties("01001", "09001")).set_index(
        ["county_fips", "year"]
    )
    assert rates.loc[("09001", 2021), "nibrs_violent_rate"] == 700
    assert np.isnan(rates.loc[("09001", 2022), "nibrs_violent_rate"])
    assert "planning regions" in rates.loc[("09001", 2022), "note"]
    assert "no row for this county" in rates.loc[("01001", 2022), "note"]


def test_coverage_indicator_not_attached_to_other_rates(tmp_path: Path) -> None:
    _rate_files(tmp_path, coverage="2017,01,001,111,950,87.5,2\n")
    rates = read_crime_rates(tmp_path, _counties("01001")).set_index("year")
    assert np.isnan(rates.loc[2017, "ucr_coverage"])
    assert "gives other rates" in rates.loc[2017, "note"]


PARTICIPATION_HEADER = "ori,agency_type_name,months_reported\n"
LEE_HEADER = "ori,population\n"


def _reference(rosters: list[tuple], zips: list[tuple] = ()) -> AgencyReference:
    """A reference holding only what coverage reads: roster ORIs, county lists, ZIPs."""
    empty = pd.DataFrame()
    return AgencyReference(
        counties=empty,
        county_keys=empty,
        states=empty,
        rosters=pd.DataFrame(rosters, columns=["ori", "county_fips_list", "zip", "source"]),
        places=empty,
        zip_counties=pd.DataFrame(list(zips), columns=["zip", "county_fips"]),
    )


def _population(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["county_fips", "year", "population"])


def test_coverage_weights_agencies_by_population_served(tmp_path: Path) -> None:
    _write(
        tmp_path,
        PARTICIPATION_FILE,
        PARTICIPATION_HEADER
        + "AA0000001,City,12\n"  # 300 people, every month
        + "AA0000002,County,6\n"  # 100 people, half the months
        + "AA0000003,State Police,0\n"  # population 0: no weight
        + "AA0000004,City,\n"  # blank months: left out, counted in the note
        + "AA0000005,State Police,12\n"  # LEE places it nowhere, not local: no county
        + "AA0000006,City,0\n"  # LEE lists two counties: its LEAIC primary, 01003
        + "AA0000007,City,3\n",  # LEAIC's split 02261, settled by ZIP into 02063
    )
    _write(
        tmp_path,
        LEE_FILE,
        LEE_HEADER
        + "AA0000001,300\nAA0000002,100\nAA0000003,0\nAA0000004,50\n"
        + "AA0000005,1000\nAA0000006,40\nAA0000007,20\n",
    )
    reference = _reference(
        [
            ("AA0000001", ("01001",), "", "LEE"),
            ("AA0000002", ("01001",), "", "LEE"),
            ("AA0000003", ("01001",), "", "LEAIC"),
            ("AA0000004", ("01001",), "", "LEE"),
            ("AA0000005", (), "", "LEE"),
            ("AA0000005", ("01001",), "", "LEAIC"),
            ("AA0000006", ("01001", "01003"), "", "LEE"),
            ("AA0000006", ("01003",), "", "LEAIC"),
            ("AA0000007", ("02261",), "99686", "LEAIC"),
        ],
        [("99686", "02063")],
    )
    counties = _counties("01001", "01003", "01005", "02063", "02066")
    population = _population(("01001", 2024, 400), ("01003", 2024, 80), ("02063", 2024, 20))
    result = read_reporting_coverage(tmp_path, counties, population, reference).set_index(
        "county_fips"
    )
    autauga = result.loc["01001"]
    assert autauga["coverage"] == pytest.approx((300 * 1 + 100 * 0.5) / 400)
    assert (autauga["agencies"], autauga["agencies_reporting"]) == (3, 2)
    assert autauga["population_served_share"] == pytest.approx(450 / 400)
    assert "blank months_reported (no Summary record in the CDE): 1" in autauga["note"]
    assert result.loc["01003", "coverage"] == 0
    assert result.loc["02063", "coverage"] == pytest.approx(0.25)
    for empty in ("01005", "02066"):
        assert np.isnan(result.loc[empty, "coverage"])
        assert "no agency of the participation file" in result.loc[empty, "note"]


@pytest.mark.parametrize(
    ("months", "problem"),
    [("twelve", "months_reported is not a number for ORI AA0000001"), ("13", "is not 0-12")],
)
def test_bad_months_reported_is_refused(tmp_path: Path, months: str, problem: str) -> None:
    _write(tmp_path, PARTICIPATION_FILE, PARTICIPATION_HEADER + f"AA0000001,City,{months}\n")
    _write(tmp_path, LEE_FILE, LEE_HEADER + "AA0000001,10\n")
    with pytest.raises(SourceError, match=rf"{PARTICIPATION_FILE.name}: .*{problem}"):
        read_reporting_coverage(
            tmp_path, _counties("01001"), _population(("01001", 2024, 10)), _reference([])
        )


def test_ncvs_tidy_file_that_disagrees_with_bjs_is_refused(tmp_path: Path, raw_dir: Path) -> None:
    shutil.copytree(raw_dir / NCVS_NATIONAL_FILE.parent, tmp_path / NCVS_NATIONAL_FILE.parent)
    tidy = tmp_path / NCVS_NATIONAL_FILE
    tidy.write_text(tidy.read_text().replace("Violent crime,0,43.9", "Violent crime,0,49.3"))
    with pytest.raises(
        SourceError,
        match=rf"{tidy.name}: pct_reported_2016 for Violent crime is 49.3 but cv17t06.csv says 43.9",
    ):
        read_ncvs_context(tmp_path)
