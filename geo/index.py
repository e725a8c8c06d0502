"""Spatial index over the served counties: point, bbox, radius, polygon, bulk point -> county.

`CountyIndex` is built once at start-up from the county layer (EPSG:4326) and answers every
spatial query of the service from memory. Positions returned are row positions (``iloc``) into
the frame it was built from; ``-1`` means "in no county".

Bulk point -> county (`CountyIndex.locate`) is the hot path and must agree exactly with
``geopandas.sjoin(points, counties, predicate="within")``. A two-level grid answers most points
with two array look-ups: a coarse grid of 1/16 degree cells, and for each coarse cell crossed by
a county boundary a block of 16 x 16 fine cells (1/256 degree, about 400 m). A cell that no
boundary touches lies wholly inside one county (or outside all of them), so every point in it gets
that answer without a geometric test. Only points in fine cells a boundary passes through (about
1 % of points in the US box) are tested exactly, with shapely's prepared ``contains_xy`` against
the few counties whose boundary touches that cell. See `_PointGrid` for why this is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
import shapely

__all__ = [
    "DENSIFY_DEGREES",
    "MAX_RADIUS_M",
    "CountyIndex",
    "aeqd_proj",
    "bbox_boxes",
    "coordinate_arrays",
    "points_within_radius",
    "radius_boxes",
]

MAX_RADIUS_M = 5_000_000.0
"""Largest radius the radius queries accept: wider than the conterminous US, and far from the
projection's antipodal singularity (see `CountyIndex.query_radius`)."""

_COARSE_PER_DEGREE = 16
_FINE_SHIFT = 4  # 2**4 = 16 fine cells per coarse cell along each axis
_FINE = 1 << _FINE_SHIFT
_FINE_PER_DEGREE = _COARSE_PER_DEGREE * _FINE
# Cells are widened by this fraction of a fine cell when boundaries are marked, so rounding in
# "coordinate -> cell" (about 1e-12 of a cell) can never put a point in a cell next to the one
# that was marked.
_TOLERANCE = 1e-6
_PIECES_PER_CHUNK = 1 << 18
_OUTSIDE = -1
_SEVERAL = -2  # scanline label of a centre that more than one county covers

_WGS84 = pyproj.Geod(ellps="WGS84")
# Smallest meridional radius of curvature, a(1 - e^2), and the equatorial radius: no path of
# length s changes latitude by more than s / _MIN_MERIDIONAL_RADIUS radians, nor longitude by
# more than s / (_EQUATORIAL_RADIUS * cos(highest latitude on the path)).
_MIN_MERIDIONAL_RADIUS = _WGS84.a * (1.0 - _WGS84.es)
_EQUATORIAL_RADIUS = _WGS84.a
# Polygon edges are split into pieces of at most this many degrees (about 2 km) before they are
# projected for distances, so each piece is nearly straight in the projection.
DENSIFY_DEGREES = 0.02


