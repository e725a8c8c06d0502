"""ICE 287(g) agreements over time, from every published list 2007 → 2026.

ICE publishes no agreement ids and no end dates, only lists of agencies as of a day. Each list row
becomes a *sighting*; sightings that share a state, a normalised agency name and a support model
are one *agreement*. An agreement ends at the first participating list that no longer shows it.

Four list families, each with its own reader, all returning the same sighting columns:

- ``sheets/``: ICE's participating and pending workbooks (2025-02 → 2026-05);
- ``wayback_tables/``: Internet Archive captures of ICE's page (2021-01 → 2025-02);
- ``historical/ice_roster_captures_2010-2017.csv``: the fact-sheet roster (2011 → 2017);
- ``historical/ice_lists_2007-2008.csv``: the partners page lists, which give no support model.
"""

import hashlib
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from geo.sources import SourceError, check_xlsx, read_raw_csv

MODELS = ("Jail Enforcement Model", "Task Force Model", "Warrant Service Officer")
STATUSES = ("active", "pending", "no_longer_listed")
SIGHTING_COLUMNS = [
    "snapshot_date",
    "list",
    "family",
    "file",
    "row",
    "state_abbr",
    "agency",
    "agency_type",
    "county_as_printed",
    "model",
    "signed",
    "signed_problem",
]
SOURCE_PATTERNS = (
    "287g/sheets/*.xlsx",
    "287g/wayback_tables/*.xlsx",
    "287g/historical/ice_roster_captures_2010-2017.csv",
    "287g/historical/ice_lists_2007-2008.csv",
)
"""Every raw file `read_sightings` reads, as globs under the raw folder."""
FIRST_287G_YEAR = 1996  # IIRIRA created section 287(g); an earlier signed date is a typo

_HEADER_ALIASES = {
    "STATE": "state",
    "LAW ENFORCEMENT AGENCY": "agency",
    "TYPE": "agency_type",
    "COUNTY": "county_as_printed",
    "SUPPORT TYPE": "model",
    "SIGNED": "signed",
}
_REQUIRED_HEADERS = ("STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE")
_HEADER_SCAN_ROWS = 15
_FILE_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})_(participating|pending)")

# ICE's own misspellings of state names, keyed on the wrong spelling (seen in the sheets).
_STATE_MISSPELLINGS = {"WEST VIRIGINIA": "WEST VIRGINIA", "PENNSLYVANIA": "PENNSYLVANIA"}

# Spellings of one agency that normalisation cannot join, keyed on the wrong spelling and state
# so that a fix does nothing once ICE corrects itself. Evidence: 287g/SOURCES.md, roster quirks.
_AGENCY_KEY_ALIASES = {
    # "Hartford" on 2016-12-11 and 2017-01-29 only; Maryland has Harford County and no Hartford.
    ("MD", "hartford county sheriff"): "harford county sheriff",
    # Renamed on the roster from 2013-09-04; the same jail and agreement.
    ("VA", "prince william manassas regional adult detention center"): (
        "prince william manassas regional jail"
    ),
    ("VA", "prince william manassas adult detention center"): (
        "prince william manassas regional jail"
    ),
}


def agency_key(agency: pd.Series) -> pd.Series:
    """Normalise agency names so that one agency's spellings across lists compare equal.

    Case, apostrophes (curly or straight), "Co." / "Dept.", "Sheriff's Office" / "Sheriffs
    Office" / "Sheriff's Department", a leading "City of" and a bare trailing "Police" vary
    between ICE's lists for the same agency.

    Examples
    --------
    >>> agency_key(pd.Series(["Cabarrus Co. Sheriff’s Office", "City of Durham Police"])).tolist()
    ['cabarrus county sheriff', 'durham police department']
    """
    key = (
        agency.fillna("")
        .astype(str)
        .str.lower()
        .str.replace(r"[’‘`´']", "", regex=True)
        .str.replace("&", " and ", regex=False)
        .str.replace(r"\bco\.?(?=\s|$)", "county", regex=True)
        .str.replace(r"\bdept\.?(?=\s|$)", "department", regex=True)
        .str.replace(r"[^a-z0-9]+", " ", regex=True)
        .str.strip()
        .str.replace(r"\bsheriffs?( office| department)?\b", "sheriff", regex=True)
        .str.replace(r"\bcorrections\b", "correction", regex=True)
        .str.replace(r"^(city|town|village) of ", "", regex=True)
        .str.replace(r"\bpolice$", "police department", regex=True)
        .str.replace(r"\s+", " ", regex=True)
    )
    return key


