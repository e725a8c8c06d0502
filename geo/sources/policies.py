"""Sanctuary and anti-sanctuary policies, and the status each county has under them on a date.

Three raw files (``sanctuary/SOURCES.md``) become one policy table, one row per policy:

- ``state_laws.csv``: state laws and attorney-general directives that limit or mandate cooperation
  with ICE, compiled with enacted / effective dates (partial dates allowed) and citations;
- the DOJ sanctuary list of 2025-08-05: states, counties and cities. It is a federal
  *designation*: its ``direction`` is what DOJ asserts (``limits_cooperation``), its ``source`` is
  ``doj_designation`` and its ``adopted`` date is the day DOJ published the list, not the day the
  jurisdiction adopted anything;
- the ICE/CIS detainer-policy list (2008 to 2014): counties and cities, a few states, that limit
  compliance with ICE detainers, dated by month. It is a snapshot: no end dates are known, and
  many of its policies were later overridden by state mandates (which the status shows).

How a county's status on a date is decided (``county_policy_status``):

1. **State level first.** A state-level policy binds every county of the state, in either
   direction: the mandate laws ended local detainer limits (SOURCES.md: Texas SB 4 forced Travis
   County to honor detainers; Florida SB 168 and Iowa SF 481 banned county policies), and the
   detainer list stops naming California counties once SB 54 covered them all.
2. **Then the county's own policy**, when no state-level policy is in force.
3. **Then a city inside the county**: the status is then ``city_limits_cooperation`` (or
   ``city_mandates_cooperation``), never the county's own: a county that merely contains a listed
   city is not a sanctuary county. A city coextensive with its county (San Francisco, Baltimore
   city, Philadelphia) stays a city policy too, as its source lists it.
4. Else ``undocumented``: nothing in these sources, which is not the same as no policy.

The levels that do not decide stay visible in ``state_direction``, ``county_direction`` and
``city_direction``: a Texas county under SB 4 whose sheriff limited detainers in 2014 reads
``mandates_cooperation`` from the state with ``county_direction`` ``limits_cooperation``. When the
policies in force at one level point both ways, that level's direction is ``conflicting``.

When a policy is in force: from its effective date, else its enacted / adopted date, until its end
date (exclusive; no source gives one yet). A partial date counts from the *last* day of its period
(``2013`` from 2013-12-31, ``2019-09`` from 2019-09-30), so a map never shows a law before it
could have existed. A policy with no date at all is kept in the table, with a reason, but is never
counted in force: there is no day from which it could be.
"""

import hashlib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.resolve import AgencyReference, resolve_agencies
from geo.sources import SourceError, read_raw_csv

__all__ = [
    "CONFIDENCES",
    "DETAINER_LIST_FILE",
    "DIRECTIONS",
    "DOJ_LIST_FILE",
    "ELEMENTS",
    "LEVELS",
    "POLICY_COLUMNS",
    "POLICY_SOURCES",
    "REVIEW_REASONS",
    "SOURCE_FILES",
    "STATE_LAWS_FILE",
    "STATUSES",
    "STATUS_COLUMNS",
    "county_policy_status",
    "read_policies",
]

STATE_LAWS_FILE = Path("sanctuary/state_laws.csv")
DOJ_LIST_FILE = Path("sanctuary/doj_sanctuary_jurisdiction_list_2025-08-05.csv")
DETAINER_LIST_FILE = Path(
    "sanctuary/local_detainer_policies/ice_cis_detainer_policy_list_2014_2015_raw.csv"
)
SOURCE_FILES = (STATE_LAWS_FILE, DOJ_LIST_FILE, DETAINER_LIST_FILE)
"""The raw files `read_policies` reads, relative to the raw folder, for the manifest."""

POLICY_SOURCES: Mapping[str, Path] = MappingProxyType(
    {
        "state_laws": STATE_LAWS_FILE,
        "doj_designation": DOJ_LIST_FILE,
        "detainer_list": DETAINER_LIST_FILE,
    }
)
"""The ``source`` id of each policy row -> the raw file it comes from."""

LEVELS = ("state", "county", "city")
DIRECTIONS = ("limits_cooperation", "mandates_cooperation")
CONFIDENCES = ("high", "medium", "low")
STATUSES = (
    "limits_cooperation",
    "mandates_cooperation",
    "conflicting",
    "city_limits_cooperation",
    "city_mandates_cooperation",
    "city_conflicting",
    "undocumented",
)
"""County statuses: a state or county policy's direction, ``conflicting`` when the deciding level
points both ways, ``city_*`` when only a city inside the county is documented, else
``undocumented`` (never "none": the sources are not exhaustive)."""

