"""County crime rates (UCR and NIBRS), county reporting coverage, and NCVS reporting context.

Three readers, one per question:

- `read_crime_rates`: county violent and property crime rates per 100,000 from the Urban Institute
  files, with the UCR Summary series (2015, 2017) and the NIBRS series (2021-2023) in separate
  columns. Their "violent" differs: UCR counts murder, rape, robbery and aggravated assault; NIBRS
  counts every crime against persons, simple assault and intimidation included, so its rates run
  about three times higher. A year has values in one family only, and no column holds both.
- `read_reporting_coverage`: the population-weighted share of agency-months reported in each
  county, from the FBI CDE agency participation snapshot (about 2016).
- `read_ncvs_context`: BJS National Crime Victimization Survey shares of victimizations reported to
  police, national and for the 22 largest states. These are context only: NCVS has no county
  figures, and only about 45% of violent and 35% of property victimizations reach the police.

Crimes counted by police are crimes *reported*; neither series measures crime that occurred.
"""

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.resolve import AgencyReference
from geo.sources import SourceError, read_raw_csv
from geo.sources.counties import CT_STATE_FIPS, SPLIT_FIPS, current_fips

__all__ = [
    "COVERAGE_COLUMNS",
    "PARTICIPATION_DATA_YEAR",
    "RATE_COLUMNS",
    "SOURCE_FILES",
    "read_crime_rates",
    "read_ncvs_context",
    "read_reporting_coverage",
]

UCR_FILE = Path("crime/county_crime_rates_ucr_2015_2017_urban.csv")
UCR_COVERAGE_FILE = Path("crime/county_crime_rates_ucr_2017_with_coverage_urban.csv")
NIBRS_FILE = Path("crime/county_crime_rates_nibrs_2021_2023_urban.csv")
PARTICIPATION_FILE = Path("crime/cde_agency_participation_snapshot_2017.csv")
LEE_FILE = Path("crime/fbi_lee_latest_agency_roster.csv")
NCVS_NATIONAL_FILE = Path("crime/ncvs/ncvs_pct_reported_to_police_by_crime_2016_2017_tidy.csv")
NCVS_NATIONAL_RAW = Path("crime/ncvs/cv17t06.csv")
NCVS_NATIONAL_SE_RAW = Path("crime/ncvs/cv17at08.csv")
NCVS_STATE_FILE = Path("crime/ncvs/ncvs_state_pct_reported_to_police_2017_2019_tidy.csv")
NCVS_STATE_RAW = {
    "violent": Path("crime/ncvs/cv22luss1719at05.csv"),
    "property": Path("crime/ncvs/cv22luss1719at06.csv"),
}
NCVS_SERIES_FILE = Path(
    "crime/ncvs/ncvs_violent_victimization_and_reported_rate_1993_2017_tidy.csv"
)
NCVS_SERIES_RAW = Path("crime/ncvs/cv17f02.csv")

SOURCE_FILES = (
    UCR_FILE,
    UCR_COVERAGE_FILE,
    NIBRS_FILE,
    PARTICIPATION_FILE,
    LEE_FILE,
    NCVS_NATIONAL_FILE,
    NCVS_NATIONAL_RAW,
    NCVS_NATIONAL_SE_RAW,
    NCVS_STATE_FILE,
    *NCVS_STATE_RAW.values(),
    NCVS_SERIES_FILE,
    NCVS_SERIES_RAW,
)
"""Every raw file this module reads, relative to the raw folder (the LEAIC crosswalk, used for
ORI -> county, is read by `geo.resolve.load_reference`)."""

RATE_COLUMNS = [
    "county_fips",
    "year",
    "ucr_violent_rate",
    "ucr_property_rate",
    "ucr_quality",
    "ucr_coverage",
    "nibrs_violent_rate",
    "nibrs_property_rate",
    "nibrs_quality",
    "note",
    "source",
]
COVERAGE_COLUMNS = [
    "county_fips",
    "data_year",
    "coverage",
    "agencies",
    "agencies_reporting",
    "population_served_share",
    "note",
    "source",
]

UCR_SOURCE = "urban_ucr_2015_2017"
UCR_COVERAGE_SOURCE = "urban_ucr_2017_coverage"
NIBRS_SOURCE = "urban_nibrs_2021_2023"
COVERAGE_SOURCE = "cde_participation_2017+fbi_lee_latest+leaic_2012"

PARTICIPATION_DATA_YEAR = 2016
"""The year `months_reported` most likely refers to; the participation file has no year field."""
PARTICIPATION_NOTE = (
    "months_reported is each agency's count for its latest Summary (Return A) year in the FBI CDE "
    "as of Nov 2017; the file has no year field: most likely 2016 for current reporters, an "
    "earlier year for agencies that had stopped reporting"
)

# The value columns of each Urban file: raw name -> ours (names that are not in RATE_COLUMNS
# are used for checks only).
_UCR_COLUMNS = {
    "violent_crime_rate": "ucr_violent_rate",
    "property_crime_rate": "ucr_property_rate",
    "crime_rate_quality": "ucr_quality",
}
_UCR_COVERAGE_COLUMNS = {
    "violent_crime_rate": "violent",
    "property_crime_rate": "property",
    "coverage_indicator_crime": "ucr_coverage",
}
_NIBRS_COLUMNS = {
    "rate_crime_violent": "nibrs_violent_rate",
    "rate_crime_property": "nibrs_property_rate",
    "rate_crime_violent_quality": "nibrs_quality",
    "rate_crime_property_quality": "property_quality",
}
_QUALITY_FLAGS = (1, 2, 3)
_BLANKS = ("", "NA")  # UCR files leave a missing value empty; the NIBRS file writes "NA"
_LOCAL_AGENCY_TYPES = ("City", "County")
_MONTHS_PER_YEAR = 12

