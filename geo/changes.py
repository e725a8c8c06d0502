"""What changed: 287(g) agreements added, ended and re-signed, counties whose policy status
changed, and detention facilities whose ADP moved most.

ICE publishes lists, not events, so agreement changes are read from the snapshot's own list
history (``sightings``): an agreement is *added* on a list that shows it when the list before
did not, *ended* on the first list that no longer shows it, and *re-signed* on a list whose
signed date differs from the one it carried before (a new agreement or ICE correcting the
date; both dates are given). `changes_since` thus needs one snapshot; `diff_snapshots`
compares two builds, and adds the source files that changed between them.
"""

from dataclasses import dataclass
from datetime import date

import pandas as pd

from geo.atlas import fiscal_year
from geo.layers import as_records
from geo.sources.agreements import participating_dates
from geo.sources.policies import county_policy_status
from geo.store import Snapshot

AGREEMENT_CHANGES = ("added", "ended", "re_signed")
AGREEMENT_COLUMNS = [
    "date",
    "change",
    "agreement_id",
    "state_abbr",
    "agency",
    "agency_type",
    "model",
    "signed",
    "previous_signed",
    "first_listed",
    "relisted",
    "county_fips",
    "county_fips_list",
    "county_names",
    "match_type",
]
COUNTY_COLUMNS = [
    "county_fips",
    "county_name",
    "state_abbr",
    "status_before",
    "status",
    "status_level",
    "policy_ids",
]
FACILITY_COLUMNS = [
    "facility_id",
    "name",
    "city",
    "state_abbr",
    "county_fips",
    "from_fiscal_year",
    "from_file",
    "from_adp",
    "to_fiscal_year",
    "to_file",
    "to_adp",
    "change",
    "to_year_to_date",
]
TOP_FACILITIES = 10


@dataclass(frozen=True)
class ChangeList:
    """Changes after ``since`` up to ``until`` (the newest 287(g) list), optionally one state.

    ``lists`` are the participating lists dated in that window; ``sources`` (from
    `diff_snapshots` only) maps ``added`` / ``removed`` / ``changed`` to raw file paths.
    """

    since: date
    until: date
    state: str | None
    lists: list[date]
    agreements: pd.DataFrame
    counties: pd.DataFrame
    facilities: pd.DataFrame
    sources: dict[str, list[str]] | None = None

    def counts(self) -> dict[str, int]:
        """How many agreements were added, ended, re-signed, and counties changed status."""
        by_change = self.agreements["change"].value_counts()
        counts = {change: int(by_change.get(change, 0)) for change in AGREEMENT_CHANGES}
        return {**counts, "county_status": len(self.counties)}

    def as_dict(self) -> dict:
        """JSON-ready: dates as ISO text, nulls as None."""
        body = {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "state": self.state,
            "lists": [d.isoformat() for d in self.lists],
            "counts": self.counts(),
            "agreements": as_records(self.agreements),
            "counties": as_records(self.counties),
            "facilities": as_records(self.facilities),
        }
        if self.sources is not None:
            body["sources"] = self.sources
        return body


def changes_since(
    snapshot: Snapshot, since: date, state: str | None = None, top: int = TOP_FACILITIES
) -> ChangeList:
    """Everything the snapshot's history says changed after ``since``.

    Policy status is compared between ``since`` and the newest list's date. Detention is
    annual, so facilities compare the newest fiscal year with the one before it
    (``to_year_to_date`` flags a year still running on the newest list's date).

    Raises
    ------
    ValueError
        When ``state`` is not a served state.

    Examples
    --------
    >>> changes = changes_since(load_snapshot(Path("data")), date(2026, 4, 30))  # doctest: +SKIP
    >>> changes.counts()  # doctest: +SKIP
    {'added': 85, 'ended': 12, 're_signed': 2, 'county_status': 0}
    """
    _check_state(snapshot, state)
    until = max(since, participating_dates(snapshot.sightings)[-1])
    years = snapshot.facility_years
    newest = years["fiscal_year"].max()
    return _assemble(
        snapshot,
        since,
        until,
        state,
        agreement_changes(snapshot, since, until),
        status_changes(snapshot, since, snapshot, until),
        adp_changes(years[years["fiscal_year"] < newest], snapshot, until, top, state),
    )