# The policy_elements vocabulary of sanctuary/SOURCES.md, each element with the direction it
# belongs to. The second group of each side is used in state_laws.csv but missing from the list
# in SOURCES.md; they are kept so that every compiled element is read, not dropped.
ELEMENTS: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys(
            (
                "detainer_limits",
                "info_sharing_limits",
                "immigration_inquiry_limits",
                "immigration_enforcement_resources_ban",
                "287g_ban",
                "287g_restriction",
                "detention_contract_ban",
                "private_detention_ban",
                "courthouse_arrest_limits",
                "request_decline_and_report",
                "private_right_of_action",
                # used in state_laws.csv, not listed in SOURCES.md
                "notice_to_detainee",
                "expanded_coverage",
                "administrative_warrant_limits",
                "immigration_status_stop_ban",
                "amends_trust_act",
                "resource_sharing_limits",
                "ice_operation_participation_ban",
                "advisement_before_ice_interview",
                "immigration_enforcement_limits",
            ),
            "limits_cooperation",
        ),
        **dict.fromkeys(
            (
                "detainer_compliance_required",
                "287g_required",
                "287g_or_mou_required",
                "sanctuary_policy_ban",
                "funding_penalties",
                "criminal_penalty_for_officials",
                "immigration_status_checks",
                "ag_enforcement",
                "state_enforcement_board",
                # used in state_laws.csv, not listed in SOURCES.md
                "grant_program",
                "best_efforts_support",
                "local_state_federal_partnerships",
                "jail_reporting",
            ),
            "mandates_cooperation",
        ),
    }
)
"""Policy element -> the direction it belongs to; a row's elements must all share its direction."""

POLICY_COLUMNS = [
    "policy_id",
    "level",
    "jurisdiction",
    "state_abbr",
    "state_fips",
    "county_fips",
    "county_fips_list",
    "place_geoid",
    "direction",
    "elements",
    "adopted",
    "adopted_precision",
    "effective",
    "effective_precision",
    "ended",
    "in_force_from",
    "source",
    "citation",
    "url",
    "summary",
    "confidence",
    "match_type",
    "review_reason",
]
STATUS_COLUMNS = [
    "county_fips",
    "status",
    "status_level",
    "state_direction",
    "county_direction",
    "city_direction",
    "policy_ids",
]

# One wording per flag; a policy's review_reason is the resolver's reason and these, joined by "; ".
REVIEW_REASONS: dict[str, str] = {
    "undated": "no enacted, adopted or effective date in the source, so never counted in force",
    "date_auto_converted": (
        "Date Enacted {printed!r} is a spreadsheet's auto-conversion of a Mon-YY cell, "
        "read as {read}"
    ),
    "state_typo": "state {printed!r} read as {state} (a transcription typo, see SOURCES.md)",
    "name_typo": "{printed!r} read as {read!r} (a transcription typo, see SOURCES.md)",
    "city_policy_of_county": (
        "listed as a city (Designation 1), but its policy is that of {county}, "
        "so read as the county"
    ),
    "all_county_jails": "one row standing for every county jail of {state}",
    "listed_twice": "listed {n} times in the source with identical content; kept once",
    "disputed": "the jurisdiction disputes its listing: {note}",
    "listed_counties_differ": (
        "the list's own county codes ({listed}) differ from those resolved ({resolved})"
    ),
    "city_by_police_roster": (
        "no census place of this name; located by the police agency of that name in the rosters"
    ),
    "no_place": "no single census place of this name lies in the resolved counties: no place_geoid",
}

_DETAINER_LEVELS = {"1": "city", "2": "county", "3": "state"}  # inferred in SOURCES.md
_DOJ_SECTIONS = {"STATES": "state", "COUNTIES": "county", "CITIES": "city"}
_DOJ_LEVELS = {"state": "state", "state_equivalent": "state", "county": "county", "city": "city"}
_MONTHS = {
    month: number
    for number, month in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}

# Fixes keyed on the WRONG value as printed, so that a fix does nothing once the source corrects
# itself. Evidence: sanctuary/SOURCES.md, detainer list quirks ("OCR or transcription typos").
_STATE_TYPOS = {"lowa": "Iowa"}  # "Cass County, lowa": a lower-case L for the capital I
_NAME_TYPOS = {("CA", "Berkley"): "Berkeley"}  # California has no Berkley; Berkeley PD's order

# "Suffolk County, New York", "East Haven. Connecticut", "Franklin County, Washington 99301": the
# name, then a comma (once a full stop) and the state, then sometimes a ZIP code.
_LOCATION = r"^(?P<name>.+)[,.]\s+(?P<state>[A-Za-z][A-Za-z .]*?)(?:\s+\d{5})?$"
_ALL_COUNTY_JAILS = r"^(?P<state>.+) County Jails$"  # "Colorado County Jails, Colorado"
_DISPUTE = r"\b(?:error|erroneous|mistaken)\b"  # "said its inclusion was an error"