def _statewide_key(state_abbr: pd.Series, key: pd.Series, state_names: dict[str, str]) -> pd.Series:
    """Spell out the state in state agencies' names: "AZ Department of Public Safety", a bare
    "Department of Corrections" (2007 lists) and "Arizona Department of Public Safety" (roster)
    are one agency.
    """
    full = state_abbr.map({abbr: name.lower() for name, abbr in state_names.items()})
    prefix = state_abbr.str.lower() + " "
    abbreviated = pd.Series([k.startswith(p) for k, p in zip(key, prefix)], index=key.index)
    key = key.where(~abbreviated, full + " " + key.str.split(" ", n=1).str[1])
    bare = key.str.startswith("department of ")
    key = key.where(~bare, full + " " + key)
    pairs = pd.Series(list(zip(state_abbr, key)), index=key.index)
    return pairs.map(_AGENCY_KEY_ALIASES).fillna(key)


def normalise_model(model: pd.Series, path: Path) -> pd.Series:
    """Map ICE's support-type cells to the three model names.

    The cells carry trailing spaces, "Warrant Services Officer", "Warrant Service Office", and
    on the 2010–2017 roster "Jail Enforcement" / "Task Force" without "Model".
    """
    text = model.fillna("").astype(str).str.strip().str.lower()
    out = pd.Series(
        np.select(
            [
                text.str.startswith("jail"),
                text.str.startswith("task"),
                text.str.startswith("warrant"),
            ],
            list(MODELS),
            default="",
        ),
        index=model.index,
        dtype=object,
    )
    unknown = out == ""
    if unknown.any():
        raise SourceError(path, f"unknown support type {model[unknown].iloc[0]!r}")
    return out


def _plain_state_name(name: pd.Series) -> pd.Series:
    """Upper case, letters only, without the Census's "Commonwealth of the" / "United States"."""
    plain = name.fillna("").astype(str).str.upper().str.replace(r"[^A-Z ]", "", regex=True)
    return plain.str.replace(r"^(COMMONWEALTH OF THE|UNITED STATES) ", "", regex=True).str.strip()


def state_lookup(state_name: pd.Series, state_abbr: pd.Series) -> dict[str, str]:
    """Map state and territory names (as the Census spells them) to USPS codes for the readers.

    ICE lists agencies in Guam and the Northern Mariana Islands too, so pass all 56 Census
    state-level entities, not only the served ones.
    """
    return dict(zip(_plain_state_name(state_name), state_abbr))


def _state_abbr(state: pd.Series, state_names: dict[str, str], path: Path) -> pd.Series:
    """Full state names as printed ("NORTH CAROLINA", "Delaware**") to USPS abbreviations."""
    abbr = _plain_state_name(state).replace(_STATE_MISSPELLINGS).map(state_names)
    unknown = abbr.isna()
    if unknown.any():
        raise SourceError(path, f"unknown state {state[unknown].iloc[0]!r}")
    return abbr


def _signed_dates(signed: pd.Series, snapshot: date) -> tuple[pd.Series, pd.Series]:
    """Parse signed dates; a malformed or impossible one becomes null with its problem named.

    ICE's sheets hold Excel dates, the page captures ISO text; malformed cells such as
    ``05/082025`` and impossible years such as ``5025-07-07`` occur and are flagged, never
    guessed.
    """
    is_date = signed.map(lambda v: isinstance(v, (date, pd.Timestamp)))
    text = signed.where(~is_date).astype(object)
    parsed = pd.to_datetime(signed.where(is_date), errors="coerce")
    iso = pd.to_datetime(
        text.where(text.astype(str).str.fullmatch(r"\d{4}-\d{2}-\d{2}")), errors="coerce"
    )
    parsed = parsed.fillna(iso)
    problem = pd.Series(None, index=signed.index, dtype=object)
    malformed = signed.notna() & parsed.isna()
    problem[malformed] = "malformed signed date " + signed[malformed].astype(str).map(repr)
    impossible = parsed.notna() & (
        (parsed.dt.year < FIRST_287G_YEAR) | (parsed > pd.Timestamp(snapshot))
    )
    problem[impossible] = (
        "signed date " + parsed[impossible].dt.strftime("%Y-%m-%d") + " is impossible for a list "
        f"dated {snapshot}"
    )
    parsed[impossible] = pd.NaT
    return _nullable(parsed.dt.date), _nullable(problem)


def _nullable(values: pd.Series) -> pd.Series:
    """Object column with ``None`` for missing, so Parquet and JSON see nulls, not NaN/NaT."""
    return values.astype(object).where(values.notna(), None)