_NO_UCR_RATE = "no UCR rate in {file}: the source had no agency data for the county"
_NYC_COUNTIES = ("36005", "36047", "36061", "36081", "36085")
_NYPD_COUNTY = "36061"  # New York County, where NYPD's ORI is filed
_NYPD = (
    "likely all of NYPD (five NYC counties) over New York County's residents: the other four "
    "NYC counties have no NIBRS rate this year; not comparable with other counties"
)
_NO_NIBRS_RATE = (
    "no NIBRS rate in {file} (NA): no agency reported or none exists, population under 30, "
    "or withheld by Urban"
)
_NOT_IN_FILE = "no row for this county in {file}"
_NO_COVERAGE_YEAR = "no file gives a UCR coverage indicator for "  # + the year
_NO_COVERAGE = "no coverage indicator in {file}"
_COVERAGE_RATES_DIFFER = (
    "{file} gives other rates than {rates_file}, so its coverage indicator is not attached"
)
_RETIRED = "given under retired code "  # + the code
_SPLIT = (
    "{file} gives retired code {code}, split into {successors}: a rate for the whole former "
    "area, not assigned to either part"
)
_CT_REGIONS = (
    "{file} gives Connecticut by planning regions this year, not the served legacy counties; "
    "a rate cannot be moved between the two without counts"
)
_NO_AGENCY = "no agency of the participation file with population served (FBI LEE) lies here"
_UNWEIGHTED = "agencies here without population served (0, or not on the LEE roster): "
_ALL_BLANK = "every agency with population served here has a blank months_reported"
_SOME_BLANK = (
    "agencies with population served left out for a blank months_reported (no Summary record "
    "in the CDE): "
)  # + the count
_NO_POPULATION = "no PEP population for {year}, so no population_served_share"

# BJS table CSVs: the number of fields on each line, the label cells and the first value cell.
_BJS_ENCODING = "cp1252"
_NATIONAL_WIDTH = 10
_LABEL_CELLS = ["c0", "c1", "c2"]  # a crime type is indented by the cell it starts in
_STATE_WIDTH = 14
_SERIES_WIDTH = 8
_RATE_UNITS = {
    "violent": "per 1,000 persons age 12 or older",
    "property": "per 1,000 households",
}
_SIGNIFICANCE = {"†": 95, "‡": 90}  # BJS markers: difference significant at 95% / 90%
_FOOTNOTE = r"/[a-z]$"  # "Violent crime/b": a footnote letter, not part of the name


def read_crime_rates(raw_dir: Path, counties: gpd.GeoDataFrame) -> pd.DataFrame:
    """County crime rates per 100,000 residents, UCR and NIBRS kept in separate columns.

    UCR Summary rates (2015, 2017) come from Urban's file built on Kaplan's county
    concatenation; NIBRS rates (2021-2023) from Urban's NIBRS file. Both count crimes known to
    police. The two families define "violent" differently (see the module docstring), so each
    has its own columns and a year fills one family only: never plot or difference them on one
    axis without saying so.

    2017 is in two UCR files. Rates and quality come from ``county_crime_rates_ucr_2015_2017``
    (the later version, whose quality codes mean the same in 2015 and 2017); the earlier
    ``..._2017_with_coverage`` file gives only ``ucr_coverage``, attached where its rates equal
    the rates used (all 3,142 counties in the current files). Its own quality flag means
    something else (1 = 100% coverage) and is not used.

    Parameters
    ----------
    raw_dir
        The raw data folder holding ``crime/``.
    counties
        The served counties (``read_counties``); only ``county_fips`` is used.

    Returns
    -------
    pandas.DataFrame
        One row per served county and year of any file, sorted by county and year:

        - ``county_fips``, ``year`` (int);
        - ``ucr_violent_rate``, ``ucr_property_rate`` (float, per 100,000);
        - ``ucr_quality`` (Int64, as published): 1 = one of the five New York City counties,
          whose figures Urban took from NY State DCJS because the FBI file puts all of NYC in New
          York County; 2 = normal; 3 = low coverage (< 80%), judged from the *last* month
          reported, so treat it as rough;
        - ``ucr_coverage`` (float, 0-1): Kaplan/NACJD coverage indicator / 100, the share of
          county population whose agencies' months were reported, weighting each agency by its
          population over the county's; 2017 only;
        - ``nibrs_violent_rate``, ``nibrs_property_rate`` (float, per 100,000);
        - ``nibrs_quality`` (Int64, as published): 1 = every agency reported; 2 = at least 80%
          of agencies reported, or every core-city agency did; 3 = some but under 80%. Counted
          in agencies, not population. The file's violent and property flags are always equal
          (checked), so one column. The file has no coverage figure;
        - ``note``: why the row's own family is null (no agency data, not in the file, a split
          county, Connecticut planning regions), where a value came from (a retired code), or a
          caution: New York County's NIBRS rate is NYPD's five-borough count over Manhattan's
          residents while the other boroughs are blank (see `_nypd_note`). The other family's
          columns are null by design and need no note;
        - ``source``: file id(s) of the row's family.

        Retired codes are mapped with `current_fips`; 02261 Valdez-Cordova (split into 02063
        and 02066) gives neither successor a value. Connecticut stays in its 8 legacy counties;
        the NIBRS 2022-2023 rows for its planning regions are not served and are dropped.

    Raises
    ------
    SourceError
        A file or column is missing; a county code is malformed, neither served nor retired, or
        repeated; a rate is not a number or negative; a flag is outside 1-3; the coverage
        indicator is outside 0-100 or has a year the rates file lacks; or the two families share
        a year.

    Examples
    --------
    >>> rates = read_crime_rates(Path("../shared/data"), counties)  # doctest: +SKIP
    >>> rates.groupby("year")["ucr_violent_rate"].count().loc[2015]  # doctest: +SKIP
    3134
    """
    raw_dir = Path(raw_dir)
    served = _served_fips(counties)
    ucr = _ucr_panel(raw_dir, served)
    nibrs = _nibrs_panel(raw_dir, served)
    shared = sorted(set(ucr["year"]) & set(nibrs["year"]))
    if shared:
        raise SourceError(
            raw_dir / NIBRS_FILE, f"year {shared[0]} is also in {UCR_FILE.name}: one family a year"
        )
    rates = pd.concat([ucr, nibrs], ignore_index=True).reindex(columns=RATE_COLUMNS)
    return rates.astype(
        {
            "ucr_violent_rate": float,
            "ucr_property_rate": float,
            "ucr_quality": "Int64",
            "ucr_coverage": float,
            "nibrs_violent_rate": float,
            "nibrs_property_rate": float,
            "nibrs_quality": "Int64",
            "note": "string",
            "source": "string",
        }
    ).sort_values(["county_fips", "year"], ignore_index=True)