def read_policies(
    raw_dir: Path, counties: gpd.GeoDataFrame, reference: AgencyReference
) -> pd.DataFrame:
    """Read the state laws, the DOJ list and the detainer list into one policy table.

    County and city names are placed through ``geo.resolve`` (a city -> every county it lies in);
    a name that cannot be placed is kept, ``unresolved``, with its reason, and affects no county.

    Parameters
    ----------
    raw_dir : Path
        The raw data folder (``sanctuary/`` is read).
    counties : gpd.GeoDataFrame
        The served counties from ``read_counties``: they define the valid states.
    reference : AgencyReference
        From ``load_reference``, to resolve county and city names.

    Returns
    -------
    pd.DataFrame
        ``POLICY_COLUMNS``, one row per policy, sorted by level, state and jurisdiction:
        ``policy_id`` (content-derived, stable), ``level`` (state / county / city),
        ``jurisdiction`` (as printed), ``state_abbr``, ``state_fips``, ``county_fips`` (a county
        policy's one county, else None), ``county_fips_list`` (every county covered; empty for a
        state policy, meaning the whole state, and for an unresolved one), ``place_geoid``,
        ``direction``, ``elements`` (list from ``ELEMENTS``), ``adopted`` / ``effective`` (first
        day of the period, or None) with ``*_precision`` (day / month / year), ``ended``,
        ``in_force_from`` (the first day counted in force, None when undated), ``source`` (a
        ``POLICY_SOURCES`` id), ``citation``, ``url``, ``summary``, ``confidence`` (high / medium
        / low), ``match_type`` (``geo.resolve.MATCH_TYPES``) and ``review_reason``.

    Raises
    ------
    SourceError
        When a file or column is missing, or a row has an unknown state, direction, element,
        level, confidence or an unreadable date.
    ValueError
        When ``counties`` lacks a column.

    Examples
    --------
    >>> counties = read_counties(Path("../shared/data"))  # doctest: +SKIP
    >>> reference = load_reference(Path("../shared/data"), counties)  # doctest: +SKIP
    >>> policies = read_policies(Path("../shared/data"), counties, reference)  # doctest: +SKIP
    >>> policies.groupby("level").size().to_dict()  # doctest: +SKIP
    {'city': 37, 'county': 148, 'state': 45}
    """
    raw_dir = Path(raw_dir)
    states = _state_table(counties)
    policies = pd.concat(
        [
            _read_state_laws(raw_dir / STATE_LAWS_FILE, states),
            _read_doj_list(raw_dir / DOJ_LIST_FILE, states),
            _read_detainer_list(raw_dir / DETAINER_LIST_FILE, states),
        ],
        ignore_index=True,
    )
    policies = _locate(_merge_duplicates(policies), counties, reference)
    return _assemble(policies, states)


def county_policy_status(
    policies: pd.DataFrame, counties: gpd.GeoDataFrame, on: date
) -> pd.DataFrame:
    """The policy status of every served county on a date, and the level it comes from.

    See the module docstring for the precedence (state, then county, then a city inside) and for
    how partial and missing dates count.

    Parameters
    ----------
    policies : pd.DataFrame
        From ``read_policies`` (filter it first to leave out a source, e.g. DOJ designations).
    counties : gpd.GeoDataFrame
        The served counties (``county_fips``, ``state_fips``).
    on : date
        The day to report.

    Returns
    -------
    pd.DataFrame
        ``STATUS_COLUMNS``, one row per served county sorted by ``county_fips``: ``status`` (one of
        ``STATUSES``), ``status_level`` (state / county / city, None when undocumented),
        ``state_direction`` / ``county_direction`` / ``city_direction`` (a direction,
        ``conflicting`` or None) and ``policy_ids`` (sorted list of every policy in force there).

    Raises
    ------
    ValueError
        When a column of ``policies`` or ``counties`` is missing.
    TypeError
        When ``on`` is not a date.

    Examples
    --------
    >>> status = county_policy_status(policies, counties, date(2018, 6, 1))  # doctest: +SKIP
    >>> status.set_index("county_fips").loc["06037", ["status", "status_level"]].tolist()
    ... # doctest: +SKIP
    ['limits_cooperation', 'state']
    """
    links = _links_in_force(policies, counties, on)
    by_level = links.groupby(["county_fips", "level"])["direction"]
    directions = (
        by_level.first()
        .where(by_level.nunique().eq(1), "conflicting")
        .unstack("level")
        .reindex(columns=list(LEVELS))
        .astype(object)
    )
    status = pd.DataFrame({"county_fips": sorted(counties["county_fips"])})
    status = status.join(directions, on="county_fips")
    has = {level: status[level].notna() for level in LEVELS}
    status["status_level"] = np.select(
        [has["state"], has["county"], has["city"]], list(LEVELS), default=None
    )
    status["status"] = np.select(
        [has["state"], has["county"], has["city"]],
        [status["state"], status["county"], "city_" + status["city"].fillna("")],
        default="undocumented",
    )
    ids = links.groupby("county_fips")["policy_id"].agg(lambda found: sorted(set(found)))
    status["policy_ids"] = status["county_fips"].map(ids)
    status["policy_ids"] = status["policy_ids"].map(
        lambda found: found if isinstance(found, list) else []
    )
    status = status.rename(columns={level: f"{level}_direction" for level in LEVELS})
    status = status[STATUS_COLUMNS].astype(object)
    return status.where(status.notna(), None)


# --- readers --------------------------------------------------------------------------------------


