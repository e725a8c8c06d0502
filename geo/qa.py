"""Build invariants as data: one row per check, committed with the snapshot.

A check with an expected value is a test (``pass`` / ``fail``); without one it is a tracked
count (``info``). Any ``fail`` stops the build before the snapshot is swapped in, so a
regression can never reach ``data/``.
"""

from dataclasses import dataclass

import pandas as pd

from geo.sources.agreements import participating_dates
from geo.sources.detention import adp_placed_share

SERVED_STATE_COUNT = 52  # 50 states, DC and Puerto Rico
MIN_RESOLVED_SHARE = 0.99  # of active 287(g) agreements placed in counties or statewide
MIN_ADP_PLACED_SHARE = 0.98  # of the newest fiscal year's detention ADP placed in a county


@dataclass(frozen=True)
class QAFailure(Exception):
    """One or more build invariants broke; ``failed`` holds their rows."""

    failed: pd.DataFrame

    def __str__(self) -> str:
        first = self.failed.iloc[0]
        more = f" (+{len(self.failed) - 1} more)" if len(self.failed) > 1 else ""
        return f"QA check failed: {first['check']}: got {first['value']}, expected {first['expected']}{more}"


def _row(
    check: str, scope: str, value: object, expected: object = None, ok: bool | None = None
) -> dict:
    status = "info" if expected is None else ("pass" if ok else "fail")
    return {"check": check, "scope": scope, "value": value, "expected": expected, "status": status}


def check_snapshot(layers: dict) -> pd.DataFrame:
    """Run every invariant over the built layers (as in ``geo.build``); returns the summary."""
    counties = layers["counties"]
    rows = [
        _row(
            "states served (50 + DC + PR)",
            "counties",
            counties["state_fips"].nunique(),
            SERVED_STATE_COUNT,
            counties["state_fips"].nunique() == SERVED_STATE_COUNT,
        ),
        _row("counties served", "counties", len(counties)),
        _row(
            "county_fips not 5 digits",
            "counties",
            int((~counties["county_fips"].str.fullmatch(r"\d{5}")).sum()),
            0,
            bool(counties["county_fips"].str.fullmatch(r"\d{5}").all()),
        ),
    ]
    rows += _population_checks(counties, layers["population"])
    rows += _agreement_checks(counties, layers["agreements"], layers["sightings"])
    rows += _policy_checks(layers["policies"])
    rows += _crime_checks(layers["crime_rates"])
    rows += _facility_checks(layers["facilities"], layers["facility_years"])
    # object dtype keeps counts as integers beside the float share in the committed CSV
    return pd.DataFrame(
        rows, columns=["check", "scope", "value", "expected", "status"], dtype=object
    )


def _population_checks(counties: pd.DataFrame, population: pd.DataFrame) -> list[dict]:
    served = set(counties["county_fips"])
    known = population.dropna(subset=["population"])
    missing_reason = population["population"].isna() & population["note"].isna()
    stray = ~population["county_fips"].isin(served)
    return [
        _row("population rows", "population", len(population)),
        _row(
            "population null without a note",
            "population",
            int(missing_reason.sum()),
            0,
            not missing_reason.any(),
        ),
        _row(
            "population rows for counties not served",
            "population",
            int(stray.sum()),
            0,
            not stray.any(),
        ),
        _row(
            "population 0 or negative",
            "population",
            int((known["population"] <= 0).sum()),
            0,
            bool((known["population"] > 0).all()),
        ),
    ]


def resolved_share(agreements: pd.DataFrame) -> float:
    """Share of active agreements placed: a county, several counties, or statewide."""
    active = agreements[agreements["status"] == "active"]
    if active.empty:
        return 0.0
    return round(float((active["match_type"] != "unresolved").mean()), 4)


