"""County and state boundaries from the Census cartographic boundary files, and county population.

The 2020 1:5M county file is the served geometry: it is the newest Census vintage that still has
Connecticut's 8 legacy counties, which the enforcement and crime records use.

Population comes from the Census Population Estimates Program (PEP) county files: Vintage 2020 for
2010-2019 and Vintage 2024 for 2020-2024, each year from the newest vintage that covers it.
Vintage 2024 reports Connecticut by its 9 planning regions, so those figures are carried over to
the legacy counties (see `read_population`).
"""

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.sources import SourceError, read_raw_csv

COUNTY_FILE = Path("boundaries/geometry/cb_2020_us_county_5m.zip")
STATE_FILE = Path("boundaries/geometry/cb_2023_us_state_5m.geojson")
PEP_V2020_FILE = Path("boundaries/population/co-est2020-alldata.csv")
PEP_V2024_FILE = Path("boundaries/population/co-est2024-alldata.csv")
CT_TOWN_FILE = Path("boundaries/crosswalks/ct_town_legacy_county_to_planning_region.csv")
ZCTA_FILE = Path("boundaries/crosswalks/us_geo_zctas.csv")

# The 50 states, DC and Puerto Rico; the Island Areas (AS, GU, MP, VI) are out of scope.
ISLAND_AREA_FIPS = ("60", "66", "69", "78")
SQ_METRES_PER_SQ_MILE = 2_589_988.110336

CT_STATE_FIPS = "09"
PR_STATE_FIPS = "72"
POPULATION_YEARS = range(2010, 2025)

SUCCESSOR_FIPS: Mapping[str, str] = MappingProxyType(
    {
        "02270": "02158",  # Wade Hampton Census Area, AK: renamed Kusilvak Census Area (2015)
        "46113": "46102",  # Shannon County, SD: renamed Oglala Lakota County (2015)
        "51515": "51019",  # Bedford city, VA: merged into Bedford County (2013)
    }
)
"""Retired county FIPS code -> the one code that replaced it (renames and a merge)."""

SPLIT_FIPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        # Valdez-Cordova Census Area, AK: split into Chugach and Copper River (2019)
        "02261": ("02063", "02066"),
    }
)
"""Retired county FIPS code -> the codes it was split into; no single successor exists."""

_PEP_VINTAGES = (
    # (source id, file, encoding, years taken from it)
    ("pep_v2020", PEP_V2020_FILE, "utf-8", range(2010, 2020)),
    ("pep_v2024", PEP_V2024_FILE, "latin-1", range(2020, 2025)),
)
_PEP_STATE_LEVEL, _PEP_COUNTY_LEVEL = 40, 50

CT_ALLOCATION_NOTE = (
    "allocated from Connecticut planning regions to legacy counties via the town crosswalk, "
    "weighted by ACS 2023 ZCTA population"
)
PR_NOTE = "PEP county estimates exclude Puerto Rico"


