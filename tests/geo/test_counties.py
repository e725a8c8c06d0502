"""Tests for geo.sources.counties: boundaries, population and retired county codes.

Tests taking ``raw_dir`` or ``counties`` read the real raw data and compare against figures read
straight from the raw files; the others build tiny files in ``tmp_path`` so each rule (the
Connecticut rounding, retired codes, every error path) is checked on numbers small enough to
work out by hand.
"""

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo.sources import SourceError
from geo.sources.counties import (
    CT_ALLOCATION_NOTE,
    CT_TOWN_FILE,
    PEP_V2020_FILE,
    PEP_V2024_FILE,
    PR_NOTE,
    SPLIT_FIPS,
    STATE_FILE,
    SUCCESSOR_FIPS,
    ZCTA_FILE,
    current_fips,
    read_population,
    read_states,
)

YEARS = list(range(2010, 2025))
CT_LEGACY = [f"090{code:02d}" for code in range(1, 16, 2)]
POPULATION_COLUMNS = ["county_fips", "year", "population", "source", "note"]


def _pep(raw_dir: Path, file: Path, encoding: str) -> pd.DataFrame:
    """A raw PEP file as strings, with ``fips`` = STATE + COUNTY, read independently of the code."""
    frame = pd.read_csv(raw_dir / file, dtype=str, encoding=encoding)
    return frame.assign(fips=frame["STATE"] + frame["COUNTY"])


@pytest.fixture(scope="module")
def population(raw_dir: Path, counties: gpd.GeoDataFrame) -> pd.DataFrame:
    return read_population(raw_dir, counties)


@pytest.fixture(scope="module")
def pep_v2024(raw_dir: Path) -> pd.DataFrame:
    return _pep(raw_dir, PEP_V2024_FILE, "latin-1")


# --- boundaries (real data) ---------------------------------------------------------------------


def test_counties_cover_states_dc_and_pr(counties: gpd.GeoDataFrame) -> None:
    assert len(counties) == 3221
    assert (counties["state_fips"] != "72").sum() >= 3143
    assert (counties["state_fips"] == "72").sum() == 78
    assert counties["state_fips"].nunique() == 52
    assert counties["county_fips"].is_unique


def test_counties_crs_and_fips_format(counties: gpd.GeoDataFrame) -> None:
    assert counties.crs.to_epsg() == 4326
    assert counties["county_fips"].map(type).eq(str).all()
    assert counties["county_fips"].str.fullmatch(r"\d{5}").all()
    assert counties["county_fips"].str[:2].eq(counties["state_fips"]).all()


def test_counties_connecticut_is_legacy(counties: gpd.GeoDataFrame) -> None:
    ct = counties.loc[counties["state_fips"] == "09", "county_fips"]
    assert sorted(ct) == CT_LEGACY
    assert not counties["county_fips"].str.fullmatch(r"091\d0").any()


def test_states(raw_dir: Path) -> None:
    states = read_states(raw_dir)
    assert list(states.columns) == ["state_fips", "state_abbr", "state_name", "geometry"]
    assert len(states) == 52
    assert states.crs.to_epsg() == 4326
    assert states["state_fips"].str.fullmatch(r"\d{2}").all()
    assert states["state_fips"].is_monotonic_increasing and states["state_fips"].is_unique
    assert {"11", "72"} <= set(states["state_fips"])
    assert not {"60", "66", "69", "78"} & set(states["state_fips"])
    assert states.set_index("state_fips").loc["09", "state_abbr"] == "CT"
    assert states.geometry.is_valid.all() and not states.geometry.is_empty.any()
    everything = read_states(raw_dir, served_only=False)
    assert len(everything) == 56
    assert set(everything["state_fips"]) - set(states["state_fips"]) == {"60", "66", "69", "78"}


# --- population (real data) ---------------------------------------------------------------------


