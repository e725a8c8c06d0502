"""Maps of one snapshot: what every page needs from it, derived once and kept.

The county geometry of each scope, the 287(g) list dates and the state names do not change
while a snapshot is served; the date-dependent layers come from the caller (the service's
layer cache, or a plain build for the CLI), so this module never decides how they are cached.
"""

from collections.abc import Callable
from datetime import date

import geopandas as gpd

from geo.layers import agencies_layer, counties_layer, newest_date
from geo.sources.agreements import participating_dates
from geo.store import Snapshot
from maps.choropleth import MapView
from maps.frames import map_frame
from maps.geometry import GeometryCache
from maps.i18n import Lang
from maps.indicators import MapIndicator
from maps.projection import Scope

LayerSource = Callable[[str, date], gpd.GeoDataFrame]
"""``layer("counties" | "agencies", date)``: the atlas county layer or the agreements active."""


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

    def frame(self, indicator: MapIndicator, state: str | None, on: date | None) -> dict:
        """The frame of ``indicator`` over ``state`` (None: the nation) on ``on`` (None: newest)."""
        on = on or self.newest
        scope = Scope(state)
        return map_frame(
            self.snapshot,
            indicator,
            scope,
            self.geometry.get(scope).fips,
            on,
            self.layer("counties", on),
            self.layer("agencies", on),
        )

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
        return MapView(
            indicator=indicator,
            scope=scope,
            place=self.place(state),
            lang=lang,
            geometry=self.geometry.get(scope),
            frame=self.frame(indicator, state, on),
            dates=self.dates,
        )


def _name(state: tuple[str, str]) -> str:
    return state[1]