def _state_table(counties: gpd.GeoDataFrame) -> pd.DataFrame:
    """The served states (``state_abbr``, ``state_fips``, ``state_name``), one row each."""
    needed = {"county_fips", "state_abbr", "state_fips", "state_name"}
    missing = needed - set(counties.columns)
    if missing:
        raise ValueError(f"counties lacks columns {sorted(missing)}")
    return (
        pd.DataFrame(counties[["state_abbr", "state_fips", "state_name"]])
        .drop_duplicates("state_abbr")
        .reset_index(drop=True)
    )


def _read_state_laws(path: Path, states: pd.DataFrame) -> pd.DataFrame:
    """One policy per state law or attorney-general directive, with the file's own dates."""
    columns = [
        "state",
        "state_abbr",
        "state_fips",
        "law_name",
        "law_number",
        "direction",
        "policy_elements",
        "date_enacted",
        "date_enacted_precision",
        "date_effective",
        "date_effective_precision",
        "summary",
        "primary_source_url",
        "secondary_source_urls",
        "confidence",
    ]
    laws = read_raw_csv(path, columns).apply(lambda column: column.str.strip())
    _check_states(laws["state_abbr"], laws["state_fips"], states, path)
    _check_vocabulary(laws["direction"], DIRECTIONS, "direction", path)
    _check_vocabulary(laws["confidence"], CONFIDENCES, "confidence", path)
    elements = (
        laws["policy_elements"]
        .str.split(";")
        .map(lambda found: [element.strip() for element in found if element.strip()])
    )
    _check_elements(elements, laws["direction"], path)
    adopted, adopted_precision = _partial_dates(
        laws["date_enacted"], laws["date_enacted_precision"], "date_enacted", path
    )
    effective, effective_precision = _partial_dates(
        laws["date_effective"], laws["date_effective_precision"], "date_effective", path
    )
    first_secondary = laws["secondary_source_urls"].str.split(";").str[0].str.strip()
    return pd.DataFrame(
        {
            "source": "state_laws",
            "content": _content(laws),
            "level": "state",
            "jurisdiction": laws["state"],
            "name": laws["state"],
            "state_abbr": laws["state_abbr"],
            "direction": laws["direction"],
            "elements": elements,
            "adopted": adopted,
            "adopted_precision": adopted_precision,
            "effective": effective,
            "effective_precision": effective_precision,
            "citation": laws["law_name"] + ", " + laws["law_number"],
            "url": laws["primary_source_url"].where(
                laws["primary_source_url"].ne(""), first_secondary
            ),
            "summary": laws["summary"],
            "confidence": laws["confidence"],
            "flags": _no_flags(laws.index),
        }
    )


def _read_doj_list(path: Path, states: pd.DataFrame) -> pd.DataFrame:
    """One policy per DOJ-listed jurisdiction: what DOJ asserts, from the day it published.

    Confidence is ``medium`` (a federal designation, not a reviewed policy), ``low`` where the
    row's notes say the jurisdiction calls its listing an error (Baltimore County).
    """
    columns = [
        "list_date",
        "list_section",
        "name_as_listed",
        "jurisdiction_level",
        "state_abbr",
        "state_fips",
        "county_fips_all",
        "place_geoid",
        "notes",
        "source_url",
    ]
    listed = read_raw_csv(path, columns).apply(lambda column: column.str.strip())
    _check_states(listed["state_abbr"], listed["state_fips"], states, path)
    _check_vocabulary(listed["list_section"], tuple(_DOJ_SECTIONS), "list_section", path)
    _check_vocabulary(listed["jurisdiction_level"], tuple(_DOJ_LEVELS), "jurisdiction_level", path)
    level = listed["list_section"].map(_DOJ_SECTIONS)
    disagree = level.ne(listed["jurisdiction_level"].map(_DOJ_LEVELS))
    if disagree.any():
        row = listed[disagree].iloc[0]
        raise SourceError(
            path,
            f"{row['name_as_listed']!r} is in section {row['list_section']} but has "
            f"jurisdiction_level {row['jurisdiction_level']!r}",
        )
    list_date, list_precision = _partial_dates(
        listed["list_date"], pd.Series("day", index=listed.index), "list_date", path
    )
    disputed = listed["notes"].str.contains(_DISPUTE, case=False)
    return pd.DataFrame(
        {
            "source": "doj_designation",
            "content": _content(listed),
            "level": level,
            "jurisdiction": listed["name_as_listed"],
            # "Baltimore County, MD" -> "Baltimore County"; a state row is its state's name.
            "name": listed["name_as_listed"].str.replace(r",\s*[A-Z]{2}$", "", regex=True),
            "state_abbr": listed["state_abbr"],
            "direction": "limits_cooperation",
            "elements": [[] for _ in range(len(listed))],
            "adopted": list_date,
            "adopted_precision": list_precision,
            "effective": None,
            "effective_precision": None,
            "citation": "DOJ, U.S. Sanctuary Jurisdiction List following Executive Order 14287, "
            + listed["list_date"],
            "url": listed["source_url"],
            "summary": None,
            "confidence": np.where(disputed, "low", "medium"),
            "flags": _add_flag(_no_flags(listed.index), disputed, "disputed", note=listed["notes"]),
            "listed_counties": listed["county_fips_all"]
            .str.split(";")
            .map(lambda codes: tuple(sorted(code.strip() for code in codes if code.strip()))),
            "listed_place": listed["place_geoid"].where(listed["place_geoid"].ne(""), None),
        }
    )


