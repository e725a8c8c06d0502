"""ICE detention by facility and fiscal year, with each facility placed at a point and in a county.

ICE's annual detention statistics workbooks (FY2019 onward) carry one ``Facilities …`` sheet:
a row per facility with its address, field office (AOR), contract type and fiscal-year average
daily population (ADP). The sheets have no facility code and no coordinates, so facilities are
keyed by their normalised name and state, and placed from other raw files.

Placement (``placement_method``), from the strongest evidence down; the first that applies wins:

1. ``prison_boundary`` at the facility's street address: a HIFLD prison polygon in the same ZIP
   and state with the same house number and street (its footprint; the point is the polygon's
   representative point);
2. ``located_table``: name + state in the Open Security Mapping Project's list of ICE facilities,
   whose coordinates are OpenStreetMap's (ODbL: credit "© OpenStreetMap contributors");
3. ``prison_boundary`` by name: a HIFLD polygon of the same name in the state, else one in the
   same ZIP sharing a distinctive name word;
4. ``zip_single_county``: the ZIP is a ZCTA lying in one county (and the city, if a place, too);
5. ``zip_place``: the ZCTA spans several counties and the city, a Census place, lies in one of them;
6. ``place``: the ZIP is not a ZCTA (P.O. box, military) and the city is a place in one county;
7. ``zip_primary_county``: the ZCTA spans several counties and the city does not settle which;
   the one holding most of its land (the weakest: a guess with a stated basis);
8. ``unplaced``: with the reason in ``placement_note``.

A point's county is found by point in polygon against the served counties, never read from a
table's county field (ICE's 2017 list and HIFLD have wrong ones). A point places its facility
only when that county lies in the facility's state and, where the ZIP is a ZCTA or the city a
place, is one of their counties: OpenStreetMap put Guantanamo in Spain, two facilities at
(0, 0) and Miami Correctional (IN) in Fort Wayne. A point within `_BORDER_METRES` of those
counties is kept as the location while the county comes from the ZIP or city, since the 1:5M
county lines are generalised (Robert A Deyton, GA, falls 100 m into the neighbouring county).
"""

import hashlib
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.resolve import AgencyReference
from geo.sources import SourceError, check_xlsx, read_raw_csv

STATS_DIR = Path("detention/ice_detention_stats")
LOCATED_FILE = Path("detention/locations/ice_detention_facilities_enriched.csv")
PRISON_BOUNDARY_FILE = Path("detention/locations/prison-boundaries-1-shapefile.zip")
ZCTA_FILE = Path("boundaries/crosswalks/us_geo_zctas.csv")
DDP_FILE = Path("detention/ddp/facilities-daily-population-latest.parquet")
SOURCE_FILES = (
    str(STATS_DIR / "*.xlsx"),
    str(LOCATED_FILE),
    str(PRISON_BOUNDARY_FILE),
    str(ZCTA_FILE),
    str(DDP_FILE),
)
"""Every raw file this module reads, as globs under the raw folder (for the manifest).

`place_facilities` also uses the places and ZIP tables of `geo.resolve.load_reference`, whose
files are listed in `geo.resolve.REFERENCE_FILES`.
"""

PLACEMENT_METHODS = (
    "located_table",
    "prison_boundary",
    "zip_single_county",
    "zip_place",
    "place",
    "zip_primary_county",
    "unplaced",
)
"""How a facility's county was found, strongest evidence first."""

FACILITY_YEAR_COLUMNS = [
    "facility_id",
    "fiscal_year",
    "name",
    "address",
    "city",
    "state_abbr",
    "zip",
    "aor",
    "facility_type",
    "adp",
    "adp_note",
    "adp_mandatory",
    "guaranteed_minimum",
    "alos",
    "file",
    "row",
]
FACILITY_COLUMNS = [
    "facility_id",
    "name",
    "address",
    "city",
    "state_abbr",
    "state_note",
    "zip",
    "county_fips",
    "placement_method",
    "placement_note",
    "point_source",
    "geometry",
]

_LEVELS = ["Level A", "Level B", "Level C", "Level D"]
# Two more cuts of the same total ADP, read only to check that the sheet's columns line up.
_CRIMINALITY = ["Male Crim", "Male Non-Crim", "Female Crim", "Female Non-Crim"]
_THREAT = ["ICE Threat Level 1", "ICE Threat Level 2", "ICE Threat Level 3", "No ICE Threat Level"]
_TEXT_COLUMNS = ["Name", "Address", "City", "State", "Zip", "AOR", "Type Detailed"]
_NUMBER_COLUMNS = [*_LEVELS, *_CRIMINALITY, *_THREAT, "Mandatory", "Guaranteed Minimum"]
# How ICE writes "not available" in number cells: text N/A (FY24 Guaranteed Minimum) or the Excel
# error #N/A (FY19 Folkston rows), which pandas already reads as NaN.
_NOT_AVAILABLE = frozenset({"N/A", "#N/A"})
_ALOS_HEADER = re.compile(r"FY\s?(\d{2}) ALOS")
_FILE_FISCAL_YEAR = re.compile(r"FY(\d{2})", re.IGNORECASE)
# USPS codes of the 50 states, DC, PR and the Island Areas: ICE detains in Guam and Saipan too,
# so any other code is a broken cell rather than a facility to leave unplaced.
_STATE_CODES = frozenset(
    code
    for codes in (
        "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO",
        "MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY",
        "PR AS GU MP VI",
    )
    for code in codes.split()
)
_RELEASE_DATE = r"(\d{8})\.xlsx$"  # MMDDYYYY at the end of the name, e.g. ..._04092026.xlsx
# The three cuts agree to about 1e-6 in every workbook; more than this means shifted columns.
_PARTITION_TOLERANCE = 0.01