def read_reporting_coverage(
    raw_dir: Path,
    counties: gpd.GeoDataFrame,
    population: pd.DataFrame,
    reference: AgencyReference,
) -> pd.DataFrame:
    """Population-weighted share of agency-months reported, per served county.

    ``coverage = sum_i pop_i * min(months_i, 12) / 12 / sum_i pop_i`` over the agencies i placed in
    the county, where ``months_i`` is the agency's ``months_reported`` in the CDE participation
    snapshot and ``pop_i`` its population served in the FBI LEE roster. Population served is
    the weight because a month missing from an agency serving 100,000 people hides more crime
    than one from an agency serving 500; LEE assigns each resident to one primary agency, so the
    weights do not double count.

    Which agencies count:

    - Only agencies with population served > 0. State police, campus, transit, tribal and other
      special agencies have population 0: their crimes count, but they police nobody's
      residence, so they carry no weight. An ORI of the snapshot that is not on the LEE roster
      has no known population and is left out (about 6,700 ORIs, mostly such agencies or
      agencies that stopped filing LEE before 2018).
    - An agency's county: the county the LEE roster names when it names exactly one (LEE is
      current; LEAIC 2012 puts e.g. Philadelphia's ORI in another county); for an agency LEE
      lists in several counties, its LEAIC primary county when that is one of them; for an
      agency LEE places nowhere (Connecticut's planning regions, "NOT SPECIFIED", Nebraska's
      "NB" state code) its LEAIC county, but only for City and County agencies: a statewide
      agency's LEAIC county is just its headquarters (Alaska State Troopers, Connecticut State
      Police). Codes go through `current_fips`; a split code (02261) counts as its successors,
      and LEAIC's 02261 is settled by the agency's address ZIP (``reference.zip_counties``)
      when the ZIP lies in one successor only. A multi-county agency thus weighs in one county:
      NYPD (LEE "NOT SPECIFIED", LEAIC 36061) sits in New York County, whose
      ``population_served_share`` is about 5, and the other four boroughs have no figure.
    - A blank ``months_reported`` means the CDE held no Summary record for the agency, which is
      not the same as 0 months: such agencies are left out of the figure and counted in the note.

    Parameters
    ----------
    raw_dir
        The raw data folder holding ``crime/``.
    counties
        The served counties (``read_counties``); only ``county_fips`` is used.
    population
        ``read_population`` output; the latest year gives ``population_served_share``.
    reference
        ``geo.resolve.load_reference`` output; its ``rosters`` give ORI -> county.

    Returns
    -------
    pandas.DataFrame
        One row per served county, sorted: ``county_fips``; ``data_year`` (Int64,
        `PARTICIPATION_DATA_YEAR`: see `PARTICIPATION_NOTE`, repeated in every note);
        ``coverage`` (float 0-1, null with a note when no agency with population served and
        known months lies in the county); ``agencies`` (agencies with population served placed
        here, blank months included); ``agencies_reporting`` (of those, at least one month);
        ``population_served_share`` (their LEE population over the county's PEP population in
        the latest year: how much of the county the weights stand for; LEE counts are 2018-2025,
        so it can pass 1); ``note``; ``source``.

    Raises
    ------
    SourceError
        A file or column is missing, an ORI is malformed or repeated, or months / population are
        not whole numbers in range.
    ValueError
        ``population``, ``reference.rosters`` or ``reference.zip_counties`` lacks a column.
    """
    raw_dir = Path(raw_dir)
    served = _served_fips(counties)
    _require(population, ["county_fips", "year", "population"], "population")
    _require(reference.rosters, ["ori", "county_fips_list", "zip", "source"], "reference.rosters")
    _require(reference.zip_counties, ["zip", "county_fips"], "reference.zip_counties")
    agencies = _read_participation(raw_dir / PARTICIPATION_FILE).merge(
        _read_lee_population(raw_dir / LEE_FILE), on="ori", how="left", validate="one_to_one"
    )
    agencies["county_fips"] = _agency_county(agencies, reference, served)
    by_county = _coverage_by_county(agencies[agencies["county_fips"].notna()])
    latest = population["year"].max()
    residents = population.loc[population["year"] == latest].set_index("county_fips")["population"]
    coverage = (
        pd.DataFrame({"county_fips": served})
        .merge(by_county, on="county_fips", how="left", validate="one_to_one")
        .fillna({"agencies": 0, "agencies_reporting": 0, "agencies_blank": 0, "unweighted": 0})
    )
    share = coverage["population_served"] / coverage["county_fips"].map(residents).astype(float)
    no_share = share.isna() & coverage["agencies"].gt(0)
    notes = pd.concat(
        [
            pd.Series(PARTICIPATION_NOTE, index=coverage.index),
            _coverage_reason(coverage),
            pd.Series(_NO_POPULATION.format(year=latest), index=coverage.index).where(no_share),
        ],
        axis=1,
    )
    return coverage.assign(
        data_year=pd.array([PARTICIPATION_DATA_YEAR] * len(coverage), dtype="Int64"),
        agencies=coverage["agencies"].astype(int),
        agencies_reporting=coverage["agencies_reporting"].astype(int),
        population_served_share=share,
        note=_join_notes(notes),
        source=COVERAGE_SOURCE,
    )[COVERAGE_COLUMNS].astype({"note": "string", "source": "string"})


def read_ncvs_context(raw_dir: Path) -> dict[str, pd.DataFrame]:
    """BJS NCVS shares of victimizations reported to police, as tidy context tables.

    Values come from the ``*_tidy.csv`` files of ``crime/ncvs/``, each checked cell by cell
    against the BJS table it was extracted from, so a slip in the extraction fails the build. The
    raw tables add what the tidy files dropped: standard errors for the national table (appendix
    table 8), the confidence level of each state's difference from the US (95% or 90%), and
    BJS's warning that 2006 is not comparable with other years.

    Parameters
    ----------
    raw_dir
        The raw data folder holding ``crime/ncvs/``.

    Returns
    -------
    dict[str, pandas.DataFrame]
        ``"reported_by_crime_type"``: ``type_of_crime``, ``level`` (0 total, 1 and 2 nested
        types, as indented by BJS), ``crime_family`` (violent / property), ``year`` (2016,
        2017), ``pct_reported``, ``pct_reported_se``, ``rate_reported_per_1000``,
        ``rate_reported_se``, ``rate_unit``, ``source``; national, Criminal Victimization 2017.

        ``"reported_by_state"``: ``state`` (``United States`` or one of the 22 largest states),
        ``crime_type`` (violent / property), ``years`` (pooled, "2017-2019"), ``pct_reported``,
        ``se``, ``ci_lower``, ``ci_upper`` (95%), ``sig_diff_from_us`` (boolean, null for the
        US), ``sig_confidence_pct`` (95, 90 or null), ``number_reported``, ``number_se``,
        ``source``.

        ``"violent_victimization_series"``: ``year`` (1993-2017), the rate of violent
        victimization and of violent victimization reported to police per 1,000 persons age 12
        or older with their 95% bounds, ``share_reported_implied`` (reported rate / rate,
        computed when the tidy file was made), ``note``, ``source``.

    Raises
    ------
    SourceError
        A file or column is missing, a cell is not a number, or a tidy file disagrees with its
        BJS table (naming the tidy file, the cell and both values).
    """
    raw_dir = Path(raw_dir)
    return {
        "reported_by_crime_type": _ncvs_national(raw_dir),
        "reported_by_state": _ncvs_states(raw_dir),
        "violent_victimization_series": _ncvs_series(raw_dir),
    }