def test_population_shape(population: pd.DataFrame, counties: gpd.GeoDataFrame) -> None:
    assert list(population.columns) == POPULATION_COLUMNS
    assert population["year"].dtype == "int64"
    assert population["population"].dtype == "Int64"
    assert len(population) == len(counties) * len(YEARS)
    assert not population.duplicated(["county_fips", "year"]).any()
    assert set(population["county_fips"]) == set(counties["county_fips"])
    assert set(population["source"]) == {"pep_v2020", "pep_v2024"}
    by_year = population.groupby("year")["source"].unique().map(list)
    assert all(by_year[year] == ["pep_v2020"] for year in range(2010, 2020))
    assert all(by_year[year] == ["pep_v2024"] for year in range(2020, 2025))


def test_population_complete_outside_pr(population: pd.DataFrame) -> None:
    mainland = population[~population["county_fips"].str.startswith("72")]
    assert mainland["population"].notna().all()
    assert (mainland["population"] > 0).all()
    assert mainland.groupby("county_fips")["year"].apply(list).map(YEARS.__eq__).all()


def test_puerto_rico_null_with_note(population: pd.DataFrame) -> None:
    pr = population[population["county_fips"].str.startswith("72")]
    assert len(pr) == 78 * len(YEARS)
    assert pr["population"].isna().all()
    assert pr["note"].eq(PR_NOTE).all()
    assert "Puerto Rico" in PR_NOTE


def test_known_values_straight_from_files(raw_dir: Path, population: pd.DataFrame) -> None:
    v2020 = _pep(raw_dir, PEP_V2020_FILE, "utf-8").set_index("fips")
    v2024 = _pep(raw_dir, PEP_V2024_FILE, "latin-1").set_index("fips")
    got = population.set_index(["county_fips", "year"])["population"]
    assert got["01001", 2024] == int(v2024.loc["01001", "POPESTIMATE2024"])
    assert got["01001", 2010] == int(v2020.loc["01001", "POPESTIMATE2010"])
    assert got["06037", 2019] == int(v2020.loc["06037", "POPESTIMATE2019"])
    # 2020 comes from Vintage 2024, not from Vintage 2020's own 2020 column.
    assert got["06037", 2020] == int(v2024.loc["06037", "POPESTIMATE2020"])
    assert got["09001", 2019] == int(v2020.loc["09001", "POPESTIMATE2019"])


def test_counties_sum_to_pep_state_rows(population: pd.DataFrame, pep_v2024) -> None:
    states = pep_v2024[pep_v2024["SUMLEV"] == "040"].set_index("STATE")
    sums = (
        population[population["year"] >= 2020]
        .assign(state=population["county_fips"].str[:2])
        .groupby(["state", "year"])["population"]
        .sum()
    )
    for year in range(2020, 2025):
        expected = pd.to_numeric(states[f"POPESTIMATE{year}"]).rename("expected")
        compared = sums.xs(year, level="year").to_frame().join(expected, how="outer")
        compared = compared.drop(index="72")
        assert (compared["population"] == compared["expected"]).all(), year


def test_connecticut_legacy_counties_conserve_regions(
    population: pd.DataFrame, pep_v2024: pd.DataFrame
) -> None:
    ct = population[population["county_fips"].str.startswith("09")]
    assert sorted(ct["county_fips"].unique()) == CT_LEGACY
    recent = ct[ct["year"] >= 2020]
    assert (recent["population"] > 0).all()
    assert recent["note"].eq(CT_ALLOCATION_NOTE).all()
    assert ct.loc[ct["year"] < 2020, "note"].isna().all()
    regions = pep_v2024[(pep_v2024["STATE"] == "09") & (pep_v2024["SUMLEV"] == "050")]
    assert sorted(regions["fips"]) == [f"091{code}0" for code in range(1, 10)]
    state_row = pep_v2024[(pep_v2024["STATE"] == "09") & (pep_v2024["SUMLEV"] == "040")]
    for year in range(2020, 2025):
        region_total = pd.to_numeric(regions[f"POPESTIMATE{year}"]).sum()
        assert recent.loc[recent["year"] == year, "population"].sum() == region_total
        assert region_total == int(state_row[f"POPESTIMATE{year}"].item())


def test_connecticut_allocation_is_plausible(population: pd.DataFrame) -> None:
    # Each legacy county's 2020 figure should be near its 2019 Vintage 2020 figure: the
    # allocation moves people between counties only through the weights, never in bulk.
    ct = population[population["county_fips"].str.startswith("09")]
    wide = ct.pivot(index="county_fips", columns="year", values="population").astype(float)
    assert ((wide[2020] / wide[2019] - 1).abs() < 0.05).all()