def diff_snapshots(
    old: Snapshot, new: Snapshot, state: str | None = None, top: int = TOP_FACILITIES
) -> ChangeList:
    """What ``new`` adds to ``old``: the lists after old's newest, each side's policy status on
    its newest list's date, the newest fiscal year's ADP against old's release of that year (or
    of the year before), and the raw files whose SHA-256 differ.

    Examples
    --------
    >>> diff = diff_snapshots(load_snapshot(old_dir), load_snapshot(Path("data")))  # doctest: +SKIP
    >>> diff.sources["added"]  # doctest: +SKIP
    ['287g/sheets/2026-05-18_participating.xlsx']
    """
    _check_state(new, state)
    since = participating_dates(old.sightings)[-1]
    until = max(since, participating_dates(new.sightings)[-1])
    return _assemble(
        new,
        since,
        until,
        state,
        agreement_changes(new, since, until),
        status_changes(old, since, new, until),
        adp_changes(old.facility_years, new, until, top, state),
        source_changes(old.manifest, new.manifest),
    )


def _check_state(snapshot: Snapshot, state: str | None) -> None:
    if state is not None and state not in set(snapshot.states["state_abbr"]):
        raise ValueError(f"state: {state!r} is not a served state (50 states, DC, PR)")


def _assemble(
    snapshot: Snapshot,
    since: date,
    until: date,
    state: str | None,
    agreements: pd.DataFrame,
    counties: pd.DataFrame,
    facilities: pd.DataFrame,
    sources: dict[str, list[str]] | None = None,
) -> ChangeList:
    if state is not None:
        agreements = agreements[agreements["state_abbr"] == state]
        counties = counties[counties["state_abbr"] == state]
    return ChangeList(
        since=since,
        until=until,
        state=state,
        lists=[d for d in participating_dates(snapshot.sightings) if since < d <= until],
        agreements=agreements.reset_index(drop=True),
        counties=counties.reset_index(drop=True),
        facilities=facilities.reset_index(drop=True),
        sources=sources,
    )


def agreement_changes(snapshot: Snapshot, since: date, until: date) -> pd.DataFrame:
    """One row per agreement added, ended or re-signed on a participating list in
    ``(since, until]``, with the agreement's state, agency, model and counties.

    Added and ended compare each list with the list before it, so their counts are exactly
    the rows one list has and the other lacks. ``relisted`` marks an added agreement that had
    been listed before and dropped.
    """
    listed = snapshot.sightings.loc[
        snapshot.sightings["list"] == "participating", ["agreement_id", "snapshot_date", "signed"]
    ]
    dates = list(participating_dates(snapshot.sightings))
    members = listed.groupby("snapshot_date")["agreement_id"].agg(set)
    signed = (
        listed.dropna(subset=["signed"])
        .groupby(["agreement_id", "snapshot_date"])["signed"]
        .max()
        .reset_index()
    )
    signed_on = signed.set_index(["agreement_id", "snapshot_date"])["signed"]
    rows = []
    for i, day in enumerate(dates):
        if not since < day <= until:
            continue
        before = members[dates[i - 1]] if i else set()
        now = members[day]
        rows += [(day, "added", a, signed_on.get((a, day)), None) for a in sorted(now - before)]
        rows += [
            (day, "ended", a, signed_on.get((a, dates[i - 1])), None) for a in sorted(before - now)
        ]
    signed["previous_signed"] = signed.groupby("agreement_id")["signed"].shift()
    re_signed = signed[
        signed["previous_signed"].notna()
        & (signed["signed"] != signed["previous_signed"])
        & signed["snapshot_date"].map(lambda d: since < d <= until)
    ]
    rows += [
        (r.snapshot_date, "re_signed", r.agreement_id, r.signed, r.previous_signed)
        for r in re_signed.itertuples()
    ]
    events = pd.DataFrame(
        rows, columns=["date", "change", "agreement_id", "signed", "previous_signed"]
    )
    return _describe_agreements(events, snapshot)


