"""A county's profile: every indicator over time, each value with its source and as-of.

The profile is what an advocate reads for "what is my county doing?", so it also lists each
287(g) agreement that applies and where it comes from: the county itself, a body covering several
counties, or a state agency whose agreement covers the whole state.
"""

import pandas as pd

from geo.layers import AGENCY_COLUMNS, as_records
from geo.sources.agreements import participating_dates
from geo.store import Snapshot

APPLIES_THROUGH = ["county", "multi_county", "state"]
# The agencies layer's columns, less where the agreement sits (the profile is one county).
AGREEMENT_FIELDS = [
    c for c in AGENCY_COLUMNS if c not in ("state_abbr", "county_fips", "county_fips_list")
]


def county_profile(snapshot: Snapshot, county_fips: str) -> dict:
    """Everything the snapshot knows about one county; ``KeyError`` for an unknown FIPS."""
    counties = snapshot.counties
    match = counties[counties["county_fips"] == county_fips]
    if match.empty:
        raise KeyError(county_fips)
    county = match.iloc[0]
    layers = snapshot.manifest.get("layers", {})
    covering = _covering_agreements(snapshot.agreements, county_fips, county["state_abbr"])
    return {
        "county_fips": county_fips,
        "name": county["name_lsad"],
        "state_abbr": county["state_abbr"],
        "state_name": county["state_name"],
        "land_area_sqmi": float(county["land_area_sqmi"]),
        "population": {
            "source": layers.get("population", {}).get("publisher"),
            "values": as_records(
                snapshot.population.loc[
                    snapshot.population["county_fips"] == county_fips,
                    ["year", "population", "source", "note"],
                ]
            ),
        },
        "agreements": {
            "source": layers.get("agreements", {}).get("publisher"),
            "as_of": layers.get("agreements", {}).get("as_of"),
            "applies": as_records(covering),
            "active_over_time": _active_counts(snapshot, covering),
        },
    }


def _covering_agreements(agreements: pd.DataFrame, county_fips: str, state: str) -> pd.DataFrame:
    """Agreements placed in the county, or covering it with others, or its whole state."""
    in_county = agreements["county_fips_list"].map(lambda codes: county_fips in set(codes))
    statewide = (agreements["match_type"] == "statewide") & (agreements["state_abbr"] == state)
    level = pd.Series(None, index=agreements.index, dtype=object)
    level[in_county] = "county"
    level[in_county & (agreements["match_type"] == "multi_county")] = "multi_county"
    level[statewide] = "state"
    chosen = agreements[level.notna()].assign(applies_through=level[level.notna()])
    order = ["applies_through", "status", "agency", "model"]
    return chosen.sort_values(order)[["applies_through", *AGREEMENT_FIELDS]]


def _active_counts(snapshot: Snapshot, covering: pd.DataFrame) -> list[dict]:
    """How many of the covering agreements each ICE list shows, list by list."""
    sightings = snapshot.sightings
    listed = sightings[
        (sightings["list"] == "participating")
        & sightings["agreement_id"].isin(covering["agreement_id"])
    ]
    through = covering.set_index("agreement_id")["applies_through"]
    counts = (
        listed.assign(applies_through=listed["agreement_id"].map(through))
        .groupby(["snapshot_date", "applies_through"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=participating_dates(sightings), columns=APPLIES_THROUGH, fill_value=0)
    )
    return [
        {"list_date": day.isoformat(), **{k: int(v) for k, v in row.items()}}
        for day, row in counts.iterrows()
    ]