# --- shared helpers ------------------------------------------------------------------------------


def _served_fips(counties: gpd.GeoDataFrame) -> pd.Series:
    """The served county codes; a layer without ``county_fips`` is a programming error."""
    _require(counties, ["county_fips"], "counties")
    return counties["county_fips"].astype(str).drop_duplicates().reset_index(drop=True)


def _require(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    """Name the missing columns of an in-memory input (files get a SourceError instead)."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}")


def _join_notes(notes: pd.DataFrame) -> pd.Series:
    """Join each row's non-null reasons with "; ", null when the row has none."""
    stacked = notes.astype("string").stack()
    joined = stacked[stacked.notna()].groupby(level=0).agg("; ".join)
    return joined.reindex(notes.index).astype("string")


def _numbers(values: pd.DataFrame, path: Path, where: pd.Series) -> pd.DataFrame:
    """Parse cells as numbers, keeping blanks null; any other text is a broken file, not a null.

    ``where`` names each row (county and year, or a table row) for the message.
    """
    blank = values.isin(_BLANKS)
    numbers = values.apply(lambda column: pd.to_numeric(column, errors="coerce")).astype(float)
    bad = numbers.isna() & ~blank
    if bad.to_numpy().any():
        column = bad.any().idxmax()
        row = bad[column].idxmax()
        raise SourceError(
            path, f"{column} is not a number for {where[row]}: {values.at[row, column]!r}"
        )
    return numbers


# --- crime rates ---------------------------------------------------------------------------------


def _read_urban(path: Path, columns: Mapping[str, str]) -> pd.DataFrame:
    """Read an Urban county file: ``county_fips`` from state + county, ``year``, numeric values.

    Values are renamed by ``columns``; a blank or ``NA`` is null. Rates and the coverage
    indicator cannot be negative, and a county appears once a year.
    """
    raw = read_raw_csv(path, ["year", "state", "county", *columns])
    code = raw["state"] + raw["county"]
    malformed = ~(raw["state"].str.fullmatch(r"\d{2}") & raw["county"].str.fullmatch(r"\d{3}"))
    if malformed.any():
        row = malformed.idxmax()
        raise SourceError(path, f"malformed county code {code[row]!r} on line {row + 2}")
    bad_year = ~raw["year"].str.fullmatch(r"\d{4}")
    if bad_year.any():
        raise SourceError(path, f"malformed year {raw['year'][bad_year].iloc[0]!r}")
    where = "county " + code + " in " + raw["year"]
    numbers = _numbers(raw[list(columns)], path, where)
    negative = numbers.lt(0)
    if negative.to_numpy().any():
        column = negative.any().idxmax()
        row = negative[column].idxmax()
        raise SourceError(path, f"{column} is negative for {where[row]}: {numbers.at[row, column]}")
    frame = pd.concat(
        [pd.DataFrame({"county_fips": code, "year": raw["year"].astype(int)}), numbers], axis=1
    ).rename(columns=columns)
    repeated = frame.duplicated(["county_fips", "year"])
    if repeated.any():
        raise SourceError(path, f"{where[repeated.idxmax()]} appears more than once")
    return frame


def _check_flags(frame: pd.DataFrame, column: str, raw_name: str, path: Path) -> pd.Series:
    """A quality flag is 1, 2 or 3 as published (or null); return it as Int64."""
    bad = frame[column].notna() & ~frame[column].isin(_QUALITY_FLAGS)
    if bad.any():
        row = frame[bad].iloc[0]
        raise SourceError(
            path,
            f"{raw_name} {row[column]} for county {row['county_fips']} in {row['year']} "
            f"is not one of {list(_QUALITY_FLAGS)}",
        )
    return frame[column].astype("Int64")


def _place(frame: pd.DataFrame, served: pd.Series, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Move a file's rows onto served county codes, never inventing a split or a region's share.

    Returns ``(placed, gaps)``: ``placed`` holds the rows of served counties (retired codes
    renamed, with a note); ``gaps`` holds ``county_fips``, ``year``, ``gap_note`` for served
    county-years the file covers only under another geography: the successors of a split code,
    and Connecticut's legacy counties in a year the file gives planning regions.
    """
    original = frame["county_fips"]
    code = current_fips(original)
    is_served = code.isin(served)
    split = code.isin(SPLIT_FIPS)
    region = ~is_served & ~split & code.str.startswith(CT_STATE_FIPS)
    unknown = ~is_served & ~split & ~region
    if unknown.any():
        raise SourceError(
            path, f"county {code[unknown].iloc[0]} is neither a served county nor a retired code"
        )
    placed = frame[is_served].assign(
        county_fips=code[is_served],
        place_note=(_RETIRED + original[is_served]).where(code[is_served] != original[is_served]),
    )
    repeated = placed.duplicated(["county_fips", "year"])
    if repeated.any():
        row = placed[repeated].iloc[0]
        raise SourceError(
            path,
            f"county {row['county_fips']} appears twice in {row['year']}, "
            "under a retired code and its successor",
        )
    successors = _split_pairs()
    split_gaps = (
        frame.loc[split, ["county_fips", "year"]]
        .rename(columns={"county_fips": "retired"})
        .merge(successors, on="retired")
    )
    split_notes = {
        old: _SPLIT.format(file=path.name, code=old, successors=" and ".join(new))
        for old, new in SPLIT_FIPS.items()
    }
    split_gaps["gap_note"] = split_gaps["retired"].map(split_notes)
    legacy_ct = served[served.str.startswith(CT_STATE_FIPS)]
    region_gaps = (
        pd.DataFrame({"year": frame.loc[region, "year"].unique()})
        .merge(pd.DataFrame({"county_fips": legacy_ct}), how="cross")
        .assign(gap_note=_CT_REGIONS.format(file=path.name))
    )
    gaps = pd.concat([split_gaps, region_gaps], ignore_index=True)
    gaps = gaps.merge(placed[["county_fips", "year"]], how="left", indicator=True)
    gaps = gaps.loc[gaps["_merge"] == "left_only", ["county_fips", "year", "gap_note"]]
    return placed, gaps.drop_duplicates(["county_fips", "year"])


def _split_pairs() -> pd.DataFrame:
    """``retired``, ``county_fips``: each split county code with each of its successors."""
    return pd.DataFrame(
        [(old, new) for old, news in SPLIT_FIPS.items() for new in news],
        columns=["retired", "county_fips"],
    )


def _same(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Equal rates (to float precision), two nulls counting as equal."""
    return np.isclose(left.astype(float), right.astype(float), rtol=1e-9, atol=0, equal_nan=True)


def _panel(
    served: pd.Series,
    values: pd.DataFrame,
    gaps: pd.DataFrame,
    path: Path,
    sources: Mapping[int, str],
    rate: str,
    missing_rate: str,
) -> pd.DataFrame:
    """One row per served county and year of the file, every null family value with a reason.

    ``values`` carries the placed rows with ``place_note`` and ``value_note``; ``missing_rate``
    explains a listed row whose ``rate`` is null, ``gaps`` a served county-year the file gives
    under another geography, and anything else is "no row in the file".
    """
    panel = (
        pd.DataFrame({"county_fips": served})
        .merge(pd.DataFrame({"year": sorted(sources)}), how="cross")
        .merge(
            values, on=["county_fips", "year"], how="left", validate="one_to_one", indicator=True
        )
        .merge(gaps, on=["county_fips", "year"], how="left", validate="one_to_one")
    )
    listed = panel.pop("_merge") == "both"
    absent = panel["gap_note"].fillna(_NOT_IN_FILE.format(file=path.name))
    reason = absent.where(
        ~listed, pd.Series(missing_rate, index=panel.index).where(panel[rate].isna())
    )
    notes = pd.concat([panel["place_note"], reason, panel["value_note"]], axis=1)
    return panel.drop(columns=["place_note", "gap_note", "value_note"]).assign(
        note=_join_notes(notes), source=panel["year"].map(sources)
    )


def _ucr_panel(raw_dir: Path, served: pd.Series) -> pd.DataFrame:
    """UCR Summary rates of every served county and year, with 2017's coverage indicator."""
    path, coverage_path = raw_dir / UCR_FILE, raw_dir / UCR_COVERAGE_FILE
    rates = _read_urban(path, _UCR_COLUMNS)
    rates["ucr_quality"] = _check_flags(rates, "ucr_quality", "crime_rate_quality", path)
    coverage = _read_urban(coverage_path, _UCR_COVERAGE_COLUMNS)
    above = coverage["ucr_coverage"].gt(100)
    if above.any():
        row = coverage[above].iloc[0]
        raise SourceError(
            coverage_path,
            f"coverage_indicator_crime {row['ucr_coverage']} is above 100 for county "
            f"{row['county_fips']} in {row['year']}",
        )
    extra = sorted(set(coverage["year"]) - set(rates["year"]))
    if extra:
        raise SourceError(
            coverage_path, f"year {extra[0]} is not in {UCR_FILE.name}, whose rates are used"
        )
    placed, gaps = _place(rates, served, path)
    placed_coverage, _ = _place(coverage, served, coverage_path)
    merged = placed.merge(
        placed_coverage.drop(columns="place_note"),
        on=["county_fips", "year"],
        how="left",
        validate="one_to_one",
        indicator=True,
    )
    listed = merged.pop("_merge") == "both"
    same = _same(merged["ucr_violent_rate"], merged["violent"]) & _same(
        merged["ucr_property_rate"], merged["property"]
    )
    coverage_year = merged["year"].isin(coverage["year"])
    merged["ucr_coverage"] = (merged["ucr_coverage"] / 100).where(listed & same)
    merged["value_note"] = np.select(
        [~coverage_year, ~listed, ~same, merged["ucr_coverage"].isna()],
        [
            _NO_COVERAGE_YEAR + merged["year"].astype(str),
            _NOT_IN_FILE.format(file=coverage_path.name),
            _COVERAGE_RATES_DIFFER.format(file=coverage_path.name, rates_file=path.name),
            _NO_COVERAGE.format(file=coverage_path.name),
        ],
        default=None,
    )
    years = sorted(set(rates["year"]))
    sources = {
        year: f"{UCR_SOURCE}+{UCR_COVERAGE_SOURCE}" if year in set(coverage["year"]) else UCR_SOURCE
        for year in years
    }
    values = merged.drop(columns=["violent", "property"])
    return _panel(
        served, values, gaps, path, sources, "ucr_violent_rate", _NO_UCR_RATE.format(file=path.name)
    )


def _nibrs_panel(raw_dir: Path, served: pd.Series) -> pd.DataFrame:
    """NIBRS rates of every served county and year, with the file's one quality flag."""
    path = raw_dir / NIBRS_FILE
    rates = _read_urban(path, _NIBRS_COLUMNS)
    violent = _check_flags(rates, "nibrs_quality", "rate_crime_violent_quality", path)
    property_ = _check_flags(rates, "property_quality", "rate_crime_property_quality", path)
    agree = (violent == property_).fillna(False) | (violent.isna() & property_.isna())
    if not agree.all():
        row = rates[~agree].iloc[0]
        raise SourceError(
            path,
            f"violent and property quality flags differ for county {row['county_fips']} in "
            f"{row['year']}",
        )
    rates = rates.assign(nibrs_quality=violent).drop(columns="property_quality")
    placed, gaps = _place(rates, served, path)
    sources = dict.fromkeys(sorted(set(rates["year"])), NIBRS_SOURCE)
    values = placed.assign(value_note=_nypd_note(placed))
    missing = _NO_NIBRS_RATE.format(file=path.name)
    return _panel(served, values, gaps, path, sources, "nibrs_violent_rate", missing)


def _nypd_note(rates: pd.DataFrame) -> pd.Series:
    """Flag New York County's NIBRS rate in a year when the other four NYC counties have none.

    NYPD polices all five counties but its ORI is filed under New York County, so a rate there
    with the other boroughs blank is NYPD's whole count over Manhattan's residents (2023: about
    13,000 violent per 100,000). The value is kept as published, with a note so that no map
    shows it without comment. Keyed on the symptom, so the note goes away once the source splits NYPD.
    """
    boroughs = rates[rates["county_fips"].isin(_NYC_COUNTIES)]
    others_blank = (
        boroughs[boroughs["county_fips"] != _NYPD_COUNTY]
        .groupby("year")["nibrs_violent_rate"]
        .apply(lambda rate: rate.isna().all())
    )
    flagged = (
        rates["county_fips"].eq(_NYPD_COUNTY)
        & rates["nibrs_violent_rate"].notna()
        & rates["year"].isin(others_blank[others_blank].index)
    )
    return pd.Series(_NYPD, index=rates.index, dtype="string").where(flagged)


# --- reporting coverage --------------------------------------------------------------------------


def _whole_numbers(values: pd.Series, path: Path, column: str, ori: pd.Series) -> pd.Series:
    """Parse counts as Int64, blanks null; text or fractions mean a broken file."""
    numbers = _numbers(values.to_frame(column), path, "ORI " + ori)[column]
    fraction = numbers.notna() & (numbers % 1 != 0)
    if fraction.any():
        row = fraction.idxmax()
        raise SourceError(
            path, f"{column} is not a whole number for ORI {ori[row]}: {values[row]!r}"
        )
    return numbers.astype("Int64")


def _check_oris(ori: pd.Series, path: Path) -> None:
    """ORIs are 9 characters and unique, or the joins to the rosters cannot be trusted."""
    malformed = ~ori.str.fullmatch(r"[A-Z0-9]{9}")
    if malformed.any():
        raise SourceError(path, f"malformed ORI {ori[malformed].iloc[0]!r}")
    if ori.duplicated().any():
        raise SourceError(path, f"ORI {ori[ori.duplicated()].iloc[0]} appears more than once")


def _read_participation(path: Path) -> pd.DataFrame:
    """Months reported per agency: ``ori``, ``agency_type_name``, ``months`` (Int64, null = blank)."""
    raw = read_raw_csv(path, ["ori", "agency_type_name", "months_reported"])
    ori = raw["ori"].str.strip()
    _check_oris(ori, path)
    months = _whole_numbers(raw["months_reported"], path, "months_reported", ori)
    out_of_range = months.notna() & ~months.between(0, _MONTHS_PER_YEAR)
    if out_of_range.any():
        row = out_of_range.idxmax()
        raise SourceError(path, f"months_reported {months[row]} for ORI {ori[row]} is not 0-12")
    return pd.DataFrame(
        {"ori": ori, "agency_type_name": raw["agency_type_name"].str.strip(), "months": months}
    )


def _read_lee_population(path: Path) -> pd.DataFrame:
    """Population served per ORI from the LEE roster: ``ori``, ``population`` (Int64, >= 0)."""
    raw = read_raw_csv(path, ["ori", "population"])
    ori = raw["ori"].str.strip()
    _check_oris(ori, path)
    population = _whole_numbers(raw["population"], path, "population", ori)
    if population.lt(0).any():
        raise SourceError(path, f"negative population for ORI {ori[population.lt(0)].iloc[0]}")
    return pd.DataFrame({"ori": ori, "population": population})


def _agency_county(
    agencies: pd.DataFrame, reference: AgencyReference, served: pd.Series
) -> pd.Series:
    """The one served county each agency's population lives in, or null (see the rules in
    `read_reporting_coverage`)."""
    keyed = reference.rosters[reference.rosters["ori"].notna()]
    lee = keyed[keyed["source"] == "LEE"].drop_duplicates("ori").set_index("ori")
    leaic = keyed[keyed["source"] == "LEAIC"].drop_duplicates("ori").set_index("ori")
    # Every served county the LEE roster lists, retired codes renamed and split ones expanded.
    listed = current_fips(agencies["ori"].map(lee["county_fips_list"]).explode().dropna())
    successors = listed.map(dict(SPLIT_FIPS)).astype(object)
    listed = successors.where(successors.notna(), listed).explode()
    pairs = (
        pd.DataFrame({"row": listed.index, "county_fips": listed.to_numpy()})
        .loc[lambda frame: frame["county_fips"].isin(served)]
        .drop_duplicates()
    )
    primary = _primary_county(agencies["ori"], leaic, reference.zip_counties)
    primary = primary.where(primary.isin(served))
    by_row = pairs.assign(
        is_primary=pairs["county_fips"].to_numpy() == primary[pairs["row"]].to_numpy()
    )
    by_row = (
        by_row.groupby("row")
        .agg(
            n_listed=("county_fips", "size"),
            only=("county_fips", "first"),
            primary_listed=("is_primary", "any"),
        )
        .reindex(agencies.index)
    )
    n_listed = by_row["n_listed"].fillna(0)
    only, primary_listed = by_row["only"], by_row["primary_listed"].fillna(False).astype(bool)
    local = agencies["agency_type_name"].isin(_LOCAL_AGENCY_TYPES)
    county = pd.Series(
        np.select(
            [n_listed == 1, (n_listed > 1) & primary_listed, (n_listed == 0) & local],
            [only, primary, primary],
            default=None,
        ),
        index=agencies.index,
        dtype=object,
    )
    return county.where(county.isin(served))


def _primary_county(ori: pd.Series, leaic: pd.DataFrame, zip_counties: pd.DataFrame) -> pd.Series:
    """LEAIC's primary county of each ORI under today's codes.

    A split code (02261 Valdez-Cordova) is settled by the agency's address ZIP when the ZIP lies
    in exactly one of the successors; otherwise the agency has no primary county.
    """
    code = current_fips(ori.map(leaic["county_fips_list"]).str[0])
    successors = _split_pairs()
    split = pd.DataFrame({"retired": code, "zip": ori.map(leaic["zip"])})[code.isin(SPLIT_FIPS)]
    located = (
        split.reset_index()
        .merge(zip_counties, on="zip")
        .merge(successors, on=["retired", "county_fips"])
        .drop_duplicates(["index", "county_fips"])
    )
    settled = located[~located["index"].duplicated(keep=False)].set_index("index")["county_fips"]
    return code.mask(code.isin(SPLIT_FIPS), settled.reindex(code.index))


def _coverage_by_county(placed: pd.DataFrame) -> pd.DataFrame:
    """Aggregate the agencies placed in a county into one row per county.

    Only agencies with population served weigh; those without are counted for the note.
    """
    weighted = placed["population"].gt(0).fillna(False)
    known = weighted & placed["months"].notna()
    population = placed["population"].astype(float).where(weighted)
    share = placed["months"].astype(float).clip(upper=_MONTHS_PER_YEAR) / _MONTHS_PER_YEAR
    sums = (
        placed.assign(
            weighted=weighted,
            weight=population.where(known),
            weighted_months=(population * share).where(known),
            reporting=weighted & placed["months"].gt(0).fillna(False),
            blank=weighted & ~known,
            unweighted=~weighted,
            population_served=population,
        )
        .groupby("county_fips", as_index=False)
        .agg(
            agencies=("weighted", "sum"),
            agencies_reporting=("reporting", "sum"),
            agencies_blank=("blank", "sum"),
            unweighted=("unweighted", "sum"),
            weight=("weight", "sum"),
            weighted_months=("weighted_months", "sum"),
            population_served=("population_served", "sum"),
        )
    )
    sums["coverage"] = (sums["weighted_months"] / sums["weight"]).where(sums["weight"] > 0)
    sums["population_served"] = sums["population_served"].where(sums["agencies"] > 0)
    return sums.drop(columns=["weight", "weighted_months"])


def _coverage_reason(coverage: pd.DataFrame) -> pd.Series:
    """Why a county's coverage is null, or which agencies it leaves out."""
    agencies, blank, unweighted = (
        coverage["agencies"],
        coverage["agencies_blank"],
        coverage["unweighted"].astype(int),
    )
    reason = pd.Series(pd.NA, index=coverage.index, dtype="string")
    reason = reason.mask(blank.gt(0), _SOME_BLANK + blank.astype(int).astype(str))
    reason = reason.mask(blank.gt(0) & blank.eq(agencies), _ALL_BLANK)
    no_agency = pd.Series(_NO_AGENCY, index=coverage.index, dtype="string")
    no_agency = no_agency.mask(
        unweighted.gt(0), _NO_AGENCY + "; " + _UNWEIGHTED + unweighted.astype(str)
    )
    return reason.mask(agencies.eq(0), no_agency)


# --- NCVS context --------------------------------------------------------------------------------


def _read_bjs(path: Path, width: int) -> pd.DataFrame:
    """A BJS table CSV (title lines, notes, cp1252) as stripped text cells ``c0`` ... ``c{width-1}``."""
    names = [f"c{i}" for i in range(width)]
    table = read_raw_csv(
        path, names, header=None, names=names, index_col=False, encoding=_BJS_ENCODING
    )
    return table.apply(lambda column: column.str.strip())


def _body(table: pd.DataFrame, path: Path, header: str, value_cell: str) -> pd.DataFrame:
    """The rows below the column-header row (``c0 == header``) whose ``value_cell`` is a number.

    Rows above the header (title, report, "2016" year headings) are never data, whatever they hold.
    """
    headers = table.index[table["c0"] == header]
    if headers.empty:
        raise SourceError(path, f"no column-header row starting {header!r}")
    below = table.loc[headers[0] + 1 :]
    return below[pd.to_numeric(below[value_cell], errors="coerce").notna()].reset_index(drop=True)


def _bjs_rows(path: Path, width: int, values: Mapping[str, str]) -> pd.DataFrame:
    """The data rows of a BJS table by crime type: ``label``, ``level`` and the named values.

    A crime type's label sits in the first non-empty of ``c0``-``c2`` (the indent is the level),
    with the footnote letter removed.
    """
    rows = _body(_read_bjs(path, width), path, "Type of crime", next(iter(values)))
    labels = rows[_LABEL_CELLS].replace("", np.nan)
    frame = pd.DataFrame(
        {
            "label": labels.bfill(axis=1).iloc[:, 0].str.replace(_FOOTNOTE, "", regex=True),
            "level": labels.notna().to_numpy().argmax(axis=1),
        }
    )
    numbers = _numbers(rows[list(values)], path, "row " + frame["label"])
    return pd.concat([frame, numbers.rename(columns=values)], axis=1).reset_index(drop=True)


def _check_against(
    tidy: pd.DataFrame,
    raw: pd.DataFrame,
    key: str,
    columns: list[str],
    tidy_path: Path,
    raw_path: Path,
) -> None:
    """Fail unless the tidy rows are the raw table's rows, in order, with the same numbers."""
    tidy_keys, raw_keys = tidy[key].tolist(), raw[key].tolist()
    if tidy_keys != raw_keys:
        differ = next(
            (i for i, (a, b) in enumerate(zip(tidy_keys, raw_keys, strict=False)) if a != b),
            min(len(tidy_keys), len(raw_keys)),
        )
        raise SourceError(
            tidy_path, f"rows differ from {raw_path.name} at row {differ + 1} ({key})"
        )
    for column in columns:
        same = _same(tidy[column].reset_index(drop=True), raw[column].reset_index(drop=True))
        if not same.all():
            row = int(np.argmin(same))
            raise SourceError(
                tidy_path,
                f"{column} for {tidy_keys[row]} is {tidy[column].iloc[row]} but {raw_path.name} "
                f"says {raw[column].iloc[row]}",
            )


def _ncvs_national(raw_dir: Path) -> pd.DataFrame:
    """Percent and rate of victimizations reported to police by crime type, 2016 and 2017."""
    tidy_path = raw_dir / NCVS_NATIONAL_FILE
    raw_path, se_path = raw_dir / NCVS_NATIONAL_RAW, raw_dir / NCVS_NATIONAL_SE_RAW
    years = (2016, 2017)
    values = [
        f"{kind}_{year}" for kind in ("pct_reported", "rate_reported_per_1000") for year in years
    ]
    tidy = read_raw_csv(tidy_path, ["type_of_crime", "level", *values])
    tidy = pd.concat(
        [
            tidy[["type_of_crime"]],
            _numbers(tidy[["level", *values]], tidy_path, tidy["type_of_crime"]),
        ],
        axis=1,
    ).rename(columns={"type_of_crime": "label"})
    raw = _bjs_rows(
        raw_path, _NATIONAL_WIDTH, dict(zip(["c3", "c5", "c7", "c8"], values, strict=True))
    )
    _check_against(tidy, raw, "label", ["level", *values], tidy_path, raw_path)
    errors = [
        f"{kind}_{year}" for kind in ("pct_reported_se", "rate_reported_se") for year in years
    ]
    se = _bjs_rows(
        se_path, _NATIONAL_WIDTH, dict(zip(["c3", "c5", "c8", "c9"], errors, strict=True))
    )
    if se["label"].tolist() != raw["label"].tolist():
        raise SourceError(se_path, f"crime types differ from {raw_path.name}")
    family = tidy["label"].where(tidy["level"] == 0).ffill()
    family = family.str.startswith("Property").map({True: "property", False: "violent"})
    long = [
        pd.DataFrame(
            {
                "type_of_crime": tidy["label"],
                "level": tidy["level"].astype(int),
                "crime_family": family,
                "year": year,
                "pct_reported": tidy[f"pct_reported_{year}"],
                "pct_reported_se": se[f"pct_reported_se_{year}"],
                "rate_reported_per_1000": tidy[f"rate_reported_per_1000_{year}"],
                "rate_reported_se": se[f"rate_reported_se_{year}"],
                "rate_unit": family.map(_RATE_UNITS),
            }
        )
        for year in years
    ]
    source = f"bjs_{raw_path.stem}+bjs_{se_path.stem}"
    return pd.concat(long, ignore_index=True).assign(source=source)


def _ncvs_states(raw_dir: Path) -> pd.DataFrame:
    """Percent of violent and property victimizations reported to police, 22 largest states."""
    tidy_path = raw_dir / NCVS_STATE_FILE
    values = ["pct_reported", "se", "ci_lower", "ci_upper", "number_reported", "number_se"]
    tidy = read_raw_csv(tidy_path, ["state", "crime_type", "years", *values, "sig_diff_from_us"])
    numbers = _numbers(tidy[values], tidy_path, tidy["state"] + " " + tidy["crime_type"])
    tidy = pd.concat([tidy[["state", "crime_type", "years", "sig_diff_from_us"]], numbers], axis=1)
    unknown_type = ~tidy["crime_type"].isin(NCVS_STATE_RAW)
    if unknown_type.any():
        raise SourceError(tidy_path, f"crime_type {tidy['crime_type'][unknown_type].iloc[0]!r}")
    unknown_sig = ~tidy["sig_diff_from_us"].isin(["yes", "no", ""])
    if unknown_sig.any():
        raise SourceError(
            tidy_path, f"sig_diff_from_us {tidy['sig_diff_from_us'][unknown_sig].iloc[0]!r}"
        )
    parts = []
    for crime_type, raw_file in NCVS_STATE_RAW.items():
        raw_path = raw_dir / raw_file
        raw = _state_rows(raw_path)
        part = tidy[tidy["crime_type"] == crime_type].reset_index(drop=True)
        _check_against(part, raw, "state", values, tidy_path, raw_path)
        significant = raw["marker"].isin(_SIGNIFICANCE)
        expected = np.where(raw["comparison"], "", np.where(significant, "yes", "no"))
        wrong = part["sig_diff_from_us"].to_numpy() != expected
        if wrong.any():
            state = part["state"][wrong].iloc[0]
            raise SourceError(
                tidy_path,
                f"sig_diff_from_us for {state} {crime_type} disagrees with {raw_file.name}",
            )
        parts.append(
            part.assign(
                sig_diff_from_us=pd.array(
                    np.where(raw["comparison"], None, significant), dtype="boolean"
                ),
                sig_confidence_pct=raw["marker"].map(_SIGNIFICANCE).astype("Int64"),
                source=f"bjs_{raw_file.stem}",
            )
        )
    columns = [
        "state",
        "crime_type",
        "years",
        "pct_reported",
        "se",
        "ci_lower",
        "ci_upper",
        "sig_diff_from_us",
        "sig_confidence_pct",
        "number_reported",
        "number_se",
        "source",
    ]
    return pd.concat(parts, ignore_index=True)[columns]


def _state_rows(path: Path) -> pd.DataFrame:
    """Rows of a BJS 22-state appendix table: state, significance marker and the six numbers.

    The comparison group (the US) sits one column to the right with a ``*``; "2,539,000" style
    counts lose their thousands separators.
    """
    rows = _body(_read_bjs(path, _STATE_WIDTH), path, "State", "c2")
    state = rows["c0"].where(rows["c0"] != "", rows["c1"])
    cells = {"c2": "pct_reported", "c4": "se", "c7": "ci_lower", "c9": "ci_upper"}
    cells |= {"c12": "number_reported", "c13": "number_se"}
    text = rows[list(cells)].apply(lambda column: column.str.replace(",", "", regex=False))
    numbers = _numbers(text, path, state).rename(columns=cells)
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "state": state.str.rstrip("*"),
                    "comparison": state.str.endswith("*"),
                    "marker": rows["c3"],
                }
            ),
            numbers,
        ],
        axis=1,
    )


