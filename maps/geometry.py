"""Light county geometry: projected, simplified as one coverage, quantised, encoded as TopoJSON.

The served 1:5M boundaries hold 214,000 vertices (about 8 MB as GeoJSON). Simplifying each
county on its own would move the two copies of a shared border differently and open slivers
between neighbours; ``shapely.coverage_simplify`` simplifies each shared edge once, so
neighbours stay flush. The result is snap-rounded onto a grid, so that no border is rounded
across another, and stored as TopoJSON arcs (:mod:`maps.topology`), built once per scope and
kept for the life of the snapshot.
"""

from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely

from maps.projection import INSETS, Scope
from maps.topology import Grid, encode_topology

NATIONAL_TOLERANCE_KM = 2.0
"""About half a screen pixel when the whole country fits a 1,000-pixel-wide map."""
STATE_TOLERANCE_KM = 0.4
NATIONAL_GRID_KM = 0.25
STATE_GRID_KM = 0.05
INSET_MARGIN_KM = 25.0
TOPOLOGY_OBJECT = "counties"


@dataclass(frozen=True)
class CountyGeometry:
    """The counties of one scope, ready for the page: TopoJSON plus what draws around it."""

    topology: dict
    """TopoJSON with one object, ``counties``, whose geometries carry the 5-digit FIPS as id."""
    fips: tuple[str, ...]
    """County FIPS in topology order (sorted): frames give values in this order."""
    names: tuple[str, ...]
    """County names with their legal description ("Harris County"), as published."""
    state_of_prefix: dict[str, str]
    """Two-letter state by the FIPS code's two-digit state prefix."""
    bounds: tuple[float, float, float, float]
    """minx, miny, maxx, maxy in display kilometres."""
    insets: tuple[tuple[float, float, float, float], ...]
    """Frames drawn around the national map's insets (none on a state map)."""


def county_geometry(counties: gpd.GeoDataFrame, scope: Scope) -> CountyGeometry:
    """Project, simplify and encode the counties of ``scope``.

    Examples
    --------
    >>> counties = load_snapshot(Path("data")).counties  # doctest: +SKIP
    >>> county_geometry(counties, Scope("DE")).fips  # doctest: +SKIP
    ('10001', '10003', '10005')
    """
    chosen = counties if scope.state is None else counties[counties["state_abbr"] == scope.state]
    chosen = chosen.sort_values("county_fips")
    states = chosen["state_abbr"].to_numpy()
    projected = scope.project(chosen.geometry.to_numpy(), states)
    national = scope.state is None
    simplified = shapely.coverage_simplify(
        projected, NATIONAL_TOLERANCE_KM if national else STATE_TOLERANCE_KM
    )
    minx, miny, maxx, maxy = shapely.total_bounds(simplified)
    grid = Grid(
        x0=float(np.floor(minx)),
        y0=float(np.floor(miny)),
        step=NATIONAL_GRID_KM if national else STATE_GRID_KM,
    )
    fips = tuple(chosen["county_fips"])
    return CountyGeometry(
        topology=encode_topology(simplified, fips, grid, TOPOLOGY_OBJECT),
        fips=fips,
        names=tuple(chosen["name_lsad"]),
        state_of_prefix=dict(zip(chosen["county_fips"].str[:2], states, strict=True)),
        bounds=(float(minx), float(miny), float(maxx), float(maxy)),
        insets=_inset_frames(simplified, states) if national else (),
    )


def _inset_frames(
    geometries: np.ndarray, states: np.ndarray
) -> tuple[tuple[float, float, float, float], ...]:
    boxes = []
    for state in INSETS:
        minx, miny, maxx, maxy = shapely.total_bounds(geometries[states == state])
        m = INSET_MARGIN_KM
        boxes.append((float(minx - m), float(miny - m), float(maxx + m), float(maxy + m)))
    return tuple(boxes)


class GeometryCache:
    """County geometry per scope for one snapshot's counties, each built on first use."""

    def __init__(self, counties: gpd.GeoDataFrame) -> None:
        self._counties = counties
        self.get = lru_cache(maxsize=None)(self._build)

    def _build(self, scope: Scope) -> CountyGeometry:
        return county_geometry(self._counties, scope)