def _describe_agreements(events: pd.DataFrame, snapshot: Snapshot) -> pd.DataFrame:
    """Attach each agreement's state, agency, model and county names; sort by date and place."""
    about = snapshot.agreements[
        [
            "agreement_id",
            "state_abbr",
            "agency",
            "agency_type",
            "model",
            "first_listed",
            "county_fips",
            "county_fips_list",
            "match_type",
        ]
    ]
    events = events.merge(about, on="agreement_id", how="left", validate="many_to_one")
    names = dict(zip(snapshot.counties["county_fips"], snapshot.counties["name_lsad"]))
    events["county_names"] = events["county_fips_list"].map(
        lambda codes: [names.get(c, c) for c in codes] if codes is not None else []
    )
    events["relisted"] = (events["change"] == "added") & (
        events["first_listed"].astype(object) < events["date"].astype(object)
    )
    order = {change: i for i, change in enumerate(AGREEMENT_CHANGES)}
    events = events.assign(_order=events["change"].map(order))
    events = events.sort_values(
        ["date", "state_abbr", "county_fips", "_order", "agency", "model"],
        na_position="last",
        ignore_index=True,
    )
    return events[AGREEMENT_COLUMNS]


def status_changes(old: Snapshot, before: date, new: Snapshot, after: date) -> pd.DataFrame:
    """Counties whose sanctuary / anti-sanctuary status differs between the two dates."""
    was = county_policy_status(old.policies, old.counties, before)[["county_fips", "status"]]
    now = county_policy_status(new.policies, new.counties, after)
    merged = now.merge(
        was.rename(columns={"status": "status_before"}), on="county_fips", how="left"
    )
    changed = merged[merged["status"] != merged["status_before"]]
    counties = new.counties.set_index("county_fips")
    changed = changed.assign(
        county_name=changed["county_fips"].map(counties["name_lsad"]),
        state_abbr=changed["county_fips"].map(counties["state_abbr"]),
    )
    return changed[COUNTY_COLUMNS].sort_values("county_fips", ignore_index=True)


def adp_changes(
    before_years: pd.DataFrame, new: Snapshot, until: date, top: int, state: str | None
) -> pd.DataFrame:
    """The ``top`` facilities whose ADP in ``new``'s newest fiscal year moved most against
    ``before_years``' rows of that year, else of the newest year before it.

    Only facilities with an ADP on both sides count; a facility missing from one year may be
    below ICE's listing threshold rather than closed.
    """
    years = new.facility_years
    to_year = int(years["fiscal_year"].max())
    after = years[years["fiscal_year"] == to_year]
    same = before_years[before_years["fiscal_year"] == to_year]
    earlier = before_years[before_years["fiscal_year"] < to_year]
    baseline = (
        same if len(same) else earlier[earlier["fiscal_year"] == earlier["fiscal_year"].max()]
    )
    pairs = after.merge(
        baseline[["facility_id", "fiscal_year", "file", "adp"]],
        on="facility_id",
        suffixes=("", "_from"),
    ).dropna(subset=["adp", "adp_from"])
    if state is not None:
        pairs = pairs[pairs["state_abbr"] == state]
    placed = new.facilities.set_index("facility_id")["county_fips"]
    moved = pd.DataFrame(
        {
            "facility_id": pairs["facility_id"],
            "name": pairs["name"],
            "city": pairs["city"],
            "state_abbr": pairs["state_abbr"],
            "county_fips": pairs["facility_id"].map(placed),
            "from_fiscal_year": pairs["fiscal_year_from"],
            "from_file": pairs["file_from"],
            "from_adp": pairs["adp_from"].round(1),
            "to_fiscal_year": pairs["fiscal_year"],
            "to_file": pairs["file"],
            "to_adp": pairs["adp"].round(1),
            "change": (pairs["adp"] - pairs["adp_from"]).round(1),
            "to_year_to_date": to_year >= fiscal_year(until),
        }
    )
    moved = moved[moved["change"] != 0]
    moved = moved.assign(_size=-moved["change"].abs())
    return moved.sort_values(["_size", "facility_id"]).head(top)[FACILITY_COLUMNS]