def test_no_retired_codes_in_outputs(population: pd.DataFrame, raw_dir: Path) -> None:
    retired = set(SUCCESSOR_FIPS) | set(SPLIT_FIPS)
    assert not retired & set(population["county_fips"])
    # Neither PEP file reports 02261, so Alaska needs no split: its successors have figures.
    for file, encoding in ((PEP_V2020_FILE, "utf-8"), (PEP_V2024_FILE, "latin-1")):
        assert not retired & set(_pep(raw_dir, file, encoding)["fips"])
    successors = population[population["county_fips"].isin(SPLIT_FIPS["02261"])]
    assert len(successors) == 2 * len(YEARS) and successors["population"].notna().all()


# --- retired codes (self-contained) -------------------------------------------------------------


def test_current_fips_maps_retired_codes() -> None:
    codes = pd.Series(["02270", "46113", "51515", "02261", "01001", "02158"])
    assert current_fips(codes).tolist() == ["02158", "46102", "51019", "02261", "01001", "02158"]
    assert SPLIT_FIPS["02261"] == ("02063", "02066")
    assert dict(SUCCESSOR_FIPS) == {"02270": "02158", "46113": "46102", "51515": "51019"}


# --- tiny fixture files (self-contained) --------------------------------------------------------

V2020_YEARS, V2024_YEARS = range(2010, 2020), range(2020, 2025)
BASE_V2020 = {"01001": 1000, "01003": 2000, "09001": 500, "09003": 1500, "09005": 300}
BASE_V2024 = {"01001": 1100, "01003": 2100, "09110": 1001, "09120": 500}
SERVED = ["01001", "01003", "09001", "09003", "09005", "72001"]


def _pep_frame(populations: dict[str, int], years: range) -> pd.DataFrame:
    """County rows whose figure grows by 1 a year, and state rows that are their sums."""
    counties = pd.DataFrame(
        {
            "SUMLEV": "050",
            "STATE": [fips[:2] for fips in populations],
            "COUNTY": [fips[2:] for fips in populations],
            "CTYNAME": "Do\u00f1a Test County",
        }
    )
    for year in years:
        counties[f"POPESTIMATE{year}"] = [
            value + year - years.start for value in populations.values()
        ]
    values = [f"POPESTIMATE{year}" for year in years]
    states = counties.groupby("STATE", as_index=False)[values].sum()
    states = states.assign(SUMLEV="040", COUNTY="000", CTYNAME="State")
    return pd.concat([states, counties], ignore_index=True).sort_values(["STATE", "COUNTY"])


def _write_raw(
    raw_dir: Path,
    v2020: dict[str, int] = BASE_V2020,
    v2024: dict[str, int] = BASE_V2024,
) -> Path:
    """Write a miniature raw folder: two PEP files, the CT town crosswalk and the ZCTA table.

    Towns: A (legacy 09001, region 09110), B (09003, 09110), D (09005, 09110) and C (09003,
    09120), with ZCTA populations 95, 97, 99 and 50: weights for which rounding each piece to
    the nearest integer would not conserve region 09110's total.
    """
    population_dir = raw_dir / PEP_V2020_FILE.parent
    population_dir.mkdir(parents=True, exist_ok=True)
    (raw_dir / CT_TOWN_FILE).parent.mkdir(parents=True, exist_ok=True)
    _pep_frame(v2020, V2020_YEARS).to_csv(
        raw_dir / PEP_V2020_FILE, index=False, encoding="utf-8", lineterminator="\r\n"
    )
    _pep_frame(v2024, V2024_YEARS).to_csv(raw_dir / PEP_V2024_FILE, index=False, encoding="latin-1")
    pd.DataFrame(
        {
            "COUSUB_GEOID_2022": ["0911000001", "0911000002", "0912000003", "0911000004"],
            "COUSUBFP": ["00001", "00002", "00003", "00004"],
            "TOWN_NAME": ["A town", "B town", "C town", "D town"],
            "LEGACY_COUNTY_GEOID": ["09001", "09003", "09003", "09005"],
            "PLANNING_REGION_GEOID": ["09110", "09110", "09120", "09110"],
        }
    ).to_csv(raw_dir / CT_TOWN_FILE, index=False)
    pd.DataFrame(
        {
            "ZCTA5": ["06001", "06002", "06003", "06004", "35004"],
            "Primary County": ["09001", "09003", "09003", "09005", "01001"],
            "Primary County Subdivision": [
                "0900100001",
                "0900300002",
                "0900300003",
                "0900500004",
                "0100190000",
            ],
            "Population": ["95", "97", "50", "99", "7000"],
        }
    ).to_csv(raw_dir / ZCTA_FILE, index=False)
    return raw_dir