def read_counties(raw_dir: Path) -> gpd.GeoDataFrame:
    """Read every county and equivalent of the 50 states, DC and PR in EPSG:4326.

    Columns: ``county_fips`` (5-character string), ``name``, ``name_lsad``, ``state_fips``,
    ``state_abbr``, ``state_name``, ``land_area_sqmi``, ``geometry``; sorted by ``county_fips``.

    Examples
    --------
    >>> counties = read_counties(Path("../shared/data"))  # doctest: +SKIP
    >>> counties.loc[counties.county_fips == "04013", "name"].item()  # doctest: +SKIP
    'Maricopa'
    """
    path = Path(raw_dir) / COUNTY_FILE
    if not path.is_file():
        raise SourceError(path, "county boundary file not found")
    try:
        raw = gpd.read_file(f"zip://{path}")
    except Exception as exc:  # pyogrio raises several types; all mean the same to the build
        raise SourceError(path, f"cannot read county boundaries ({exc})") from exc
    missing = {"GEOID", "NAME", "NAMELSAD", "STATEFP", "STUSPS", "STATE_NAME", "ALAND"} - set(
        raw.columns
    )
    if missing:
        raise SourceError(path, f"missing columns {sorted(missing)}")
    if raw.crs is None:
        raise SourceError(path, "no .prj: the CRS is unknown")
    raw = raw[~raw["STATEFP"].isin(ISLAND_AREA_FIPS)].to_crs(4326)
    counties = gpd.GeoDataFrame(
        {
            "county_fips": raw["GEOID"].astype(str),
            "name": raw["NAME"].astype(str),
            "name_lsad": raw["NAMELSAD"].astype(str),
            "state_fips": raw["STATEFP"].astype(str),
            "state_abbr": raw["STUSPS"].astype(str),
            "state_name": raw["STATE_NAME"].astype(str),
            "land_area_sqmi": (pd.to_numeric(raw["ALAND"]) / SQ_METRES_PER_SQ_MILE).round(3),
        },
        geometry=raw.geometry.values,
        crs=4326,
    )
    bad = ~counties["county_fips"].str.fullmatch(r"\d{5}")
    if bad.any():
        raise SourceError(path, f"malformed GEOID {counties.loc[bad, 'county_fips'].iloc[0]!r}")
    return counties.sort_values("county_fips", ignore_index=True)


def read_states(raw_dir: Path, *, served_only: bool = True) -> gpd.GeoDataFrame:
    """Read the 50 states, DC and PR in EPSG:4326, for state outlines and state-level joins.

    Columns: ``state_fips`` (2-character string), ``state_abbr``, ``state_name``, ``geometry``;
    sorted by ``state_fips``. ``served_only=False`` keeps the Island Areas (AS, GU, MP, VI) of
    the 5m file, for matching state names and abbreviations found in agency records.
    """
    path = Path(raw_dir) / STATE_FILE
    if not path.is_file():
        raise SourceError(path, "state boundary file not found")
    try:
        raw = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types; all mean the same to the build
        raise SourceError(path, f"cannot read state boundaries ({exc})") from exc
    _require_columns(raw, ["STATEFP", "STUSPS", "NAME"], path)
    # GeoJSON is WGS84 by definition (RFC 7946), so a missing CRS is not ambiguous here.
    raw = raw.set_crs(4326) if raw.crs is None else raw.to_crs(4326)
    if served_only:
        raw = raw[~raw["STATEFP"].isin(ISLAND_AREA_FIPS)]
    states = gpd.GeoDataFrame(
        {
            "state_fips": raw["STATEFP"].astype(str),
            "state_abbr": raw["STUSPS"].astype(str),
            "state_name": raw["NAME"].astype(str),
        },
        geometry=raw.geometry.values,
        crs=4326,
    )
    bad = ~states["state_fips"].str.fullmatch(r"\d{2}")
    if bad.any():
        raise SourceError(path, f"malformed STATEFP {states.loc[bad, 'state_fips'].iloc[0]!r}")
    return states.sort_values("state_fips", ignore_index=True)


CENSUS_REGIONS = {"1": "northeast", "2": "midwest", "3": "south", "4": "west"}
"""The Census Bureau's region codes, as used in the PEP files' ``REGION`` column."""


def read_census_regions(raw_dir: Path) -> pd.DataFrame:
    """Each state's Census region and division, from the PEP Vintage 2024 state rows.

    Columns: ``state_fips``, ``census_region`` (``northeast``, ``midwest``, ``south``, ``west``),
    ``census_division`` (code ``1``-``9``). Puerto Rico is in no Census region (and not in PEP).
    """
    path = Path(raw_dir) / PEP_V2024_FILE
    rows = read_raw_csv(path, ["SUMLEV", "REGION", "DIVISION", "STATE"], encoding="latin-1")
    states = rows[pd.to_numeric(rows["SUMLEV"], errors="coerce") == _PEP_STATE_LEVEL]
    unknown = ~states["REGION"].isin(list(CENSUS_REGIONS))
    if unknown.any():
        raise SourceError(path, f"unknown REGION code {states.loc[unknown, 'REGION'].iloc[0]!r}")
    return pd.DataFrame(
        {
            "state_fips": states["STATE"].to_numpy(),
            "census_region": states["REGION"].map(CENSUS_REGIONS).to_numpy(),
            "census_division": states["DIVISION"].to_numpy(),
        }
    ).sort_values("state_fips", ignore_index=True)