def _find_header(cells: pd.DataFrame, path: Path) -> int:
    for row in range(min(_HEADER_SCAN_ROWS, len(cells))):
        values = cells.iloc[row].astype(str).str.strip().str.upper()
        if (values == "STATE").any():
            return row
    raise SourceError(
        path, f"no header row with a STATE cell in the first {_HEADER_SCAN_ROWS} rows"
    )


def read_workbook(path: Path, snapshot: date, state_names: dict[str, str]) -> pd.DataFrame:
    """Read one ICE participating / pending workbook or page capture into sightings.

    The header row is found by its ``STATE`` cell, never by position; columns are matched by
    header text, since ICE added TYPE, COUNTY, MOA and ADDENDUM over the years. Rows with
    neither a state nor an agency are blank or footnotes and are dropped.
    """
    path = Path(path)
    check_xlsx(path)
    try:
        cells = pd.read_excel(path, header=None, dtype=object)
    except Exception as exc:
        raise SourceError(
            path, f"not a readable xlsx workbook ({type(exc).__name__}: {exc})"
        ) from exc
    header_row = _find_header(cells, path)
    headers = cells.iloc[header_row].astype(str).str.strip().str.upper()
    missing = [h for h in _REQUIRED_HEADERS if h not in set(headers)]
    if missing:
        raise SourceError(path, f"header row {header_row + 1} lacks column(s) {missing}")
    body = cells.iloc[header_row + 1 :]
    columns = {
        _HEADER_ALIASES[h]: body.iloc[:, i] for i, h in enumerate(headers) if h in _HEADER_ALIASES
    }
    table = pd.DataFrame(columns).reindex(columns=list(_HEADER_ALIASES.values()))
    text = table.drop(columns="signed").apply(
        lambda c: c.where(c.isna(), c.astype(str).str.strip())
    )
    text = text.replace("", None)
    blank = text["state"].isna() & text["agency"].isna()
    text, signed = text[~blank], table.loc[~blank, "signed"]
    half = text["state"].isna() | text["agency"].isna()
    if half.any():
        row = int(text.index[half][0]) + 1
        raise SourceError(path, f"row {row} has a state or an agency but not both")
    _refuse_repeated_rows(text.assign(signed=signed), path)
    kind = _FILE_DATE.match(path.name)
    signed_date, signed_problem = _signed_dates(signed, snapshot)
    return pd.DataFrame(
        {
            "snapshot_date": snapshot,
            "list": kind.group(2) if kind else "participating",
            "family": "wayback" if "wayback" in path.name else "sheet",
            "file": path.name,
            "row": (text.index + 1).astype(int),
            "state_abbr": _state_abbr(text["state"], state_names, path),
            "agency": text["agency"],
            "agency_type": text["agency_type"],
            "county_as_printed": text["county_as_printed"],
            "model": normalise_model(text["model"], path),
            "signed": signed_date,
            "signed_problem": signed_problem,
        }
    )[SIGHTING_COLUMNS]


def _refuse_repeated_rows(rows: pd.DataFrame, path: Path) -> None:
    """Fail on a row repeated cell for cell: a copy-paste or scraping slip, not a second
    agreement. (ICE listing one agency under two spellings is real and folded later.)"""
    cells = rows.astype(str)
    repeated = cells[cells.duplicated(keep=False)]
    if not repeated.empty:
        first, second = (repeated == repeated.iloc[0]).all(axis=1).loc[lambda same: same].index[:2]
        raise SourceError(
            path, f"rows {first + 1} and {second + 1} are the same agreement, listed twice"
        )


def _not_in_future(day: date, path: Path) -> date:
    """A list cannot be dated after the build: such a date is a misnamed file or a typo, and
    would make every current agreement look ended."""
    today = date.today()
    if day > today:
        raise SourceError(path, f"dated {day}, after today ({today})")
    return day


def _snapshot_date(path: Path) -> date:
    match = _FILE_DATE.match(path.name)
    if not match:
        raise SourceError(path, "file name does not start with YYYY-MM-DD_participating|pending")
    return _not_in_future(date.fromisoformat(match.group(1)), path)


def read_roster_captures(path: Path, state_names: dict[str, str]) -> pd.DataFrame:
    """Read the 2010–2017 fact-sheet roster captures into sightings dated by capture.

    The caption's as-of date goes stale after 2014, so each capture is dated by its own
    ``capture_date`` (287g/SOURCES.md).
    """
    roster = read_raw_csv(
        path, ["capture_date", "state", "agency", "support_type", "date_signed"], na_values=[""]
    )
    signed = pd.to_datetime(roster["date_signed"], errors="coerce")
    return _historical_sightings(
        roster,
        "capture_date",
        "roster",
        path,
        state_names,
        model=normalise_model(roster["support_type"], path),
        signed=_nullable(signed.dt.date),
        signed_problem=np.where(
            signed.isna() & roster["date_signed"].notna(), "malformed signed date", None
        ),
    )