def _ncvs_series(raw_dir: Path) -> pd.DataFrame:
    """Violent victimization rate and the rate reported to police, 1993-2017, with 95% bounds."""
    tidy_path, raw_path = raw_dir / NCVS_SERIES_FILE, raw_dir / NCVS_SERIES_RAW
    values = [
        "violent_victimization_rate_per_1000",
        "vv_ci_upper",
        "vv_ci_lower",
        "violent_victimization_reported_rate_per_1000",
        "reported_ci_upper",
        "reported_ci_lower",
        "share_reported_implied",
    ]
    tidy = read_raw_csv(tidy_path, ["year", *values])
    tidy = _numbers(tidy, tidy_path, "year " + tidy["year"])
    table = _read_bjs(raw_path, _SERIES_WIDTH)
    # Years print as '93 ... '17 (one as 13, without the apostrophe).
    short_year = table["c0"].str.extract(r"^'?(\d{2})$", expand=False)
    rows = table[short_year.notna()].reset_index(drop=True)
    two_digits = short_year.dropna().astype(int).reset_index(drop=True)
    cells = dict(zip(["c2", "c1", "c3", "c6", "c5", "c7"], values[:6], strict=True))
    raw = pd.concat(
        [
            pd.DataFrame({"year": np.where(two_digits < 50, 2000, 1900) + two_digits.to_numpy()}),
            _numbers(rows[list(cells)], raw_path, "year " + rows["c0"]).rename(columns=cells),
        ],
        axis=1,
    )
    _check_against(tidy, raw, "year", values[:6], tidy_path, raw_path)
    implied = tidy["violent_victimization_reported_rate_per_1000"] / tidy[values[0]]
    off = (implied - tidy["share_reported_implied"]).abs() > 0.0005 + 1e-9
    if off.any():
        year = int(tidy["year"][off].iloc[0])
        raise SourceError(tidy_path, f"share_reported_implied for {year} is not reported / rate")
    warned = (
        table["c0"]
        .str.extract(r"Estimates for (\d{4}) should not be compared to other years", expand=False)
        .dropna()
    )
    notes = {
        int(year): f"BJS: estimates for {year} should not be compared to other years"
        for year in warned
    }
    tidy["year"] = tidy["year"].astype(int)
    return tidy.assign(note=tidy["year"].map(notes).astype("string"), source=f"bjs_{raw_path.stem}")