# Abbreviations spelled out in facility names, token by token, so that "KAY CO JUSTICE FACILITY"
# and "KAY COUNTY JUSTICE FACILITY" (FY19-FY22 vs FY23-) get one id.
_NAME_SPELLING = {
    "CO": "COUNTY",
    "CNTY": "COUNTY",
    "DET": "DETENTION",
    "CTR": "CENTER",
    "CNTR": "CENTER",
    "FAC": "FACILITY",
    "DEPT": "DEPARTMENT",
    "PUB": "PUBLIC",
    "SFTY": "SAFETY",
    "CPLX": "COMPLEX",
    "CORR": "CORRECTIONAL",
    "SHERIFFS": "SHERIFF",
}
_ABBREVIATION = re.compile(r"\b(?:" + "|".join(_NAME_SPELLING) + r")\b")
# Name words too common to tell two facilities in one ZIP apart.
_GENERIC_WORDS = frozenset(
    [
        "ADULT",
        "AND",
        "ANNEX",
        "CENTER",
        "CITY",
        "COMPLEX",
        "CONTRACT",
        "CORRECTION",
        "CORRECTIONAL",
        "CORRECTIONS",
        "COUNTY",
        "DEPARTMENT",
        "DETENTION",
        "FACILITY",
        "FEDERAL",
        "HOUSE",
        "ICE",
        "INSTITUTION",
        "JAIL",
        "JUSTICE",
        "LAW",
        "MAIN",
        "OFFICE",
        "PARISH",
        "PRISON",
        "PROCESSING",
        "PUBLIC",
        "REGIONAL",
        "SAFETY",
        "SERVICE",
        "SHERIFF",
        "STATE",
        "THE",
        "UNIT",
    ]
)
_YOUTH = re.compile(r"\b(?:JUVENILE|YOUTH)\b")
_DIRECTIONS = ("N", "S", "E", "W", "NE", "NW", "SE", "SW", "NORTH", "SOUTH", "EAST", "WEST")
_DIRECTIONS += ("NORTHEAST", "NORTHWEST", "SOUTHEAST", "SOUTHWEST")
# Order in which placing points are preferred: a HIFLD polygon at the facility's street address
# is its footprint; the located table's OpenStreetMap points are sometimes a town centre or
# another building (median 80 m, up to 100 km from the address-matched polygon); a polygon of
# the same name elsewhere in the state may be an older site; one sharing only a name word may
# be a neighbouring building of the same county.
_PRIORITY = {
    "prison_boundary_address": 0,
    "located_table": 1,
    "prison_boundary_name": 2,
    "prison_boundary_words": 3,
}
_BORDER_METRES = 1_000
# NAD83 / Conus Albers: metres, within a few per cent of true distance across the served
# states (more in HI and PR), which is ample for the border tolerance.
_EQUAL_AREA = 5070
# City words as the Census spells them, matching geo.resolve's place keys.
_CITY_SPELLING = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}
_CITY_ABBREVIATION = re.compile(r"\b(?:" + "|".join(_CITY_SPELLING) + r")\b")


def read_facility_years(raw_dir: Path) -> pd.DataFrame:
    """Read every ICE detention statistics workbook into one row per facility and fiscal year.

    Each workbook's ``Facilities …`` sheet is found by name, its header row by the cells
    ``Name`` and ``Address`` (it is row 6, 7 or 10 depending on the year), and its columns by
    header text. Rows after the header that are blank, or carry text in the Name column only
    (footnotes), are dropped; every other row must have a name and an address.

    Parameters
    ----------
    raw_dir : Path
        The raw data folder, holding ``detention/ice_detention_stats/*.xlsx``.

    Returns
    -------
    pd.DataFrame
        One row per facility and fiscal year, sorted by ``fiscal_year`` and ``facility_id``:
        ``facility_id`` (12 hex digits from the normalised name and state, see `facility_ids`),
        ``fiscal_year`` (int, from the sheet's ``FYyy ALOS`` header), ``name`` (footnote marker
        removed), ``address``, ``city``, ``state_abbr`` (None when the cell is blank),
        ``zip`` (5 digits, zero-padded, or None), ``aor``, ``facility_type`` (Type Detailed),
        ``adp`` (Level A + B + C + D; NaN unless all four are given), ``adp_note`` (why ``adp``
        is NaN), ``adp_mandatory``, ``guaranteed_minimum``, ``alos`` (floats, NaN when blank),
        ``file`` (workbook name) and ``row`` (1-based Excel row).

    Raises
    ------
    SourceError
        Naming the workbook, when there is none, a sheet, header or column is missing, a number
        cell holds text or a negative value, the three cuts of ADP disagree, a ZIP or state is
        malformed, or two workbooks are for the same fiscal year.

    Examples
    --------
    >>> years = read_facility_years(Path("../shared/data"))  # doctest: +SKIP
    >>> years.groupby("fiscal_year")["adp"].sum().round(1).loc[2026]  # doctest: +SKIP
    66161.7
    """
    folder = Path(raw_dir) / STATS_DIR
    paths = sorted(folder.glob("*.xlsx"))
    if not paths:
        raise SourceError(folder, "no ICE detention statistics workbook (*.xlsx)")
    years = _newest_release_per_year(
        pd.concat([_read_workbook(path) for path in paths], ignore_index=True), folder
    )
    years.insert(0, "facility_id", facility_ids(years))
    duplicated = years.duplicated(["facility_id", "fiscal_year"], keep=False)
    if duplicated.any():
        row = years[duplicated].iloc[0]
        raise SourceError(
            folder / row["file"],
            f"two rows for {row['name']!r} ({row['state_abbr']}, {row['city']}) "
            f"in FY{row['fiscal_year']}",
        )
    return years.sort_values(["fiscal_year", "facility_id"], ignore_index=True)[
        FACILITY_YEAR_COLUMNS
    ]


