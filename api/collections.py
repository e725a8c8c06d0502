"""The feature collections the API serves, and a per-date cache of their layers.

A collection names its id column, the properties it can be filtered on, and how to build its
layer for a date. Layers are built on first use and kept, so repeated requests for the same
date cost a dictionary look-up.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, TypeVar

import geopandas as gpd

from geo.index import CountyIndex
from geo.layers import LAYERS, as_records
from geo.sources.agreements import MODELS
from geo.sources.agreements import STATUSES as AGREEMENT_STATUSES
from geo.sources.policies import DIRECTIONS as POLICY_DIRECTIONS
from geo.sources.policies import STATUSES as POLICY_STATUSES
from geo.stats import queen_weights
from geo.store import Snapshot

if TYPE_CHECKING:
    from libpysal.weights import W

LAYER_CACHE_SIZE = 64
ANSWER_CACHE_SIZE = 512
T = TypeVar("T")


@dataclass(frozen=True)
class Collection:
    """One OGC API – Features collection."""

    id: str
    title: str
    description: str
    id_column: str
    filters: dict[str, tuple[str, tuple[str, ...] | None]]
    """Query parameter -> (layer column, allowed values or None for any served value)."""
    build: Callable[[Snapshot, date | None], gpd.GeoDataFrame]


COLLECTIONS = {
    "counties": Collection(
        id="counties",
        title="Counties",
        description="Counties and equivalents of the 50 states, DC and Puerto Rico with every "
        "atlas indicator as of `date` (default: the newest 287(g) list).",
        id_column="county_fips",
        filters={"state": ("state_abbr", None), "status": ("policy_status", POLICY_STATUSES)},
        build=LAYERS["atlas"],
    ),
    "agencies": Collection(
        id="agencies",
        title="287(g) agreements",
        description="Every ICE 287(g) agreement (one per agency and support model), placed at "
        "its county; with `date`, only those active on that date.",
        id_column="agreement_id",
        filters={
            "state": ("state_abbr", None),
            "model": ("model", MODELS),
            "status": ("status", AGREEMENT_STATUSES),
        },
        build=LAYERS["agencies"],
    ),
    "facilities": Collection(
        id="facilities",
        title="ICE detention facilities",
        description="Facilities in ICE's annual detention statistics for the fiscal year of "
        "`date` (default: the newest), with that year's average daily population.",
        id_column="facility_id",
        filters={"state": ("state_abbr", None)},
        build=LAYERS["facilities"],
    ),
    "policies": Collection(
        id="policies",
        title="Sanctuary and anti-sanctuary policies",
        description="State laws, the DOJ 2025 list and local detainer policies; with `date`, "
        "only those in force on that date. `status` filters by direction.",
        id_column="policy_id",
        filters={"state": ("state_abbr", None), "status": ("direction", POLICY_DIRECTIONS)},
        build=LAYERS["policies"],
    ),
}


class LayerCache:
    """Layers by (collection, date), built once each, and the spatial index, for one snapshot.

    The county index takes a few seconds to build, so it is built on a background thread
    started with the cache: the service answers ``/healthz`` at once, and the first spatial
    query waits for the index only if it is not ready yet.
    """

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.get = lru_cache(maxsize=LAYER_CACHE_SIZE)(self._build)
        self.records = lru_cache(maxsize=LAYER_CACHE_SIZE)(self._records)
        self._answers: dict[tuple, object] = {}
        self._builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="county-index")
        self._index = self._builder.submit(CountyIndex, snapshot.counties)
        self._builder.shutdown(wait=False)

    def memo(self, key: tuple, build: Callable[[], T]) -> T:
        """``build()`` once per ``key``: answers depend only on the snapshot, which never
        changes while the app runs (profiles, rendered map pages). Bounded, oldest out first."""
        if key not in self._answers:
            if len(self._answers) >= ANSWER_CACHE_SIZE:
                self._answers.pop(next(iter(self._answers)))
            self._answers[key] = build()
        return self._answers[key]

    @property
    def index(self) -> CountyIndex:
        """The county index (waits for the background build the first time)."""
        return self._index.result()

    @cached_property
    def weights(self) -> "W":
        """Queen-contiguity weights over every county, built on first use."""
        return queen_weights(self.snapshot.counties.set_index("county_fips").geometry)

    def _records(self, collection_id: str, on: date | None) -> list[dict]:
        """The layer's rows as JSON-ready dicts, converted once: requests only pick from them."""
        return as_records(self.get(collection_id, on))

    def _build(self, collection_id: str, on: date | None) -> gpd.GeoDataFrame:
        return COLLECTIONS[collection_id].build(self.snapshot, on)
