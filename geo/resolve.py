"""Resolve 287(g) agencies to the county FIPS codes their agreements cover.

ICE lists agencies by name, state, TYPE and (since March 2025) a COUNTY cell, never by code. This
module turns each agency into county FIPS codes with a ``match_type`` saying how, and a
``review_reason`` whenever a person should look: a corrected spelling, a COUNTY cell that disagrees,
a name that fits several agencies. Nothing is guessed silently: an agency that cannot be placed is
``unresolved`` with its reason.

Resolution order, first that applies wins:

1. ``multi_county``: regional jails and judicial-district bodies, when two or more member counties
   can be read from the name ("Prince William-Manassas Regional Jail"); else ``unresolved``, even
   when TYPE says State Agency (a judicial circuit is not the whole state).
2. ``statewide``: state agencies (TYPE "State Agency", or a name such as "AZ Department of Public
   Safety" or "Missouri State Highway Patrol"). Their COUNTY cell is the headquarters' county and
   does not make them local; campus police and a city police typed State stay local.
3. ``county_name``: county-level agencies (a county named with its LSAD word, a sheriff, TYPE
   County), from the agency name, else from the COUNTY cell.
4. ``agency_roster``: other agencies by name + state in the LEAIC 2012 ORI crosswalk and the FBI LEE
   roster, with the ORI when exactly one agency matches; ``zip`` when the roster's county is the
   retired Valdez-Cordova code and the LEAIC address ZIP settles which successor holds the agency.
5. ``place``: by the jurisdiction's name among the 2025 Gazetteer places, with counties from the
   GNIS place-county table (Connecticut and places missing there: point in the served polygons).
6. ``county_name`` from the COUNTY cell alone, with a reason; else ``unresolved``.

A jurisdiction spanning several counties (a LEE agency listing several, a multi-county place) takes
the county the COUNTY cell names; when the cell names none of them it is ``multi_county`` listing
all of them: covering several counties is a fact, picking one would be a guess. A cell naming a
county the roster or place does not lie in loses, with a reason: on the 2026-05-18 sheet every
such cell is ICE's slip (Yoakum PD is in Lavaca/DeWitt, not Yoakum County; Tye PD in Taylor, not
Galveston). Among same-named roster agencies the cell picks the one in its county.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.sources import read_raw_csv

__all__ = [
    "MATCH_TYPES",
    "REFERENCE_FILES",
    "REVIEW_REASONS",
    "AgencyReference",
    "load_reference",
    "resolve_agencies",
]

MATCH_TYPES = (
    "county_name",
    "agency_roster",
    "place",
    "zip",
    "statewide",
    "multi_county",
    "unresolved",
)

LEAIC_FILE = Path("crime/leaic_2012_ori_county_crosswalk.csv.gz")
_LEE_FILE = Path("crime/fbi_lee_latest_agency_roster.csv")
_GAZETTEER_PLACES_FILE = Path("boundaries/crosswalks/2025_Gaz_place_national.txt")
_GNIS_PLACE_COUNTIES_FILE = Path("boundaries/crosswalks/us_geo_gnis_place_counties.csv")
_ZCTA_COUNTIES_FILE = Path("boundaries/crosswalks/us_geo_zcta_counties.csv")
# The FBI writes Nebraska "NB" (its ORI prefix), not USPS "NE", in the LEE roster's state column.
_FBI_STATE_CODES = {"NB": "NE"}
REFERENCE_FILES = (
    LEAIC_FILE,
    _LEE_FILE,
    _GAZETTEER_PLACES_FILE,
    _GNIS_PLACE_COUNTIES_FILE,
    _ZCTA_COUNTIES_FILE,
)
"""The raw files `load_reference` reads, for the snapshot's provenance."""

# One wording per flag; a review_reason is these sentences joined by "; " (see _compose_reason).
REVIEW_REASONS: dict[str, str] = {
    "state_not_served": "state_abbr {state!r} is not a served state (50 states, DC, PR)",
    "county_cell_spelling": "COUNTY cell {printed!r} read as {county} by spelling",
    "county_cell_alias": "COUNTY cell {printed!r} read as {county} by the alias table",
    "county_cell_city": "COUNTY cell {printed!r} read as {county}: no such county, a city",
    "county_cell_unknown": "COUNTY cell {printed!r} names no county of {state}",
    "county_cell_split": "COUNTY cell {printed!r} names a county since split in two",
    "county_cell_disagrees": "COUNTY cell {printed!r} disagrees with the {evidence} ({county})",
    "name_county_spelling": "county in the agency name {printed!r} read as {county} by spelling",
    "name_county_city": "{printed!r} in the agency name read as {county}: no such county",
    "name_names_several": "the agency name names several counties: {candidates}",
    "multi_county_unread": "multi-county body whose member counties cannot be read from its name",
    "type_state_local": "TYPE says State Agency but the name is a local agency's",
    "county_cell_partial": "the COUNTY cell {printed!r} names one member county only",
    "ambiguous_roster": "{n} roster agencies fit the name: {candidates}",
    "ambiguous_place": "{n} places fit the name: {candidates}",
    "shared_roster_name": "{n} roster agencies share the name, so no ORI: {candidates}",
    "retired_split": "roster county {retired} was split into {successors}, and nothing settles which",
    "county_cell_only": "agency not found in the rosters or places, so its county is the COUNTY cell's",
    "not_found": "not found among the counties, agency rosters or places of {state}",
}

# Fixes that spelling cannot find, keyed on the WRONG value as printed (normalised) and its state,
# so that a fix does nothing once ICE corrects the cell. The value is the county's Census NAMELSAD.
COUNTY_ALIASES: dict[tuple[str, str], str] = {
    # "German Coast" is the colonial name of the St. Charles / St. John the Baptist river parishes;
    # ICE prints "German Coast County" as the COUNTY of "St. Charles Parish Sheriff's Office"
    # (sheets 2025-07-30 onward), so the cell means that parish.
    ("LA", "german coast county"): "St. Charles Parish",
}

# County codes retired since the rosters were made -> successors (boundaries/SOURCES.md, caveat 3).
RETIRED_COUNTIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "02261": ("AK", "Valdez-Cordova Census Area", ("02063", "02066")),  # split in 2019
    "02270": ("AK", "Wade Hampton Census Area", ("02158",)),  # renamed Kusilvak, 2015
    "46113": ("SD", "Shannon County", ("46102",)),  # renamed Oglala Lakota, 2015
    "51515": ("VA", "Bedford city", ("51019",)),  # merged into Bedford County, 2013
}

# ICE's TYPE, case-folded -> ours; the sheets of 2025-08 to 2025-10 print "State".
_AGENCY_TYPES = {
    "county": "county",
    "municipality": "municipality",
    "state agency": "state",
    "state": "state",
}

# Abbreviations spelled out, token by token, after punctuation is gone.
_TOKEN_SPELLING = {
    "co": "county",
    "cnty": "county",
    "dept": "department",
    "pd": "police department",
    "st": "saint",
    "ste": "sainte",
    "ft": "fort",
    "mt": "mount",
    "twp": "township",
    "boro": "borough",
    "pct": "precinct",
    "univ": "university",
    "sheriffs": "sheriff",
    "marshals": "marshal",
    "constables": "constable",
}
_APOSTROPHES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})

# Words that follow a county's name in an agency name; the words before one may be a misspelling.
_COUNTY_WORDS = ("county", "parish", "borough")
_LSAD_TAIL = re.compile(
    r"\s+(city and borough|census area|county|parish|borough|municipality|city)$"
)
_MUNICIPAL_WORDS = ("city", "town", "township", "village", "borough")
_MUNICIPAL_TAIL = re.compile(r"\s+(city|town|village|borough|metropolitan)$")
_MUNICIPAL_HEAD = re.compile(r"^(the )?(city|town|village|borough|township) of ")

# The first word that says what kind of agency it is; the words before it name the jurisdiction.
_KIND_WORDS = re.compile(
    r"\b(?:(?P<sheriff>sheriff)|(?P<police>police|public safety)|(?P<marshal>marshal)"
    r"|(?P<constable>constable))\b"
)
_CAMPUS = re.compile(r"\b(university|college)\b")
_KIND_LEAD_IN = re.compile(r"\s*\b(department|office|division|bureau)( of)?$")
_GOVERNING_BODY = re.compile(r"^(district )?board of trustees of | board of trustees$")