def current_fips(county_fips: pd.Series) -> pd.Series:
    """Replace retired county codes that have exactly one successor, so old records still join.

    Applies `SUCCESSOR_FIPS`: 02270 Wade Hampton -> 02158 Kusilvak (AK, renamed 2015), 46113
    Shannon -> 46102 Oglala Lakota (SD, renamed 2015), 51515 Bedford city -> 51019 Bedford
    County (VA, merged 2013). 02261 Valdez-Cordova (AK) was split in 2019 into 02063 Chugach and
    02066 Copper River (`SPLIT_FIPS`); which one a record belongs to depends on where it is, so
    that code is left unchanged for the caller to place by location or report as unresolved.
    """
    return county_fips.replace(dict(SUCCESSOR_FIPS))


def read_population(raw_dir: Path, counties: gpd.GeoDataFrame) -> pd.DataFrame:
    """County resident population (PEP, July 1) for 2010-2024, one row per served county and year.

    Each year comes from the newest vintage covering it: Vintage 2020 for 2010-2019 (legacy
    Connecticut counties) and Vintage 2024 for 2020-2024. Vintage 2024's Connecticut planning
    regions are allocated to the legacy counties (see `_ct_piece_shares`). Retired codes are
    mapped with `current_fips`; a split code without figures for its successors leaves them
    null with a note. Puerto Rico is not in PEP's county files, so its rows are null with a note.

    Parameters
    ----------
    raw_dir
        The raw data folder holding ``boundaries/``.
    counties
        The served counties, as returned by `read_counties`.

    Returns
    -------
    pandas.DataFrame
        ``county_fips``, ``year`` (int), ``population`` (Int64, null only with a ``note``),
        ``source`` (``pep_v2020`` or ``pep_v2024``), ``note``; sorted by county and year.

    Raises
    ------
    SourceError
        A file is missing or lacks a column; a served county outside PR has no figure for a year;
        the Connecticut allocation does not conserve the regions' total; or county figures do
        not add up to PEP's state rows.
    """
    raw_dir = Path(raw_dir)
    served = counties[["county_fips", "state_fips"]]
    shares = _ct_piece_shares(raw_dir)
    estimates, state_totals = [], []
    for source, file, encoding, years in _PEP_VINTAGES:
        county_rows, state_rows = _read_pep(raw_dir / file, encoding, years)
        county_rows = _allocate_ct_regions(county_rows, shares, raw_dir / file)
        estimates.append(_to_current_fips(county_rows).assign(source=source))
        state_totals.append(state_rows.assign(source=source))
    estimates = pd.concat(estimates, ignore_index=True)
    population = _served_panel(served, estimates)
    paths = {source: raw_dir / file for source, file, _, _ in _PEP_VINTAGES}
    _check_coverage(estimates, population, paths)
    _check_state_totals(population, pd.concat(state_totals, ignore_index=True), paths)
    return population[["county_fips", "year", "population", "source", "note"]]


