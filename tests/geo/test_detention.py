"""Tests for geo.sources.detention: ICE's facility sheets, facility placement and county totals.

Tests taking ``raw_dir`` read the real raw files and compare with figures read from the same
workbooks by openpyxl alone (`_sheet_rows`), never with numbers typed in here. The others build
small workbooks in ``tmp_path`` so that each parsing rule and error path is checked by hand.
"""

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from geo.resolve import AgencyReference, load_reference
from geo.sources import SourceError
from geo.sources.detention import (
    DDP_FILE,
    FACILITY_COLUMNS,
    FACILITY_YEAR_COLUMNS,
    PLACEMENT_METHODS,
    STATS_DIR,
    adp_placed_share,
    county_detention,
    facility_ids,
    place_facilities,
    read_facility_years,
    read_monthly_population,
)

LEVELS = ["Level A", "Level B", "Level C", "Level D"]
CRIMINALITY = ["Male Crim", "Male Non-Crim", "Female Crim", "Female Non-Crim"]
THREAT = ["ICE Threat Level 1", "ICE Threat Level 2", "ICE Threat Level 3", "No ICE Threat Level"]
# The Facilities sheet's first 23 columns, as ICE prints them (the ALOS header carries the year).
HEADER = [
    "Name",
    "Address",
    "City",
    "State",
    "Zip",
    "AOR",
    "Type Detailed",
    "Male/Female",
    "FY19 ALOS",
    *LEVELS,
    *CRIMINALITY,
    *THREAT,
    "Mandatory",
    "Guaranteed Minimum",
]
TITLE_ROWS = [
    ["U.S. Immigration and Customs Enforcement"],
    ["These statistics are made available to the public ..."],
    ["ICE FACILITIES DATA, FY19"],
    [],
    ["Facility Information", None, None, None, None, None, None, None, None, "FY19 ADP"],
    ["Source: ICE Integrated Decision Support (IIDS), 10/07/2019"],
]


# --- independent reading of the real workbooks ---------------------------------------------------


def _sheet_rows(path: Path) -> pd.DataFrame:
    """A workbook's facility rows read cell by cell with openpyxl, independently of the module.

    Columns: ``fiscal_year``, ``row`` (Excel row), ``name``, ``state``, ``zip`` (raw cell),
    ``levels`` (tuple of the four Level cells: a number, None when blank, or an Excel error
    such as "#N/A").
    """
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet = next(book[name] for name in book.sheetnames if name.strip().startswith("Facilities"))
    rows, header = [], None
    for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        texts = [c.strip() if isinstance(c, str) else c for c in cells]
        if header is None:
            if "Name" in texts and "Address" in texts:
                header = {name: i for i, name in enumerate(texts) if isinstance(name, str)}
                alos = next(name for name in header if re.fullmatch(r"FY\d\d ALOS", name))
            continue
        name, address = texts[header["Name"]], texts[header["Address"]]
        if name in (None, "") or address in (None, ""):
            continue
        rows.append(
            {
                "fiscal_year": 2000 + int(alos[2:4]),
                "row": number,
                "name": name,
                "state": texts[header["State"]] or None,
                "zip": texts[header["Zip"]],
                "levels": tuple(texts[header[level]] for level in LEVELS),
            }
        )
    book.close()
    return pd.DataFrame(rows)


def _is_number(cell: object) -> bool:
    """A numeric cell; blanks and Excel errors ("#N/A", as openpyxl gives them) are not."""
    return isinstance(cell, (int, float)) and not isinstance(cell, bool)