def _read_detainer_list(path: Path, states: pd.DataFrame) -> pd.DataFrame:
    """One policy per row of the ICE/CIS detainer list: each limits detainers, dated by month.

    ``Designation`` gives the level (1 city, 2 county, 3 state). A city row whose policy is the
    county's detention centre ("Taos" with "Taos County Adult Detention Center Policies") is read
    as that county. Confidence is ``medium`` throughout, as SOURCES.md rates the list.
    """
    columns = [
        "Location",
        "Date Enacted",
        "Policy",
        "Criteria for Honoring Detainer",
        "Designation",
    ]
    rows = read_raw_csv(path, columns).apply(lambda column: column.str.strip())
    _check_vocabulary(rows["Designation"], tuple(_DETAINER_LEVELS), "Designation", path)
    level = rows["Designation"].map(_DETAINER_LEVELS)
    location = rows["Location"].str.extract(_LOCATION)
    is_state = level.eq("state")
    state_printed = location["state"].where(~is_state, rows["Location"])
    name = location["name"].where(~is_state, rows["Location"])
    unparsed = state_printed.isna()
    if unparsed.any():
        raise SourceError(
            path, f"cannot read a state in Location {rows.loc[unparsed, 'Location'].iloc[0]!r}"
        )
    state_abbr = _state_abbr_of(state_printed.replace(_STATE_TYPOS), states)
    unknown = state_abbr.isna()
    if unknown.any():
        raise SourceError(path, f"unknown state {state_printed[unknown].iloc[0]!r} in Location")
    flags = _add_flag(
        _no_flags(rows.index),
        state_printed.isin(list(_STATE_TYPOS)),
        "state_typo",
        printed=state_printed,
        state=state_abbr,
    )
    corrected = pd.Series(list(zip(state_abbr, name, strict=True)), index=name.index).map(
        _NAME_TYPOS
    )
    flags = _add_flag(flags, corrected.notna(), "name_typo", printed=name, read=corrected)
    name = corrected.fillna(name)
    # "Taos" / "San Miguel" (Designation 1) whose policy is "<name> County ... Detention Center".
    county_policy = level.eq("city") & pd.Series(
        [
            f"{place} county".casefold() in policy.casefold()
            for place, policy in zip(name, rows["Policy"], strict=True)
        ],
        index=name.index,
    )
    level = level.mask(county_policy, "county")
    name = name.mask(county_policy, name + " County")
    flags = _add_flag(flags, county_policy, "city_policy_of_county", county=name)
    adopted, converted = _detainer_dates(rows["Date Enacted"], path)
    flags = _add_flag(
        flags,
        converted,
        "date_auto_converted",
        printed=rows["Date Enacted"],
        read=adopted.map(lambda day: f"{day:%Y-%m}"),
    )
    return pd.DataFrame(
        {
            "source": "detainer_list",
            "content": _content(rows),
            "level": level,
            "jurisdiction": rows["Location"],
            "name": name,
            "state_abbr": state_abbr,
            "direction": "limits_cooperation",
            "elements": [["detainer_limits"] for _ in range(len(rows))],
            "adopted": adopted,
            "adopted_precision": "month",
            "effective": None,
            "effective_precision": None,
            "citation": rows["Policy"],
            "url": None,
            "summary": rows["Criteria for Honoring Detainer"],
            "confidence": "medium",
            "flags": flags,
        }
    )


def _detainer_dates(enacted: pd.Series, path: Path) -> tuple[pd.Series, pd.Series]:
    """Read "Sep-14" as 2014-09-01 (month precision); every date on the list is in 2008-2014.

    Two cells read "2015-08-14" and "2015-05-14": a spreadsheet turned "Aug-14" and "May-14" into
    dates of the year it was opened, the year digits landing in the day. They are read back as
    month and year. Returns the dates and whether each was such a conversion.
    """
    short = enacted.str.extract(r"^(?P<month>[A-Za-z]{3})-(?P<year>\d{2})$")
    converted = enacted.str.extract(r"^\d{4}-(?P<month>\d{2})-(?P<year>\d{2})$")
    month = (
        short["month"]
        .str.casefold()
        .map(_MONTHS)
        .fillna(pd.to_numeric(converted["month"], errors="coerce"))
    )
    year = short["year"].fillna(converted["year"])
    bad = month.isna() | year.isna() | ~month.between(1, 12)
    if bad.any():
        raise SourceError(path, f"unreadable Date Enacted {enacted[bad].iloc[0]!r}")
    adopted = pd.to_datetime(
        pd.DataFrame({"year": 2000 + year.astype(int), "month": month.astype(int), "day": 1})
    ).dt.date
    return adopted.astype(object), converted["month"].notna()