def _require_columns(frame: pd.DataFrame, columns: list[str], path: Path) -> None:
    """Name the missing columns, so a changed upstream layout fails with the file and column."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise SourceError(path, f"missing columns {missing}")


def _to_int(values: pd.Series, what: pd.Series, path: Path) -> pd.Series:
    """Parse whole-number counts; a blank or non-number is a broken file, not a zero."""
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() | (numbers % 1 != 0)
    if bad.any():
        raise SourceError(
            path, f"not a whole number: {what[bad].iloc[0]} = {values[bad].iloc[0]!r}"
        )
    return numbers.astype("Int64")


def _read_pep(path: Path, encoding: str, years: range) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a PEP county file into long county rows and state rows for the given years.

    Returns ``(counties, states)``: ``county_fips``, ``year``, ``population`` and
    ``state_fips``, ``year``, ``population``.
    """
    value_columns = [f"POPESTIMATE{year}" for year in years]
    raw = read_raw_csv(path, ["SUMLEV", "STATE", "COUNTY", *value_columns], encoding=encoding)
    long = raw.melt(id_vars=["SUMLEV", "STATE", "COUNTY"], var_name="year", value_name="population")
    long["year"] = long["year"].str.removeprefix("POPESTIMATE").astype(int)
    long["county_fips"] = long["STATE"] + long["COUNTY"]
    long["population"] = _to_int(
        long["population"], long["county_fips"] + " " + long["year"].astype(str), path
    )
    level = pd.to_numeric(long["SUMLEV"], errors="coerce")
    counties = long[level == _PEP_COUNTY_LEVEL]
    states = long[level == _PEP_STATE_LEVEL].rename(columns={"STATE": "state_fips"})
    bad = ~counties["county_fips"].str.fullmatch(r"\d{5}")
    if bad.any():
        raise SourceError(path, f"malformed county code {counties['county_fips'][bad].iloc[0]!r}")
    if counties.duplicated(["county_fips", "year"]).any():
        raise SourceError(path, "a county appears more than once")
    return (
        counties[["county_fips", "year", "population"]].reset_index(drop=True),
        states[["state_fips", "year", "population"]].reset_index(drop=True),
    )


def _ct_piece_shares(raw_dir: Path) -> pd.DataFrame:
    """Share of each Connecticut planning region's population living in each legacy county.

    Regions and legacy counties cut across each other, but each town lies wholly in one of
    each, so a region splits into (region, legacy county) pieces made of whole towns. Towns
    carry no population in the raw folder; ZCTAs do (ACS 2023 5-year), each with its primary
    town (``Primary County Subdivision``, 2020 geography: state + legacy county + COUSUBFP), so
    a ZCTA's population is counted in its primary town's piece. No better weight is in the raw
    folder: the LEAIC crime crosswalk has 2010 town populations for only about 100 of 169 towns,
    and PEP Vintage 2020 gives legacy-county totals but not how they split across regions.

    Known limits: Lisbon and Union are no ZCTA's primary town, so they weigh nothing and their
    residents count in a neighbour's piece (for Union, region 09150's small Tolland piece gets
    0). ACS counts fewer UConn students in Mansfield than the 2020 Census did, so Tolland
    County comes out about 3% below its Vintage 2020 level at the 2019-2020 seam.

    Returns ``region_fips``, ``county_fips`` (legacy) and ``share``; shares sum to 1 per region
    and every piece in the town crosswalk is listed, zero-weight pieces included.
    """
    town_path, zcta_path = raw_dir / CT_TOWN_FILE, raw_dir / ZCTA_FILE
    towns = read_raw_csv(town_path, ["COUSUBFP", "LEGACY_COUNTY_GEOID", "PLANNING_REGION_GEOID"])
    if towns["COUSUBFP"].duplicated().any():
        raise SourceError(town_path, "a town (COUSUBFP) appears more than once")
    zctas = read_raw_csv(zcta_path, ["ZCTA5", "Primary County Subdivision", "Population"])
    zctas = zctas[zctas["Primary County Subdivision"].str.startswith(CT_STATE_FIPS)]
    town_geoid = zctas["Primary County Subdivision"]
    pieces = pd.DataFrame(
        {
            "COUSUBFP": town_geoid.str[-5:],
            "zcta_county": town_geoid.str[:5],
            "population": _to_int(zctas["Population"], zctas["ZCTA5"], zcta_path),
        }
    ).merge(towns, on="COUSUBFP", how="left", validate="many_to_one")
    unmatched = pieces["LEGACY_COUNTY_GEOID"].isna()
    if unmatched.any():
        raise SourceError(
            town_path, f"no row for town {pieces.loc[unmatched, 'COUSUBFP'].iloc[0]} of {zcta_path}"
        )
    disagree = pieces["zcta_county"] != pieces["LEGACY_COUNTY_GEOID"]
    if disagree.any():
        raise SourceError(
            town_path, f"town {pieces.loc[disagree, 'COUSUBFP'].iloc[0]} legacy county differs"
        )
    keys = ["PLANNING_REGION_GEOID", "LEGACY_COUNTY_GEOID"]
    weights = (
        towns[keys]
        .drop_duplicates()
        .merge(pieces.groupby(keys, as_index=False)["population"].sum(), how="left")
        .fillna({"population": 0})
    )
    region_total = weights.groupby("PLANNING_REGION_GEOID")["population"].transform("sum")
    if (region_total == 0).any():
        region = weights.loc[region_total == 0, "PLANNING_REGION_GEOID"].iloc[0]
        raise SourceError(zcta_path, f"no ZCTA population in Connecticut planning region {region}")
    return pd.DataFrame(
        {
            "region_fips": weights["PLANNING_REGION_GEOID"],
            "county_fips": weights["LEGACY_COUNTY_GEOID"],
            "share": weights["population"].astype(float) / region_total.astype(float),
        }
    )