class CountyIndex:
    """Every spatial query of the service over one county layer, built once, read-only after.

    Parameters
    ----------
    counties
        The served counties (as returned by `geo.sources.counties.read_counties`): a
        GeoDataFrame in EPSG:4326 with a unique ``county_fips`` column and one valid, non-empty
        Polygon or MultiPolygon per row. Counties are expected not to overlap, as in the
        Census files; if some do, `locate` still agrees with ``sjoin`` by returning the lowest
        position among the counties that contain a point.

    Raises
    ------
    TypeError
        ``counties`` is not a GeoDataFrame.
    ValueError
        The frame is not in EPSG:4326 (reproject it on purpose with ``to_crs(4326)``), lacks
        ``county_fips``, repeats a FIPS code, or has a missing, empty, invalid or non-polygonal
        geometry; the message names the first such county.

    Notes
    -----
    The index keeps its own prepared copies of the geometries, so the caller's frame is not
    modified. Building takes about 2 s and the point grid about 55 MB for the Census counties
    (`grid_nbytes`); after that the index is only read, so request threads may share it.

    Examples
    --------
    >>> counties = gpd.read_parquet("data/counties.parquet")  # doctest: +SKIP
    >>> index = CountyIndex(counties)  # doctest: +SKIP
    >>> index.fips_at(np.array([-95.36]), np.array([29.76]))  # doctest: +SKIP
    array(['48201'], dtype=object)
    """

    def __init__(self, counties: gpd.GeoDataFrame) -> None:
        _check_counties(counties)
        # Own copies: shapely.prepare works in place, and the caller's frame should not change.
        self._geoms = shapely.transform(np.asarray(counties.geometry.array), lambda xy: xy)
        shapely.prepare(self._geoms)
        # GEOS builds a prepared polygon's point locator on first use, and only for a point
        # inside its envelope: build them all now, before request threads share them.
        minx, miny, maxx, maxy = shapely.bounds(self._geoms).T
        shapely.contains_xy(self._geoms, (minx + maxx) / 2, (miny + maxy) / 2)
        self._tree = shapely.STRtree(self._geoms)
        fips = counties["county_fips"].to_numpy(dtype=object)
        self._position = {code: position for position, code in enumerate(fips)}
        # A trailing None lets position -1 ("no county") index straight to None in `fips_at`.
        self._fips = np.append(fips, None)
        self._grid = _PointGrid(self._geoms, self._tree)

    @property
    def grid_nbytes(self) -> int:
        """Memory held by the point grid in bytes (coarse cells, fine blocks, candidate sets)."""
        return self._grid.nbytes

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Row position of the county containing each point, ``-1`` where none does.

        Agrees exactly with ``geopandas.sjoin(points, counties, predicate="within")``: a point
        must lie in a county's interior, so a point exactly on a county boundary (a shared
        border, a vertex, the Four Corners, a coastline) is in no county and gets ``-1``, as sjoin
        leaves it unmatched.

        Parameters
        ----------
        lon, lat
            One-dimensional arrays of equal length, degrees (EPSG:4326).

        Returns
        -------
        numpy.ndarray
            ``intp`` positions in input order.

        Raises
        ------
        ValueError
            The arrays differ in length or dimension, or a coordinate is not finite or out of
            range (longitude beyond +-180 or latitude beyond +-90); the message names the
            first offending point.

        Examples
        --------
        >>> index.locate(np.array([-95.36, -40.0]), np.array([29.76, 30.0]))  # doctest: +SKIP
        array([2624,   -1])
        """
        lon, lat = coordinate_arrays(lon, lat)
        return self._grid.locate(lon, lat, self._geoms)

    def locate_point(self, lon: float, lat: float) -> int:
        """`locate` for one point, in plain Python arithmetic: for a single point the per-call
        cost of a dozen numpy operations outweighs the look-up itself. Same answer, same rules.
        """
        _check_coordinate(lon, lat)
        return self._grid.locate_point(lon, lat, self._geoms)

    def fips_at(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """``county_fips`` of the county containing each point, ``None`` where none does.

        Same rules and errors as `locate`; returns an object array in input order.
        """
        return self._fips[self.locate(lon, lat)]

    def query_bbox(self, minx: float, miny: float, maxx: float, maxy: float) -> np.ndarray:
        """Sorted positions of the counties whose polygon intersects a lon/lat box.

        ``minx > maxx`` is a box crossing the antimeridian (RFC 7946, section 5.2), as a box
        around the Aleutians must be. Touching the box's edge counts as intersecting.

        Raises
        ------
        ValueError
            A bound is not finite or out of range, or ``miny > maxy``.

        Examples
        --------
        >>> index.query_bbox(-95.5, 29.7, -95.2, 29.8)  # doctest: +SKIP
        array([2624])
        """
        boxes = bbox_boxes(minx, miny, maxx, maxy)
        return np.unique(self._tree.query(boxes, predicate="intersects")[1])

    def query_polygon(self, polygon: shapely.Geometry) -> np.ndarray:
        """Sorted positions of the counties intersecting a lon/lat polygon (e.g. posted GeoJSON).

        The polygon is planar in lon/lat, like the county polygons; touching counts.

        Raises
        ------
        TypeError
            It is not a Polygon or MultiPolygon.
        ValueError
            It is empty or not valid (the message gives GEOS's reason, e.g. a self-intersection
            and where).

        Examples
        --------
        >>> index.query_polygon(shapely.box(-95.5, 29.7, -95.2, 29.8))  # doctest: +SKIP
        array([2624])
        """
        if not isinstance(polygon, shapely.Polygon | shapely.MultiPolygon):
            raise TypeError(f"expected a Polygon or MultiPolygon, got {type(polygon).__name__}")
        if polygon.is_empty:
            raise ValueError("the polygon is empty")
        if not polygon.is_valid:
            raise ValueError(f"the polygon is not valid: {shapely.is_valid_reason(polygon)}")
        return np.sort(self._tree.query(polygon, predicate="intersects"))

    def query_radius(
        self, lon: float, lat: float, radius_m: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Counties within a geodesic distance of a point, nearest first, with that distance.

        A county is within the radius when the nearest point of its polygon is; the distance is
        0 when the point is inside the polygon or on its boundary.

        Parameters
        ----------
        lon, lat
            The centre, degrees (EPSG:4326).
        radius_m
            Metres on the WGS84 ellipsoid, ``0 < radius_m <= MAX_RADIUS_M``.

        Returns
        -------
        positions, distances
            ``intp`` positions and ``float64`` metres, sorted by distance then position.

        Raises
        ------
        ValueError
            The centre or the radius is not finite or out of range.

        Notes
        -----
        Candidates come from a degree box around the centre that provably holds every point
        within the radius (see `_search_window`). Distances are then measured in an azimuthal
        equidistant projection centred on the point (pyproj, WGS84), where the distance from the
        centre to any projected point is its geodesic distance. Polygon edges (straight in
        lon/lat, as everywhere in this module) are cut into pieces of at most 0.02 degree,
        and each piece is taken as straight in the projection. Against a brute force (edges
        cut every 0.0005 degree, geodesic distance to every vertex) that was within 5 cm for
        radii up to `MAX_RADIUS_M`. A query over every county takes about 0.5 s.

        Examples
        --------
        >>> positions, metres = index.query_radius(-95.36, 29.76, 20_000)  # doctest: +SKIP
        >>> metres[0]  # doctest: +SKIP
        0.0
        """
        boxes = radius_boxes(lon, lat, radius_m)
        candidates = np.unique(self._tree.query(boxes)[1])
        distances = _distances_to_polygons(self._geoms[candidates], lon, lat)
        keep = distances <= radius_m
        candidates, distances = candidates[keep], distances[keep]
        order = np.lexsort((candidates, distances))
        return candidates[order], distances[order]

    def neighbours(self, county_fips: str) -> np.ndarray:
        """Sorted positions of the counties sharing a stretch of border with a county.

        Sharing a border means the two boundaries meet along a line (DE-9IM boundary/boundary
        dimension 1), so counties that touch at a single point are not neighbours: at the Four
        Corners, Apache (AZ) and Montezuma (CO) meet only at the corner. An enclave (an
        independent city inside its county) and its surrounding county are neighbours. Counties
        separated by water that neither polygon covers are not.

        Raises
        ------
        KeyError
            ``county_fips`` is not a county of this index; the message names it.

        Examples
        --------
        >>> counties.county_fips.iloc[index.neighbours("48201")].tolist()  # doctest: +SKIP
        ['48039', '48071', '48157', '48167', '48291', '48339', '48473']
        """
        position = self._position.get(county_fips)
        if position is None:
            raise KeyError(f"unknown county_fips {county_fips!r}")
        county = self._geoms[position]
        candidates = self._tree.query(county, predicate="intersects")
        candidates = candidates[candidates != position]
        shared = shapely.relate_pattern(county, self._geoms[candidates], "****1****")
        return np.sort(candidates[shared])