def _served(codes: list[str] = SERVED) -> pd.DataFrame:
    return pd.DataFrame({"county_fips": codes, "state_fips": [code[:2] for code in codes]})


def test_tiny_connecticut_largest_remainder(tmp_path: Path) -> None:
    population = read_population(_write_raw(tmp_path), _served())
    got = population.set_index(["county_fips", "year"])
    # 2020: region 09110 = 1001 -> 326.79, 333.67, 340.55; floors leave 2 over, which go to the
    # two largest remainders (nearest-integer rounding would give 1002). 09120's 500 -> 09003.
    assert got.loc[("09001", 2020), "population"] == 327
    assert got.loc[("09003", 2020), "population"] == 334 + 500
    assert got.loc[("09005", 2020), "population"] == 340
    ct = population[population["county_fips"].str.startswith("09") & (population["year"] >= 2020)]
    regions_total = {year: 1001 + 500 + 2 * (year - 2020) for year in V2024_YEARS}
    assert ct.groupby("year")["population"].sum().to_dict() == regions_total
    assert ct["note"].eq(CT_ALLOCATION_NOTE).all()
    assert got.loc[("09001", 2015), "population"] == 505
    assert pd.isna(got.loc[("09001", 2015), "note"])


def test_tiny_puerto_rico_and_sources(tmp_path: Path) -> None:
    population = read_population(_write_raw(tmp_path), _served())
    pr = population[population["county_fips"] == "72001"]
    assert pr["population"].isna().all() and pr["note"].eq(PR_NOTE).all()
    assert pr["source"].tolist() == ["pep_v2020"] * 10 + ["pep_v2024"] * 5
    assert population.loc[population["county_fips"] == "01001", "population"].tolist() == [
        *range(1000, 1010),
        *range(1100, 1105),
    ]


def test_tiny_split_code_leaves_successors_null(tmp_path: Path) -> None:
    v2020 = {**BASE_V2020, "02261": 900}
    v2024 = {**BASE_V2024, "02063": 300, "02066": 650}
    raw_dir = _write_raw(tmp_path, v2020, v2024)
    population = read_population(raw_dir, _served([*SERVED, "02063", "02066"]))
    alaska = population[population["county_fips"].str.startswith("02")]
    early, late = alaska[alaska["year"] < 2020], alaska[alaska["year"] >= 2020]
    assert early["population"].isna().all()
    assert early["note"].str.contains("02261").all()
    assert late["population"].notna().all() and late["note"].isna().all()


def test_tiny_merged_code_is_summed(tmp_path: Path) -> None:
    v2020 = {**BASE_V2020, "51019": 70000, "51515": 6000}
    v2024 = {**BASE_V2024, "51019": 80000}
    raw_dir = _write_raw(tmp_path, v2020, v2024)
    population = read_population(raw_dir, _served([*SERVED, "51019"]))
    bedford = population[population["county_fips"] == "51019"].set_index("year")
    assert bedford.loc[2010, "population"] == 76000
    assert "51515" in bedford.loc[2010, "note"]
    assert bedford.loc[2024, "population"] == 80004
    assert "51515" not in set(population["county_fips"])


@pytest.mark.parametrize("file", [PEP_V2020_FILE, PEP_V2024_FILE, CT_TOWN_FILE, ZCTA_FILE])
def test_missing_file_is_named(tmp_path: Path, file: Path) -> None:
    raw_dir = _write_raw(tmp_path)
    (raw_dir / file).unlink()
    with pytest.raises(SourceError, match=file.name):
        read_population(raw_dir, _served())