def _allocate_ct_regions(estimates: pd.DataFrame, shares: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Replace planning-region rows by legacy-county rows, conserving each region's total.

    A region's figure is split by the piece shares and rounded by largest remainder within the
    region and year, so each region (and therefore the state) keeps its exact PEP total.
    """
    in_ct = estimates["county_fips"].str.startswith(CT_STATE_FIPS)
    is_region = in_ct & ~estimates["county_fips"].isin(shares["county_fips"])
    regions = estimates[is_region].rename(columns={"county_fips": "region_fips"})
    if regions.empty:
        return estimates.assign(note=pd.NA).astype({"note": "string"})
    unknown = ~regions["region_fips"].isin(shares["region_fips"])
    if unknown.any():
        raise SourceError(
            path,
            f"Connecticut code {regions['region_fips'][unknown].iloc[0]} "
            "is neither a legacy county nor a planning region with weights",
        )
    pieces = regions.merge(shares, on="region_fips").sort_values(
        ["region_fips", "year", "county_fips"], ignore_index=True
    )
    exact = pieces["population"].astype(float) * pieces["share"]
    floor = np.floor(exact)
    group = [pieces["region_fips"], pieces["year"]]
    shortfall = pieces["population"].astype(float) - floor.groupby(group).transform("sum")
    rank = (exact - floor).groupby(group).rank(method="first", ascending=False)
    pieces["population"] = (floor + (rank <= shortfall)).astype("Int64")
    legacy = pieces.groupby(["county_fips", "year"], as_index=False)["population"].sum()
    allocated = legacy.groupby("year")["population"].sum()
    reported = regions.groupby("year")["population"].sum()
    if not allocated.equals(reported):
        raise SourceError(
            path, "Connecticut allocation does not conserve the planning regions' total"
        )
    return pd.concat(
        [estimates[~is_region].assign(note=pd.NA), legacy.assign(note=CT_ALLOCATION_NOTE)],
        ignore_index=True,
    ).astype({"note": "string"})


def _to_current_fips(estimates: pd.DataFrame) -> pd.DataFrame:
    """Move figures under retired codes to today's codes, never inventing a split.

    Renamed and merged codes are summed into their successor, with a note. A split code's
    figure cannot be divided without a source, so it is dropped, and a successor left without a
    figure that year gets a null population and a note saying why.
    """
    code = estimates["county_fips"]
    current = current_fips(code)
    estimates = estimates.assign(
        county_fips=current,
        note=estimates["note"].mask(
            current != code, "includes figures reported under retired code " + code
        ),
    )
    is_split = estimates["county_fips"].isin(SPLIT_FIPS)
    summed = (
        estimates[~is_split]
        .groupby(["county_fips", "year"], as_index=False)
        .agg(population=("population", "sum"), note=("note", "first"))
    )
    successors = pd.DataFrame(
        [(retired, new) for retired, news in SPLIT_FIPS.items() for new in news],
        columns=["retired", "county_fips"],
    )
    split = (
        estimates[is_split]
        .rename(columns={"county_fips": "retired"})
        .merge(successors, on="retired")
    )
    split = split.assign(
        population=pd.NA,
        note="PEP reports retired code "
        + split["retired"]
        + ", split into "
        + split["retired"].map({old: " and ".join(new) for old, new in SPLIT_FIPS.items()})
        + "; no source for the split",
    )
    unfilled = split.merge(summed[["county_fips", "year"]], how="left", indicator=True)
    unfilled = unfilled.loc[
        unfilled["_merge"] == "left_only", ["county_fips", "year", "population", "note"]
    ]
    return pd.concat([summed, unfilled], ignore_index=True).astype(
        {"population": "Int64", "note": "string"}
    )


def _served_panel(served: pd.DataFrame, estimates: pd.DataFrame) -> pd.DataFrame:
    """One row per served county and year; PR rows stay null with a note rather than 0."""
    year_source = {year: source for source, _, _, years in _PEP_VINTAGES for year in years}
    panel = served.merge(pd.DataFrame({"year": POPULATION_YEARS}), how="cross").merge(
        estimates, on=["county_fips", "year"], how="left", validate="one_to_one"
    )
    is_pr = panel["state_fips"].eq(PR_STATE_FIPS) & panel["population"].isna()
    return panel.assign(
        source=panel["source"].fillna(panel["year"].map(year_source)),
        note=panel["note"].mask(is_pr, PR_NOTE),
    ).sort_values(["county_fips", "year"], ignore_index=True)


def _check_coverage(
    estimates: pd.DataFrame, population: pd.DataFrame, paths: Mapping[str, Path]
) -> None:
    """Fail when a PEP county is not served, or a served county outside PR lacks a figure."""
    unserved = ~estimates["county_fips"].isin(population["county_fips"])
    if unserved.any():
        row = estimates[unserved].iloc[0]
        raise SourceError(
            paths[row["source"]], f"county {row['county_fips']} is not a served county"
        )
    unexplained = population["population"].isna() & population["note"].isna()
    if unexplained.any():
        row = population[unexplained].iloc[0]
        raise SourceError(
            paths[row["source"]], f"no population for county {row['county_fips']} in {row['year']}"
        )


def _check_state_totals(
    population: pd.DataFrame, state_totals: pd.DataFrame, paths: Mapping[str, Path]
) -> None:
    """Fail unless each state's counties add up to PEP's own state row, year by year.

    This checks the whole chain (reading, code changes, the Connecticut allocation) against
    the publisher's totals. PR has no state row; a state-year with a noted null is skipped.
    """
    keys = ["source", "state_fips", "year"]
    counted = (
        population.assign(missing=population["population"].isna())
        .groupby(keys, as_index=False)
        .agg(county_total=("population", "sum"), missing=("missing", "any"))
    )
    compared = state_totals.merge(counted, on=keys, how="outer")
    compared = compared[compared["state_fips"].ne(PR_STATE_FIPS) & compared["missing"].ne(True)]
    wrong = compared["population"].fillna(-1) != compared["county_total"].fillna(-1)
    if wrong.any():
        row = compared[wrong].iloc[0]
        raise SourceError(
            paths[row["source"]],
            f"state {row['state_fips']} {row['year']}: counties sum to {row['county_total']}, "
            f"state row says {row['population']}",
        )