def points_within_radius(
    points: gpd.GeoSeries, lon: float, lat: float, radius_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points of a layer within a geodesic distance of a point, nearest first, with distance.

    For point layers such as detention facilities and agencies. Distances are geodesic on the
    WGS84 ellipsoid (pyproj.Geod), so exact to well under a millimetre. Missing or empty
    geometries are never within the radius.

    Parameters
    ----------
    points
        Point geometries in EPSG:4326.
    lon, lat, radius_m
        The centre in degrees and the radius in metres, ``0 < radius_m <= MAX_RADIUS_M``.

    Returns
    -------
    positions, distances
        ``intp`` row positions (``iloc``) into ``points`` and ``float64`` metres, sorted by
        distance then position.

    Raises
    ------
    ValueError
        ``points`` is not in EPSG:4326 or holds a non-point geometry, or the centre or radius
        is not finite or out of range.

    Examples
    --------
    >>> facilities = gpd.GeoSeries.from_xy([-95.36, -96.8], [29.76, 32.78], crs=4326)
    >>> positions, metres = points_within_radius(facilities, -95.4, 29.7, 50_000)
    >>> positions, metres.round()
    (array([0]), array([7695.]))
    """
    _check_crs(points.crs, "points")
    geoms = np.asarray(points.array)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    not_point = present & (shapely.get_type_id(geoms) != shapely.GeometryType.POINT)
    if not_point.any():
        first = int(np.flatnonzero(not_point)[0])
        raise ValueError(f"points position {first} is a {geoms[first].geom_type}, not a Point")
    _check_centre(lon, lat, radius_m)
    x, y = shapely.get_x(geoms), shapely.get_y(geoms)
    dlon, dlat = _search_window(lat, radius_m)
    near = present.copy()
    near[present] = (np.abs(y[present] - lat) <= dlat) & (
        np.abs(_wrap_lon(x[present] - lon)) <= dlon
    )
    positions = np.flatnonzero(near)
    _, _, distances = _WGS84.inv(
        np.full(len(positions), lon), np.full(len(positions), lat), x[positions], y[positions]
    )
    keep = distances <= radius_m
    positions, distances = positions[keep], distances[keep]
    order = np.lexsort((positions, distances))
    return positions[order], distances[order]


@dataclass(frozen=True)
class _Segments:
    """Every edge of every ring of every county: (x1, y1) -> (x2, y2), and its county."""

    x1: np.ndarray
    y1: np.ndarray
    x2: np.ndarray
    y2: np.ndarray
    county: np.ndarray

    @classmethod
    def of(cls, geoms: np.ndarray) -> _Segments:
        """The edges of polygons and multipolygons, holes included."""
        parts, part_county = shapely.get_parts(geoms, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        same_ring = coord_ring[1:] == coord_ring[:-1]
        start = np.flatnonzero(same_ring)
        return cls(
            coords[start, 0],
            coords[start, 1],
            coords[start + 1, 0],
            coords[start + 1, 1],
            part_county[ring_part[coord_ring[start]]].astype(np.int32),
        )


class _PointGrid:
    """Two-level grid answering point -> county exactly like a ``within`` test.

    Coarse cells are 1/16 degree; a coarse cell that some county boundary crosses holds a block
    of 16 x 16 fine cells of 1/256 degree. Cell edges sit half a fine cell off round degrees, so
    a straight state line along a whole or half degree runs through the middle of a row of
    cells instead of marking the rows on both sides of it.

    Why it is exact. Every ring edge is cut into pieces no longer than a fine cell, and every
    fine cell meeting a piece's bounding box, widened by `_TOLERANCE`, is marked. A cell left
    unmarked (or a coarse cell with no marked fine cell) is therefore, even widened, crossed by
    no boundary: it is connected, so the same counties contain all of it, and the counties
    containing its centre contain every point assigned to it. Centres are labelled by a
    scanline even-odd fill (`_scanline_cover`), with no geometry test per cell; a centre that
    several counties cover is settled by an exact STRtree ``within`` query. A point in a marked
    cell is tested with prepared ``contains_xy`` (GEOS's point-in-area locator, as behind
    sjoin's ``within``) against the counties whose boundary meets the cell and those covering
    its centre: a county containing the point either has boundary in the cell or covers all of
    it, centre included. Candidates are tried in ascending position and the first hit wins,
    which is sjoin's first match.

    Points beyond the grid are clipped onto its outermost ring of cells, which lies outside
    every county's bounding box.
    """

    def __init__(self, geoms: np.ndarray, tree: shapely.STRtree) -> None:
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        half_fine = 0.5 / _FINE_PER_DEGREE
        self._x0 = (math.floor(minx * _COARSE_PER_DEGREE) - 1) / _COARSE_PER_DEGREE - half_fine
        self._y0 = (math.floor(miny * _COARSE_PER_DEGREE) - 1) / _COARSE_PER_DEGREE - half_fine
        self._nx = math.floor((maxx - self._x0) * _COARSE_PER_DEGREE) + 2
        self._ny = math.floor((maxy - self._y0) * _COARSE_PER_DEGREE) + 2

        segments = _Segments.of(geoms)
        blocks, marked, marked_county = self._mark_boundary(segments, len(geoms))
        self._coarse, _, _ = _cover(
            segments,
            tree,
            _Blocks(
                np.arange(self._nx * self._ny),
                self._nx,
                1,
                self._x0,
                self._y0,
                1 / _COARSE_PER_DEGREE,
            ),
        )
        self._coarse[blocks.keys] = -2 - np.arange(len(blocks.keys))

        fine, several_cell, several_county = _cover(segments, tree, blocks)
        # A marked cell's candidates: counties with boundary in it, and those covering its centre.
        cells = _sorted_unique(marked)
        single = cells[fine[cells] >= 0]
        at = np.minimum(np.searchsorted(cells, several_cell), len(cells) - 1)
        overlapped = cells[at] == several_cell
        self._candidates, set_of_cell = _candidate_sets(
            np.concatenate([marked, single, several_cell[overlapped]]),
            np.concatenate([marked_county, fine[single], several_county[overlapped]]),
            len(geoms),
        )
        fine[cells] = -2 - set_of_cell
        self._fine = fine.astype(np.int16 if len(self._candidates) < 2**15 - 2 else np.int32)

    @property
    def nbytes(self) -> int:
        """Bytes held by the coarse cells, the fine blocks and the candidate sets."""
        return self._coarse.nbytes + self._fine.nbytes + self._candidates.nbytes

    def locate(self, lon: np.ndarray, lat: np.ndarray, geoms: np.ndarray) -> np.ndarray:
        """Positions for validated coordinates: coarse cell, then fine cell, then exact test."""
        fine_x = self._fine_index(lon, self._x0, self._nx)
        fine_y = self._fine_index(lat, self._y0, self._ny)
        cell = self._coarse[(fine_y >> _FINE_SHIFT) * self._nx + (fine_x >> _FINE_SHIFT)]
        positions = cell.astype(np.intp)
        in_block = np.flatnonzero(cell < _OUTSIDE)
        offset = (
            (-2 - cell[in_block]) * (_FINE * _FINE)
            + (fine_y[in_block] & (_FINE - 1)) * _FINE
            + (fine_x[in_block] & (_FINE - 1))
        )
        fine = self._fine[offset]
        positions[in_block] = fine
        marked = fine < _OUTSIDE
        self._test_exactly(positions, in_block[marked], -2 - fine[marked], lon, lat, geoms)
        return positions

    def locate_point(self, lon: float, lat: float, geoms: np.ndarray) -> int:
        """:meth:`locate` for one validated point, step for step on Python numbers."""
        fine_x = self._fine_index_of(lon, self._x0, self._nx)
        fine_y = self._fine_index_of(lat, self._y0, self._ny)
        cell = int(self._coarse[(fine_y >> _FINE_SHIFT) * self._nx + (fine_x >> _FINE_SHIFT)])
        if cell >= _OUTSIDE:
            return cell
        fine = int(
            self._fine[
                (-2 - cell) * (_FINE * _FINE)
                + (fine_y & (_FINE - 1)) * _FINE
                + (fine_x & (_FINE - 1))
            ]
        )
        if fine >= _OUTSIDE:
            return fine
        for county in self._candidates[-2 - fine].tolist():
            if county < 0:
                break
            if shapely.contains_xy(geoms[county], lon, lat):
                return county
        return _OUTSIDE

    @staticmethod
    def _fine_index_of(value: float, origin: float, coarse_count: int) -> int:
        """:meth:`_fine_index` of one coordinate: the same float64 operations, in order."""
        return int(min(max((value - origin) * _FINE_PER_DEGREE, 0.0), coarse_count * _FINE - 1))

    @staticmethod
    def _fine_index(values: np.ndarray, origin: float, coarse_count: int) -> np.ndarray:
        """Fine-cell index of each coordinate, clipped onto the grid.

        The scale is a power of two, so only the subtraction rounds.
        """
        scaled = np.subtract(values, origin)
        scaled *= _FINE_PER_DEGREE
        np.clip(scaled, 0, coarse_count * _FINE - 1, out=scaled)
        return scaled.astype(np.int32)

    def _test_exactly(
        self,
        positions: np.ndarray,
        points: np.ndarray,
        sets: np.ndarray,
        lon: np.ndarray,
        lat: np.ndarray,
        geoms: np.ndarray,
    ) -> None:
        """Settle points in marked cells by trying their cell's candidates in position order.

        The loop runs over candidate ranks (a handful), never over points.
        """
        positions[points] = _OUTSIDE
        for rank in range(self._candidates.shape[1]):
            county = self._candidates[sets, rank]
            pending = county >= 0
            points, sets, county = points[pending], sets[pending], county[pending]
            if not len(points):
                return
            inside = shapely.contains_xy(geoms[county], lon[points], lat[points])
            positions[points[inside]] = county[inside]
            points, sets = points[~inside], sets[~inside]

    def _mark_boundary(
        self, segments: _Segments, n_counties: int
    ) -> tuple[_Blocks, np.ndarray, np.ndarray]:
        """Mark the fine cells ring edges meet, and make a block of each coarse cell holding one.

        Returns the blocks, and (cell, county) pairs, one for every widened fine cell each
        county's boundary meets, the cell given as its index in the blocks. Edges are cut into
        pieces no longer than a fine cell, so a piece's widened box meets at most 3 x 3 cells;
        the pieces (about two million for the Census counties) are handled a chunk of edges at
        a time to bound memory at start-up.
        """
        u = (np.stack([segments.x1, segments.x2]) - self._x0) * _FINE_PER_DEGREE
        v = (np.stack([segments.y1, segments.y2]) - self._y0) * _FINE_PER_DEGREE
        extent = np.maximum(np.abs(u[1] - u[0]), np.abs(v[1] - v[0]))
        pieces = np.maximum(np.ceil(extent), 1).astype(np.int64)
        ends = np.searchsorted(
            np.cumsum(pieces), np.arange(_PIECES_PER_CHUNK, pieces.sum(), _PIECES_PER_CHUNK)
        )
        keys = []
        for chunk in np.split(np.arange(len(pieces)), ends):
            cell, edge = self._piece_cells(u[:, chunk], v[:, chunk], pieces[chunk])
            keys.append(_sorted_unique(cell * n_counties + segments.county[chunk][edge]))
        keys = _sorted_unique(np.concatenate(keys))
        cell, county = keys // n_counties, (keys % n_counties).astype(np.int32)
        col, row = cell % (self._nx * _FINE), cell // (self._nx * _FINE)
        blocks = _Blocks(
            _sorted_unique((row >> _FINE_SHIFT) * self._nx + (col >> _FINE_SHIFT)),
            self._nx,
            _FINE,
            self._x0,
            self._y0,
            1 / _FINE_PER_DEGREE,
        )
        return blocks, blocks.cell_of(col, row), county

    def _piece_cells(
        self, u: np.ndarray, v: np.ndarray, pieces: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(fine cell, edge) for every widened fine cell a piece of an edge meets.

        ``u`` and ``v`` hold the edges' end points in fine-cell units, one edge per column;
        ``pieces`` says into how many pieces to cut each. Cells are numbered
        ``row * fine columns + column``.
        """
        edge = np.repeat(np.arange(len(pieces)), pieces)
        step = np.arange(len(edge)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        t0, t1 = step / pieces[edge], (step + 1) / pieces[edge]
        du, dv = (u[1] - u[0])[edge], (v[1] - v[0])[edge]
        ua, ub = u[0, edge] + du * t0, u[0, edge] + du * t1
        va, vb = v[0, edge] + dv * t0, v[0, edge] + dv * t1
        col_lo = np.floor(np.minimum(ua, ub) - _TOLERANCE).astype(np.int64)
        col_hi = np.floor(np.maximum(ua, ub) + _TOLERANCE).astype(np.int64)
        row_lo = np.floor(np.minimum(va, vb) - _TOLERANCE).astype(np.int64)
        row_hi = np.floor(np.maximum(va, vb) + _TOLERANCE).astype(np.int64)
        cells, edges = [], []
        for dc in range(3):
            for dr in range(3):
                hit = (col_lo + dc <= col_hi) & (row_lo + dr <= row_hi)
                cells.append((row_lo[hit] + dr) * (self._nx * _FINE) + col_lo[hit] + dc)
                edges.append(edge[hit])
        return np.concatenate(cells), np.concatenate(edges)


@dataclass(frozen=True)
class _Blocks:
    """Square blocks of ``factor x factor`` cells, each cell ``size`` degrees, of a grid at
    ``(x0, y0)``; ``keys`` (ascending) number the blocks ``block_row * per_row + block_col``.

    A block's cells are stored row-major, block after block: cell ``i`` is row
    ``i // factor % factor``, column ``i % factor`` of block ``i // factor**2``.
    """

    keys: np.ndarray
    per_row: int
    factor: int
    x0: float
    y0: float
    size: float

    def cell_of(self, col: np.ndarray, row: np.ndarray) -> np.ndarray:
        """Stored index of the cells at grid columns and rows that lie in the blocks."""
        block = np.searchsorted(self.keys, (row // self.factor) * self.per_row + col // self.factor)
        return (block * self.factor + row % self.factor) * self.factor + col % self.factor

    def centres(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lon/lat of the centres of stored cells."""
        key = self.keys[cells // self.factor**2]
        row = (key // self.per_row) * self.factor + cells // self.factor % self.factor
        col = (key % self.per_row) * self.factor + cells % self.factor
        return self.x0 + (col + 0.5) * self.size, self.y0 + (row + 0.5) * self.size


def _cover(
    segments: _Segments, tree: shapely.STRtree, blocks: _Blocks
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The county containing each cell centre of the blocks: its position, or -1.

    Returns the ``int32`` positions (the lowest where counties overlap) and, for centres that
    several counties cover, every (cell, county) pair, found with an exact ``within`` query.
    """
    cover = _scanline_cover(segments, blocks)
    several = np.flatnonzero(cover == _SEVERAL)
    cell, county = tree.query(shapely.points(*blocks.centres(several)), predicate="within")
    cell, county = several[cell], county.astype(np.int32)
    unset = np.iinfo(np.int32).max
    cover[several] = unset
    np.minimum.at(cover, cell, county)
    # A centre the fill counted twice may lie exactly on a shared border, inside neither.
    cover[several[cover[several] == unset]] = _OUTSIDE
    return cover, cell, county


def _scanline_cover(segments: _Segments, blocks: _Blocks) -> np.ndarray:
    """Each cell centre of the blocks: -1, the one county covering it, or `_SEVERAL`.

    Each county is filled row by row with the even-odd rule. A ring edge crosses the row of
    centres at height y when y is in ``[min(y1, y2), max(y1, y2))``, tested on the same y values
    for every edge, so a vertex exactly on a row counts once and crossings pair up. Sorted by
    county, row and x, consecutive crossings are inside intervals, which become +1 / -1 steps (in
    count, and in position + 1) in a difference array. Summing along rows gives, at each centre,
    how many counties cover it and the sum of their positions + 1. Only the cells of the blocks
    are stored: a row is summed within each block, then carried from block to block of a band.
    """
    factor, size = blocks.factor, blocks.size
    n_blocks = len(blocks.keys)
    block_row = blocks.keys // blocks.per_row
    band_first = np.flatnonzero(np.append(True, block_row[1:] != block_row[:-1]))
    band = block_row[band_first]
    band_end = np.append(band_first[1:], n_blocks)
    slot_of_band = np.full(int(band[-1]) + 2, -1)
    slot_of_band[band] = np.arange(len(band))

    # Rows of centres each edge crosses: a generous range, then the exact half-open test.
    y_lo, y_hi = np.minimum(segments.y1, segments.y2), np.maximum(segments.y1, segments.y2)
    first = np.floor((y_lo - blocks.y0) / size - 0.5).astype(np.int64)
    rows = np.floor((y_hi - blocks.y0) / size - 0.5).astype(np.int64) + 2 - first
    rows[segments.y1 == segments.y2] = 0
    edge = np.repeat(np.arange(len(y_lo)), rows)
    row = np.repeat(first, rows) + np.arange(len(edge)) - np.repeat(np.cumsum(rows) - rows, rows)
    slot = slot_of_band[np.clip(row // factor, 0, len(slot_of_band) - 1)]
    centre_y = blocks.y0 + (row + 0.5) * size
    crossing = (slot >= 0) & (y_lo[edge] <= centre_y) & (centre_y < y_hi[edge])
    edge, row, slot, centre_y = edge[crossing], row[crossing], slot[crossing], centre_y[crossing]
    x1, y1 = segments.x1[edge], segments.y1[edge]
    x = x1 + (centre_y - y1) * (segments.x2[edge] - x1) / (segments.y2[edge] - y1)
    county = segments.county[edge]

    order = np.lexsort((x, row, county))
    # Rings are closed, so each (county, row) has an even number of crossings, and consecutive
    # pairs in this order are its inside intervals.
    x_in, x_out = x[order[0::2]], x[order[1::2]]
    row, slot, county = row[order[0::2]], slot[order[0::2]], county[order[0::2]]
    # Columns whose centre lies strictly inside (x_in, x_out): [col_in, col_out).
    col_in = np.floor((x_in - blocks.x0) / size - 0.5).astype(np.int64) + 1
    col_out = np.ceil((x_out - blocks.x0) / size - 0.5).astype(np.int64)

    count = np.zeros(n_blocks * factor * factor, dtype=np.int16)
    label = np.zeros(n_blocks * factor * factor, dtype=np.int32)
    stride = blocks.per_row + 1  # one spare column so a key never runs into the next band
    keys = block_row * stride + blocks.keys % blocks.per_row
    for col, step in ((col_in, 1), (col_out, -1)):
        key = band[slot] * stride + col // factor
        block = np.searchsorted(keys, key)
        in_band = (block < band_end[slot]) & (col_in < col_out)
        exact = keys[np.minimum(block, n_blocks - 1)] == key
        # A column between stored blocks steps at the start of the next stored block.
        cell = (block * factor + row % factor) * factor + np.where(exact, col % factor, 0)
        np.add.at(count, cell[in_band], step)
        np.add.at(label, cell[in_band], step * (county[in_band] + 1))

    for values in (count, label):
        grid = values.reshape(n_blocks, factor, factor)
        np.cumsum(grid, axis=2, dtype=values.dtype, out=grid)
        carried = np.cumsum(grid[:, :, -1], axis=0, dtype=np.int64)
        carried -= grid[:, :, -1]  # what the blocks left of each block in its band add up to
        carried -= np.repeat(carried[band_first], band_end - band_first, axis=0)
        grid += carried[:, :, None].astype(values.dtype)
    label -= 1
    label[count > 1] = _SEVERAL
    return label


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values; a sort, where ``np.unique`` on millions of ints is far slower."""
    values = np.sort(values)
    return values[np.append(True, values[1:] != values[:-1])]


def _candidate_sets(
    cell: np.ndarray, county: np.ndarray, n_counties: int
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct candidate sets of the marked cells, and each marked cell's set.

    Returns the sets as rows of ascending county positions padded with -1, and for each
    distinct cell in ascending order the row of its set. Cells share a set when their candidates
    are the same, which keeps the set numbers small enough for ``int16`` fine cells.
    """
    pairs = _sorted_unique(cell.astype(np.int64) * n_counties + county)
    cell, county = pairs // n_counties, pairs % n_counties
    first = np.flatnonzero(np.append(True, cell[1:] != cell[:-1]))
    size = np.diff(np.append(first, len(cell)))
    padded = np.full((len(first), int(size.max())), -1, dtype=np.int32)
    padded[
        np.repeat(np.arange(len(first)), size), np.arange(len(cell)) - np.repeat(first, size)
    ] = county
    order = np.lexsort(padded.T[::-1])
    new_set = np.append(True, np.any(padded[order][1:] != padded[order][:-1], axis=1))
    set_of_cell = np.empty(len(first), dtype=np.int64)
    set_of_cell[order] = np.cumsum(new_set) - 1
    return padded[order][new_set], set_of_cell


def _check_crs(crs: pyproj.CRS | None, what: str) -> None:
    """Refuse anything but EPSG:4326: a silent reprojection would hide a caller's mistake."""
    if crs is None:
        raise ValueError(f"{what} have no CRS; expected EPSG:4326")
    if crs.to_epsg() != 4326:
        raise ValueError(
            f"{what} are in {crs.to_string()}, expected EPSG:4326; reproject with to_crs(4326)"
        )


def _check_counties(counties: gpd.GeoDataFrame) -> None:
    """Validate the county layer, naming the first offending county."""
    if not isinstance(counties, gpd.GeoDataFrame):
        raise TypeError(f"counties must be a GeoDataFrame, got {type(counties).__name__}")
    _check_crs(counties.crs, "counties")
    if "county_fips" not in counties.columns:
        raise ValueError("counties have no county_fips column")
    repeated = counties["county_fips"].duplicated()
    if repeated.any():
        raise ValueError(f"county_fips {counties['county_fips'][repeated].iloc[0]!r} repeats")
    geoms = np.asarray(counties.geometry.array)
    problems = (
        ("has no geometry", shapely.is_missing(geoms)),
        ("has an empty geometry", shapely.is_empty(geoms)),
        (
            "is not a Polygon or MultiPolygon",
            ~np.isin(
                shapely.get_type_id(geoms),
                [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON],
            ),
        ),
    )
    for problem, bad in problems:
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(f"county {counties['county_fips'].iloc[first]!r} {problem}")
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        first = int(np.flatnonzero(invalid)[0])
        raise ValueError(
            f"county {counties['county_fips'].iloc[first]!r} has an invalid geometry: "
            f"{shapely.is_valid_reason(geoms[first])}"
        )


def _check_coordinate(lon: float, lat: float) -> None:
    """Refuse one point that is not finite or out of range, as `coordinate_arrays` does."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):  # NaN fails every comparison
        coordinate_arrays(np.array([lon]), np.array([lat]))  # raises, naming the coordinate


def coordinate_arrays(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float arrays of equal length with every coordinate finite and in range."""
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    if lon.ndim != 1 or lat.ndim != 1:
        raise ValueError(
            f"lon and lat must be one-dimensional, got shapes {lon.shape} and {lat.shape}"
        )
    if len(lon) != len(lat):
        raise ValueError(f"lon has {len(lon)} values but lat has {len(lat)}")
    # One pass each: NaN fails every comparison, so this also catches non-finite values.
    if not (np.all((lon >= -180) & (lon <= 180)) and np.all((lat >= -90) & (lat <= 90))):
        for name, values, limit in (("lon", lon, 180), ("lat", lat, 90)):
            finite = np.isfinite(values)
            if not finite.all():
                first = int(np.flatnonzero(~finite)[0])
                raise ValueError(f"{name}[{first}] is {values[first]}, not a finite number")
            out = np.abs(values) > limit
            if out.any():
                first = int(np.flatnonzero(out)[0])
                raise ValueError(
                    f"{name}[{first}] = {values[first]} is outside [-{limit}, {limit}]"
                )
    return lon, lat


def _check_centre(lon: float, lat: float, radius_m: float) -> None:
    """Validate a radius query's centre and radius."""
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise ValueError(f"lon={lon!r} is not a number in [-180, 180]")
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise ValueError(f"lat={lat!r} is not a number in [-90, 90]")
    if not (math.isfinite(radius_m) and 0 < radius_m <= MAX_RADIUS_M):
        raise ValueError(f"radius_m={radius_m!r} is not a number in (0, {MAX_RADIUS_M:.0f}]")


def _search_window(lat: float, radius_m: float) -> tuple[float, float]:
    """Half-width in longitude and half-height in latitude (degrees) of a box around a centre
    at ``lat`` that holds every point within ``radius_m`` metres; 180 when it reaches a pole.
    """
    margin = 1.0 + 1e-9
    dlat = math.degrees(radius_m / _MIN_MERIDIONAL_RADIUS) * margin
    highest = abs(lat) + dlat
    if highest >= 90:
        return 180.0, dlat
    dlon = math.degrees(radius_m / (_EQUATORIAL_RADIUS * math.cos(math.radians(highest))))
    return min(dlon * margin, 180.0), dlat


def _wrap_lon(lon: np.ndarray | float) -> np.ndarray | float:
    """Longitude brought into [-180, 180)."""
    return (lon + 180.0) % 360.0 - 180.0


def _antimeridian_boxes(minx: float, miny: float, maxx: float, maxy: float) -> np.ndarray:
    """One box, or two when ``minx > maxx`` (the box crosses the antimeridian)."""
    if minx <= maxx:
        return shapely.box([minx], [miny], [maxx], [maxy])
    return shapely.box([minx, -180.0], [miny, miny], [180.0, maxx], [maxy, maxy])


def _distances_to_polygons(geoms: np.ndarray, lon: float, lat: float) -> np.ndarray:
    """Geodesic metres from a point to the nearest point of each polygon, 0 inside or on it."""
    if not len(geoms):
        return np.empty(0)
    projection = pyproj.Transformer.from_crs(4326, aeqd_proj(lon, lat), always_xy=True)
    projected = shapely.transform(
        shapely.segmentize(geoms, DENSIFY_DEGREES), projection.transform, interleaved=False
    )
    distances = shapely.distance(shapely.Point(0.0, 0.0), projected)
    distances[shapely.intersects_xy(geoms, lon, lat)] = 0.0
    return distances


def bbox_boxes(minx: float, miny: float, maxx: float, maxy: float) -> np.ndarray:
    """The lon/lat box as one or two boxes (two when ``minx > maxx`` crosses the antimeridian).

    Raises ``ValueError`` when a bound is not finite or out of range, or ``miny > maxy``.
    """
    for name, value, limit in (
        ("minx", minx, 180),
        ("miny", miny, 90),
        ("maxx", maxx, 180),
        ("maxy", maxy, 90),
    ):
        if not (math.isfinite(value) and -limit <= value <= limit):
            raise ValueError(f"bbox {name}={value!r} is not a number in [-{limit}, {limit}]")
    if miny > maxy:
        raise ValueError(f"bbox miny={miny!r} is greater than maxy={maxy!r}")
    return _antimeridian_boxes(minx, miny, maxx, maxy)


def radius_boxes(lon: float, lat: float, radius_m: float) -> np.ndarray:
    """One or two lon/lat boxes that hold every point within ``radius_m`` metres of the centre.

    Raises ``ValueError`` when the centre or the radius is not finite or out of range.
    """
    _check_centre(lon, lat, radius_m)
    dlon, dlat = _search_window(lat, radius_m)
    south, north = max(lat - dlat, -90.0), min(lat + dlat, 90.0)
    if dlon >= 180.0:
        return shapely.box([-180.0], [south], [180.0], [north])
    return _antimeridian_boxes(_wrap_lon(lon - dlon), south, _wrap_lon(lon + dlon), north)


def aeqd_proj(lon: float, lat: float) -> str:
    """The azimuthal equidistant projection centred on a point (WGS84, metres) as a PROJ
    string, in which the distance from the centre to any projected point is its geodesic
    distance. A string, so PostGIS's ``ST_Transform`` can use the very same definition."""
    return f"+proj=aeqd +lat_0={float(lat)!r} +lon_0={float(lon)!r} +datum=WGS84 +units=m +no_defs"
