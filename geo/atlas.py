"""The atlas: one row per county on a date, every indicator beside its year and source.

Each indicator keeps its own as-of (the 287(g) list in force, the population year), and a value
that cannot be given is null with a reason in the matching ``*_note`` column, never 0.
"""

from datetime import date

import numpy as np
import pandas as pd

from geo.sources.agreements import active_on, list_in_force
from geo.sources.policies import county_policy_status
from geo.store import Snapshot

INDICATORS = {
    "population": ("Resident population (Census PEP, July 1)", "population_year"),
    "population_density": ("Residents per square mile of land", "population_year"),
    "agreements_active": (
        "287(g) agreements active in the county (county agencies and multi-county bodies)",
        "agreements_as_of",
    ),
    "statewide_agreements": (
        "287(g) agreements of state agencies in the county's state",
        "agreements_as_of",
    ),
    "detention_adp": (
        (
            "ICE detention average daily population in facilities placed in the county (0 where "
            "ICE's statistics list no facility there)"
        ),
        "detention_fiscal_year",
    ),
    "detention_adp_per_100k": ("ICE detention ADP per 100,000 residents", "detention_fiscal_year"),
    "ucr_violent_rate": ("Violent crimes per 100,000, FBI UCR Summary series", "ucr_year"),
    "ucr_property_rate": ("Property crimes per 100,000, FBI UCR Summary series", "ucr_year"),
    "nibrs_violent_rate": (
        "Violent crimes per 100,000, FBI NIBRS series (not comparable with UCR)",
        "nibrs_year",
    ),
    "nibrs_property_rate": (
        "Property crimes per 100,000, FBI NIBRS series (not comparable with UCR)",
        "nibrs_year",
    ),
    "reporting_coverage": (
        "Population-weighted share of agency-months reported to the FBI",
        "reporting_coverage_year",
    ),
}
"""Numeric atlas columns usable in statistics and maps: name -> (description, its as-of column)."""

SERIES_CHANGE_WARNING = (
    "UCR Summary and NIBRS count 'violent' differently (NIBRS counts every offence in an "
    "incident and more offence types): never read the two series on one axis."
)

NO_LIST_NOTE = "no ICE 287(g) list published on or before this date (the first is 2007-09-19)"


def county_atlas(snapshot: Snapshot, on: date) -> pd.DataFrame:
    """Every county's indicators as of ``on``, sorted by ``county_fips``.

    Examples
    --------
    >>> atlas = county_atlas(load_snapshot(Path("data")), date(2026, 5, 18))  # doctest: +SKIP
    >>> atlas.loc[atlas.county_fips == "48201", "agreements_active"].item()  # doctest: +SKIP
    """
    counties = snapshot.counties[
        ["county_fips", "name", "name_lsad", "state_abbr", "land_area_sqmi"]
    ]
    atlas = counties.merge(_population(snapshot.population, on.year), on="county_fips", how="left")
    atlas["population_density"] = (
        atlas["population"].astype("Float64") / atlas["land_area_sqmi"]
    ).round(3)
    atlas = atlas.merge(_agreements(snapshot, on, counties), on="county_fips", how="left")
    atlas = atlas.merge(_policy_status(snapshot, on), on="county_fips", how="left")
    atlas = atlas.merge(_detention(snapshot, on), on="county_fips", how="left")
    per_100k = atlas["detention_adp"].astype("Float64") / atlas["population"].astype("Float64")
    atlas.insert(
        atlas.columns.get_loc("detention_adp") + 1,
        "detention_adp_per_100k",
        (per_100k * 1e5).round(2),
    )
    for series in ("ucr", "nibrs"):
        atlas = atlas.merge(
            _crime(snapshot.crime_rates, series, on.year), on="county_fips", how="left"
        )
    atlas = atlas.merge(_coverage(snapshot.reporting_coverage), on="county_fips", how="left")
    return atlas.sort_values("county_fips", ignore_index=True)


def _population(population: pd.DataFrame, year: int) -> pd.DataFrame:
    """The estimate for ``year``, else the nearest year published (said in ``population_year``)."""
    years = population["year"].unique()
    chosen = int(years[np.argmin(np.abs(years - year))])
    rows = population[population["year"] == chosen]
    return pd.DataFrame(
        {
            "county_fips": rows["county_fips"].array,
            "population": rows["population"].array,
            "population_year": chosen,
            "population_note": rows["note"].array,
        }
    )


