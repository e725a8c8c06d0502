"""The feature collections the API serves, and a per-date cache of their layers.

A collection names its id column, the properties it can be filtered on, and how to build its
layer for a date. Layers are built on first use and kept, so repeated requests for the same
date cost a dictionary look-up. Spatial questions go to the store's index: the in-memory
`geo.index.CountyIndex` on the embedded snapshot, or `geo.postgis_index.PostgisIndex`, which
asks PostGIS and keeps the county polygons there.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, TypeVar

import geopandas as gpd
import numpy as np
import shapely

from geo.index import CountyIndex, bbox_boxes, points_within_radius
from geo.layers import LAYERS, as_records
from geo.sources.agreements import MODELS
from geo.sources.agreements import STATUSES as AGREEMENT_STATUSES
from geo.sources.policies import DIRECTIONS as POLICY_DIRECTIONS
from geo.sources.policies import STATUSES as POLICY_STATUSES
from geo.stats import queen_weights
from geo.store import Snapshot

if TYPE_CHECKING:
    from libpysal.weights import W

    from geo.postgis_index import PostgisIndex

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

    On the embedded snapshot the county index takes a few seconds to build, so it is built on a
    background thread started with the cache: the service answers ``/healthz`` at once, and the
    first spatial query waits for the index only if it is not ready yet. With a PostGIS
    ``database`` the index is the database and nothing is built; the snapshot's counties then
    carry only their representative points, and polygons are fetched when a page needs them.
    """

    def __init__(self, snapshot: Snapshot, database: "PostgisIndex | None" = None) -> None:
        self.snapshot = snapshot
        self.database = database
        self.get = lru_cache(maxsize=LAYER_CACHE_SIZE)(self._build)
        self.records = lru_cache(maxsize=LAYER_CACHE_SIZE)(self._records)
        self._answers: dict[tuple, object] = {}
        if database is None:
            builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="county-index")
            self._index = builder.submit(CountyIndex, snapshot.counties)
            builder.shutdown(wait=False)

    def memo(self, key: tuple, build: Callable[[], T]) -> T:
        """``build()`` once per ``key``: answers depend only on the snapshot, which never
        changes while the app runs (profiles, rendered map pages). Bounded, oldest out first."""
        if key not in self._answers:
            if len(self._answers) >= ANSWER_CACHE_SIZE:
                self._answers.pop(next(iter(self._answers)))
            self._answers[key] = build()
        return self._answers[key]

    @property
    def index(self) -> "CountyIndex | PostgisIndex":
        """The county index (waits for the background build the first time)."""
        return self.database or self._index.result()

    @cached_property
    def counties(self) -> gpd.GeoDataFrame:
        """The snapshot's counties with their polygons (from the database on first use)."""
        if self.database is None:
            return self.snapshot.counties
        return self.database.counties(self.snapshot.counties)

    @cached_property
    def weights(self) -> "W":
        """Queen-contiguity weights over every county, built on first use."""
        return queen_weights(self.counties.set_index("county_fips").geometry)

    def facilities_within(
        self, lon: float, lat: float, radius_m: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the snapshot's facilities within a geodesic radius, nearest first."""
        if self.database is None:
            return points_within_radius(self.snapshot.facilities.geometry, lon, lat, radius_m)
        return self.database.facilities_within(lon, lat, radius_m)

    def in_bbox(
        self, collection_id: str, on: date | None, bbox: tuple[float, float, float, float]
    ) -> np.ndarray:
        """Whether each row of the layer intersects the lon/lat box (``minx > maxx`` crosses
        the antimeridian). County polygons are asked of the index; the other layers are points
        placed in memory."""
        layer = self.get(collection_id, on)
        if collection_id == "counties":
            inside = np.zeros(len(layer), dtype=bool)
            inside[self.index.query_bbox(*bbox)] = True
            return inside
        boxes = bbox_boxes(*bbox)
        geometry = layer.geometry.to_numpy()
        return shapely.intersects(geometry[:, None], boxes[None, :]).any(axis=1)

    def geometries(self, collection_id: str, on: date | None, positions: np.ndarray) -> np.ndarray:
        """The geometries of the layer's rows at ``positions``, as the layer orients them."""
        if collection_id == "counties" and self.database is not None:
            return shapely.orient_polygons(self.database.polygons(positions), exterior_cw=False)
        return self.get(collection_id, on).geometry.to_numpy()[positions]

    def _records(self, collection_id: str, on: date | None) -> list[dict]:
        """The layer's rows as JSON-ready dicts, converted once: requests only pick from them."""
        return as_records(self.get(collection_id, on))

    def _build(self, collection_id: str, on: date | None) -> gpd.GeoDataFrame:
        return COLLECTIONS[collection_id].build(self.snapshot, on)