def _newest_release_per_year(years: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """Keep one workbook per fiscal year: the newest release by the date in its name.

    ICE republishes the current year's workbook a few times a year under a dated name
    (``FY26_detentionStats_04092026.xlsx``, MMDDYYYY); each release replaces the last. Two
    workbooks for one year without release dates to order them are an error.
    """
    files = years[["fiscal_year", "file"]].drop_duplicates()
    released = pd.to_datetime(
        files["file"].str.extract(_RELEASE_DATE, expand=False), format="%m%d%Y", errors="coerce"
    )
    files = files.assign(released=released)
    several = files[files.duplicated("fiscal_year", keep=False)]
    undated = several[
        several["released"].isna() | several.duplicated(["fiscal_year", "released"], keep=False)
    ]
    if not undated.empty:
        row = undated.iloc[0]
        other = several.loc[
            (several["fiscal_year"] == row["fiscal_year"]) & (several["file"] != row["file"]),
            "file",
        ].iloc[0]
        raise SourceError(
            folder / row["file"],
            f"FY{row['fiscal_year']} is also the year of {other}, and no release date in the "
            "names orders them",
        )
    newest = files.sort_values(["fiscal_year", "released"]).drop_duplicates(
        "fiscal_year", keep="last"
    )
    return years[years["file"].isin(newest["file"])].reset_index(drop=True)


def facility_ids(facility_years: pd.DataFrame) -> pd.Series:
    """A stable, content-derived id per facility: normalised name + state (+ city when needed).

    The name is normalised (`_name_key`) so that spelling variants across years meet; renamed
    facilities ("ADAMS COUNTY DET CENTER" -> "ADAMS COUNTY CORRECTIONAL CENTER", FY26) get a new
    id. A blank state is taken from the same name's rows in other years when they agree on one;
    otherwise the city stands in for it. The city is added too for a name and state that two
    rows of one fiscal year share.

    Examples
    --------
    >>> rows = pd.DataFrame({"name": ["KAY CO JUSTICE FACILITY", "Kay County Justice Facility"],
    ...                      "state_abbr": ["OK", "OK"], "city": ["NEWKIRK", "Newkirk"],
    ...                      "fiscal_year": [2022, 2023]})
    >>> facility_ids(rows).nunique()
    1
    """
    key = _name_key(facility_years["name"], facility_years["state_abbr"])
    city = _place_key(facility_years["city"])
    states = (
        pd.DataFrame({"key": key, "state": facility_years["state_abbr"]}).dropna().drop_duplicates()
    )
    single_state = states.drop_duplicates("key", keep=False).set_index("key")["state"]
    state = facility_years["state_abbr"].fillna(key.map(single_state))
    base = state.fillna("?") + "|" + key
    shared = pd.DataFrame({"base": base, "fiscal_year": facility_years["fiscal_year"]}).duplicated(
        keep=False
    )
    needs_city = state.isna() | base.isin(set(base[shared]))
    text = base.where(~needs_city, base + "|" + city)
    return text.map(lambda value: hashlib.sha1(value.encode()).hexdigest()[:12])


def _read_workbook(path: Path) -> pd.DataFrame:
    """One workbook's Facilities sheet as facility-year rows (without ``facility_id``)."""
    cells = _facilities_sheet(path)
    header_row = _header_row(cells, path)
    headers = cells.iloc[header_row].map(lambda v: str(v).strip() if pd.notna(v) else "")
    fiscal_year, alos = _fiscal_year(headers, path)
    wanted = [*_TEXT_COLUMNS, *_NUMBER_COLUMNS, alos]
    missing = [column for column in wanted if column not in set(headers)]
    if missing:
        raise SourceError(path, f"header row {header_row + 1} lacks column(s) {missing}")
    position = {header: i for i, header in reversed(list(enumerate(headers)))}
    body = cells.iloc[header_row + 1 :, [position[column] for column in wanted]]
    body.columns = wanted
    body = body.map(lambda v: v.strip() or None if isinstance(v, str) else v)
    body = body[body.notna().any(axis=1)]
    footnote = body["Name"].notna() & body.drop(columns="Name").isna().all(axis=1)
    body = body[~footnote]
    incomplete = body["Name"].isna() | body["Address"].isna()
    if incomplete.any():
        row = int(body.index[incomplete][0]) + 1
        raise SourceError(path, f"row {row} has data but no Name or no Address")
    numbers = _numbers(body[[*_NUMBER_COLUMNS, alos]], path)
    adp, adp_note = _total_adp(numbers, path)
    return pd.DataFrame(
        {
            "fiscal_year": fiscal_year,
            # "KARNES COUNTY RESIDENTIAL CENTER2": FY22 glues footnote numbers to names.
            "name": body["Name"].astype(str).str.replace(r"(?<=[A-Z])\d$", "", regex=True),
            "address": body["Address"].astype(str),
            "city": _text(body["City"]),
            "state_abbr": _states(body["State"], path),
            "zip": _zips(body["Zip"], path),
            "aor": _text(body["AOR"]),
            "facility_type": _text(body["Type Detailed"]),
            "adp": adp,
            "adp_note": adp_note,
            "adp_mandatory": numbers["Mandatory"],
            "guaranteed_minimum": numbers["Guaranteed Minimum"],
            "alos": numbers[alos],
            "file": path.name,
            "row": (body.index + 1).astype(int),
        }
    ).reset_index(drop=True)


def _facilities_sheet(path: Path) -> pd.DataFrame:
    """The one sheet whose name starts with "Facilities" (names carry stray spaces), as cells."""
    check_xlsx(path)
    try:
        workbook = pd.ExcelFile(path)
    except Exception as exc:  # openpyxl and zipfile raise several types; all mean unreadable
        raise SourceError(path, f"not a readable xlsx workbook ({type(exc).__name__})") from exc
    with workbook:
        sheets = [name for name in workbook.sheet_names if name.strip().startswith("Facilities")]
        if len(sheets) != 1:
            raise SourceError(
                path,
                f"expected one 'Facilities' sheet, found {len(sheets)} in {workbook.sheet_names}",
            )
        # Excel error cells (FY19's Folkston rows hold #N/A) come through as NaN. pandas' own NA
        # spellings ("NA", "null", ...) are switched off so that only ICE's (`_NOT_AVAILABLE`)
        # count as missing and any other text in a number cell is refused.
        return pd.read_excel(
            workbook, sheet_name=sheets[0], header=None, dtype=object, keep_default_na=False
        )


def _header_row(cells: pd.DataFrame, path: Path) -> int:
    """The first row holding both a ``Name`` and an ``Address`` cell, found by content."""
    text = cells.map(lambda v: v.strip() if isinstance(v, str) else None)
    is_header = text.eq("Name").any(axis=1) & text.eq("Address").any(axis=1)
    if not is_header.any():
        raise SourceError(path, "no header row with 'Name' and 'Address' cells")
    return int(np.flatnonzero(is_header.to_numpy())[0])


def _fiscal_year(headers: pd.Series, path: Path) -> tuple[int, str]:
    """The fiscal year from the ``FYyy ALOS`` header, checked against the file name's FYyy."""
    alos = headers[headers.str.fullmatch(_ALOS_HEADER.pattern)]
    if len(alos) != 1:
        raise SourceError(path, f"expected one 'FYyy ALOS' column, found {len(alos)}")
    fiscal_year = 2000 + int(_ALOS_HEADER.fullmatch(alos.iloc[0]).group(1))
    named = _FILE_FISCAL_YEAR.search(path.name)
    if named and 2000 + int(named.group(1)) != fiscal_year:
        raise SourceError(path, f"file name says FY{named.group(1)}, the sheet {alos.iloc[0]!r}")
    return fiscal_year, alos.iloc[0]


def _numbers(cells: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Parse number cells; blank or N/A stays NaN, other text or a negative value is refused."""
    cells = cells.map(lambda v: None if isinstance(v, str) and v.upper() in _NOT_AVAILABLE else v)
    numbers = cells.apply(pd.to_numeric, errors="coerce").astype(float)
    bad = (cells.notna() & numbers.isna()) | (numbers < 0)
    if bad.any(axis=None):
        row, column = bad.stack().loc[lambda flags: flags].index[0]
        raise SourceError(
            path, f"row {row + 1}: {column} is not a number >= 0: {cells.at[row, column]!r}"
        )
    return numbers


def _total_adp(numbers: pd.DataFrame, path: Path) -> tuple[pd.Series, pd.Series]:
    """Total ADP = Level A + B + C + D, NaN with a note unless all four cells are given.

    The criminality and threat-level columns cut the same total two other ways; they are never
    added to it, only compared with it, so that a shifted or mislabelled column fails here.
    """
    levels = numbers[_LEVELS]
    given = levels.notna().sum(axis=1)
    adp = levels.sum(axis=1).where(given == len(_LEVELS))
    note = pd.Series(
        np.select(
            [given == 0, given < len(_LEVELS)],
            [
                "Level A-D cells all blank or #N/A in the workbook",
                "some Level A-D cells blank or #N/A in the workbook",
            ],
            default=None,
        ),
        index=numbers.index,
        dtype=object,
    )
    for cut in (_CRIMINALITY, _THREAT):
        other = numbers[cut].sum(axis=1).where(numbers[cut].notna().all(axis=1))
        off = (adp - other).abs() > _PARTITION_TOLERANCE
        if off.any():
            row = int(numbers.index[off][0]) + 1
            raise SourceError(
                path,
                f"row {row}: Level A-D sum to {adp[off].iloc[0]:.3f} but "
                f"{' + '.join(cut)} to {other[off].iloc[0]:.3f}",
            )
    return adp, note


def _states(cells: pd.Series, path: Path) -> pd.Series:
    """USPS state codes, upper-cased; a blank stays None (it is filled when placing)."""
    state = _text(cells).str.upper()
    bad = state.notna() & ~state.isin(_STATE_CODES)
    if bad.any():
        raise SourceError(
            path, f"row {int(state.index[bad][0]) + 1}: unknown state {cells[bad].iloc[0]!r}"
        )
    return state.where(state.notna(), None)


def _zips(cells: pd.Series, path: Path) -> pd.Series:
    """ZIPs as 5-digit strings: FY19-FY25 store them as numbers, losing leading zeros (4102)."""
    whole = cells.map(
        lambda v: f"{v:.0f}" if isinstance(v, (int, float)) and float(v).is_integer() else v
    )
    text = _text(whole)
    digits = text.str.extract(r"^(\d{3,5})(?:-\d{4})?$")[0]
    bad = text.notna() & digits.isna()
    if bad.any():
        raise SourceError(path, f"row {int(text.index[bad][0]) + 1}: ZIP {cells[bad].iloc[0]!r}")
    return _text(digits.str.zfill(5))


def _text(cells: pd.Series) -> pd.Series:
    """Cells as stripped strings, blank or missing as None (not NaN, not "")."""
    text = cells.astype("string").str.strip()
    return text.astype(object).where(text.notna() & text.ne(""), None)


def _name_key(name: pd.Series, state: pd.Series) -> pd.Series:
    """Fold a facility name to the key its id is made from.

    Upper case, "&" as AND, apostrophes dropped, other punctuation as spaces, abbreviations
    spelled out (`_NAME_SPELLING`), a leading "ST" as SAINT, and a trailing state abbreviation
    equal to the row's state dropped ("ORANGE COUNTY JAIL (NY)" from FY24 on).
    """
    key = (
        name.astype(str)
        .str.upper()
        .str.replace("&", " AND ", regex=False)
        .str.replace(r"['’`]", "", regex=True)
        .str.replace(r"[^A-Z0-9]+", " ", regex=True)
        .str.strip()
        .str.replace(_ABBREVIATION, lambda match: _NAME_SPELLING[match.group(0)], regex=True)
        .str.replace(r"^ST\b", "SAINT", regex=True)
    )
    head_tail = key.str.rsplit(" ", n=1)
    own_state = head_tail.str.len().eq(2) & head_tail.str[-1].eq(state)
    return key.where(~own_state, head_tail.str[0])


def _place_key(city: pd.Series) -> pd.Series:
    """Fold a city name the way `geo.resolve` keys Census places ("FT. WAYNE" -> "fort wayne")."""
    return (
        city.fillna("")
        .astype(str)
        .str.casefold()
        .str.replace(r"['’]", "", regex=True)
        .str.replace(r"[^0-9a-z]+", " ", regex=True)
        .str.strip()
        .str.replace(_CITY_ABBREVIATION, lambda match: _CITY_SPELLING[match.group(0)], regex=True)
    )


def place_facilities(
    facility_years: pd.DataFrame,
    raw_dir: Path,
    counties: gpd.GeoDataFrame,
    reference: AgencyReference,
) -> gpd.GeoDataFrame:
    """Place every facility at a point and in a county, saying how and on what evidence.

    Each facility is described by its newest row. Candidate points come from the located
    facility table (name + state) and HIFLD prison polygons (ZIP + address or name word); a
    point's county is its point-in-polygon county, and the point is dropped (with a note) when
    that county is outside the facility's state or outside the counties its ZIP or city lie in.
    Facilities without a point are placed from their ZIP and city (see the module docstring).

    Parameters
    ----------
    facility_years : pd.DataFrame
        From `read_facility_years`.
    raw_dir : Path
        The raw data folder (``detention/locations/`` and the ZCTA primary-county table).
    counties : gpd.GeoDataFrame
        The served counties from `geo.sources.counties.read_counties`, in EPSG:4326.
    reference : AgencyReference
        From `geo.resolve.load_reference`: its ``places`` and ``zip_counties`` are used.

    Returns
    -------
    gpd.GeoDataFrame
        One row per ``facility_id``, sorted by it, in EPSG:4326: ``name``, ``address``,
        ``city``, ``zip`` (newest row), ``state_abbr`` (filled from evidence when the newest
        cell is blank), ``state_note`` (that evidence, else None), ``county_fips`` (None when
        unplaced), ``placement_method`` (one of `PLACEMENT_METHODS`), ``placement_note``
        (evidence, and why when unplaced), ``point_source`` (the raw file the point comes from;
        its licence applies) and ``geometry`` (a point, or None when no point is sourced).

    Raises
    ------
    SourceError
        When a location file is missing or lacks a column.
    ValueError
        When ``facility_years`` or ``counties`` lacks a column, or ``counties`` is not EPSG:4326.

    Examples
    --------
    >>> facilities = place_facilities(years, raw_dir, counties, reference)  # doctest: +SKIP
    >>> facilities["placement_method"].value_counts().index[0]  # doctest: +SKIP
    'prison_boundary'
    """
    _check_inputs(facility_years, counties)
    raw_dir = Path(raw_dir)
    facilities = _newest_rows(facility_years, reference.zip_counties, counties)
    labels = (counties["name_lsad"] + ", " + counties["state_abbr"]).set_axis(
        counties["county_fips"]
    )
    area = _evidence_counties(facilities, reference, counties)
    candidates = pd.concat(
        [_boundary_points(facilities, raw_dir), _located_points(facilities, raw_dir)],
        ignore_index=True,
    )
    points = _checked_points(candidates, facilities, area, counties, labels)
    fallback = _place_without_point(facilities, area, raw_dir, labels, set(counties["state_abbr"]))
    return _assemble(facilities, points, fallback)


def county_detention(facility_years: pd.DataFrame, facilities: pd.DataFrame) -> pd.DataFrame:
    """Total ADP per county and fiscal year, over the facilities placed in that county.

    Parameters
    ----------
    facility_years : pd.DataFrame
        From `read_facility_years`.
    facilities : pd.DataFrame
        From `place_facilities` (``facility_id``, ``county_fips``).

    Returns
    -------
    pd.DataFrame
        ``county_fips``, ``fiscal_year``, ``adp`` (sum of the facilities' ADP; NaN, never 0,
        when every facility there that year has a blank ADP), ``facilities`` (count) and
        ``facilities_without_adp`` (how many of them have a blank ADP, so a partial sum shows);
        sorted by county and year. Unplaced facilities are left out (see `adp_placed_share`).

    Examples
    --------
    >>> county_detention(years, facilities).query("county_fips == '13259'")  # doctest: +SKIP
    """
    placed = facility_years.merge(
        facilities[["facility_id", "county_fips"]].dropna(), on="facility_id", validate="m:1"
    )
    totals = (
        placed.assign(without_adp=placed["adp"].isna())
        .groupby(["county_fips", "fiscal_year"], as_index=False)
        .agg(
            adp=("adp", "sum"),
            facilities=("facility_id", "size"),
            facilities_without_adp=("without_adp", "sum"),
        )
        .sort_values(["county_fips", "fiscal_year"], ignore_index=True)
    )
    none_known = totals["facilities_without_adp"] == totals["facilities"]
    return totals.assign(adp=totals["adp"].mask(none_known))


def adp_placed_share(
    facility_years: pd.DataFrame, facilities: pd.DataFrame, fiscal_year: int
) -> float:
    """Share of a fiscal year's facility ADP held by facilities placed in a county.

    Examples
    --------
    >>> adp_placed_share(years, facilities, 2026) >= 0.98  # doctest: +SKIP
    True
    """
    year = facility_years[facility_years["fiscal_year"] == fiscal_year]
    if year.empty:
        raise ValueError(f"no facility rows for fiscal year {fiscal_year}")
    placed = year["facility_id"].isin(
        facilities.loc[facilities["county_fips"].notna(), "facility_id"]
    )
    return float(year.loc[placed, "adp"].sum() / year["adp"].sum())


def _check_inputs(facility_years: pd.DataFrame, counties: gpd.GeoDataFrame) -> None:
    """Reject inputs this module cannot place, naming what is wrong."""
    missing = set(FACILITY_YEAR_COLUMNS) - set(facility_years.columns)
    if missing:
        raise ValueError(f"facility_years lacks columns {sorted(missing)}")
    missing = {"county_fips", "name_lsad", "state_abbr", "geometry"} - set(counties.columns)
    if missing:
        raise ValueError(f"counties lacks columns {sorted(missing)}")
    if counties.crs is None or counties.crs.to_epsg() != 4326:
        raise ValueError(f"counties must be in EPSG:4326, got {counties.crs}")


def _newest_rows(
    facility_years: pd.DataFrame, zip_counties: pd.DataFrame, counties: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Each facility's newest row, its blank state filled from its other rows or its ZIP.

    Indexed by ``facility_id``, with ``name``, ``address``, ``city``, ``state_abbr``,
    ``state_note``, ``zip``, ``key`` (name key) and ``city_key`` (place key).
    """
    ordered = facility_years.sort_values(["facility_id", "fiscal_year"])
    newest = ordered.groupby("facility_id").tail(1).set_index("facility_id")
    known = ordered.dropna(subset=["state_abbr"]).groupby("facility_id").tail(1)
    known = known.set_index("facility_id")
    zip_states = (
        zip_counties.merge(counties[["county_fips", "state_abbr"]], on="county_fips")
        .drop_duplicates(["zip", "state_abbr"])
        .drop_duplicates("zip", keep=False)
        .set_index("zip")["state_abbr"]
    )
    from_rows = known["state_abbr"].reindex(newest.index)
    from_zip = newest["zip"].map(zip_states)
    text = {
        "year": newest["fiscal_year"].astype(str),
        "zip": newest["zip"].fillna("(blank)"),
        "from_rows": from_rows.fillna(""),
        "from_zip": from_zip.fillna(""),
        "row_year": known["fiscal_year"].reindex(newest.index).astype("Int64").astype(str),
    }
    state_note = np.select(
        [newest["state_abbr"].notna(), from_rows.notna(), from_zip.notna()],
        [
            None,
            _fill("state cell blank in FY{year}; {from_rows} as in its FY{row_year} row", text),
            _fill("state cell blank in FY{year}; ZIP {zip} lies in {from_zip}", text),
        ],
        default=_fill("state cell blank in FY{year}; no other row or ZIP gives it", text),
    )
    newest["state_abbr"] = newest["state_abbr"].fillna(from_rows).fillna(from_zip)
    newest["state_abbr"] = newest["state_abbr"].where(newest["state_abbr"].notna(), None)
    newest["state_note"] = pd.Series(state_note, index=newest.index, dtype=object)
    newest["key"] = _name_key(newest["name"], newest["state_abbr"])
    newest["city_key"] = _place_key(newest["city"])
    return newest[["name", "address", "city", "state_abbr", "state_note", "zip", "key", "city_key"]]


def _evidence_counties(
    facilities: pd.DataFrame, reference: AgencyReference, counties: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Long table of the counties a facility's ZIP and city lie in, within its state.

    Columns ``facility_id``, ``county_fips``, ``by`` ("zip" or "place"). A ZCTA's counties in
    another state are left out (a ZIP crossing a state line, or a wrong state cell).
    """
    state_of = counties.set_index("county_fips")["state_abbr"]
    by_zip = (
        facilities.reset_index()[["facility_id", "zip", "state_abbr"]]
        .merge(reference.zip_counties, on="zip")
        .assign(by="zip")
    )
    places = reference.places[["state_abbr", "key", "county_fips_list"]].rename(
        columns={"key": "city_key"}
    )
    by_place = (
        facilities.reset_index()[["facility_id", "state_abbr", "city_key"]]
        .merge(places, on=["state_abbr", "city_key"])
        .explode("county_fips_list")
        .rename(columns={"county_fips_list": "county_fips"})
        .assign(by="place")
    )
    area = pd.concat([by_zip, by_place], ignore_index=True)
    area = area[area["county_fips"].map(state_of).eq(area["state_abbr"])]
    return area[["facility_id", "county_fips", "by"]].drop_duplicates(ignore_index=True)


def _located_points(facilities: pd.DataFrame, raw_dir: Path) -> gpd.GeoDataFrame:
    """Candidate points from the located facility table, matched on name key + state.

    Coordinates of (0, 0) or out of range are missing, not a place. A name + state that the
    table gives twice at different points matches nothing.
    """
    path = raw_dir / LOCATED_FILE
    table = read_raw_csv(
        path, ["name", "address.administrative_area", "osm.latitude", "osm.longitude"]
    )
    state = _text(table["address.administrative_area"]).str.upper()
    lat = pd.to_numeric(table["osm.latitude"], errors="coerce")
    lon = pd.to_numeric(table["osm.longitude"], errors="coerce")
    usable = lat.between(-90, 90) & lon.between(-180, 180) & ~((lat == 0) & (lon == 0))
    located = pd.DataFrame(
        {"key": _name_key(table["name"], state), "state_abbr": state, "lat": lat, "lon": lon}
    )[usable].drop_duplicates()
    located = located.drop_duplicates(["key", "state_abbr"], keep=False)
    matched = facilities.reset_index().merge(located, on=["key", "state_abbr"])
    return gpd.GeoDataFrame(
        {
            "facility_id": matched["facility_id"],
            "priority": _PRIORITY["located_table"],
            "placement_method": "located_table",
            "placement_note": f"name and state found in {LOCATED_FILE.name} (OpenStreetMap point)",
            "point_source": str(LOCATED_FILE),
        },
        geometry=gpd.points_from_xy(matched["lon"], matched["lat"]),
        crs=4326,
    )


def _boundary_points(facilities: pd.DataFrame, raw_dir: Path) -> gpd.GeoDataFrame:
    """Candidate points from the HIFLD prison polygons.

    A polygon is a candidate when, in the facility's ZIP and state, it shares its street
    address (house number and street word) or a distinctive word of its name (not "COUNTY",
    "JAIL", ...), or when anywhere in the state it has the same name key (a mistyped ZIP). A
    juvenile polygon never stands for an adult facility. The best candidate (address, then
    name, then most shared words) is taken only when no other ties with it; its point is the
    polygon's representative point, which lies inside it.
    """
    polygons = _read_prison_boundaries(raw_dir / PRISON_BOUNDARY_FILE)
    sites = facilities.reset_index()
    shared = (
        _distinctive_words(sites, "facility_id")
        .merge(
            _distinctive_words(polygons.reset_index(), "index"), on=["zip", "state_abbr", "word"]
        )
        .groupby(["facility_id", "index"])["word"]
        .agg(words="size", shared=", ".join)
    )
    same_address = _pair_flags(
        pd.concat([sites[["facility_id", "zip", "state_abbr"]], _street(sites["address"])], axis=1),
        pd.concat([polygons[["zip", "state_abbr"]], _street(polygons["ADDRESS"])], axis=1),
        ["zip", "state_abbr", "number", "street"],
        "address",
    )
    same_name = _pair_flags(
        sites[["facility_id", "state_abbr", "key"]],
        polygons[["state_abbr", "key"]],
        ["state_abbr", "key"],
        "name",
    )
    pairs = (
        pd.concat([shared, same_address, same_name], axis=1)
        .fillna({"words": 0, "shared": "", "address": False, "name": False})
        .astype({"words": int, "address": bool, "name": bool})
        .reset_index()
        .join(polygons[["key", "NAME", "ADDRESS", "FACILITYID"]], on="index")
    )
    site_key = pairs["facility_id"].map(facilities["key"])
    pairs = pairs[~(pairs["key"].str.contains(_YOUTH) & ~site_key.str.contains(_YOUTH))]
    pairs = pairs.assign(score=pairs["address"] * 100 + pairs["name"] * 50 + pairs["words"])
    best = pairs[pairs["score"] == pairs.groupby("facility_id")["score"].transform("max")]
    best = best.drop_duplicates("facility_id", keep=False)
    kind = np.select([best["address"], best["name"]], ["address", "name"], "words")
    evidence = pd.Series(kind, index=best.index).map(
        {"address": "same ZIP and street address", "name": "same name and state"}
    )
    evidence = evidence.fillna("same ZIP and name word(s) " + best["shared"])
    text = {"name": best["NAME"], "address": best["ADDRESS"].fillna(""), "evidence": evidence}
    text["id"] = best["FACILITYID"].astype(str)
    return gpd.GeoDataFrame(
        {
            "facility_id": best["facility_id"].to_numpy(),
            "priority": pd.Series(kind).radd("prison_boundary_").map(_PRIORITY).to_numpy(),
            "placement_method": "prison_boundary",
            "placement_note": _fill(
                "HIFLD prison polygon {name}, {address} (FACILITYID {id}): {evidence}", text
            ).to_numpy(),
            "point_source": str(PRISON_BOUNDARY_FILE),
        },
        geometry=polygons.geometry.representative_point().loc[best["index"]].to_numpy(),
        crs=4326,
    )


def _pair_flags(sites: pd.DataFrame, polygons: pd.DataFrame, on: list[str], flag: str) -> pd.Series:
    """True for each (facility_id, polygon index) pair equal on the given columns."""
    pairs = sites.dropna().merge(polygons.reset_index().dropna(), on=on)
    return pairs.set_index(["facility_id", "index"]).assign(**{flag: True})[flag]


def _read_prison_boundaries(path: Path) -> gpd.GeoDataFrame:
    """The HIFLD polygons in EPSG:4326, with ``zip``, ``state_abbr`` and a name ``key``."""
    if not path.is_file():
        raise SourceError(path, "file not found")
    try:
        polygons = gpd.read_file(f"zip://{path}!Prison_Boundaries.shp")
    except Exception as exc:  # pyogrio raises several types; all mean the same to the build
        raise SourceError(path, f"cannot read prison boundaries ({exc})") from exc
    missing = {"FACILITYID", "NAME", "ADDRESS", "STATE", "ZIP"} - set(polygons.columns)
    if missing:
        raise SourceError(path, f"missing columns {sorted(missing)}")
    if polygons.crs is None:
        raise SourceError(path, "no .prj: the CRS is unknown")
    polygons = polygons.to_crs(4326).reset_index(drop=True)
    return polygons.assign(
        zip=polygons["ZIP"].astype(str),
        state_abbr=polygons["STATE"].astype(str),
        key=_name_key(polygons["NAME"], polygons["STATE"]),
    )


def _distinctive_words(frame: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """Long table (id, zip, state_abbr, word) of the name words that tell facilities apart."""
    words = frame[[id_column, "zip", "state_abbr"]].assign(word=frame["key"].str.split())
    words = words.explode("word").dropna(subset=["word"])
    keep = ~words["word"].isin(_GENERIC_WORDS) & words["word"].str.len().ge(3)
    return words[keep].drop_duplicates()


def _street(address: pd.Series) -> pd.DataFrame:
    """House number and first street word: "600 E. ORDNANCE ROAD" -> ("600", "ORDNANCE")."""
    text = address.fillna("").astype(str).str.upper().str.replace(r"[^A-Z0-9]+", " ", regex=True)
    return text.str.strip().str.extract(
        r"^(?P<number>\d+)[A-Z]*\s+(?:(?:" + "|".join(_DIRECTIONS) + r")\s+)*(?P<street>\w+)"
    )


def _checked_points(
    candidates: gpd.GeoDataFrame,
    facilities: pd.DataFrame,
    area: pd.DataFrame,
    counties: gpd.GeoDataFrame,
    labels: pd.Series,
) -> gpd.GeoDataFrame:
    """Locate candidate points in the served counties and judge each against the evidence.

    Adds ``county_fips`` (point in polygon) and ``verdict``: ``placed`` when the county is in
    the facility's state and, if its ZIP or city lie in known counties, one of those;
    ``border`` when it misses those counties by at most `_BORDER_METRES` (the 1:5M county lines
    are generalised, so a facility near a line can fall on the wrong side: the point is kept,
    the county is not); else ``dropped``. ``check_note`` says why for the last two.
    """
    located = gpd.sjoin(
        candidates,
        counties[["county_fips", "state_abbr", "geometry"]],
        how="left",
        predicate="within",
    ).drop(columns="index_right")
    located = located[~located.index.duplicated()]
    pairs = pd.MultiIndex.from_frame(area[["facility_id", "county_fips"]])
    in_area = pd.MultiIndex.from_arrays([located["facility_id"], located["county_fips"]]).isin(
        pairs
    )
    has_area = located["facility_id"].isin(area["facility_id"]).to_numpy()
    same_state = located["state_abbr"].eq(located["facility_id"].map(facilities["state_abbr"]))
    off_area = same_state.to_numpy() & has_area & ~in_area
    distance = _distance_to_area(located[off_area], area, counties).reindex(located.index)
    where = located["county_fips"].map(labels).fillna("")
    verdict = np.select(
        [located["county_fips"].isna() | ~same_state, ~off_area, distance <= _BORDER_METRES],
        ["dropped", "placed", "border"],
        default="dropped",
    )
    text = {
        "method": located["placement_method"],
        "where": where,
        "metres": distance.round().astype("Int64").astype(str),
    }
    check_note = np.select(
        [located["county_fips"].isna(), ~same_state, verdict == "border", off_area],
        [
            _fill("{method} point dropped: it lies in no served county", text),
            _fill("{method} point dropped: it lies in {where}, another state", text),
            _fill(
                "{method} point kept, county not: it lies in {where} by the 1:5M county lines, "
                "{metres} m from a county its ZIP or city lies in",
                text,
            ),
            _fill(
                "{method} point dropped: it lies in {where}, where neither its ZIP nor city lies",
                text,
            ),
        ],
        default=None,
    )
    return located.assign(verdict=verdict, check_note=check_note, county_label=where)


def _distance_to_area(
    points: gpd.GeoDataFrame, area: pd.DataFrame, counties: gpd.GeoDataFrame
) -> pd.Series:
    """Metres (EPSG:5070) from each point to the nearest county its ZIP or city lies in."""
    pairs = (
        points[["facility_id"]]
        .reset_index()
        .merge(area[["facility_id", "county_fips"]].drop_duplicates(), on="facility_id")
        .merge(counties[["county_fips", "geometry"]], on="county_fips")
    )
    point_geometry = gpd.GeoSeries(points.geometry.loc[pairs["index"]].to_numpy(), crs=4326)
    county_geometry = gpd.GeoSeries(pairs["geometry"].to_numpy(), crs=4326)
    metres = point_geometry.to_crs(_EQUAL_AREA).distance(county_geometry.to_crs(_EQUAL_AREA))
    nearest = pd.Series(metres.to_numpy(), index=pairs["index"]).groupby(level=0).min()
    return nearest.reindex(points.index)


def _place_without_point(
    facilities: pd.DataFrame,
    area: pd.DataFrame,
    raw_dir: Path,
    labels: pd.Series,
    served_states: set[str],
) -> pd.DataFrame:
    """County from the ZIP and city alone, or ``unplaced`` with the reason.

    The candidates are the ZIP's counties, narrowed to the city's when the city is a place; a
    ZIP and a city with no county in common disagree, and neither is taken (a mistyped ZIP
    names a real ZIP elsewhere; a mailing city may be a neighbouring town). Several candidates
    are settled only by the ZIP's primary county. Indexed by ``facility_id``: ``county_fips``,
    ``placement_method``, ``placement_note``.
    """
    primary = read_raw_csv(raw_dir / ZCTA_FILE, ["ZCTA5", "Primary County"])
    zip_primary = facilities["zip"].map(primary.set_index("ZCTA5")["Primary County"])
    zip_list = _county_lists(area[area["by"] == "zip"], facilities.index)
    place_list = _county_lists(area[area["by"] == "place"], facilities.index)
    both = area.groupby(["facility_id", "county_fips"])["by"].nunique().loc[lambda n: n == 2]
    n_zip, n_place = zip_list.str.len(), place_list.str.len()
    candidates = zip_list.where(
        n_place == 0,
        place_list.where(n_zip == 0, _county_lists(both.reset_index(), facilities.index)),
    )
    n_candidates = candidates.str.len()
    candidate_pairs = pd.MultiIndex.from_frame(
        candidates.explode().dropna().rename_axis("facility_id").reset_index()
    )
    primary_fits = pd.MultiIndex.from_arrays([facilities.index, zip_primary]).isin(candidate_pairs)
    text = {
        "zip": facilities["zip"].fillna("(blank)"),
        "city": facilities["city"].fillna("(blank)"),
        "state": facilities["state_abbr"].fillna("(blank)"),
        "zip_counties": _label_lists(zip_list, labels),
        "place_counties": _label_lists(place_list, labels),
        "county": candidates.str[0].map(labels),
        "primary": zip_primary.map(labels),
    }
    rules = [  # (condition, method, county, note), first that holds wins
        (
            ~facilities["state_abbr"].isin(served_states),
            "unplaced",
            None,
            "state {state} is not a served state (50 states, DC, PR)",
        ),
        (
            (n_candidates == 1) & (n_zip == 1),
            "zip_single_county",
            candidates.str[0],
            "ZIP {zip} lies in {county} only",
        ),
        (
            (n_candidates == 1) & (n_zip > 1),
            "zip_place",
            candidates.str[0],
            "ZIP {zip} spans {zip_counties}; city {city} lies in {county}",
        ),
        (
            n_candidates == 1,
            "place",
            candidates.str[0],
            "ZIP {zip} is not a ZCTA of {state}; city {city} is a place in {county} only",
        ),
        (
            (n_zip > 1) & primary_fits,
            "zip_primary_county",
            zip_primary,
            (
                "ZIP {zip} spans {zip_counties}, city {city} does not settle which; {primary} "
                f"holds most of its land (primary county in {ZCTA_FILE.name})"
            ),
        ),
        (
            (n_zip > 0) & (n_place > 0) & (n_candidates == 0),
            "unplaced",
            None,
            "ZIP {zip} lies in {zip_counties} but city {city} in {place_counties}: they disagree",
        ),
        (
            n_zip > 0,
            "unplaced",
            None,
            "ZIP {zip} spans {zip_counties} and nothing settles which",
        ),
        (
            n_place > 1,
            "unplaced",
            None,
            "ZIP {zip} is not a ZCTA of {state} and city {city} lies in {place_counties}",
        ),
    ]
    conditions = [condition for condition, _, _, _ in rules]
    notes = [_fill(template, text) for _, _, _, template in rules]
    return pd.DataFrame(
        {
            "county_fips": np.select(conditions, [county for _, _, county, _ in rules], None),
            "placement_method": np.select(conditions, [m for _, m, _, _ in rules], "unplaced"),
            "placement_note": np.select(
                conditions,
                notes,
                _fill("ZIP {zip} is not a ZCTA of {state} and city {city} is no place of it", text),
            ),
        },
        index=facilities.index,
    )


def _fill(template: str, values: dict[str, pd.Series]) -> pd.Series:
    """Vectorised ``str.format``: each ``{name}`` in the template replaced row by row."""
    parts = re.split(r"\{(\w+)\}", template)
    filled = pd.Series(parts[0], index=next(iter(values.values())).index, dtype=object)
    for name, literal in zip(parts[1::2], parts[2::2], strict=True):
        filled = filled + values[name].astype(str) + literal
    return filled


def _county_lists(area: pd.DataFrame, index: pd.Index) -> pd.Series:
    """Sorted tuple of county codes per facility (an empty tuple when there is none)."""
    lists = area.groupby("facility_id")["county_fips"].agg(lambda codes: tuple(sorted(set(codes))))
    return lists.reindex(index).map(lambda codes: codes if isinstance(codes, tuple) else ())


def _label_lists(lists: pd.Series, labels: pd.Series) -> pd.Series:
    """Tuples of county codes as text: "Imperial County, CA; Riverside County, CA"."""
    named = lists.explode().map(labels).dropna()
    return named.groupby(level=0).agg("; ".join).reindex(lists.index).fillna("")


def _assemble(
    facilities: pd.DataFrame, points: gpd.GeoDataFrame, fallback: pd.DataFrame
) -> gpd.GeoDataFrame:
    """One row per facility from its best placing point, else its ZIP/city placement.

    A border point, if any, still gives the location of a facility its ZIP or city places; every
    candidate point not used says why in the note.
    """
    ordered = points.sort_values(["facility_id", "priority"])
    placing = ordered[ordered["verdict"] == "placed"].drop_duplicates("facility_id")
    placing = placing.set_index("facility_id")
    border = ordered[ordered["verdict"] == "border"].drop_duplicates("facility_id")
    border = border.set_index("facility_id")
    placed = fallback.copy()
    placed.loc[placing.index, "county_fips"] = placing["county_fips"]
    placed.loc[placing.index, "placement_method"] = placing["placement_method"]
    placed.loc[placing.index, "placement_note"] = (
        placing["placement_note"] + "; in " + placing["county_label"]
    )
    unused = ordered[ordered["check_note"].notna()]
    checks = unused.groupby("facility_id")["check_note"].agg("; ".join).reindex(placed.index)
    placed["placement_note"] = placed["placement_note"].where(
        checks.isna(), placed["placement_note"] + "; " + checks
    )
    point = border[["point_source", "geometry"]].drop(index=placing.index, errors="ignore")
    point = pd.concat([placing[["point_source", "geometry"]], point]).reindex(placed.index)
    result = facilities.join(placed).reset_index()
    result["point_source"] = point["point_source"].to_numpy()
    result["point_source"] = result["point_source"].where(result["point_source"].notna(), None)
    return gpd.GeoDataFrame(
        result[FACILITY_COLUMNS[:-1]], geometry=point["geometry"].to_numpy(), crs=4326
    ).sort_values("facility_id", ignore_index=True)


def read_monthly_population(raw_dir: Path) -> pd.DataFrame:
    """Monthly mean detained population per ICE facility code, from DDP's daily panel.

    The Deportation Data Project's panel (CC0, from ICE's individual-level FOIA records) is
    zero-filled over every code and day, so a 0 there is a day with nobody held, not a gap.
    ``n_detained_at_midnight`` is used because it matches ICE's ADP (the midnight count). The
    panel is keyed by ICE's DETLOC code, which the annual sheets lack, so it is not joined to
    ``facility_id`` here; it also covers hold rooms, hospitals and staging sites.

    Returns
    -------
    pd.DataFrame
        ``facility_code`` (DETLOC), ``facility_name`` (ICE system name), ``month`` (first day,
        datetime64), ``population`` (mean of the daily midnight counts), ``days`` (days of the
        month in the panel: the last month is partial); sorted by code and month.

    Raises
    ------
    SourceError
        When the file is missing or unreadable, lacks a column, repeats a code and day, or
        holds a negative count.

    Examples
    --------
    >>> monthly = read_monthly_population(Path("../shared/data"))  # doctest: +SKIP
    >>> monthly.columns.tolist()  # doctest: +SKIP
    ['facility_code', 'facility_name', 'month', 'population', 'days']
    """
    path = Path(raw_dir) / DDP_FILE
    columns = ["detention_facility_code", "detention_facility", "date", "n_detained_at_midnight"]
    if not path.is_file():
        raise SourceError(path, "file not found")
    try:
        daily = pd.read_parquet(path, columns=columns)
    except Exception as exc:  # pyarrow raises several types, missing columns included
        raise SourceError(path, f"cannot read the daily panel ({exc})") from exc
    if daily.duplicated(["detention_facility_code", "date"]).any():
        raise SourceError(path, "a facility code appears twice on one day")
    if (daily["n_detained_at_midnight"] < 0).any():
        raise SourceError(path, "negative n_detained_at_midnight")
    daily["month"] = pd.to_datetime(daily["date"]).dt.to_period("M").dt.to_timestamp()
    monthly = daily.groupby(["detention_facility_code", "month"], as_index=False).agg(
        facility_name=("detention_facility", "first"),
        population=("n_detained_at_midnight", "mean"),
        days=("date", "size"),
    )
    return monthly.rename(columns={"detention_facility_code": "facility_code"})[
        ["facility_code", "facility_name", "month", "population", "days"]
    ].sort_values(["facility_code", "month"], ignore_index=True)