def _agreements(snapshot: Snapshot, on: date, counties: pd.DataFrame) -> pd.DataFrame:
    """Active 287(g) agreements covering each county, and the state-wide ones in its state."""
    in_force = list_in_force(snapshot.sightings, on)
    out = pd.DataFrame({"county_fips": counties["county_fips"].to_numpy()})
    if in_force is None:
        return out.assign(
            agreements_active=pd.NA,
            agreement_models=None,
            statewide_agreements=pd.NA,
            agreements_as_of=None,
            agreements_note=NO_LIST_NOTE,
        )
    active = active_on(snapshot.agreements, snapshot.sightings, on)
    local = active.explode("county_fips_list").dropna(subset=["county_fips_list"])
    by_county = local.groupby("county_fips_list")
    models = by_county["model"].agg(lambda m: ";".join(sorted(set(m.dropna()))))
    statewide = active[active["match_type"] == "statewide"].groupby("state_abbr").size()
    state_of = counties.set_index("county_fips")["state_abbr"]
    out["agreements_active"] = out["county_fips"].map(by_county.size()).fillna(0).astype(int)
    out["agreement_models"] = out["county_fips"].map(models)
    out["statewide_agreements"] = (
        out["county_fips"].map(state_of).map(statewide).fillna(0).astype(int).to_numpy()
    )
    out["agreements_as_of"] = in_force
    out["agreements_note"] = None
    return out


def _policy_status(snapshot: Snapshot, on: date) -> pd.DataFrame:
    """Sanctuary / anti-sanctuary status on ``on`` and the level it comes from."""
    status = county_policy_status(snapshot.policies, snapshot.counties, on)
    return status.rename(
        columns={
            "status": "policy_status",
            "status_level": "policy_level",
            "state_direction": "policy_state",
            "county_direction": "policy_county",
            "city_direction": "policy_city",
            "policy_ids": "policy_ids",
        }
    )


def fiscal_year(on: date) -> int:
    """The federal fiscal year containing ``on`` (FY2026 runs 2025-10-01 to 2026-09-30)."""
    return on.year + 1 if on.month >= 10 else on.year


def _detention(snapshot: Snapshot, on: date) -> pd.DataFrame:
    """ICE detention ADP of the newest fiscal year up to ``on``'s, per county."""
    by_county = snapshot.county_detention
    years = sorted(by_county["fiscal_year"].unique())
    wanted = fiscal_year(on)
    out = pd.DataFrame({"county_fips": snapshot.counties["county_fips"].to_numpy()})
    usable = [y for y in years if y <= wanted]
    if not usable:
        note = f"ICE detention statistics start in FY{years[0]}"
        return out.assign(
            detention_adp=pd.NA,
            detention_facilities=pd.NA,
            detention_fiscal_year=pd.NA,
            detention_note=note,
        )
    chosen = usable[-1]
    rows = by_county[by_county["fiscal_year"] == chosen].set_index("county_fips")
    out["detention_adp"] = out["county_fips"].map(rows["adp"]).astype("Float64").fillna(0.0)
    # A county with facilities whose ADP is all blank stays null, not 0.
    blank = out["county_fips"].isin(rows.index[rows["adp"].isna()])
    out.loc[blank, "detention_adp"] = pd.NA
    out["detention_facilities"] = out["county_fips"].map(rows["facilities"]).fillna(0).astype(int)
    out["detention_fiscal_year"] = chosen
    out["detention_note"] = None
    out.loc[blank, "detention_note"] = "ICE left the ADP of this county's facilities blank"
    return out


def _crime(rates: pd.DataFrame, series: str, year: int) -> pd.DataFrame:
    """One series' rates for its newest year up to ``year`` (UCR and NIBRS never mixed)."""
    columns = [f"{series}_violent_rate", f"{series}_property_rate", f"{series}_quality"]
    has_rate = rates[columns[:2]].notna().any(axis=1)
    years = sorted(rates.loc[has_rate, "year"].unique())
    usable = [y for y in years if y <= year]
    chosen = usable[-1] if usable else years[0]
    rows = rates[rates["year"] == chosen]
    out = rows[["county_fips", *columns]].copy()
    if series == "ucr":
        out["ucr_coverage"] = rows["ucr_coverage"]
    out[f"{series}_year"] = chosen
    out[f"{series}_note"] = rows["note"]
    if not usable:
        out[[*columns, f"{series}_year"]] = pd.NA
        out[f"{series}_note"] = f"the {series.upper()} series starts in {years[0]}"
    return out


def _coverage(coverage: pd.DataFrame) -> pd.DataFrame:
    return coverage.rename(
        columns={
            "coverage": "reporting_coverage",
            "data_year": "reporting_coverage_year",
            "note": "reporting_coverage_note",
        }
    )[["county_fips", "reporting_coverage", "reporting_coverage_year", "reporting_coverage_note"]]
