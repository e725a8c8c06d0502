"""Raw public files → the atlas snapshot in ``data/`` and the shapefiles in ``shapefiles/``.

Reads every source, resolves agencies, places and facilities to counties, runs the QA
invariants, and only then writes: each output folder is filled beside its target and swapped
in, so a failing input or a failing check leaves the previous snapshot as it was.
"""

from pathlib import Path

import pandas as pd

from geo import qa
from geo.manifest import COUNTY_VINTAGE, STATE_VINTAGE, snapshot_manifest
from geo.resolve import AgencyReference, load_reference, resolve_agencies
from geo.shapefiles import write_shapefiles
from geo.sources import SourceError
from geo.sources.agreements import build_agreements, read_sightings, state_lookup
from geo.sources.counties import (
    read_census_regions,
    read_counties,
    read_population,
    read_states,
)
from geo.sources.crime import read_crime_rates, read_ncvs_context, read_reporting_coverage
from geo.sources.detention import county_detention, place_facilities, read_facility_years
from geo.sources.policies import read_policies
from geo.store import Snapshot, replace_folder, write_snapshot

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
    layers = read_layers(raw_dir)
    summary = qa.check_snapshot(layers)
    qa.raise_on_failure(summary)
    snapshot = Snapshot(**layers, manifest=snapshot_manifest(raw_dir, layers))
    tables = {
        "summary": summary,
        "match_types": qa.match_type_counts(snapshot.agreements),
        "review_reasons": qa.review_reason_counts(snapshot.agreements),
    }
    replace_folder(
        Path(shapefile_dir),
        lambda folder: write_shapefiles(
            snapshot.counties, snapshot.states, folder, COUNTY_VINTAGE, STATE_VINTAGE
        ),
    )
    write_snapshot(snapshot, tables, Path(data_dir))
    return snapshot


def read_layers(raw_dir: Path) -> dict:
    """Parse and join every source; the keyword arguments of :class:`Snapshot` but the manifest."""
    counties = read_counties(raw_dir)
    all_states = read_states(raw_dir, served_only=False)
    served = all_states[all_states["state_fips"].isin(counties["state_fips"])]
    population = read_population(raw_dir, counties)
    reference = load_reference(raw_dir, counties)
    state_names = state_lookup(all_states["state_name"], all_states["state_abbr"])
    agreements, sightings = _agreements(raw_dir, reference, state_names)
    facility_years = read_facility_years(raw_dir)
    facilities = place_facilities(facility_years, raw_dir, counties, reference)
    return {
        "counties": counties,
        "states": served.merge(read_census_regions(raw_dir), on="state_fips", how="left"),
        "population": population,
        "agreements": agreements,
        "sightings": sightings[_SIGHTING_COLUMNS],
        "policies": read_policies(raw_dir, counties, reference),
        "crime_rates": read_crime_rates(raw_dir, counties),
        "reporting_coverage": read_reporting_coverage(raw_dir, counties, population, reference),
        "facilities": facilities,
        "facility_years": facility_years,
        "county_detention": county_detention(facility_years, facilities),
        "context": {f"ncvs_{name}": table for name, table in read_ncvs_context(raw_dir).items()},
    }


def _agreements(
    raw_dir: Path, reference: AgencyReference, state_names: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Agreements with their county resolution, and the sightings they were folded from."""
    agreements, sightings = build_agreements(read_sightings(raw_dir, state_names))
    agencies = agreements[_AGENCY_COLUMNS].drop_duplicates().reset_index(drop=True)
    resolved = pd.concat([agencies, resolve_agencies(agencies, reference)], axis=1)
    merged = agreements.merge(resolved, on=_AGENCY_COLUMNS, how="left", validate="many_to_one")
    return merged.sort_values("agreement_id", ignore_index=True), sightings