def _agreement_checks(
    counties: pd.DataFrame, agreements: pd.DataFrame, sightings: pd.DataFrame
) -> list[dict]:
    newest_sheet = participating_dates(sightings)[-1]
    on_newest = (sightings["snapshot_date"] == newest_sheet) & (
        sightings["list"] == "participating"
    )
    newest_sheet_rows = int(on_newest.sum())
    active = int((agreements["status"] == "active").sum())
    state_of = dict(zip(counties["county_fips"], counties["state_abbr"]))
    placed = agreements.explode("county_fips_list").dropna(subset=["county_fips_list"])
    outside = placed["county_fips_list"].map(state_of) != placed["state_abbr"]
    unresolved = agreements["match_type"] == "unresolved"
    no_reason = unresolved & agreements["review_reason"].isna()
    share = resolved_share(agreements)
    return [
        _row(
            f"active agreements == rows in newest 287(g) sheet ({newest_sheet})",
            "agreements",
            active,
            newest_sheet_rows,
            active == newest_sheet_rows,
        ),
        _row(
            "county_fips malformed or outside its state",
            "agreements",
            int(outside.sum()),
            0,
            not outside.any(),
        ),
        _row(
            "unresolved agreement without a reason",
            "agreements",
            int(no_reason.sum()),
            0,
            not no_reason.any(),
        ),
        _row(
            "resolved share of active agreements",
            "agreements",
            share,
            f">= {MIN_RESOLVED_SHARE}",
            share >= MIN_RESOLVED_SHARE,
        ),
        _row("agreements", "agreements", len(agreements)),
        _row("unresolved agreements", "agreements", int(unresolved.sum())),
    ]


def _policy_checks(policies: pd.DataFrame) -> list[dict]:
    unresolved = policies["match_type"] == "unresolved"
    silent = unresolved & policies["review_reason"].isna()
    return [
        _row("policies", "policies", len(policies)),
        _row("unresolved policies", "policies", int(unresolved.sum())),
        _row(
            "unresolved policy without a reason", "policies", int(silent.sum()), 0, not silent.any()
        ),
    ]


def _crime_checks(rates: pd.DataFrame) -> list[dict]:
    ucr = rates[["ucr_violent_rate", "ucr_property_rate"]].notna().any(axis=1)
    nibrs = rates[["nibrs_violent_rate", "nibrs_property_rate"]].notna().any(axis=1)
    rates_missing = ~(ucr | nibrs) & rates["note"].isna()
    return [
        _row("crime county-years with a rate", "crime", int((ucr | nibrs).sum())),
        _row(
            "rows mixing UCR and NIBRS rates",
            "crime",
            int((ucr & nibrs).sum()),
            0,
            not (ucr & nibrs).any(),
        ),
        _row(
            "crime row with no rate and no note",
            "crime",
            int(rates_missing.sum()),
            0,
            not rates_missing.any(),
        ),
    ]


def _facility_checks(facilities: pd.DataFrame, facility_years: pd.DataFrame) -> list[dict]:
    silent = facilities["county_fips"].isna() & facilities["placement_note"].isna()
    newest = int(facility_years["fiscal_year"].max())
    share = round(adp_placed_share(facility_years, facilities, newest), 4)
    return [
        _row("detention facilities", "facilities", len(facilities)),
        _row(
            "facilities with no county and no reason",
            "facilities",
            int(silent.sum()),
            0,
            not silent.any(),
        ),
        _row(
            f"share of FY{newest} ADP placed in a county",
            "facilities",
            share,
            f">= {MIN_ADP_PLACED_SHARE}",
            share >= MIN_ADP_PLACED_SHARE,
        ),
    ]


def match_type_counts(agreements: pd.DataFrame) -> pd.DataFrame:
    """Agreements by status × match_type × needs_review, for the committed QA folder."""
    table = agreements.assign(needs_review=agreements["review_reason"].notna())
    counts = table.groupby(["status", "match_type", "needs_review"]).size()
    return counts.rename("agreements").reset_index()


def review_reason_counts(agreements: pd.DataFrame) -> pd.DataFrame:
    """Agreements by review reason (reasons name agencies, so this also lists each case)."""
    flagged = agreements.dropna(subset=["review_reason"])
    counts = flagged.groupby(["match_type", "review_reason"]).size()
    return counts.rename("agreements").reset_index()


def raise_on_failure(summary: pd.DataFrame) -> None:
    """Stop the build when any check failed."""
    failed = summary[summary["status"] == "fail"]
    if not failed.empty:
        raise QAFailure(failed)