@pytest.mark.parametrize(
    ("file", "column", "encoding"),
    [
        (PEP_V2024_FILE, "POPESTIMATE2023", "latin-1"),
        (PEP_V2020_FILE, "COUNTY", "utf-8"),
        (CT_TOWN_FILE, "PLANNING_REGION_GEOID", "utf-8"),
        (ZCTA_FILE, "Population", "utf-8"),
    ],
)
def test_missing_column_is_named(tmp_path: Path, file: Path, column: str, encoding: str) -> None:
    raw_dir = _write_raw(tmp_path)
    frame = pd.read_csv(raw_dir / file, dtype=str, encoding=encoding)
    frame.drop(columns=column).to_csv(raw_dir / file, index=False, encoding=encoding)
    with pytest.raises(SourceError, match=column) as error:
        read_population(raw_dir, _served())
    assert file.name in str(error.value)


def test_state_row_mismatch_fails(tmp_path: Path) -> None:
    raw_dir = _write_raw(tmp_path)
    path = raw_dir / PEP_V2024_FILE
    frame = pd.read_csv(path, dtype=str, encoding="latin-1")
    frame.loc[(frame["SUMLEV"] == "040") & (frame["STATE"] == "01"), "POPESTIMATE2022"] = "1"
    frame.to_csv(path, index=False, encoding="latin-1")
    with pytest.raises(SourceError, match="state 01 2022") as error:
        read_population(raw_dir, _served())
    assert PEP_V2024_FILE.name in str(error.value)


def test_served_county_without_population_fails(tmp_path: Path) -> None:
    raw_dir = _write_raw(tmp_path)
    with pytest.raises(SourceError, match="no population for county 01005"):
        read_population(raw_dir, _served([*SERVED, "01005"]))


def test_unserved_pep_county_fails(tmp_path: Path) -> None:
    raw_dir = _write_raw(tmp_path)
    with pytest.raises(SourceError, match="01003 is not a served county"):
        read_population(raw_dir, _served([code for code in SERVED if code != "01003"]))


def test_blank_population_is_not_zero(tmp_path: Path) -> None:
    raw_dir = _write_raw(tmp_path)
    path = raw_dir / PEP_V2020_FILE
    frame = pd.read_csv(path, dtype=str)
    frame.loc[frame["COUNTY"] == "003", "POPESTIMATE2012"] = ""
    frame.to_csv(path, index=False)
    with pytest.raises(SourceError, match="not a whole number"):
        read_population(raw_dir, _served())


def test_connecticut_region_without_weights_fails(tmp_path: Path) -> None:
    raw_dir = _write_raw(tmp_path, v2024={**BASE_V2024, "09130": 10})
    with pytest.raises(SourceError, match="09130"):
        read_population(raw_dir, _served())


def test_read_states_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=STATE_FILE.name):
        read_states(tmp_path)


def test_read_states_missing_column(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE
    path.parent.mkdir(parents=True)
    states = gpd.GeoDataFrame(
        {"STATEFP": ["01", "60"], "STUSPS": ["AL", "AS"]}, geometry=[box(0, 0, 1, 1)] * 2, crs=4326
    )
    states.to_file(path, driver="GeoJSON")
    with pytest.raises(SourceError, match="NAME") as error:
        read_states(tmp_path)
    assert STATE_FILE.name in str(error.value)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_read_states_tiny(tmp_path: Path) -> None:
    """A GeoJSON without a CRS is WGS84 by definition, and Island Areas are dropped."""
    path = tmp_path / STATE_FILE
    path.parent.mkdir(parents=True)
    states = gpd.GeoDataFrame(
        {"STATEFP": ["72", "60", "01"], "STUSPS": ["PR", "AS", "AL"], "NAME": ["P", "S", "A"]},
        geometry=[box(0, 0, 1, 1)] * 3,
    )
    states.to_file(path, driver="GeoJSON")
    got = read_states(tmp_path)
    assert got["state_fips"].tolist() == ["01", "72"]
    assert got.crs.to_epsg() == 4326
    assert read_states(tmp_path, served_only=False)["state_fips"].tolist() == ["01", "60", "72"]
