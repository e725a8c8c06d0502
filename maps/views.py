"""Maps of one snapshot: what every page needs from it, derived once and kept.

The county geometry of each scope, the 287(g) list dates and the state names do not change
while a snapshot is served; the date-dependent layers come from the caller (the service's
layer cache, or a plain build for the CLI), so this module never decides how they are cached.
What it derives from them is kept: each scope's geometry encoded for a page, and the frames of
the most recently asked dates, so that the pages of one scope and date (full map, embed, each
language) and its frame request compute the frame once.
"""

from collections.abc import Callable
from datetime import date
from functools import lru_cache

import geopandas as gpd

from geo.layers import agencies_layer, counties_layer, newest_date
from geo.sources.agreements import participating_dates
from geo.store import Snapshot
from maps.choropleth import MapView, counties_member
from maps.elements import script_json
from maps.frames import map_frame
from maps.geometry import GeometryCache
from maps.i18n import Lang
from maps.indicators import MapIndicator
from maps.projection import Scope

LayerSource = Callable[[str, date], gpd.GeoDataFrame]
"""``layer("counties" | "agencies", date)``: the atlas county layer or the agreements active."""
FRAME_CACHE_SIZE = 128
"""Frames kept, most recently used first: a national one is about 0.2 MB as JSON."""


class SnapshotMaps:
    """Map views of one snapshot.

    Examples
    --------
    >>> maps = SnapshotMaps.uncached(load_snapshot(Path("data")))  # doctest: +SKIP
    >>> maps.view(MAP_INDICATORS["agreements"], "TX", None, "es").place  # doctest: +SKIP
    'Texas'
    """

    def __init__(self, snapshot: Snapshot, layer: LayerSource) -> None:
        self.snapshot = snapshot
        self.layer = layer
        self.geometry = GeometryCache(snapshot.counties)
        self.dates = tuple(d.isoformat() for d in participating_dates(snapshot.sightings))
        self.states = tuple(
            sorted(zip(snapshot.states["state_abbr"], snapshot.states["state_name"]), key=_name)
        )
        self.newest = newest_date(snapshot)
        self._encoded_counties = lru_cache(maxsize=None)(self._encode_counties)
        self._frames = lru_cache(maxsize=FRAME_CACHE_SIZE)(self._frame)

    def frame(self, indicator: MapIndicator, state: str | None, on: date | None) -> dict:
        """The frame of ``indicator`` over ``state`` (None: the nation) on ``on`` (None: newest).

        Kept for later calls, so treat it as read-only.
        """
        return self._frames(indicator, state, on or self.newest)[0]

    def frame_json(self, indicator: MapIndicator, state: str | None, on: date | None) -> str:
        """:meth:`frame` as :func:`~maps.elements.script_json` (kept too)."""
        return self._frames(indicator, state, on or self.newest)[1]

    def _frame(self, indicator: MapIndicator, state: str | None, on: date) -> tuple[dict, str]:
        scope = Scope(state)
        frame = map_frame(
            self.snapshot,
            indicator,
            scope,
            self.geometry.get(scope).fips,
            on,
            self.layer("counties", on),
            self.layer("agencies", on),
        )
        return frame, script_json(frame)

    def _encode_counties(self, scope: Scope) -> str:
        return script_json(counties_member(self.geometry.get(scope)))

    @classmethod
    def uncached(cls, snapshot: Snapshot) -> "SnapshotMaps":
        """Map views that build each dated layer when asked (one-off maps: the CLI, benchmarks)."""
        builders = {"counties": counties_layer, "agencies": agencies_layer}
        return cls(snapshot, lambda name, on: builders[name](snapshot, on))

    def place(self, state: str | None) -> str | None:
        """The name of ``state`` (None for the nation)."""
        return dict(self.states)[state] if state else None

    def view(
        self, indicator: MapIndicator, state: str | None, on: date | None, lang: Lang
    ) -> MapView:
        """Everything a page of ``indicator`` over ``state`` on ``on`` in ``lang`` draws."""
        scope = Scope(state)
        frame, frame_json = self._frames(indicator, state, on or self.newest)
        return MapView(
            indicator=indicator,
            scope=scope,
            place=self.place(state),
            lang=lang,
            geometry=self.geometry.get(scope),
            frame=frame,
            dates=self.dates,
            counties_json=self._encoded_counties(scope),
            frame_json=frame_json,
        )


def _name(state: tuple[str, str]) -> str:
    return state[1]