def read_partner_lists(path: Path, state_names: dict[str, str]) -> pd.DataFrame:
    """Read the 2007–2008 partners-page lists; they print neither model nor signed date."""
    lists = read_raw_csv(path, ["as_of", "state", "agency"], na_values=[""])
    return _historical_sightings(
        lists,
        "as_of",
        "partner_list",
        path,
        state_names,
        model=None,
        signed=None,
        signed_problem=None,
    )


def _historical_sightings(
    table: pd.DataFrame,
    date_column: str,
    family: str,
    path: Path,
    state_names: dict[str, str],
    **cells: object,
) -> pd.DataFrame:
    """Sightings from a CSV of archived lists: dated by ``date_column``, one list per date."""
    snapshot = pd.to_datetime(table[date_column], errors="coerce")
    if snapshot.isna().any():
        bad = table.loc[snapshot.isna(), date_column].iloc[0]
        raise SourceError(path, f"bad {date_column} {bad!r}")
    _not_in_future(snapshot.max().date(), path)
    return pd.DataFrame(
        {
            "snapshot_date": snapshot.dt.date,
            "list": "participating",
            "family": family,
            "file": path.name,
            "row": table.index + 2,
            "state_abbr": _state_abbr(table["state"], state_names, path),
            "agency": table["agency"].str.strip(),
            "agency_type": None,
            "county_as_printed": None,
            **cells,
        }
    )[SIGHTING_COLUMNS]


def read_sightings(raw_dir: Path, state_names: dict[str, str]) -> pd.DataFrame:
    """Read every 287(g) list in ``raw_dir/287g`` into one sightings table.

    ``state_names`` maps upper-case state names to USPS codes (from the county layer).
    """
    raw_dir = Path(raw_dir)
    sheets, captures, roster, partner_lists = SOURCE_PATTERNS
    workbooks = sorted(raw_dir.glob(sheets)) + sorted(raw_dir.glob(captures))
    if not workbooks:
        raise SourceError(raw_dir / "287g", "no 287(g) workbooks under sheets/ or wayback_tables/")
    parts = [read_workbook(p, _snapshot_date(p), state_names) for p in workbooks]
    parts.append(read_roster_captures(raw_dir / roster, state_names))
    parts.append(read_partner_lists(raw_dir / partner_lists, state_names))
    sightings = pd.concat(parts, ignore_index=True)
    sightings["agency_key"] = _statewide_key(
        sightings["state_abbr"], agency_key(sightings["agency"]), state_names
    )
    return _attach_modelless(sightings).sort_values(
        ["snapshot_date", "list", "file", "row"], ignore_index=True
    )


def _attach_modelless(sightings: pd.DataFrame) -> pd.DataFrame:
    """Give the 2007–2008 list rows the model of their agency when it has only one.

    Those lists print no support model; an agency seen later under exactly one model is taken
    to be that agreement. Agencies with several models, or never seen again, keep a null model
    and stand as their own agreement.
    """
    models = sightings.dropna(subset=["model"]).groupby(["state_abbr", "agency_key"])["model"]
    single = models.nunique().eq(1)
    only_model = models.first()[single]
    modelless = sightings["model"].isna()
    keys = pd.MultiIndex.from_frame(sightings.loc[modelless, ["state_abbr", "agency_key"]])
    sightings.loc[modelless, "model"] = only_model.reindex(keys).to_numpy()
    return sightings


def agreement_ids(sightings: pd.DataFrame) -> pd.Series:
    """A stable, content-derived id per agreement: state + agency key + model."""
    text = (
        sightings["state_abbr"]
        + "|"
        + sightings["agency_key"]
        + "|"
        + sightings["model"].fillna("model not published")
    )
    return text.map(lambda t: hashlib.sha1(t.encode()).hexdigest()[:12])