def source_changes(old_manifest: dict, new_manifest: dict) -> dict[str, list[str]]:
    """Raw files added, removed or changed (by SHA-256) between two manifests."""
    old, new = _source_hashes(old_manifest), _source_hashes(new_manifest)
    return {
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "changed": sorted(p for p in set(old) & set(new) if old[p] != new[p]),
    }


def _source_hashes(node: object) -> dict[str, str]:
    """Every ``{"path", "sha256"}`` under a ``sources`` list anywhere in the manifest."""
    found: dict[str, str] = {}
    if isinstance(node, dict):
        for file in node.get("sources", []) if isinstance(node.get("sources"), list) else []:
            found[file["path"]] = file["sha256"]
        for value in node.values():
            found |= _source_hashes(value)
    return found


def describe(changes: ChangeList) -> list[str]:
    """The change list as text lines, agreements grouped by state and county."""
    counts = changes.counts()
    scope = f" in {changes.state}" if changes.state else ""
    lines = [
        (
            f"changes{scope} after {changes.since} up to {changes.until} "
            f"({len(changes.lists)} 287(g) list(s) in between)"
        ),
        (
            f"287(g) agreements: {counts['added']} added, {counts['ended']} ended, "
            f"{counts['re_signed']} re-signed"
        ),
    ]
    marks = {"added": "+", "ended": "-", "re_signed": "~"}
    for state, in_state in changes.agreements.groupby("state_abbr", sort=True):
        lines.append(f"{state}")
        for where, rows in in_state.groupby(in_state.apply(_where, axis=1), sort=True):
            lines.append(f"  {where}")
            for row in rows.itertuples():
                lines.append(f"    {marks[row.change]} {row.date} {_agreement_text(row)}")
    lines.append(f"counties whose policy status changed: {counts['county_status']}")
    for row in changes.counties.itertuples():
        lines.append(
            f"  {row.state_abbr} {row.county_name} ({row.county_fips}): "
            f"{row.status_before} -> {row.status}"
        )
    lines.append(f"facilities whose ADP changed most: {len(changes.facilities)}")
    for row in changes.facilities.itertuples():
        running = " year to date" if row.to_year_to_date else ""
        lines.append(
            f"  {row.state_abbr} {row.name}: {row.change:+,.1f} "
            f"(FY{row.from_fiscal_year} {row.from_adp:,.1f} -> "
            f"FY{row.to_fiscal_year}{running} {row.to_adp:,.1f})"
        )
    if changes.sources is not None:
        for kind in ("added", "removed", "changed"):
            for path in changes.sources[kind]:
                lines.append(f"source {kind}: {path}")
    return lines


def _where(row: pd.Series) -> str:
    if row["match_type"] == "statewide":
        return "statewide"
    return ", ".join(row["county_names"]) or "county not resolved"


def _agreement_text(row: tuple) -> str:
    text = f"{row.change.replace('_', '-')} {row.agency} ({row.model or 'model not published'})"
    if row.change == "re_signed":
        return f"{text}: signed {row.previous_signed} -> {row.signed}"
    if row.relisted:
        text += ", listed again"
    return f"{text}, signed {row.signed}" if row.signed is not None else text
