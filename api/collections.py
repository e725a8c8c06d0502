"""The feature collections the API serves, and a per-date cache of their layers.

A collection names its id column, the properties it can be filtered on, and how to build its
layer for a date. Layers are built on first use and kept, so repeated requests for the same
date cost a dictionary look-up; so are their rows encoded as JSON and their geometries as
GeoJSON, so that a page of items is spliced from text rather than converted and encoded again.
Spatial questions go to the store's index: the in-memory `geo.index.CountyIndex` on the
embedded snapshot, or `geo.postgis_index.PostgisIndex`, which asks PostGIS and keeps the county
polygons there.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely

from api.formats import encode_json
from api.kept import Kept
from geo.index import CountyIndex, bbox_boxes, points_within_radius
from geo.layers import LAYERS, as_records
from geo.profile import CountyProfiles
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
"""Layers (and each of their encodings) kept, by collection and date."""
DERIVED = ("counties", "profiles", "weights")
"""What is derived from the whole snapshot once, on first use."""


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
    first spatial query waits for the index only if it is not ready yet. The same thread then
    makes what the first requests of each kind would otherwise make together, contending for
    the interpreter during a spike (see :meth:`_warm_up`). With a PostGIS
    ``database`` the index is the database and nothing is built; the snapshot's counties then
    carry only their representative points, and polygons are fetched when a page needs them.
    """

    def __init__(self, snapshot: Snapshot, database: "PostgisIndex | None" = None) -> None:
        self.snapshot = snapshot
        self.database = database
        self._layers: Kept[gpd.GeoDataFrame] = Kept(LAYER_CACHE_SIZE)
        self._records: Kept[list[dict]] = Kept(LAYER_CACHE_SIZE)
        self._records_json: Kept[list[str]] = Kept(LAYER_CACHE_SIZE)
        self._geometry_json: Kept[list[str | None]] = Kept(LAYER_CACHE_SIZE)
        self._derived: Kept[object] = Kept(len(DERIVED))
        builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="layer-cache")
        if database is None:
            self._index = builder.submit(CountyIndex, snapshot.counties)
        builder.submit(self._warm_up)
        builder.shutdown(wait=False)

    def _warm_up(self) -> None:
        """The newest counties' rows encoded (point look-ups, items), the profiles' look-ups
        and, in memory, the contiguity weights (Moran's I; PostGIS keeps the polygons, which
        start-up does not fetch). Each is made once even if a request asks for it meanwhile."""
        self.records_json("counties", None)
        for name in ("profiles", "weights") if self.database is None else ("profiles",):
            getattr(self, name)  # made, and kept, by asking

    def get(self, collection_id: str, on: date | None) -> gpd.GeoDataFrame:
        """The collection's layer as of ``on`` (None: the newest data)."""
        return self._layers.get(
            (collection_id, on), lambda: COLLECTIONS[collection_id].build(self.snapshot, on)
        )

    def records(self, collection_id: str, on: date | None) -> list[dict]:
        """The layer's rows as JSON-ready dicts, converted once: requests only pick from them."""
        return self._records.get(
            (collection_id, on), lambda: as_records(self.get(collection_id, on))
        )

    def kept_records_json(self, collection_id: str, on: date | None) -> list[str] | None:
        """:meth:`records_json` if made already (cheap: for the event loop), else None."""
        return self._records_json.kept((collection_id, on))

    def records_json(self, collection_id: str, on: date | None) -> list[str]:
        """:meth:`records`, each encoded as a JSON object."""
        return self._records_json.get(
            (collection_id, on),
            lambda: [encode_json(record) for record in self.records(collection_id, on)],
        )

    def geometry_json(
        self, collection_id: str, on: date | None, positions: np.ndarray
    ) -> list[str | None]:
        """The GeoJSON geometries of the layer's rows at ``positions`` (None: no geometry).

        In memory every row is encoded once per layer; PostGIS keeps the county polygons, so
        those are fetched and encoded for the rows asked only.
        """
        if collection_id == "counties" and self.database is not None:
            return list(shapely.to_geojson(self.geometries(collection_id, on, positions)))
        every = self._geometry_json.get(
            (collection_id, on),
            lambda: list(shapely.to_geojson(self.geometries(collection_id, on, slice(None)))),
        )
        return [every[i] for i in positions]

    @cached_property
    def served(self) -> dict[str, frozenset[str]]:
        """The codes a parameter may name: states, Census regions and county FIPS."""
        states = self.snapshot.states
        return {
            "state": frozenset(states["state_abbr"]),
            "census_region": frozenset(states["census_region"].dropna()),
            "fips": frozenset(self.snapshot.counties["county_fips"]),
        }

    @property
    def index(self) -> "CountyIndex | PostgisIndex":
        """The county index (waits for the background build the first time)."""
        return self.database or self._index.result()

    @property
    def index_in_memory(self) -> bool:
        """Whether the index is built and in this process, so asking it never blocks."""
        return self.database is None and self._index.done()

    @property
    def counties(self) -> gpd.GeoDataFrame:
        """The snapshot's counties with their polygons (from the database on first use)."""
        if self.database is None:
            return self.snapshot.counties
        return self._derived.get("counties", lambda: self.database.counties(self.snapshot.counties))

    @property
    def profiles(self) -> CountyProfiles:
        """Every county's profile, ready to be looked up (built on first use)."""
        return self._derived.get("profiles", lambda: CountyProfiles(self.snapshot))

    @property
    def weights(self) -> "W":
        """Queen-contiguity weights over every county, built on first use."""
        return self._derived.get(
            "weights", lambda: queen_weights(self.counties.set_index("county_fips").geometry)
        )

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