def build_agreements(sightings: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fold sightings into one row per agreement; returns ``(agreements, sightings)``.

    The returned sightings carry ``agreement_id``. Per agreement: ICE's latest spelling and
    cells as printed, signed dates (latest and earliest seen), first and last participating
    list, the first list after the last one that no longer shows it (``ended_by``), pending
    dates, and the status on the newest lists.
    """
    sightings = sightings.assign(agreement_id=agreement_ids(sightings))
    ordered = sightings.sort_values(["snapshot_date", "list", "row"])
    by_id = ordered.groupby("agreement_id", sort=True)
    latest = by_id[["state_abbr", "agency", "agency_key", "model"]].last()
    for column in ("agency_type", "county_as_printed"):
        latest[column] = by_id[column].agg(
            lambda s: s.dropna().iloc[-1] if s.notna().any() else None
        )
    signed = ordered.dropna(subset=["signed"]).groupby("agreement_id")["signed"]
    latest["signed"] = signed.last()
    latest["first_signed"] = signed.min()
    problems = ordered.dropna(subset=["signed_problem"]).groupby("agreement_id")
    latest["signed_problem"] = problems.apply(
        lambda g: "; ".join(f"{p} ({f})" for p, f in zip(g["signed_problem"], g["file"]))
    )
    participating = ordered[ordered["list"] == "participating"].groupby("agreement_id")[
        "snapshot_date"
    ]
    latest["first_listed"] = participating.min()
    latest["last_listed"] = participating.max()
    latest["lists_seen"] = participating.nunique()
    pending = ordered[ordered["list"] == "pending"].groupby("agreement_id")["snapshot_date"]
    latest["first_pending"] = pending.min()
    latest["last_pending"] = pending.max()
    latest["ended_by"] = _ended_by(sightings, latest["last_listed"])
    latest["status"] = _status(sightings, latest)
    agreements = latest.reset_index()
    for column in (
        "signed",
        "first_signed",
        "first_listed",
        "last_listed",
        "first_pending",
        "last_pending",
        "ended_by",
        "signed_problem",
    ):
        agreements[column] = _nullable(agreements[column])
    agreements["lists_seen"] = agreements["lists_seen"].fillna(0).astype(int)
    return agreements, sightings


def participating_dates(sightings: pd.DataFrame) -> np.ndarray:
    """Sorted unique dates of the participating lists (the history's time axis)."""
    return np.sort(sightings.loc[sightings["list"] == "participating", "snapshot_date"].unique())


def _ended_by(sightings: pd.DataFrame, last_listed: pd.Series) -> pd.Series:
    dates = participating_dates(sightings)
    listed = last_listed.dropna()
    position = np.searchsorted(dates, listed.to_numpy(), side="right")
    after = pd.Series(
        [dates[i] if i < len(dates) else None for i in position], index=listed.index, dtype=object
    )
    return after.reindex(last_listed.index)


def _status(sightings: pd.DataFrame, agreements: pd.DataFrame) -> pd.Series:
    newest = participating_dates(sightings)[-1]
    pending_dates = sightings.loc[sightings["list"] == "pending", "snapshot_date"]
    newest_pending = pending_dates.max() if len(pending_dates) else None
    status = pd.Series("no_longer_listed", index=agreements.index, dtype=object)
    if newest_pending is not None:
        # A request pending on ICE's newest pending list and not yet on the newest
        # participating list is still pending as far as ICE has said.
        status[(agreements["last_pending"] == newest_pending)] = "pending"
    status[agreements["last_listed"] == newest] = "active"
    return status


def list_in_force(sightings: pd.DataFrame, on: date) -> date | None:
    """The newest participating list dated on or before ``on``, or None before the first."""
    dates = participating_dates(sightings)
    position = np.searchsorted(dates, np.datetime64(on, "D").astype(object), side="right")
    return dates[position - 1] if position else None


def active_on(agreements: pd.DataFrame, sightings: pd.DataFrame, on: date) -> pd.DataFrame:
    """Agreements active on a date, read from the list history.

    Active means listed on the newest list dated on or before ``on``, or signed on or before
    ``on`` and listed on the next list after it (signed, not yet published). Lists are months
    apart and 2017-08 → 2021-01 has none, so an agreement that ended between two lists counts
    until the first list that drops it.

    Examples
    --------
    >>> active = active_on(agreements, sightings, date(2011, 6, 1))  # doctest: +SKIP
    """
    dates = participating_dates(sightings)
    participating = sightings[sightings["list"] == "participating"]
    before = list_in_force(sightings, on)
    after_pos = np.searchsorted(dates, on, side="right")
    ids = set()
    if before is not None:
        ids |= set(participating.loc[participating["snapshot_date"] == before, "agreement_id"])
    if after_pos < len(dates):
        nxt = participating[participating["snapshot_date"] == dates[after_pos]]
        signed = nxt["signed"].map(lambda d: d is not None and d <= on)
        ids |= set(nxt.loc[signed, "agreement_id"])
    return agreements[agreements["agreement_id"].isin(ids)]