_MULTI_COUNTY_BODY = re.compile(
    r"\b(?:regional jail|jail authority|regional (?:adult )?detention|district jail"
    r"|judicial (?:district|distric|circuit)"
    r"|(?:district|state) attorney\b.*\b(?:district|circuit))\b"
)
_JAIL = re.compile(r"\b(?:jail|detention)\b")
_BODY_WORDS = re.compile(
    r"\b(?:regional|district|distric|judicial|circuit|jail|adult|detention|authority)\b",
    re.IGNORECASE,
)
_LIST_SEPARATORS = re.compile(r"\s*(?:,|-|/|&|\band\b)\s*", re.IGNORECASE)
_STATE_WORDS = re.compile(
    r"\b(highway patrol|state (police|patrol|troopers?|guard)|national guard|attorney general)\b"
)
_STATE_PREFIX_NEXT = re.compile(
    r"^(?:department|division|office|bureau|highway|national|attorney|commission|military"
    r"|fish|game|wildlife|alcohol|gaming|lottery|law|public|corrections?|homeland"
    r"|state (?:police|patrol|highway|guard|troopers?|fire|auditor|bureau|department))\b"
)

_FUZZY_CUTOFF = 0.8
_NGRAM_MAX = 6


@dataclass(frozen=True)
class AgencyReference:
    """The lookup tables ``resolve_agencies`` matches against, loaded once by ``load_reference``.

    Attributes
    ----------
    counties : pd.DataFrame
        ``county_fips``, ``state_abbr``, ``name_lsad``, ``bare`` (compact normalised name): the
        served county set, used to name counties in reasons and for spelling corrections.
    county_keys : pd.DataFrame
        ``state_abbr``, ``key`` (compact normalised county name), ``county_fips``, ``tier``: every
        way a county is written. Tier 0 is a full name ("saintlouiscity"), 1 a bare county name,
        2 a bare independent-city name (so "St. Louis" alone means the county, as Census and the
        LEE roster write it), 3 "X County" for a parish or borough, 4 "X County" for a city of
        that name where no such county exists ("Hopewell County").
    states : pd.DataFrame
        ``state_abbr``, ``state_key`` (normalised state name): the served states.
    rosters : pd.DataFrame
        ``state_abbr``, ``name_key``, ``core``, ``core_variants`` (see ``_core_variants``),
        ``kind``, ``ori`` (None when the roster has none),
        ``roster_name``, ``county_fips_list`` (tuple, retired codes kept), ``zip``, ``source``,
        ``current`` (the ORI is on the LEE roster, 2018 or later): LEAIC and LEE rows, one per
        source row.
    places : pd.DataFrame
        ``state_abbr``, ``key``, ``tier`` (0 full name with LSAD, 1 bare name), ``place_geoid``,
        ``place_name``, ``incorporated``, ``county_fips_list`` (tuple).
    zip_counties : pd.DataFrame
        ``zip``, ``county_fips``: every county each ZCTA overlaps.
    """

    counties: pd.DataFrame
    county_keys: pd.DataFrame
    states: pd.DataFrame
    rosters: pd.DataFrame
    places: pd.DataFrame
    zip_counties: pd.DataFrame


def load_reference(raw_dir: Path, counties: gpd.GeoDataFrame) -> AgencyReference:
    """Read the agency rosters, places and ZIP tables and key them for matching.

    Parameters
    ----------
    raw_dir : Path
        The raw data folder (``crime/`` and ``boundaries/crosswalks/`` are read).
    counties : gpd.GeoDataFrame
        The served counties from ``read_counties``, in EPSG:4326.

    Returns
    -------
    AgencyReference

    Raises
    ------
    SourceError
        When a file is missing or lacks a column this module needs.
    ValueError
        When ``counties`` lacks a column or is not in EPSG:4326.

    Examples
    --------
    >>> counties = read_counties(Path("../shared/data"))  # doctest: +SKIP
    >>> reference = load_reference(Path("../shared/data"), counties)  # doctest: +SKIP
    >>> reference.rosters.columns.tolist()[:3]  # doctest: +SKIP
    ['state_abbr', 'name_key', 'core']
    """
    _check_counties(counties)
    raw_dir = Path(raw_dir)
    county_table = _county_table(counties)
    county_keys = _county_keys(county_table)
    lee = _read_lee(raw_dir, county_keys)
    rosters = pd.concat([_read_leaic(raw_dir, county_table), lee], ignore_index=True)
    rosters["current"] = rosters["ori"].isin(set(lee["ori"].dropna()))
    return AgencyReference(
        counties=county_table,
        county_keys=county_keys,
        states=_state_table(counties),
        rosters=rosters,
        places=_read_places(raw_dir, counties),
        zip_counties=_read_zip_counties(raw_dir),
    )


def resolve_agencies(agencies: pd.DataFrame, reference: AgencyReference) -> pd.DataFrame:
    """Give every 287(g) agency row the county FIPS codes its agreement covers.

    Parameters
    ----------
    agencies : pd.DataFrame
        ``state_abbr`` (USPS; None when the state is not served), ``agency`` (ICE's spelling),
        ``agency_type`` ("County", "Municipality", "State Agency", "State" or None) and
        ``county_as_printed`` (ICE's COUNTY cell or None).
    reference : AgencyReference
        From ``load_reference``.

    Returns
    -------
    pd.DataFrame
        Same index as ``agencies``; columns ``county_fips`` (the one county, else None),
        ``county_fips_list`` (list of every county covered; empty for statewide and unresolved),
        ``match_type`` (one of ``MATCH_TYPES``), ``ori`` (9 characters when exactly one roster
        agency matches, else None) and ``review_reason`` (None when clean).

    Raises
    ------
    ValueError
        When a column is missing or ``agency_type`` holds a value outside the known ones.

    Examples
    --------
    >>> reference = load_reference(raw_dir, read_counties(raw_dir))  # doctest: +SKIP
    >>> agencies = pd.DataFrame({"state_abbr": ["VA"], "agency": ["Hopewell Police Department"],
    ...                          "agency_type": ["Municipality"], "county_as_printed": [None]})
    >>> resolve_agencies(agencies, reference).loc[0, ["county_fips", "ori"]].tolist()  # doctest: +SKIP
    ['51670', 'VA1130000']
    """
    unique, agency_of_row = _unique_agencies(agencies)
    cells = _resolve_cells(unique, reference)
    grams = _county_grams(unique, reference.county_keys)
    name_counties = _name_county_matches(unique, grams, reference.counties)
    body_counties = _body_counties(unique, reference)
    roster_hits = _roster_candidates(unique, reference.rosters)
    place_hits = _place_candidates(unique, reference.places)
    shared = {
        "served": set(reference.states["state_abbr"]),
        "state_keys": reference.states.set_index("state_abbr")["state_key"].to_dict(),
        "county_names": reference.counties.set_index("county_fips")["name_lsad"].to_dict(),
        "zip_counties": reference.zip_counties,
        "sheriff_oris": _sheriff_oris(
            reference.rosters[reference.rosters["state_abbr"].isin(set(unique["state_abbr"]))]
        ),
    }
    # A loop over unique agencies (about 1,500 on the newest sheet), not rows: each needs several
    # lookups weighed in order, which no single merge expresses.
    outcomes = [
        _Resolver(
            agency,
            _Lookups(
                cell=cells.get(agency.Index),
                name_county=name_counties.get(agency.Index),
                body=body_counties.get(agency.Index),
                roster=roster_hits.get(agency.Index, []),
                places=place_hits.get(agency.Index, []),
                **shared,
            ),
        ).resolve()
        for agency in unique.itertuples()
    ]
    # dtype object keeps None as None: pandas would otherwise infer str columns holding NaN.
    resolved = pd.DataFrame(
        outcomes,
        columns=["county_fips", "county_fips_list", "match_type", "ori", "review_reason"],
        dtype=object,
    )
    result = resolved.iloc[agency_of_row].set_axis(agencies.index)
    result["county_fips_list"] = result["county_fips_list"].map(list)
    return result