def _content(raw: pd.DataFrame) -> pd.Series:
    """Each raw row's cells joined, the basis of its content-derived policy id."""
    return raw.astype(str).agg("\x1f".join, axis=1)


def _check_states(
    state_abbr: pd.Series, state_fips: pd.Series, states: pd.DataFrame, path: Path
) -> None:
    """Every row's USPS code is a served state and agrees with its FIPS code."""
    expected = state_abbr.map(states.set_index("state_abbr")["state_fips"])
    unknown = expected.isna()
    if unknown.any():
        raise SourceError(path, f"unknown state {state_abbr[unknown].iloc[0]!r}")
    wrong = expected.ne(state_fips)
    if wrong.any():
        raise SourceError(
            path,
            f"state_fips {state_fips[wrong].iloc[0]!r} does not belong to "
            f"{state_abbr[wrong].iloc[0]} ({expected[wrong].iloc[0]})",
        )


def _state_abbr_of(printed: pd.Series, states: pd.DataFrame) -> pd.Series:
    """A state as printed (full name in any case, or a USPS code such as "DC") -> USPS code."""
    by_name = dict(zip(states["state_name"].str.casefold(), states["state_abbr"], strict=True))
    by_abbr = dict(zip(states["state_abbr"], states["state_abbr"], strict=True))
    folded = printed.str.strip().str.rstrip(".")
    return folded.str.casefold().map(by_name).fillna(folded.map(by_abbr))


def _check_vocabulary(values: pd.Series, allowed: tuple, column: str, path: Path) -> None:
    """Raise naming the first value of a column outside its vocabulary."""
    unknown = ~values.isin(allowed)
    if unknown.any():
        raise SourceError(
            path, f"unknown {column} {values[unknown].iloc[0]!r}; expected one of {list(allowed)}"
        )


def _check_elements(elements: pd.Series, direction: pd.Series, path: Path) -> None:
    """Every element is in ``ELEMENTS`` and on the side of its row's direction."""
    pairs = pd.DataFrame({"element": elements, "direction": direction}).explode("element").dropna()
    side = pairs["element"].map(ELEMENTS)
    if side.isna().any():
        raise SourceError(path, f"unknown policy element {pairs['element'][side.isna()].iloc[0]!r}")
    wrong = side.ne(pairs["direction"])
    if wrong.any():
        raise SourceError(
            path,
            f"policy element {pairs['element'][wrong].iloc[0]!r} belongs to "
            f"{side[wrong].iloc[0]}, not {pairs['direction'][wrong].iloc[0]}",
        )


def _partial_dates(
    text: pd.Series, precision: pd.Series, column: str, path: Path
) -> tuple[pd.Series, pd.Series]:
    """ISO dates that may be partial ("2013", "2019-09") -> (first day of the period, precision).

    The precision column must agree with the form of the date; a blank date has no precision.
    """
    parts = text.str.extract(r"^(?P<year>\d{4})(?:-(?P<month>\d{2}))?(?:-(?P<day>\d{2}))?$")
    given = text.ne("")
    if (given & parts["year"].isna()).any():
        raise SourceError(
            path, f"unreadable {column} {text[given & parts['year'].isna()].iloc[0]!r}"
        )
    form = pd.Series(
        np.select(
            [parts["day"].notna(), parts["month"].notna(), parts["year"].notna()],
            ["day", "month", "year"],
            default="",
        ),
        index=text.index,
    )
    mismatch = form.ne(precision.fillna(""))
    if mismatch.any():
        raise SourceError(
            path,
            f"{column} {text[mismatch].iloc[0]!r} does not have the stated precision "
            f"{precision[mismatch].iloc[0]!r}",
        )
    start = pd.to_datetime(
        parts["year"] + "-" + parts["month"].fillna("01") + "-" + parts["day"].fillna("01"),
        format="%Y-%m-%d",
        errors="coerce",
    )
    if (given & start.isna()).any():
        raise SourceError(path, f"impossible {column} {text[given & start.isna()].iloc[0]!r}")
    dates = start.dt.date.astype(object).where(given, None)
    return dates, form.where(given, None).astype(object)


def _merge_duplicates(policies: pd.DataFrame) -> pd.DataFrame:
    """Keep one policy per identical source row, saying how many times it was listed.

    The detainer list gives Douglas County, Oregon twice, cell for cell: one policy, not two.
    """
    counts = policies.groupby(["source", "content"])["content"].transform("size")
    policies = policies.drop_duplicates(["source", "content"]).copy()
    counts = counts[policies.index]
    policies["flags"] = _add_flag(policies["flags"], counts.gt(1), "listed_twice", n=counts)
    return policies.reset_index(drop=True)


# --- placing jurisdictions ------------------------------------------------------------------------


