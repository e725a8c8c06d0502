"""Raw public files → the atlas snapshot in ``data/`` and the shapefiles in ``shapefiles/``.

Reads every source, resolves agreements to counties, runs the QA invariants, and only then
writes: each output folder is filled beside its target and swapped in, so a failing input or a
failing check leaves the previous snapshot as it was.
"""

from datetime import date
from pathlib import Path

import pandas as pd

from geo import qa
from geo.manifest import describe_sources
from geo.resolve import AgencyReference, load_reference, resolve_agencies
from geo.shapefiles import write_shapefiles
from geo.sources import SourceError
from geo.sources.agreements import (
    build_agreements,
    participating_dates,
    read_sightings,
    state_lookup,
)
from geo.sources.counties import (
    read_census_regions,
    read_counties,
    read_population,
    read_states,
)
from geo.sources.policies import read_policies
from geo.store import Snapshot, replace_folder, write_snapshot

MIN_RESOLVED_SHARE = 0.99
COUNTY_VINTAGE = date(2020, 1, 1)  # cb_2020: boundaries as of January 1, 2020
STATE_VINTAGE = date(2023, 1, 1)  # cb_2023: boundaries as of January 1, 2023
_AGENCY_COLUMNS = ["state_abbr", "agency", "agency_type", "county_as_printed"]
_SIGHTING_COLUMNS = [
    "agreement_id",
    "snapshot_date",
    "list",
    "family",
    "file",
    "row",
    "agency",
    "agency_type",
    "county_as_printed",
    "signed",
    "signed_problem",
]


def build(raw_dir: Path, data_dir: Path, shapefile_dir: Path) -> Snapshot:
    """Build the snapshot from ``raw_dir`` and write it; returns what was written.

    Raises
    ------
    SourceError
        A raw file is missing or malformed (the message names it).
    qa.QAFailure
        An invariant broke (the message names the check).
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise SourceError(raw_dir, "raw data folder not found")
    counties = read_counties(raw_dir)
    all_states = read_states(raw_dir, served_only=False)
    served = all_states[all_states["state_fips"].isin(counties["state_fips"])]
    states = served.merge(read_census_regions(raw_dir), on="state_fips", how="left")
    population = read_population(raw_dir, counties)
    reference = load_reference(raw_dir, counties)
    agreements, sightings = _agreements(
        raw_dir, reference, state_lookup(all_states["state_name"], all_states["state_abbr"])
    )
    policies = read_policies(raw_dir, counties, reference)
    newest = participating_dates(sightings)[-1]
    newest_rows = int(
        ((sightings["snapshot_date"] == newest) & (sightings["list"] == "participating")).sum()
    )
    summary = qa.check_snapshot(
        counties, population, agreements, newest_rows, newest, MIN_RESOLVED_SHARE
    )
    qa.raise_on_failure(summary)
    manifest = _manifest(raw_dir, counties, states, population, agreements, sightings, newest)
    manifest["layers"]["policies"] = {
        **describe_sources(raw_dir, "policies"),
        "as_of": str(max(d for d in policies["adopted"].dropna())),
        "rows": len(policies),
        "by_level": {k: int(v) for k, v in policies["level"].value_counts().sort_index().items()},
        "notes": "Compiled state laws, the DOJ 2025-08-05 designation list and the ICE/CIS "
        "2014 detainer-policy list. Not exhaustive: a county with nothing documented is "
        "'undocumented', never 'none'.",
    }
    snapshot = Snapshot(
        counties=counties,
        states=states,
        population=population,
        agreements=agreements,
        sightings=sightings[_SIGHTING_COLUMNS],
        policies=policies,
        manifest=manifest,
    )
    tables = {
        "summary": summary,
        "match_types": qa.match_type_counts(agreements),
        "review_reasons": qa.review_reason_counts(agreements),
    }
    replace_folder(
        Path(shapefile_dir),
        lambda folder: write_shapefiles(counties, states, folder, COUNTY_VINTAGE, STATE_VINTAGE),
    )
    write_snapshot(snapshot, tables, Path(data_dir))
    return snapshot


def _agreements(
    raw_dir: Path, reference: AgencyReference, state_names: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Agreements with their county resolution, and the sightings they were folded from."""
    agreements, sightings = build_agreements(read_sightings(raw_dir, state_names))
    agencies = agreements[_AGENCY_COLUMNS].drop_duplicates().reset_index(drop=True)
    resolved = pd.concat([agencies, resolve_agencies(agencies, reference)], axis=1)
    merged = agreements.merge(resolved, on=_AGENCY_COLUMNS, how="left", validate="many_to_one")
    return merged.sort_values("agreement_id", ignore_index=True), sightings


def _manifest(
    raw_dir: Path,
    counties: pd.DataFrame,
    states: pd.DataFrame,
    population: pd.DataFrame,
    agreements: pd.DataFrame,
    sightings: pd.DataFrame,
    newest: date,
) -> dict:
    """Provenance and figures per layer; nothing in it varies between identical builds."""
    dates = participating_dates(sightings)
    counts = agreements["match_type"].value_counts().sort_index()
    return {
        "name": "enforcemap snapshot",
        "layers": {
            "counties": {
                **describe_sources(raw_dir, "counties"),
                "as_of": COUNTY_VINTAGE.isoformat(),
                "rows": len(counties),
                "crs": "EPSG:4326",
                "notes": "50 states, DC and Puerto Rico. Connecticut is served as its 8 legacy "
                "counties (09001-09015), which the enforcement and crime records use.",
            },
            "states": {
                **describe_sources(raw_dir, "states"),
                "as_of": STATE_VINTAGE.isoformat(),
                "rows": len(states),
                "crs": "EPSG:4326",
            },
            "population": {
                **describe_sources(raw_dir, "population"),
                "as_of": f"{int(population['year'].max())}-07-01",
                "rows": len(population),
                "years": [int(population["year"].min()), int(population["year"].max())],
                "notes": "July 1 estimates. Connecticut 2020 onward is published for the 9 "
                "planning regions and carried over to the 8 legacy counties through the town "
                "crosswalk (see each row's note). Puerto Rico is not in the PEP county files: null.",
            },
            "agreements": {
                **describe_sources(raw_dir, "agreements"),
                "agency_rosters": describe_sources(raw_dir, "agency_rosters"),
                "as_of": newest.isoformat(),
                "rows": len(agreements),
                "active_on_newest_sheet": int((agreements["status"] == "active").sum()),
                "resolved_share": qa.resolved_share(agreements),
                "match_types": {k: int(v) for k, v in counts.items()},
                "lists": len(dates),
                "first_list": dates[0].isoformat(),
                "sightings": len(sightings),
            },
        },
    }