# --- normalisation -------------------------------------------------------------------------------


def _normalise_name(text: object) -> str:
    """Fold a name to the key every table is matched on.

    Case-folds, straightens curly apostrophes and drops them ("Sheriff's" and "Sheriffs" both
    become "sheriff"), spells out abbreviations ("Co." -> county, "Dept." -> department, "PD" ->
    police department, "St." -> saint, "Ste." -> sainte), turns "&" into "and" and any other
    punctuation into a space, so that ICE's, the FBI's and the Census' spellings of one name meet.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    folded = str(text).translate(_APOSTROPHES).casefold()
    # Accents go ("Doña Ana" -> "dona ana") rather than splitting the word at the letter.
    folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    folded = re.sub(r"[^0-9a-z ]+", " ", folded.replace("&", " and ").replace("'", ""))
    return " ".join(_TOKEN_SPELLING.get(token, token) for token in folded.split())


def _compact(key: str) -> str:
    """Drop spaces so that "La Salle" and "LaSalle", "De Witt" and "DeWitt" meet."""
    return key.replace(" ", "")


def _split_kind(name_key: str) -> tuple[str, str | None]:
    """Split a normalised agency name into its jurisdiction and its kind of agency.

    "city of miami police department" -> ("miami", "police"); "smiley city marshal office" ->
    ("smiley city", "marshal"); campus agencies are kind "campus" with the institution as core
    ("florida a and m university board of trustees" -> "florida a and m university").
    """
    kind_match = _KIND_WORDS.search(name_key)
    core = name_key[: kind_match.start()] if kind_match else name_key
    core = _MUNICIPAL_HEAD.sub("", _KIND_LEAD_IN.sub("", core.strip())).strip()
    core = _GOVERNING_BODY.sub("", core)
    if _CAMPUS.search(core):
        return core, "campus"
    return core, kind_match.lastgroup if kind_match else None


def _core_variants(core: str) -> list[str]:
    """The core and, when it ends in a municipal type word, the core without it.

    "ashdown city" also matches a roster's "ashdown", "saint louis metropolitan" LEE's "St. Louis";
    "township" is kept because a township and the borough or city of the same name are different
    agencies in Pennsylvania.
    """
    relaxed = _MUNICIPAL_TAIL.sub("", core)
    return [core] if relaxed == core or not relaxed else [core, relaxed]


# --- reference tables ----------------------------------------------------------------------------


def _check_counties(counties: gpd.GeoDataFrame) -> None:
    """Reject a county layer this module cannot key on, naming what is wrong."""
    needed = {"county_fips", "name", "name_lsad", "state_abbr", "state_name", "geometry"}
    missing = needed - set(counties.columns)
    if missing:
        raise ValueError(f"counties lacks columns {sorted(missing)}")
    if counties.crs is None or counties.crs.to_epsg() != 4326:
        raise ValueError(f"counties must be in EPSG:4326, got {counties.crs}")


def _county_table(counties: gpd.GeoDataFrame) -> pd.DataFrame:
    """The served counties with their compact bare names, for keys and spelling corrections."""
    table = pd.DataFrame(counties[["county_fips", "state_abbr", "name", "name_lsad"]])
    table["bare"] = table["name"].map(_normalise_name).map(_compact)
    table["lsad"] = [
        _normalise_name(full)[len(_normalise_name(bare)) :].strip()
        for bare, full in zip(table["name"], table["name_lsad"], strict=True)
    ]
    return table.reset_index(drop=True)


def _county_keys(county_table: pd.DataFrame) -> pd.DataFrame:
    """Every way a county is written, with a tier saying how strong a match on it is.

    See ``AgencyReference.county_keys`` for the tiers. Retired counties are keyed by their old
    names at tier 0 (the LEE roster still says "VALDEZ-CORDOVA"); callers map them to successors.
    """
    table = county_table
    is_city = table["lsad"].eq("city")
    is_county = table["lsad"].eq("county")
    state_and_bare = pd.MultiIndex.from_frame(table[["state_abbr", "bare"]])
    city_as_county = is_city & ~state_and_bare.isin(state_and_bare[is_county.to_numpy()])
    full = table["name_lsad"].map(_normalise_name).map(_compact)
    retired = pd.DataFrame(
        [
            (state, _compact(_normalise_name(name)), fips, 0)
            for fips, (state, name, _) in RETIRED_COUNTIES.items()
        ]
        + [
            (
                state,
                _compact(_LSAD_TAIL.sub("", _normalise_name(name))),
                fips,
                2 if name.endswith(" city") else 1,  # bare "Bedford" is the county
            )
            for fips, (state, name, _) in RETIRED_COUNTIES.items()
        ],
        columns=["state_abbr", "key", "county_fips", "tier"],
    )
    frames = [
        pd.DataFrame({"state_abbr": table["state_abbr"], "key": full, "tier": 0}),
        pd.DataFrame(
            {
                "state_abbr": table.loc[is_city, "state_abbr"],
                "key": "cityof" + table.loc[is_city, "bare"],
                "tier": 0,
            }
        ),
        pd.DataFrame(
            {
                "state_abbr": table["state_abbr"],
                "key": table["bare"],
                "tier": is_city.map({True: 2, False: 1}),
            }
        ),
        pd.DataFrame(
            {
                "state_abbr": table.loc[~is_city & ~is_county, "state_abbr"],
                "key": table.loc[~is_city & ~is_county, "bare"] + "county",
                "tier": 3,
            }
        ),
        pd.DataFrame(
            {
                "state_abbr": table.loc[city_as_county, "state_abbr"],
                "key": table.loc[city_as_county, "bare"] + "county",
                "tier": 4,
            }
        ),
    ]
    keys = pd.concat(
        [frame.assign(county_fips=table.loc[frame.index, "county_fips"]) for frame in frames]
        + [retired],
        ignore_index=True,
    )
    return (
        keys.sort_values(["state_abbr", "key", "tier"])
        .drop_duplicates(["state_abbr", "key", "county_fips"])[
            ["state_abbr", "key", "county_fips", "tier"]
        ]
        .reset_index(drop=True)
    )


def _state_table(counties: gpd.GeoDataFrame) -> pd.DataFrame:
    """Served states with their normalised names, to recognise "Florida Department of ..."."""
    states = pd.DataFrame(counties[["state_abbr", "state_name"]]).drop_duplicates("state_abbr")
    return pd.DataFrame(
        {"state_abbr": states["state_abbr"], "state_key": states["state_name"].map(_normalise_name)}
    ).reset_index(drop=True)


def _roster_frame(
    state_abbr: pd.Series, names: pd.Series, ori: pd.Series, counties: pd.Series, zips: pd.Series
) -> pd.DataFrame:
    """Key roster rows on their normalised name, jurisdiction core and kind."""
    name_key = names.map(_normalise_name)
    split = name_key.map(_split_kind)
    return pd.DataFrame(
        {
            "state_abbr": state_abbr.to_numpy(),
            "name_key": name_key.to_numpy(),
            "core": split.str[0].to_numpy(),
            "core_variants": split.str[0].map(_core_variants).to_numpy(),
            "kind": split.str[1].to_numpy(),
            "ori": ori.to_numpy(),
            "roster_name": names.str.strip().to_numpy(),
            "county_fips_list": counties.to_numpy(),
            "zip": zips.to_numpy(),
        }
    )


def _read_leaic(raw_dir: Path, county_table: pd.DataFrame) -> pd.DataFrame:
    """LEAIC 2012: ORI -> primary county FIPS, plus the address ZIP.

    ORI9 "-1" marks a government unit without an ORI; a FIPS that is neither served nor retired
    (888888888 / 999999999 in some copies) is no county, so the row keeps an empty county list.
    """
    path = raw_dir / LEAIC_FILE
    leaic = read_raw_csv(path, ["ORI9", "NAME", "FIPS", "ADDRESS_ZIP"])
    state_of = dict(
        zip(county_table["county_fips"].str[:2], county_table["state_abbr"], strict=True)
    )
    known = set(county_table["county_fips"]) | set(RETIRED_COUNTIES)
    fips = leaic["FIPS"].str.strip()
    counties = fips.map(lambda code: (code,) if code in known else ())
    ori = leaic["ORI9"].str.strip().where(leaic["ORI9"].str.fullmatch(r"[A-Z0-9]{9}"), None)
    state = fips.str[:2].map(state_of)
    rows = state.notna()
    return _roster_frame(
        state[rows],
        leaic.loc[rows, "NAME"],
        ori[rows],
        counties[rows],
        leaic.loc[rows, "ADDRESS_ZIP"].str.strip().str[:5],
    ).assign(source="LEAIC")


def _read_lee(raw_dir: Path, county_keys: pd.DataFrame) -> pd.DataFrame:
    """FBI LEE roster: ORI -> county names, comma-joined for multi-county agencies.

    City agencies are named by the city alone ("Springfield"), so they get kind "municipal", which
    matches a police department or marshal of that city. County agencies named by the bare county
    ("Bedford") are the sheriff. A county name that is no county ("NOT SPECIFIED", Connecticut's
    planning regions) leaves the row's county list empty rather than partial.
    """
    path = raw_dir / _LEE_FILE
    lee = read_raw_csv(
        path, ["ori", "pub_agency_name", "state_abbr", "county_name", "agency_type_name"]
    )
    lee["state_abbr"] = lee["state_abbr"].str.strip().replace(_FBI_STATE_CODES)
    parts = (
        lee[["state_abbr", "county_name"]]
        .assign(key=lee["county_name"].str.split(","))
        .explode("key")
    )
    parts["key"] = parts["key"].map(_normalise_name).map(_compact)
    best = (
        county_keys[county_keys["tier"] <= 2]
        .sort_values("tier")
        .drop_duplicates(["state_abbr", "key"])
    )
    parts = parts.reset_index().merge(best, on=["state_abbr", "key"], how="left")
    complete = parts.groupby("index")["county_fips"].agg(lambda codes: codes.notna().all())
    counties = parts.groupby("index")["county_fips"].agg(
        lambda codes: tuple(sorted(set(codes.dropna())))
    )
    counties = counties.where(complete, other=pd.Series([()] * len(counties), index=counties.index))
    # "Mahoning Township, Lawrence County": the qualifier is in the county list already.
    names = (
        lee["pub_agency_name"]
        .str.rstrip(": ")
        .str.replace(r",[^,]*\b(county|parish|borough)$", "", case=False, regex=True)
    )
    roster = _roster_frame(
        lee["state_abbr"].str.strip(),
        names,
        lee["ori"].str.strip().where(lee["ori"].str.fullmatch(r"[A-Z0-9]{9}"), None),
        counties.reindex(lee.index),
        pd.Series("", index=lee.index),
    ).assign(source="LEE")
    kind_free = roster["kind"].isna()
    roster.loc[kind_free & lee["agency_type_name"].eq("City").to_numpy(), "kind"] = "municipal"
    roster.loc[kind_free & lee["agency_type_name"].eq("County").to_numpy(), "kind"] = "sheriff"
    campus = lee["agency_type_name"].eq("University or College").to_numpy()
    roster.loc[campus, "kind"] = "campus"
    return roster


def _read_places(raw_dir: Path, counties: gpd.GeoDataFrame) -> pd.DataFrame:
    """2025 Gazetteer places keyed by name, each with every county it lies in.

    Counties come from the GNIS place-county table; where that has no row, or gives a Connecticut
    planning region (the served layer has the 8 legacy counties), the Gazetteer internal point is
    located in the served polygons instead (nearest polygon for points that fall in water).
    """
    path = raw_dir / _GAZETTEER_PLACES_FILE
    gazetteer = read_raw_csv(
        path, ["USPS", "GEOID", "NAME", "FUNCSTAT", "INTPTLAT", "INTPTLONG"], sep="|"
    )
    gnis = read_raw_csv(raw_dir / _GNIS_PLACE_COUNTIES_FILE, ["Place GEOID", "County GEOID"])
    served = set(counties["county_fips"])
    gnis = gnis[gnis["County GEOID"].isin(served)]
    gnis_counties = gnis.groupby("Place GEOID")["County GEOID"].agg(lambda c: tuple(sorted(set(c))))
    place_counties = gazetteer["GEOID"].map(gnis_counties)
    needs_point = place_counties.isna() | gazetteer["USPS"].eq("CT")
    points = gpd.GeoDataFrame(
        index=gazetteer.index[needs_point],
        geometry=gpd.points_from_xy(
            pd.to_numeric(gazetteer.loc[needs_point, "INTPTLONG"]),
            pd.to_numeric(gazetteer.loc[needs_point, "INTPTLAT"]),
        ),
        crs=4326,
    )
    located = gpd.sjoin_nearest(
        points.to_crs(5070), counties[["county_fips", "geometry"]].to_crs(5070), how="left"
    )
    located = located[~located.index.duplicated()]["county_fips"]
    place_counties[needs_point] = located.map(lambda code: (code,))
    gazetteer = gazetteer[place_counties.notna()]
    place_counties = place_counties[place_counties.notna()]
    bare = gazetteer["NAME"].str.replace(r"(\s+(\(?[a-z][a-z\-]*\)?|CDP))+$", "", regex=True)
    common = {
        "state_abbr": gazetteer["USPS"],
        "place_geoid": gazetteer["GEOID"],
        "place_name": gazetteer["NAME"],
        "incorporated": gazetteer["FUNCSTAT"].ne("S"),
        "county_fips_list": place_counties,
    }
    places = pd.concat(
        [
            pd.DataFrame({**common, "key": gazetteer["NAME"].map(_normalise_name), "tier": 0}),
            pd.DataFrame({**common, "key": bare.map(_normalise_name), "tier": 1}),
        ],
        ignore_index=True,
    )
    return places.sort_values("tier").drop_duplicates(["state_abbr", "key", "place_geoid"])


def _read_zip_counties(raw_dir: Path) -> pd.DataFrame:
    """ZCTA -> every county it overlaps (2020 geography, Connecticut's legacy counties)."""
    zctas = read_raw_csv(raw_dir / _ZCTA_COUNTIES_FILE, ["ZCTA5", "County GEOID"])
    return pd.DataFrame({"zip": zctas["ZCTA5"], "county_fips": zctas["County GEOID"]})


# --- lookups, vectorised over unique agencies -----------------------------------------------------


def _unique_agencies(agencies: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Check the input and reduce it to unique (state, agency, type, county cell) agencies.

    ICE lists an agency once per support model, so the newest sheet's 1,843 rows are about 1,500
    agencies; everything downstream works on those. Returns them (indexed 0..n-1) and, for every
    input row, the position of its agency.
    """
    needed = ["state_abbr", "agency", "agency_type", "county_as_printed"]
    missing = [column for column in needed if column not in agencies.columns]
    if missing:
        raise ValueError(f"agencies lacks columns {missing}")
    agency_type = agencies["agency_type"].map(_clean_cell).str.casefold()
    unknown = set(agency_type.dropna()) - set(_AGENCY_TYPES)
    if unknown:
        raise ValueError(f"agency_type has unknown values {sorted(unknown)}")
    frame = pd.DataFrame(
        {
            "state_abbr": agencies["state_abbr"].map(_clean_cell).str.upper(),
            "agency": agencies["agency"].map(_clean_cell),
            "agency_type": agency_type.map(_AGENCY_TYPES),
            "county_as_printed": agencies["county_as_printed"].map(_clean_cell),
        }
    ).reset_index(drop=True)
    frame = frame.astype(object).where(frame.notna(), None)
    agency_of_row, _ = pd.factorize(pd.MultiIndex.from_frame(frame.fillna("\0")))
    first = pd.Series(range(len(frame))).groupby(agency_of_row).first().to_numpy()
    unique = frame.iloc[first].reset_index(drop=True)
    unique["name_key"] = unique["agency"].map(_normalise_name)
    split = unique["name_key"].map(_split_kind)
    unique["core"] = split.str[0]
    unique["kind"] = split.str[1]
    # TYPE County is not enough: ICE types some city police departments County.
    unique["county_level"] = unique["kind"].eq("sheriff") | (
        unique["agency_type"].eq("county") & ~unique["kind"].isin(["police", "marshal", "campus"])
    )
    return unique, agency_of_row


def _clean_cell(value: object) -> str | None:
    """A spreadsheet cell with runs of whitespace (ICE's trailing spaces, newlines) collapsed."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = " ".join(str(value).split())
    return text or None


def _resolve_cells(unique: pd.DataFrame, reference: AgencyReference) -> dict[int, tuple]:
    """Read each distinct COUNTY cell as a county.

    Returns agency id -> (county_fips or None, flag or None); flags are REVIEW_REASONS keys.
    """
    with_cell = unique[unique["county_as_printed"].notna() & unique["state_abbr"].notna()]
    cells = with_cell[["state_abbr", "county_as_printed"]].drop_duplicates()
    cells["normalised"] = cells["county_as_printed"].map(_normalise_name)
    cells["key"] = cells["normalised"].map(_compact)
    exact = _best_key(cells, reference.county_keys)
    # A loop over the few hundred distinct cells: each falls through up to four readings.
    readings = {
        (cell.state_abbr, cell.county_as_printed): _read_cell(
            cell.state_abbr, cell.normalised, exact.get((cell.state_abbr, cell.key)), reference
        )
        for cell in cells.itertuples()
    }
    return {
        agency.Index: readings[(agency.state_abbr, agency.county_as_printed)]
        for agency in with_cell.itertuples()
    }


def _read_cell(
    state: str, normalised: str, exact: tuple | None, reference: AgencyReference
) -> tuple[str | None, str | None]:
    """One COUNTY cell: exact key, alias table, a county named inside it, then spelling.

    A retired county is read as its successor ("Shannon County" -> Oglala Lakota); one that was
    split (Valdez-Cordova) is no single county, so the cell says nothing.
    """
    counties = reference.counties
    if exact is not None:
        fips, flag = exact[0], ("county_cell_city" if exact[1] == 4 else None)
    elif (state, normalised) in COUNTY_ALIASES:
        alias = COUNTY_ALIASES[(state, normalised)]
        target = counties.loc[
            counties["state_abbr"].eq(state) & counties["name_lsad"].eq(alias), "county_fips"
        ]
        if target.empty:
            raise KeyError(f"COUNTY_ALIASES names {alias!r}, which is no county of {state}")
        fips, flag = target.iloc[0], "county_cell_alias"
    else:
        inside = _counties_in_text(normalised, state, reference.county_keys)
        if len(inside) == 1:
            fips, flag = inside[0][0], None
        else:
            fips = _spelling_match(normalised, state, counties)
            flag = "county_cell_spelling" if fips else "county_cell_unknown"
    successors = _successors((fips,)) if fips else frozenset()
    if len(successors) > 1:
        return None, "county_cell_split"
    return (next(iter(successors)) if successors else None), flag


def _best_key(frame: pd.DataFrame, county_keys: pd.DataFrame) -> dict[tuple[str, str], tuple]:
    """(state, key) -> (county_fips, tier) for keys with one county at their strongest tier."""
    hits = (
        frame[["state_abbr", "key"]].drop_duplicates().merge(county_keys, on=["state_abbr", "key"])
    )
    hits = hits[hits["tier"] == hits.groupby(["state_abbr", "key"])["tier"].transform("min")]
    hits = hits[~hits.duplicated(["state_abbr", "key"], keep=False)]
    return {(row.state_abbr, row.key): (row.county_fips, row.tier) for row in hits.itertuples()}


def _counties_in_text(text: str, state: str, county_keys: pd.DataFrame) -> list[tuple]:
    """Counties named with their LSAD word inside a text ("Sparta-White County" -> White)."""
    grams = pd.DataFrame(_ngrams(text), columns=["start", "end", "key"]).assign(state_abbr=state)
    hits = grams.merge(county_keys[county_keys["tier"].isin([0, 3, 4])])
    return _maximal_matches(
        list(hits[["county_fips", "tier", "start", "end"]].itertuples(index=False, name=None))
    )


def _ngrams(text: str) -> list[tuple[int, int, str]]:
    """Every run of up to _NGRAM_MAX words, compacted, with its word span."""
    words = text.split()
    return [
        (start, end, "".join(words[start:end]))
        for start in range(len(words))
        for end in range(start + 1, min(start + _NGRAM_MAX, len(words)) + 1)
    ]


def _spans_by_agency(hits: pd.DataFrame) -> dict[int, list[tuple]]:
    """Agency id -> its (county_fips, tier, start, end) county mentions, in one pass."""
    spans: dict[int, list[tuple]] = defaultdict(list)
    columns = ["agency_id", "county_fips", "tier", "start", "end"]
    for agency_id, *span in hits[columns].itertuples(index=False, name=None):
        spans[agency_id].append(tuple(span))
    return spans


def _records_by_agency(frame: pd.DataFrame, columns: list[str]) -> dict[int, list[dict]]:
    """Agency id -> its candidate rows as dicts, in one pass rather than a groupby per agency."""
    records: dict[int, list[dict]] = defaultdict(list)
    for record in frame[["agency_id", *columns]].to_dict("records"):
        records[record.pop("agency_id")].append(record)
    return dict(records)


def _maximal_matches(spans: list[tuple]) -> list[tuple]:
    """Distinct (county_fips, tier, start, end) of matches not inside a longer match.

    "Jefferson Davis Parish" must not also count as a "Davis" match.
    """
    kept = [
        span
        for span in spans
        if not any(
            other[2] <= span[2]
            and span[3] <= other[3]
            and (other[3] - other[2]) > (span[3] - span[2])
            for other in spans
        )
    ]
    return sorted({(fips, tier, start, end) for fips, tier, start, end in kept}, key=lambda s: s[2])


def _spelling_match(text: str, state: str, counties: pd.DataFrame) -> str | None:
    """The one county of the state whose bare name is a close spelling of the text's.

    A correction needs the same first letter (typos in ICE's cells keep it: "Frankin", "Flagere",
    "Neuces"; "North County" must not become Worth County), a length within two letters
    ("Schuylkill Haven" is not Schuylkill), a difflib ratio of at least _FUZZY_CUTOFF or the same
    letters in another order ("Layafette"), and no other county as close.
    """
    words = text.split()
    if len(words) > 1 and difflib.get_close_matches(words[-1], _COUNTY_WORDS, cutoff=0.8):
        words = words[:-1]  # "Guadalupe Conty"
    bare = _compact(_LSAD_TAIL.sub("", " ".join(words)))
    if len(bare) < 3:
        return None
    in_state = counties[
        counties["state_abbr"].eq(state)
        & counties["bare"].str[0].eq(bare[0])
        & (counties["bare"].str.len() - len(bare)).abs().le(2)
    ]
    scores = sorted(
        (
            (difflib.SequenceMatcher(None, bare, name).ratio(), sorted(bare) == sorted(name), fips)
            for name, fips in zip(in_state["bare"], in_state["county_fips"], strict=True)
        ),
        reverse=True,
    )
    if not scores or (scores[0][0] < _FUZZY_CUTOFF and not scores[0][1]):
        return None
    if len(scores) > 1 and scores[1][0] >= scores[0][0] - 0.05:
        return None
    return scores[0][2]


def _county_grams(unique: pd.DataFrame, county_keys: pd.DataFrame) -> pd.DataFrame:
    """Every run of words in an agency name that is some way of writing a county of its state.

    One merge of all names' n-grams against the county keys: ``agency_id``, ``start``, ``end``
    (word span), ``county_fips``, ``tier``.
    """
    grams = pd.DataFrame(
        [
            (agency_id, start, end, key)
            for agency_id, name_key in unique["name_key"].items()
            for start, end, key in _ngrams(name_key)
        ],
        columns=["agency_id", "start", "end", "key"],
    )
    grams["state_abbr"] = grams["agency_id"].map(unique["state_abbr"])
    return grams.merge(county_keys, on=["state_abbr", "key"])


def _name_county_matches(
    unique: pd.DataFrame, grams: pd.DataFrame, counties: pd.DataFrame
) -> dict[int, tuple]:
    """Counties an agency's name gives.

    Returns agency id -> (fips tuple, flag or None, printed). A county named with its LSAD word
    ("Hall County Georgia", "Orleans Parish Sheriff") counts for any agency; a bare county name
    opening the name of a county-level agency counts too ("Miami-Dade Sheriff's Office", "Miami
    Dade Corrections and Rehabilitation"); an "X County" whose X is no county of the state is tried
    as a spelling ("Hartford County" in Maryland).
    """
    found: dict[int, tuple] = {}
    name_keys = unique["name_key"].to_dict()
    for agency_id, spans in _spans_by_agency(grams[grams["tier"].isin([0, 3, 4])]).items():
        matches = _maximal_matches(spans)
        fips = tuple(dict.fromkeys(match[0] for match in matches))
        printed = " ".join(name_keys[agency_id].split()[matches[0][2] : matches[0][3]])
        flag = "name_county_city" if all(match[1] == 4 for match in matches) else None
        found[agency_id] = (fips, flag, printed)
    next_word = [
        (words[end] if end < len(words) else "")
        for words, end in zip(
            grams["agency_id"].map(unique["name_key"]).str.split(), grams["end"], strict=True
        )
    ]
    opening = grams[
        grams["start"].eq(0)
        & grams["tier"].isin([1, 2])
        & grams["agency_id"].map(unique["county_level"])
        & ~grams["agency_id"].isin(list(found))
        & ~pd.Series(next_word, index=grams.index).isin(_MUNICIPAL_WORDS)  # "Greene Township"
    ]
    # The longest opening name at its strongest tier, when it is one county.
    opening = opening[opening["end"] == opening.groupby("agency_id")["end"].transform("max")]
    opening = opening[opening["tier"] == opening.groupby("agency_id")["tier"].transform("min")]
    opening = opening[opening.groupby("agency_id")["county_fips"].transform("nunique").eq(1)]
    for agency_id, fips in opening.drop_duplicates("agency_id")[
        ["agency_id", "county_fips"]
    ].itertuples(index=False):
        found[agency_id] = ((fips,), None, "")
    unplaced = unique[~unique.index.isin(list(found)) & unique["state_abbr"].notna()]
    for agency in unplaced.itertuples():
        spelled = _name_county_spelling(agency.name_key, agency.state_abbr, counties)
        if spelled is not None:
            found[agency.Index] = ((spelled[0],), "name_county_spelling", spelled[1])
    return found


def _name_county_spelling(
    name_key: str, state: str, counties: pd.DataFrame
) -> tuple[str, str] | None:
    """(county_fips, words) for an "X County" in a name whose X is a misspelt county of the state.

    The one or two words before the first "county" (or "parish", "borough" where the state's
    counties are so called) are tried: "Neuces County Constable", "Hartford County Sheriff's
    Office" in Maryland; a Pennsylvania "West York Borough" is a municipality, not a county.
    """
    words = name_key.split()
    if not set(words) & set(_COUNTY_WORDS):
        return None
    in_state = counties.loc[counties["state_abbr"].eq(state), "lsad"]
    county_words = {"county"} | (set(in_state) & set(_COUNTY_WORDS))
    lsad_at = next((i for i, word in enumerate(words) if word in county_words), None)
    if not lsad_at:
        return None
    for width in (1, 2):
        if lsad_at - width < 0:
            break
        printed = " ".join(words[lsad_at - width : lsad_at + 1])
        spelled = _spelling_match(" ".join(words[lsad_at - width : lsad_at]), state, counties)
        if spelled:
            return spelled, printed
    return None


def _body_counties(unique: pd.DataFrame, reference: AgencyReference) -> dict[int, tuple]:
    """Counties a jail's or regional body's name lists before its kind of body.

    "Prince William-Manassas Regional Jail" -> Prince William County and Manassas city; every
    listed name must be a county (bare names allowed, a bare name meaning the county before the
    city; a close spelling allowed with a flag), else the list is unreadable and nothing is
    returned: "Rappahannok, Shenandoah, Warren" must not lose a member silently. Returns agency id
    -> (county FIPS tuple, misspelt names).
    """
    is_body = unique["name_key"].str.contains(_MULTI_COUNTY_BODY) | unique["name_key"].str.contains(
        _JAIL
    )
    bodies = unique[is_body & unique["state_abbr"].notna()]
    lists = {
        agency.Index: [
            element.strip()
            for element in _LIST_SEPARATORS.split(_BODY_WORDS.split(agency.agency, maxsplit=1)[0])
            if element.strip()
        ]
        for agency in bodies.itertuples()
    }
    elements = pd.DataFrame(
        [
            (agency_id, bodies.at[agency_id, "state_abbr"], element)
            for agency_id, listed in lists.items()
            for element in listed
        ],
        columns=["agency_id", "state_abbr", "element"],
    )
    elements["key"] = elements["element"].map(_normalise_name).map(_compact)
    exact = _best_key(elements, reference.county_keys)
    found: dict[int, tuple] = {}
    for agency_id, listed in elements.groupby("agency_id"):
        counties, misspelt = [], []
        for element in listed.itertuples():
            hit = exact.get((element.state_abbr, element.key))
            fips = hit[0] if hit else None
            if fips is None:
                fips = _spelling_match(
                    _normalise_name(element.element), element.state_abbr, reference.counties
                )
                misspelt.append((element.element, fips))
            if fips is None:
                break
            counties.append(fips)
        else:
            found[agency_id] = (tuple(sorted(set(counties))), misspelt)
    return found


def _roster_candidates(unique: pd.DataFrame, rosters: pd.DataFrame) -> dict[int, list[dict]]:
    """Roster rows fitting each agency, each with the tier (strength) of its name match.

    Tier 0: the whole normalised name, or the jurisdiction core with a compatible kind (a LEE city
    agency, named by its city alone and of kind "municipal", fits a police department or
    marshal). Tier 1: the cores without a trailing municipal type word ("Ashdown City" ~
    "Ashdown"). All tiers are kept: a weaker match in the county the COUNTY cell names beats a
    stronger one elsewhere (Pennsylvania has a dozen Union Townships).
    """
    agencies = unique[unique["state_abbr"].notna()].reset_index(names="agency_id")
    rosters = rosters[rosters["state_abbr"].isin(set(agencies["state_abbr"]))]
    by_name = (
        agencies[["agency_id", "state_abbr", "name_key", "kind"]]
        .merge(rosters.drop(columns="kind"), on=["state_abbr", "name_key"])
        .assign(tier=0)
    )
    with_kind = agencies[agencies["kind"].notna() & agencies["core"].ne("")]
    ice_variants = (
        with_kind[["agency_id", "state_abbr", "core", "kind"]]
        .assign(variant=with_kind["core"].map(_core_variants))
        .explode("variant")
    )
    roster_variants = (
        rosters[rosters["core"].ne("")]
        .explode("core_variants")
        .rename(columns={"core_variants": "variant"})
    )
    by_core = ice_variants.merge(
        roster_variants, on=["state_abbr", "variant"], suffixes=("", "_roster")
    )
    compatible = by_core["kind"].eq(by_core["kind_roster"]) | (
        by_core["kind_roster"].eq("municipal") & by_core["kind"].isin(["police", "marshal"])
    )
    by_core = by_core[compatible].assign(
        tier=np.where(
            by_core.loc[compatible, "core"].eq(by_core.loc[compatible, "core_roster"]), 0, 1
        )
    )
    candidates = pd.concat([by_name, by_core], ignore_index=True)
    # The other roster's row of a matched ORI joins it: LEE's county list, LEAIC's ZIP.
    same_ori = (
        candidates[["agency_id", "state_abbr", "ori", "tier"]]
        .dropna(subset="ori")
        .merge(rosters, on=["state_abbr", "ori"])
    )
    candidates = pd.concat([candidates, same_ori], ignore_index=True)
    columns = ["ori", "roster_name", "county_fips_list", "zip", "source", "tier", "current"]
    candidates = candidates.sort_values("tier", kind="stable").drop_duplicates(
        ["agency_id", "ori", "roster_name", "source"]
    )
    return _records_by_agency(candidates, columns)


def _place_candidates(unique: pd.DataFrame, places: pd.DataFrame) -> dict[int, list[dict]]:
    """Places whose name is an agency's jurisdiction core, incorporated places first."""
    agencies = unique[unique["state_abbr"].notna() & unique["core"].ne("")]
    agencies = agencies[["state_abbr", "core"]].reset_index(names="agency_id")
    hits = agencies.merge(places, left_on=["state_abbr", "core"], right_on=["state_abbr", "key"])
    hits = hits[hits["tier"] == hits.groupby("agency_id")["tier"].transform("min")]
    hits = hits[hits["incorporated"] | ~hits.groupby("agency_id")["incorporated"].transform("any")]
    hits = hits.drop_duplicates(["agency_id", "place_geoid"])
    return _records_by_agency(hits, ["place_geoid", "place_name", "county_fips_list"])


def _sheriff_oris(rosters: pd.DataFrame) -> dict[str, set[str]]:
    """County FIPS -> ORIs of the sheriff agencies there, to give a sheriff its ORI.

    Those on the current LEE roster when a county has any (LEAIC 2012 lists sub-units too).
    """
    sheriffs = rosters[
        rosters["kind"].eq("sheriff")
        & rosters["ori"].notna()
        & rosters["county_fips_list"].map(len).eq(1)
    ]
    sheriffs = sheriffs.assign(county_fips=sheriffs["county_fips_list"].str[0])
    sheriffs = sheriffs[
        sheriffs["current"] | ~sheriffs.groupby("county_fips")["current"].transform("any")
    ]
    return sheriffs.groupby("county_fips")["ori"].agg(set).to_dict()


# --- the decision per agency ---------------------------------------------------------------------


def _compose_reason(flags: list[tuple[str, dict]]) -> str | None:
    """Join the wordings of the raised flags; a flag outside REVIEW_REASONS is a bug."""
    if not flags:
        return None
    unknown = [flag for flag, _ in flags if flag not in REVIEW_REASONS]
    if unknown:
        raise KeyError(f"review flags {unknown} are not in REVIEW_REASONS")
    return "; ".join(REVIEW_REASONS[flag].format(**fields) for flag, fields in flags)


@dataclass
class _Lookups:
    """What the vectorised lookups found for one agency, and the shared tables to word it."""

    cell: tuple | None
    name_county: tuple | None
    body: tuple | None
    roster: list[dict]
    places: list[dict]
    served: set[str]
    state_keys: dict[str, str]
    county_names: dict[str, str]
    zip_counties: pd.DataFrame
    sheriff_oris: dict[str, set[str]]


class _Resolver:
    """Weigh one agency's lookups in the module's resolution order and word the outcome."""

    def __init__(self, agency: tuple, lookups: _Lookups) -> None:
        self.agency = agency
        self.lookups = lookups
        self.cell_fips, self.cell_flag = lookups.cell or (None, None)
        self.ori: str | None = None
        self.flags: list[tuple[str, dict]] = []

    def resolve(self) -> tuple:
        """Return (county_fips, county_fips_list, match_type, ori, review_reason)."""
        agency, lookups = self.agency, self.lookups
        if agency.state_abbr not in lookups.served:
            return self._unresolved("state_not_served", state=agency.state_abbr)
        if _MULTI_COUNTY_BODY.search(agency.name_key):
            return self._multi_county_body()
        if lookups.body and len(lookups.body[0]) >= 2:
            return self._multi_county_body()  # "Prince William-Manassas Adult Detention Center"
        if self._is_state_agency():
            return self._done((), "statewide")
        if agency.agency_type == "state" and agency.kind != "campus":
            self.flags.append(("type_state_local", {}))
        if lookups.name_county is not None:
            return self._from_name()
        if agency.county_level and self.cell_fips is not None:
            self._note_cell_reading()
            return self._done((self.cell_fips,), "county_name", self._sheriff_ori(self.cell_fips))
        if lookups.roster:
            outcome = self._from_roster()
            if outcome is not None:
                return outcome
        if lookups.places:
            return self._from_places()
        if self.cell_fips is not None:
            self._note_cell_reading()
            self.flags.append(("county_cell_only", {}))
            return self._done((self.cell_fips,), "county_name")
        self._note_unknown_cell()
        return self._unresolved("not_found", state=agency.state_abbr)

    # -- steps ---------------------------------------------------------------------------------

    def _is_state_agency(self) -> bool:
        """TYPE State Agency, or a state-level name ("AZ Department of Public Safety").

        The name test also runs when TYPE says otherwise, because ICE has typed state agencies
        Municipality ("West Virginia State Police Department", 2025-07-30); it asks for an
        institution after the state's name, so "Florida City" or "Virginia Beach" police, and
        Pennsylvania's elected state constables, stay local. Campus police are local.
        """
        agency = self.agency
        if agency.kind == "campus" or self.lookups.name_county is not None:
            return False
        # The state abbreviation is read before "co" becomes "county": "CO Dept. of Public Safety".
        plain = re.sub(r"[^0-9a-z]+", " ", agency.agency.casefold()).strip()
        state_key = self.lookups.state_keys[agency.state_abbr]
        for prefix in (state_key, agency.state_abbr.casefold(), f"state of {state_key}"):
            if plain.startswith(prefix + " "):
                rest = _normalise_name(plain[len(prefix) :])
                if _STATE_PREFIX_NEXT.match(rest):
                    return True
        if agency.agency_type == "state":
            # ICE typed some city and county agencies State (2025-08 to 2025-10): a police,
            # sheriff or marshal named for a jurisdiction other than the state stays local.
            return agency.kind not in ("police", "sheriff", "marshal") or not agency.core
        if agency.agency_type is not None:
            return False
        return bool(_STATE_WORDS.search(agency.name_key)) or agency.name_key.startswith(
            "department of "
        )

    def _multi_county_body(self) -> tuple:
        """A regional jail or district body covers the counties its name lists, if two or more."""
        counties, misspelt = self.lookups.body or ((), [])
        if len(counties) >= 2:
            for printed, fips in misspelt:
                self.flags.append(
                    ("name_county_spelling", {"printed": printed, "county": self._county(fips)})
                )
            self._check_cell(counties, "agency name")
            return self._done(counties, "multi_county")
        self.flags.append(("multi_county_unread", {}))
        if self.agency.county_as_printed is not None:
            self.flags.append(("county_cell_partial", {"printed": self.agency.county_as_printed}))
        return self._done((), "unresolved")

    def _from_name(self) -> tuple:
        """A county-level agency: the county its name gives, checked against the COUNTY cell.

        A retired county named is read as its successors: one for a renamed county, both halves
        for Valdez-Cordova (an agency of the whole old census area covers both).
        """
        fips, flag, printed = self.lookups.name_county
        if len(fips) == 1 and len(_successors(fips)) > 1:
            self._check_cell(tuple(_successors(fips)), "agency name")
            return self._done(_successors(fips), "multi_county")
        fips = tuple(_successors(fips))
        if len(fips) > 1:
            if self.cell_fips not in fips:
                self._note_unknown_cell()
                named = ", ".join(self._county(code) for code in fips)
                return self._unresolved("name_names_several", candidates=named)
            fips = (self.cell_fips,)
        if flag:
            self.flags.append((flag, {"printed": printed, "county": self._county(fips[0])}))
        self._check_cell(fips, "agency name")
        return self._done(
            fips, "county_name", self._roster_ori(fips[0]) or self._sheriff_ori(fips[0])
        )

    def _from_roster(self) -> tuple | None:
        """One roster agency gives its counties and ORI; several are settled by the COUNTY cell.

        The cell first picks among the agencies lying in its county, at their strongest name
        match; without that, the strongest matches decide alone. Returns None when the one
        matching agency has no usable county, so that the place step can locate it (its ORI kept).
        """
        agencies = _group_roster_rows(self.lookups.roster)
        in_cell = [a for a in agencies if self.cell_fips in _successors(a["county_fips_list"])]
        if in_cell:
            chosen = _strongest(in_cell)
            if len(chosen) > 1:
                labels = ", ".join(_roster_label(a) for a in chosen)
                self.flags.append(("shared_roster_name", {"n": len(chosen), "candidates": labels}))
                self._note_cell_reading()
                return self._done((self.cell_fips,), "agency_roster")
            self.ori = chosen[0]["ori"]
            return self._located_by_roster(chosen[0])
        chosen = _strongest(agencies)
        if len(chosen) == 1:
            self.ori = chosen[0]["ori"]
        located = [a for a in chosen if a["county_fips_list"]]
        if not located:
            return None
        if len({_successors(a["county_fips_list"]) for a in located}) > 1:
            self._note_unknown_cell()
            labels = ", ".join(_roster_label(a) for a in located)
            return self._unresolved("ambiguous_roster", n=len(located), candidates=labels)
        if len(located) > 1:
            labels = ", ".join(_roster_label(a) for a in located)
            self.flags.append(("shared_roster_name", {"n": len(located), "candidates": labels}))
        return self._located_by_roster(located[0])

    def _located_by_roster(self, match: dict) -> tuple:
        """The counties of the roster agency found, with a split retired county settled by ZIP."""
        split = [code for code in match["county_fips_list"] if len(_successors((code,))) > 1]
        if split:
            return self._settle_split(match, split)
        counties = tuple(_successors(match["county_fips_list"]))
        return self._with_cell(counties, "agency_roster", "roster")

    def _settle_split(self, match: dict, split: list[str]) -> tuple:
        """A roster county that was split: the LEAIC address ZIP picks the successor, or nothing."""
        successors = _successors(match["county_fips_list"])
        zips = self.lookups.zip_counties
        by_zip = successors & set(zips.loc[zips["zip"].eq(match["zip"]), "county_fips"])
        if len(by_zip) == 1:
            return self._with_cell(tuple(by_zip), "zip", "LEAIC address ZIP")
        if self.cell_fips in successors:
            self._note_cell_reading()
            return self._done((self.cell_fips,), "agency_roster")
        return self._unresolved(
            "retired_split",
            retired=", ".join(self._county(code) for code in split),
            successors=", ".join(self._county(code) for code in sorted(successors)),
        )

    def _from_places(self) -> tuple:
        """One place gives its counties; several places of the name are settled by the cell."""
        places = self.lookups.places
        if len(places) > 1:
            by_cell = [p for p in places if self.cell_fips in p["county_fips_list"]]
            if self.cell_fips is None or len(by_cell) != 1:
                self._note_unknown_cell()
                labels = ", ".join(
                    f"{p['place_name']} ({', '.join(p['county_fips_list'])})" for p in places
                )
                return self._unresolved("ambiguous_place", n=len(places), candidates=labels)
            places = by_cell
        return self._with_cell(tuple(places[0]["county_fips_list"]), "place", "place")

    # -- helpers ---------------------------------------------------------------------------------

    def _with_cell(self, counties: tuple, match_type: str, evidence: str) -> tuple:
        """Narrow a multi-county jurisdiction to the county the cell names, else keep them all."""
        if len(counties) > 1 and self.cell_fips in counties:
            self._note_cell_reading()
            return self._done((self.cell_fips,), match_type)
        self._check_cell(counties, evidence)
        return self._done(counties, match_type if len(counties) == 1 else "multi_county")

    def _check_cell(self, counties: tuple, evidence: str) -> None:
        """Flag a cell that was corrected, unreadable, or names a county outside the result."""
        if self.agency.county_as_printed is None:
            return
        if self.cell_fips is None:
            self._note_unknown_cell()
        elif self.cell_fips in counties:
            self._note_cell_reading()
        else:
            self.flags.append(
                (
                    "county_cell_disagrees",
                    {
                        "printed": self.agency.county_as_printed,
                        "evidence": evidence,
                        "county": ", ".join(self._county(code) for code in sorted(counties)),
                    },
                )
            )

    def _note_cell_reading(self) -> None:
        """Record how a corrected cell was read (spelling, alias, city for county)."""
        if self.cell_flag and self.cell_fips is not None:
            county = self._county(self.cell_fips)
            self.flags.append(
                (self.cell_flag, {"printed": self.agency.county_as_printed, "county": county})
            )

    def _note_unknown_cell(self) -> None:
        """Record a COUNTY cell that could not be read as one county of the state."""
        if self.agency.county_as_printed is not None and self.cell_fips is None:
            self.flags.append(
                (
                    self.cell_flag or "county_cell_unknown",
                    {"printed": self.agency.county_as_printed, "state": self.agency.state_abbr},
                )
            )

    def _roster_ori(self, fips: str) -> str | None:
        """The ORI of the one roster agency fitting the name and lying in the county found."""
        agencies = [
            agency
            for agency in _group_roster_rows(self.lookups.roster)
            if agency["ori"] and fips in _successors(agency["county_fips_list"])
        ]
        chosen = _strongest(agencies) if agencies else []
        return chosen[0]["ori"] if len(chosen) == 1 else None

    def _sheriff_ori(self, fips: str) -> str | None:
        """The ORI of a county's one sheriff agency, for sheriffs the roster names differently."""
        if self.agency.kind != "sheriff":
            return None
        oris = self.lookups.sheriff_oris.get(fips, set())
        return next(iter(oris)) if len(oris) == 1 else None

    def _county(self, fips: str) -> str:
        """A county as reasons print it: "Hopewell city (51670)"."""
        if fips in RETIRED_COUNTIES:
            return f"{RETIRED_COUNTIES[fips][1]} ({fips})"
        return f"{self.lookups.county_names[fips]} ({fips})"

    def _unresolved(self, flag: str, **fields: object) -> tuple:
        self.flags.insert(0, (flag, fields))
        self.ori = None
        return self._done((), "unresolved")

    def _done(self, counties: tuple | frozenset, match_type: str, ori: str | None = None) -> tuple:
        counties = tuple(sorted(counties))
        single = counties[0] if len(counties) == 1 else None
        return (single, counties, match_type, ori or self.ori, _compose_reason(self.flags))


def _successors(counties: tuple) -> frozenset:
    """Counties with retired codes replaced by their successors."""
    return frozenset(
        code
        for county in counties
        for code in (RETIRED_COUNTIES[county][2] if county in RETIRED_COUNTIES else (county,))
    )


def _group_roster_rows(rows: list[dict]) -> list[dict]:
    """One candidate per agency: rows of LEAIC and LEE with the same ORI are one agency.

    LEE's county list wins when it has one: it is the current roster and lists every county of a
    multi-county agency, where LEAIC gives the 2012 primary county only. LEAIC's ZIP rides along.
    """
    agencies: dict[object, dict] = {}
    for number, row in enumerate(sorted(rows, key=lambda r: r["source"] != "LEE")):
        key = row["ori"] or ("no ORI", number)
        if key not in agencies:
            agencies[key] = dict(row)
        elif not agencies[key]["county_fips_list"]:
            agencies[key]["county_fips_list"] = row["county_fips_list"]
        agencies[key]["tier"] = min(agencies[key]["tier"], row["tier"])
        agencies[key]["current"] = agencies[key]["current"] or row["current"]
        if row["zip"]:
            agencies[key]["zip"] = row["zip"]
    return list(agencies.values())


def _strongest(agencies: list[dict]) -> list[dict]:
    """The roster agencies of the strongest name match; of several, the one still on LEE.

    LEAIC 2012 often lists a city's police twice (the reporting ORI and a unit without an ORI7,
    e.g. Tampa FL0290200 and FL0291000); the one the current LEE roster carries is the agency.
    """
    best = min(agency["tier"] for agency in agencies)
    chosen = [agency for agency in agencies if agency["tier"] == best]
    current = [agency for agency in chosen if agency["current"]]
    return current if len(current) == 1 else chosen


def _roster_label(agency: dict) -> str:
    """A roster agency as reasons print it: "SPRINGFIELD POLICE DEPARTMENT (IL0840200: 17167)"."""
    counties = ", ".join(agency["county_fips_list"]) or "no county"
    return f"{agency['roster_name']} ({agency['ori'] or 'no ORI'}: {counties})"