@pytest.fixture(scope="module")
def sheets(raw_dir: Path) -> pd.DataFrame:
    return pd.concat(
        [_sheet_rows(path) for path in sorted((raw_dir / STATS_DIR).glob("*.xlsx"))],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def facility_years(raw_dir: Path) -> pd.DataFrame:
    return read_facility_years(raw_dir)


@pytest.fixture(scope="module")
def reference(raw_dir: Path, counties: gpd.GeoDataFrame) -> AgencyReference:
    return load_reference(raw_dir, counties)


@pytest.fixture(scope="module")
def facilities(
    facility_years: pd.DataFrame,
    raw_dir: Path,
    counties: gpd.GeoDataFrame,
    reference: AgencyReference,
) -> gpd.GeoDataFrame:
    return place_facilities(facility_years, raw_dir, counties, reference)


# --- reading the real workbooks ----------------------------------------------------------------


def test_each_year_has_the_workbook_rows_and_total(facility_years, sheets) -> None:
    total = sheets["levels"].map(
        lambda levels: sum(levels) if all(map(_is_number, levels)) else np.nan
    )
    expected = (
        sheets.assign(adp=total)
        .groupby("fiscal_year")
        .agg(rows=("row", "size"), adp=("adp", "sum"))
    )
    got = facility_years.groupby("fiscal_year").agg(rows=("row", "size"), adp=("adp", "sum"))
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert set(zip(facility_years["fiscal_year"], facility_years["row"])) == set(
        zip(sheets["fiscal_year"], sheets["row"])
    )
    assert list(facility_years.columns) == FACILITY_YEAR_COLUMNS


def test_blank_levels_give_null_adp_not_zero(facility_years, sheets) -> None:
    blank = sheets[sheets["levels"].map(lambda levels: not any(map(_is_number, levels)))]
    assert len(blank) > 0
    rows = facility_years.merge(blank[["fiscal_year", "row"]])
    assert len(rows) == len(blank)
    assert rows["adp"].isna().all()
    assert rows["adp_note"].notna().all()
    assert facility_years.loc[facility_years["adp"].notna(), "adp_note"].isna().all()


def test_zips_are_five_digit_strings_with_leading_zeros(facility_years, sheets) -> None:
    assert facility_years["zip"].str.fullmatch(r"\d{5}").all()
    short = sheets[sheets["zip"].map(lambda z: isinstance(z, int) and z < 10_000)]
    assert len(short) > 0
    rows = facility_years.merge(short[["fiscal_year", "row", "zip"]], on=["fiscal_year", "row"])
    assert (rows["zip_x"] == rows["zip_y"].map(lambda z: f"{z:05d}")).all()


def test_blank_state_cell_is_kept_and_its_facility_placed(
    facility_years, sheets, facilities, counties
) -> None:
    blank = sheets[sheets["state"].isna()]
    assert len(blank) > 0
    rows = facility_years.merge(blank[["fiscal_year", "row"]])
    assert len(rows) == len(blank) and rows["state_abbr"].isna().all()
    placed = facilities.set_index("facility_id").loc[rows["facility_id"]]
    assert placed["county_fips"].notna().all()
    assert placed["state_note"].notna().all()
    county_state = placed["county_fips"].map(counties.set_index("county_fips")["state_abbr"])
    assert (county_state == placed["state_abbr"]).all()
    # The same facility's other years give that state, under the same id.
    other = facility_years[
        facility_years["facility_id"].isin(rows["facility_id"])
        & facility_years["state_abbr"].notna()
    ]
    assert set(other["state_abbr"]) == set(placed["state_abbr"])


def test_one_id_per_name_and_state_across_years(facility_years) -> None:
    key = facility_years["name"].str.upper() + "|" + facility_years["state_abbr"].fillna("")
    assert (facility_years.groupby(key)["facility_id"].nunique() == 1).all()
    assert not facility_years.duplicated(["facility_id", "fiscal_year"]).any()
    assert facility_years["facility_id"].str.fullmatch(r"[0-9a-f]{12}").all()


def test_ids_ignore_abbreviations_and_punctuation() -> None:
    rows = pd.DataFrame(
        {
            "name": [
                "KAY CO JUSTICE FACILITY",
                "Kay County Justice Facility",
                "ORANGE COUNTY JAIL (NY)",
            ],
            "state_abbr": ["OK", "OK", "NY"],
            "city": ["NEWKIRK", "NEWKIRK", "GOSHEN"],
            "fiscal_year": [2022, 2023, 2024],
        }
    )
    ids = facility_ids(rows)
    assert ids[0] == ids[1]
    plain = facility_ids(rows.assign(name=["X", "Y", "ORANGE COUNTY JAIL"]))
    assert ids[2] == plain[2]


# --- placement (real data) ---------------------------------------------------------------------


def test_every_facility_once_with_a_method_and_evidence(
    facilities, facility_years, counties
) -> None:
    assert list(facilities.columns) == FACILITY_COLUMNS
    assert facilities["facility_id"].is_unique and facilities["facility_id"].is_monotonic_increasing
    assert set(facilities["facility_id"]) == set(facility_years["facility_id"])
    assert facilities["placement_method"].isin(PLACEMENT_METHODS).all()
    unplaced = facilities["placement_method"] == "unplaced"
    assert (facilities["county_fips"].isna() == unplaced).all()
    assert facilities["placement_note"].str.len().gt(0).all()
    assert facilities["county_fips"].dropna().isin(counties["county_fips"]).all()
    assert facilities.crs.to_epsg() == 4326


def test_point_placements_are_point_in_polygon(facilities, counties) -> None:
    by_point = facilities[facilities["placement_method"].isin(["located_table", "prison_boundary"])]
    assert by_point.geometry.notna().all() and by_point["point_source"].notna().all()
    located = gpd.sjoin(
        by_point[["county_fips", "geometry"]],
        counties[["county_fips", "geometry"]],
        predicate="within",
        lsuffix="placed",
        rsuffix="polygon",
    )
    assert len(located) == len(by_point)
    assert (located["county_fips_placed"] == located["county_fips_polygon"]).all()
    assert (facilities.geometry.isna() == facilities["point_source"].isna()).all()
    # A point that does not give the county (a generalised county line) says so.
    located_only = facilities.geometry.notna() & ~facilities.index.isin(by_point.index)
    assert facilities.loc[located_only, "placement_note"].str.contains("point kept").all()


def test_newest_year_adp_nearly_all_placed(facility_years, facilities) -> None:
    newest = int(facility_years["fiscal_year"].max())
    assert adp_placed_share(facility_years, facilities, newest) >= 0.98


def test_county_totals_add_up_and_keep_blank_as_null(facility_years, facilities) -> None:
    totals = county_detention(facility_years, facilities)
    assert not totals.duplicated(["county_fips", "fiscal_year"]).any()
    placed = facility_years.merge(
        facilities.loc[facilities["county_fips"].notna(), ["facility_id"]]
    )
    expected = placed.groupby("fiscal_year")["adp"].sum()
    pd.testing.assert_series_equal(
        totals.groupby("fiscal_year")["adp"].sum(), expected, check_exact=False, rtol=1e-12
    )
    assert (
        totals.groupby("fiscal_year")["facilities"]
        .sum()
        .equals(placed.groupby("fiscal_year").size().rename("facilities"))
    )
    all_blank = totals["facilities_without_adp"] == totals["facilities"]
    assert all_blank.any()  # FY19's Folkston rows have no ADP
    assert totals.loc[all_blank, "adp"].isna().all()
    assert totals.loc[~all_blank, "adp"].notna().all()


# --- the DDP monthly panel (real data) ---------------------------------------------------------


def test_monthly_population_is_the_mean_of_daily_midnight_counts(raw_dir: Path) -> None:
    monthly = read_monthly_population(raw_dir)
    daily = pq.read_table(
        raw_dir / DDP_FILE, columns=["detention_facility_code", "date", "n_detained_at_midnight"]
    ).to_pandas()
    code = daily.groupby("detention_facility_code")["n_detained_at_midnight"].sum().idxmax()
    one = daily[daily["detention_facility_code"] == code]
    first = min(one["date"])
    month = one[[(d.year, d.month) == (first.year, first.month) for d in one["date"]]]
    row = monthly[(monthly["facility_code"] == code)].iloc[0]
    assert row["days"] == len(month)
    assert row["population"] == pytest.approx(month["n_detained_at_midnight"].mean())
    assert monthly["days"].sum() == len(daily)


# --- small workbooks -----------------------------------------------------------------------------


def _facility(name: str = "TEST COUNTY JAIL", **cells: object) -> dict:
    """One facility row whose three cuts of ADP agree (A-D = crim = threat = 10)."""
    row = dict.fromkeys(HEADER)
    row.update(
        {
            "Name": name,
            "Address": "1 MAIN ST",
            "City": "BOSTON",
            "State": "MA",
            "Zip": 2130,
            "AOR": "BOS",
            "Type Detailed": "IGSA",
            "FY19 ALOS": 12.5,
            "Level A": 4.0,
            "Level B": 3.0,
            "Level C": 2.0,
            "Level D": 1.0,
            "Male Crim": 5.0,
            "Male Non-Crim": 5.0,
            "Female Crim": 0,
            "Female Non-Crim": 0,
            "ICE Threat Level 1": 1.0,
            "ICE Threat Level 2": 2.0,
            "ICE Threat Level 3": 3.0,
            "No ICE Threat Level": 4.0,
            "Mandatory": 6.0,
        }
    )
    row.update(cells)
    return row


def _workbook(
    raw_dir: Path,
    facilities: list[dict],
    *,
    name: str = "FY19-detentionstats.xlsx",
    sheet: str = "Facilities FY19 ",
    header: list[str] = HEADER,
    after: list[list] = (),
) -> Path:
    """Write a workbook like ICE's: title rows, the header, facility rows, then ``after`` rows."""
    folder = raw_dir / STATS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    book.active.title = "Header"
    facilities_sheet = book.create_sheet(sheet)
    for row in [*TITLE_ROWS, header, *[[f.get(h) for h in header] for f in facilities], *after]:
        facilities_sheet.append(row)
    path = folder / name
    book.save(path)
    return path


def test_header_found_below_title_rows(tmp_path: Path) -> None:
    _workbook(tmp_path, [_facility(), _facility("OTHER JAIL", State="RI", Zip="02863")])
    years = read_facility_years(tmp_path)
    header_row = len(TITLE_ROWS) + 1
    assert years["row"].tolist() == [header_row + 1, header_row + 2]
    assert years["fiscal_year"].eq(2019).all()
    assert years["name"].tolist() == ["TEST COUNTY JAIL", "OTHER JAIL"]


def test_footnote_and_blank_rows_ignored(tmp_path: Path) -> None:
    notes = [[], ["[1] BERKS COUNTY RESIDENTIAL CENTER houses families."], ["*Subject to change"]]
    _workbook(tmp_path, [_facility("BERKS COUNTY RESIDENTIAL CENTER1")], after=notes)
    years = read_facility_years(tmp_path)
    assert len(years) == 1
    assert years.loc[0, "name"] == "BERKS COUNTY RESIDENTIAL CENTER"
    assert years.loc[0, "adp"] == pytest.approx(10.0)


def test_blank_adp_is_null_not_zero(tmp_path: Path) -> None:
    blank = dict.fromkeys(LEVELS) | {"Mandatory": None}
    zero = dict.fromkeys(LEVELS + CRIMINALITY + THREAT, 0)
    _workbook(tmp_path, [_facility(**blank), _facility("ZERO JAIL", **zero)])
    years = read_facility_years(tmp_path).set_index("name")
    assert np.isnan(years.loc["TEST COUNTY JAIL", "adp"])
    assert np.isnan(years.loc["TEST COUNTY JAIL", "adp_mandatory"])
    assert years.loc["TEST COUNTY JAIL", "adp_note"].startswith("Level A-D cells all blank")
    assert years.loc["TEST COUNTY JAIL", "alos"] == pytest.approx(12.5)
    assert years.loc["ZERO JAIL", "adp"] == 0


def test_not_available_is_null(tmp_path: Path) -> None:
    _workbook(
        tmp_path,
        [_facility(**{"Guaranteed Minimum": "N/A"}), _facility("B", **{"Guaranteed Minimum": 64})],
    )
    assert read_facility_years(tmp_path)["guaranteed_minimum"].tolist()[1] == 64
    assert np.isnan(read_facility_years(tmp_path)["guaranteed_minimum"].iloc[0])


def test_zip_leading_zero_restored(tmp_path: Path) -> None:
    _workbook(
        tmp_path, [_facility(Zip=2130), _facility("B", Zip="02130"), _facility("C", Zip=None)]
    )
    assert read_facility_years(tmp_path)["zip"].tolist() == ["02130", "02130", None]


def test_blank_state_kept_as_null(tmp_path: Path) -> None:
    _workbook(tmp_path, [_facility(State=None)])
    years = read_facility_years(tmp_path)
    assert len(years) == 1 and years.loc[0, "state_abbr"] is None


def test_missing_facilities_sheet_names_the_file(tmp_path: Path) -> None:
    _workbook(tmp_path, [_facility()], sheet="Detention FY19")
    with pytest.raises(SourceError, match=r"FY19-detentionstats\.xlsx: expected one 'Facilities'"):
        read_facility_years(tmp_path)


def test_missing_column_names_the_file_and_column(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "Level C"]
    _workbook(tmp_path, [_facility()], header=header)
    with pytest.raises(
        SourceError, match=r"FY19-detentionstats\.xlsx: .*lacks column\(s\) \['Level C'\]"
    ):
        read_facility_years(tmp_path)


def test_missing_header_row_names_the_file(tmp_path: Path) -> None:
    _workbook(tmp_path, [_facility()], header=[h.upper() for h in HEADER])
    with pytest.raises(SourceError, match=r"FY19-detentionstats\.xlsx: no header row"):
        read_facility_years(tmp_path)


def test_non_numeric_adp_raises(tmp_path: Path) -> None:
    _workbook(tmp_path, [_facility(**{"Level B": "TBD"})])
    with pytest.raises(SourceError, match=r"row 8: Level B is not a number >= 0: 'TBD'"):
        read_facility_years(tmp_path)


def test_cuts_of_adp_that_disagree_raise(tmp_path: Path) -> None:
    _workbook(tmp_path, [_facility(**{"Male Crim": 50.0})])
    with pytest.raises(SourceError, match=r"row 8: Level A-D sum to 10\.000 but Male Crim"):
        read_facility_years(tmp_path)


def test_two_workbooks_for_one_year_raise(tmp_path: Path) -> None:
    _workbook(tmp_path, [_facility()])
    _workbook(tmp_path, [_facility()], name="FY19_detentionStats_later.xlsx")
    with pytest.raises(SourceError, match=r"FY2019 is also the year of"):
        read_facility_years(tmp_path)


def test_file_name_and_sheet_year_must_agree(tmp_path: Path) -> None:
    _workbook(tmp_path, [_facility()], name="FY20-detentionstats.xlsx")
    with pytest.raises(SourceError, match=r"file name says FY20, the sheet 'FY19 ALOS'"):
        read_facility_years(tmp_path)


def test_no_workbook_raises(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no ICE detention statistics workbook"):
        read_facility_years(tmp_path)


def test_newest_release_of_a_fiscal_year_replaces_the_older(tmp_path: Path) -> None:
    _workbook(tmp_path, [_facility("OLD RELEASE JAIL")], name="FY19_detentionStats_01152019.xlsx")
    _workbook(tmp_path, [_facility("NEW RELEASE JAIL")], name="FY19_detentionStats_04092019.xlsx")
    years = read_facility_years(tmp_path)
    assert years["name"].tolist() == ["NEW RELEASE JAIL"]
    assert years["file"].tolist() == ["FY19_detentionStats_04092019.xlsx"]


def test_two_undated_workbooks_for_one_year_are_refused(tmp_path: Path) -> None:
    _workbook(tmp_path, [_facility()], name="FY19-detentionstats.xlsx")
    _workbook(tmp_path, [_facility()], name="FY19-detentionstats-copy.xlsx")
    with pytest.raises(SourceError, match="no release date in the names orders them"):
        read_facility_years(tmp_path)