def _locate(
    policies: pd.DataFrame, counties: gpd.GeoDataFrame, reference: AgencyReference
) -> pd.DataFrame:
    """Give every policy its counties: the whole state, a resolved county, or a city's counties."""
    jails = policies["level"].eq("county") & policies["name"].str.fullmatch(_ALL_COUNTY_JAILS)
    state_counties = (
        pd.DataFrame(counties[["state_abbr", "county_fips"]])
        .sort_values("county_fips")
        .groupby("state_abbr")["county_fips"]
        .agg(tuple)
    )
    local = policies["level"].isin(["county", "city"]) & ~jails
    resolved = _resolve_names(policies[local], reference)
    county_lists = pd.Series([()] * len(policies), index=policies.index, dtype=object)
    county_lists[jails] = policies.loc[jails, "state_abbr"].map(state_counties)
    county_lists[local] = resolved["county_fips_list"]
    policies = policies.assign(
        county_fips_list=county_lists,
        match_type=resolved["match_type"].reindex(policies.index).fillna("statewide"),
        resolver_reason=resolved["review_reason"].reindex(policies.index),
    )
    flags = _add_flag(policies["flags"], jails, "all_county_jails", state=policies["state_abbr"])
    by_police = resolved["by_police"].reindex(policies.index, fill_value=False)
    flags = _add_flag(flags, by_police, "city_by_police_roster")
    place_geoid, no_place = _place_geoids(policies, reference)
    flags = _add_flag(flags, no_place & ~by_police, "no_place")
    listed = policies["listed_counties"].map(", ".join, na_action="ignore")
    resolved_codes = policies["county_fips_list"].map(", ".join)
    differ = (
        policies["source"].eq("doj_designation")
        & policies["level"].ne("state")
        & policies["match_type"].ne("unresolved")
        & listed.ne(resolved_codes)
    )
    flags = _add_flag(
        flags, differ, "listed_counties_differ", listed=listed, resolved=resolved_codes
    )
    return policies.assign(place_geoid=place_geoid, flags=flags)


def _resolve_names(local: pd.DataFrame, reference: AgencyReference) -> pd.DataFrame:
    """Resolve county names as counties and city names as places, then a city's police.

    A city goes to the resolver as "City of X", so it is matched among the census places (every
    county the place lies in) rather than as an agency. A town that is no census place (Amherst,
    Massachusetts, a county subdivision) is tried again by its bare name, which the rosters know as
    the town's police department; ``by_police`` says so.
    """
    is_city = local["level"].eq("city")
    resolved = resolve_agencies(
        pd.DataFrame(
            {
                "state_abbr": local["state_abbr"],
                "agency": local["name"].where(~is_city, "City of " + local["name"]),
                "agency_type": np.where(is_city, "Municipality", "County"),
                "county_as_printed": None,
            }
        ),
        reference,
    )
    retry = is_city & resolved["match_type"].eq("unresolved")
    by_name = resolve_agencies(
        pd.DataFrame(
            {
                "state_abbr": local.loc[retry, "state_abbr"],
                "agency": local.loc[retry, "name"],
                "agency_type": "Municipality",
                "county_as_printed": None,
            }
        ),
        reference,
    )
    by_police = by_name.index[by_name["match_type"].ne("unresolved")]
    resolved.loc[by_police] = by_name.loc[by_police]
    return pd.DataFrame(
        {
            "county_fips_list": resolved["county_fips_list"].map(
                lambda codes: tuple(sorted(codes))
            ),
            "match_type": resolved["match_type"],
            "review_reason": resolved["review_reason"],
            "by_police": local.index.isin(by_police),
        },
        index=local.index,
    )


def _place_geoids(
    policies: pd.DataFrame, reference: AgencyReference
) -> tuple[pd.Series, pd.Series]:
    """Each city's census place: the DOJ list's own code, else the one place of the name.

    ``resolve_agencies`` gives counties but not the place it matched, so the place is looked up
    again here by its key among ``reference.places`` and taken only when exactly one place of
    that name lies in exactly the counties resolved. Returns the place codes and, for cities
    without one, True.
    """
    cities = policies["level"].eq("city") & policies["match_type"].ne("unresolved")
    listed = policies["listed_place"].where(cities)
    wanted = policies[cities & listed.isna()]
    candidates = (
        pd.DataFrame(
            {
                "policy": wanted.index,
                "state_abbr": wanted["state_abbr"],
                "key": wanted["name"]
                .str.casefold()
                .str.replace(r"[^0-9a-z]+", " ", regex=True)
                .str.strip(),
                "counties": wanted["county_fips_list"],
            }
        )
        .merge(reference.places, on=["state_abbr", "key"])
        .query("counties == county_fips_list")
    )
    candidates = candidates[
        candidates["tier"] == candidates.groupby("policy")["tier"].transform("min")
    ]
    candidates = candidates[
        candidates["incorporated"] | ~candidates.groupby("policy")["incorporated"].transform("any")
    ]
    found = candidates.groupby("policy")["place_geoid"].agg(
        lambda codes: codes.iloc[0] if codes.nunique() == 1 else None
    )
    place_geoid = listed.combine_first(found.reindex(policies.index))
    return place_geoid, cities & place_geoid.isna()


