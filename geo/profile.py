"""A county's profile: every indicator over time, each value with its source and as-of.

The profile is what an advocate reads for "what is my county doing?", so it also lists each
287(g) agreement that applies and where it comes from: the county itself, a body covering several
counties, or a state agency whose agreement covers the whole state.
"""

import numpy as np
import pandas as pd

from geo.layers import AGENCY_COLUMNS, as_records
from geo.sources.agreements import participating_dates
from geo.store import Snapshot

APPLIES_THROUGH = ["county", "multi_county", "state"]
# The agencies layer's columns, less where the agreement sits (the profile is one county).
AGREEMENT_FIELDS = [
    c for c in AGENCY_COLUMNS if c not in ("state_abbr", "county_fips", "county_fips_list")
]
POPULATION_FIELDS = ["year", "population", "source", "note"]
# Agreements of one level are listed by these, ties in snapshot order.
AGREEMENT_ORDER = ["status", "agency", "model"]


class CountyProfiles:
    """Every county's profile from one snapshot.

    Profiles of many different counties are asked for, so the whole-table work (finding a
    county's rows, exploding agreements' county lists, counting list sightings) is done once
    here; a profile then only indexes small arrays.
    """

    def __init__(self, snapshot: Snapshot) -> None:
        layers = snapshot.manifest.get("layers", {})
        self._population_source = layers.get("population", {}).get("publisher")
        self._agreements_source = layers.get("agreements", {}).get("publisher")
        self._agreements_as_of = layers.get("agreements", {}).get("as_of")

        counties = snapshot.counties
        self._counties = dict(
            zip(
                counties["county_fips"],
                zip(
                    counties["name_lsad"],
                    counties["state_abbr"],
                    counties["state_name"],
                    counties["land_area_sqmi"].astype(float),
                    strict=True,
                ),
                strict=True,
            )
        )

        population = snapshot.population
        self._population = as_records(population[POPULATION_FIELDS])
        self._population_rows = population.groupby("county_fips").indices

        agreements = snapshot.agreements.reset_index(drop=True)
        self._agreements = as_records(agreements[AGREEMENT_FIELDS])
        rank = np.empty(len(agreements), dtype=np.int64)
        rank[agreements.sort_values(AGREEMENT_ORDER).index] = np.arange(len(agreements))
        self._rank = rank.tolist()
        multi = (agreements["match_type"] == "multi_county").to_numpy()
        self._in_county_level = np.where(multi, "multi_county", "county").tolist()
        placed = agreements["county_fips_list"].explode().dropna()
        placed = pd.DataFrame({"county_fips": placed.to_numpy(), "agreement": placed.index})
        placed = placed.drop_duplicates()
        self._placed = _grouped(placed["agreement"], placed["county_fips"])
        statewide = agreements[agreements["match_type"] == "statewide"]
        self._statewide = _grouped(statewide.index.to_series(), statewide["state_abbr"])

        # listed[agreement, date]: how many rows of that participating list name the agreement.
        sightings = snapshot.sightings
        dates = participating_dates(sightings)
        self._list_dates = [day.isoformat() for day in dates]
        seen = sightings[sightings["list"] == "participating"]
        agreement = pd.Index(agreements["agreement_id"]).get_indexer(seen["agreement_id"])
        known = agreement >= 0
        day = pd.Index(dates).get_indexer(seen["snapshot_date"])
        self._listed = np.zeros((len(agreements), len(dates)), dtype=np.int64)
        np.add.at(self._listed, (agreement[known], day[known]), 1)

    def of(self, county_fips: str) -> dict:
        """Everything the snapshot knows about one county; ``KeyError`` for an unknown FIPS."""
        name, state_abbr, state_name, land_area = self._counties[county_fips]
        rows = self._population_rows.get(county_fips, [])
        covering = self._covering(county_fips, state_abbr)
        return {
            "county_fips": county_fips,
            "name": name,
            "state_abbr": state_abbr,
            "state_name": state_name,
            "land_area_sqmi": land_area,
            "population": {
                "source": self._population_source,
                "values": [self._population[i] for i in rows],
            },
            "agreements": {
                "source": self._agreements_source,
                "as_of": self._agreements_as_of,
                "applies": [
                    {"applies_through": level, **self._agreements[i]} for i, level in covering
                ],
                "active_over_time": self._active_counts(covering),
            },
        }

    def _covering(self, county_fips: str, state_abbr: str) -> list[tuple[int, str]]:
        """Agreements placed in the county, or covering it with others, or its whole state
        (which wins), as (position, level) in the order the profile lists them."""
        level = {i: self._in_county_level[i] for i in self._placed.get(county_fips, [])}
        level.update((i, "state") for i in self._statewide.get(state_abbr, []))
        chosen = sorted(level, key=lambda i: (level[i], self._rank[i]))
        return [(i, level[i]) for i in chosen]

    def _active_counts(self, covering: list[tuple[int, str]]) -> list[dict]:
        """How many of the covering agreements each ICE list shows, list by list."""
        counts = {
            level: self._listed[[i for i, at in covering if at == level]].sum(axis=0).tolist()
            for level in APPLIES_THROUGH
        }
        return [
            {"list_date": day, **{level: counts[level][d] for level in APPLIES_THROUGH}}
            for d, day in enumerate(self._list_dates)
        ]


def _grouped(positions: pd.Series, keys: pd.Series) -> dict[str, list[int]]:
    """Agreement positions by key, ascending."""
    values = positions.to_numpy()
    return {key: sorted(values[rows].tolist()) for key, rows in keys.groupby(keys).indices.items()}