def _no_flags(index: pd.Index) -> pd.Series:
    """No review flags yet, one empty tuple per row."""
    return pd.Series([()] * len(index), index=index, dtype=object)


def _add_flag(flags: pd.Series, where: pd.Series, flag: str, **fields: pd.Series) -> pd.Series:
    """Append ``(flag, fields)`` to the flags of the rows ``where`` holds.

    ``fields`` are columns aligned with ``flags``; each row's values fill the flag's wording.
    """
    if flag not in REVIEW_REASONS:
        raise KeyError(f"review flag {flag!r} is not in REVIEW_REASONS")
    values = pd.DataFrame(fields, index=flags.index).to_dict("index") if fields else {}
    return pd.Series(
        [
            (*found, (flag, values.get(row, {}))) if hit else found
            for row, found, hit in zip(flags.index, flags, where, strict=True)
        ],
        index=flags.index,
        dtype=object,
    )


# --- assembly -------------------------------------------------------------------------------------


def _assemble(policies: pd.DataFrame, states: pd.DataFrame) -> pd.DataFrame:
    """Ids, FIPS, in-force dates and reasons; the policy columns, sorted."""
    in_force_from = _in_force_from(policies)
    flags = _add_flag(policies["flags"], in_force_from.isna(), "undated")
    policies = policies.assign(
        policy_id=[
            "pol-" + hashlib.sha256(f"{source}\x1e{content}".encode()).hexdigest()[:12]
            for source, content in zip(policies["source"], policies["content"], strict=True)
        ],
        state_fips=policies["state_abbr"].map(states.set_index("state_abbr")["state_fips"]),
        county_fips=policies["county_fips_list"]
        .str[0]
        .where(policies["level"].eq("county") & policies["county_fips_list"].map(len).eq(1)),
        county_fips_list=policies["county_fips_list"].map(list),
        ended=None,
        in_force_from=in_force_from,
        review_reason=[
            _compose_reason(resolver_reason, found)
            for resolver_reason, found in zip(policies["resolver_reason"], flags, strict=True)
        ],
        order=policies["level"].map({level: rank for rank, level in enumerate(LEVELS)}),
    )
    policies = policies.sort_values(["order", "state_abbr", "jurisdiction", "policy_id"])
    policies = policies[POLICY_COLUMNS].reset_index(drop=True).astype(object)
    return policies.where(policies.notna(), None)


def _in_force_from(policies: pd.DataFrame) -> pd.Series:
    """The last day of the effective (else adopted) date's period: the first day counted."""
    use_effective = policies["effective"].notna()
    start = pd.to_datetime(policies["effective"].where(use_effective, policies["adopted"]))
    precision = policies["effective_precision"].where(use_effective, policies["adopted_precision"])
    end = start.where(
        precision.eq("day"),
        (start + pd.offsets.MonthEnd(0)).where(
            precision.eq("month"), start + pd.offsets.YearEnd(0)
        ),
    )
    return end.dt.date.astype(object).where(end.notna(), None)


def _compose_reason(resolver_reason: str | None, flags: tuple) -> str | None:
    """The resolver's reason and the wordings of this module's flags, joined by "; "."""
    parts = ([resolver_reason] if isinstance(resolver_reason, str) else []) + [
        REVIEW_REASONS[flag].format(**fields) for flag, fields in flags
    ]
    return "; ".join(parts) or None


def in_force_on(policies: pd.DataFrame, on: date) -> pd.Series:
    """Policies in force on ``on``: counted from ``in_force_from`` until ``ended`` (exclusive)."""
    day = pd.Timestamp(on)
    ended = pd.to_datetime(policies["ended"])
    return pd.to_datetime(policies["in_force_from"]).le(day) & (ended.isna() | ended.gt(day))


def _links_in_force(policies: pd.DataFrame, counties: gpd.GeoDataFrame, on: date) -> pd.DataFrame:
    """(county_fips, level, direction, policy_id) for every policy in force on ``on``."""
    if not isinstance(on, date):
        raise TypeError(f"on must be a date, got {type(on).__name__}")
    columns = ["policy_id", "level", "state_fips", "county_fips_list", "direction"]
    missing = sorted({*columns, "in_force_from", "ended", "match_type"} - set(policies))
    if missing:
        raise ValueError(f"policies lacks columns {missing}")
    missing = sorted({"county_fips", "state_fips"} - set(counties.columns))
    if missing:
        raise ValueError(f"counties lacks columns {missing}")
    in_force = policies.loc[
        in_force_on(policies, on) & policies["match_type"].ne("unresolved"), columns
    ]
    served = pd.DataFrame(counties[["county_fips", "state_fips"]])
    statewide = in_force[in_force["level"].eq("state")].merge(served, on="state_fips")
    local = (
        in_force[in_force["level"].ne("state")]
        .explode("county_fips_list")
        .rename(columns={"county_fips_list": "county_fips"})
    )
    local = local[local["county_fips"].isin(served["county_fips"])]
    columns = ["county_fips", "level", "direction", "policy_id"]
    return pd.concat([statewide[columns], local[columns]], ignore_index=True)
