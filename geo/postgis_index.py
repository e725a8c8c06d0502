"""Every spatial query of the service, run in PostGIS: the database twin of `geo.index`.

`PostgisIndex` answers as `geo.index.CountyIndex` does, with the same positions (rows of the
snapshot's counties), rules and errors, so the API cannot tell the stores apart:

- point -> county is ``ST_Within`` (a point on a boundary is in no county), tested against the
  pieces of ``county_parts`` and, for a point on a piece's cut line, against the whole county;
- boxes, polygons and neighbours are ``ST_Intersects`` / ``ST_Relate`` on the polygons, as GEOS
  does in memory;
- county distances are measured as `geo.index` measures them: edges cut into pieces of
  `geo.index.DENSIFY_DEGREES`, projected to the same azimuthal equidistant projection
  (``ST_Transform`` with its PROJ string), planar distance to the centre; facility distances
  are geodesic on WGS84 (``geography``), as pyproj's ``Geod`` computes them.

Connections come from a pool, so request threads query in parallel.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout

from geo.index import (
    DENSIFY_DEGREES,
    aeqd_proj,
    bbox_boxes,
    coordinate_arrays,
    radius_boxes,
)
from geo.postgis import SRID, PostgisError, read_snapshot, safe_url, table
from geo.store import Snapshot

_POINTS_WITHIN = sql.SQL(
    """
    SELECT p.i, min(k.position)
    FROM unnest(%(lon)s::float8[], %(lat)s::float8[]) WITH ORDINALITY AS p(lon, lat, i)
    CROSS JOIN LATERAL ST_SetSRID(ST_MakePoint(p.lon, p.lat), {srid}) AS g(point)
    JOIN {parts} AS k ON ST_Intersects(k.geometry, g.point)
    WHERE CASE WHEN ST_Within(g.point, k.geometry) THEN true
          ELSE ST_Within(g.point, (SELECT c.geometry FROM {counties} AS c
                                   WHERE c.position = k.position)) END
    GROUP BY p.i
    """
).format(srid=sql.Literal(SRID), parts=table("county_parts"), counties=table("counties"))

_COUNTIES_NEAR = sql.SQL(
    """
    SELECT position, d FROM (
      SELECT position,
             CASE WHEN ST_Intersects(geometry, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), {srid}))
                  THEN 0.0
                  ELSE ST_Distance(ST_Transform(ST_Segmentize(geometry, {step}), %(proj)s::text),
                                   ST_MakePoint(0, 0)) END AS d
      FROM {counties}
      WHERE geometry && ANY(%(boxes)s::text[]::geometry[])
    ) AS near
    WHERE d <= %(radius)s
    ORDER BY d, position
    """
).format(srid=sql.Literal(SRID), step=sql.Literal(DENSIFY_DEGREES), counties=table("counties"))

_FACILITIES_NEAR = sql.SQL(
    """
    SELECT position, d FROM (
      SELECT position,
             ST_Distance(geometry::geography,
                         ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), {srid})::geography) AS d
      FROM {facilities}
      WHERE geometry IS NOT NULL AND NOT ST_IsEmpty(geometry)
        AND geometry && ANY(%(boxes)s::text[]::geometry[])
    ) AS near
    WHERE d <= %(radius)s
    ORDER BY d, position
    """
).format(srid=sql.Literal(SRID), facilities=table("facilities"))

_COUNTIES_INTERSECTING = sql.SQL(
    """
    SELECT DISTINCT c.position FROM {counties} AS c, unnest(%(shapes)s::text[]::geometry[]) AS s(shape)
    WHERE ST_Intersects(c.geometry, s.shape) ORDER BY c.position
    """
).format(counties=table("counties"))

_NEIGHBOURS = sql.SQL(
    """
    SELECT b.position FROM {counties} AS a JOIN {counties} AS b
      ON b.geometry && a.geometry AND b.position <> a.position
     AND ST_Relate(a.geometry, b.geometry, '****1****')
    WHERE a.county_fips = %(fips)s ORDER BY b.position
    """
).format(counties=table("counties"))

_POLYGONS = sql.SQL(
    "SELECT position, ST_AsBinary(geometry) FROM {counties} WHERE position = ANY(%(positions)s)"
).format(counties=table("counties"))


class PostgisIndex:
    """The spatial queries of `geo.index.CountyIndex`, answered by the database.

    Parameters
    ----------
    pool
        Connections to a database holding a loaded snapshot (`geo.postgis.load_postgis`).
    county_fips
        The snapshot's counties' FIPS codes in row order: the positions the answers use.
    """

    def __init__(self, pool: ConnectionPool, county_fips: pd.Series) -> None:
        self._pool = pool
        fips = county_fips.to_numpy(dtype=object)
        self._position = {code: position for position, code in enumerate(fips)}
        self._fips = np.append(fips, None)

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Row position of the county containing each point, ``-1`` where none does."""
        lon, lat = coordinate_arrays(lon, lat)
        positions = np.full(len(lon), -1, dtype=np.intp)
        rows = self._rows(_POINTS_WITHIN, lon=lon.tolist(), lat=lat.tolist())
        if rows:
            found = np.array(rows, dtype=np.int64)
            positions[found[:, 0] - 1] = found[:, 1]
        return positions

    def locate_point(self, lon: float, lat: float) -> int:
        """`locate` for one point."""
        return int(self.locate(np.array([lon]), np.array([lat]))[0])

    def fips_at(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """``county_fips`` of the county containing each point, ``None`` where none does."""
        return self._fips[self.locate(lon, lat)]

    def query_bbox(self, minx: float, miny: float, maxx: float, maxy: float) -> np.ndarray:
        """Sorted positions of the counties whose polygon intersects a lon/lat box."""
        return self._positions(
            _COUNTIES_INTERSECTING, shapes=_ewkb(bbox_boxes(minx, miny, maxx, maxy))
        )

    def query_polygon(self, polygon: shapely.Geometry) -> np.ndarray:
        """Sorted positions of the counties intersecting a lon/lat polygon."""
        if not isinstance(polygon, shapely.Polygon | shapely.MultiPolygon):
            raise TypeError(f"expected a Polygon or MultiPolygon, got {type(polygon).__name__}")
        if polygon.is_empty:
            raise ValueError("the polygon is empty")
        if not polygon.is_valid:
            raise ValueError(f"the polygon is not valid: {shapely.is_valid_reason(polygon)}")
        return self._positions(_COUNTIES_INTERSECTING, shapes=_ewkb(np.array([polygon])))

    def query_radius(
        self, lon: float, lat: float, radius_m: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Counties within a geodesic distance of a point, nearest first, with that distance."""
        return self._near(_COUNTIES_NEAR, lon, lat, radius_m)

    def facilities_within(
        self, lon: float, lat: float, radius_m: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the facilities table within a geodesic distance, nearest first."""
        return self._near(_FACILITIES_NEAR, lon, lat, radius_m)

    def neighbours(self, county_fips: str) -> np.ndarray:
        """Sorted positions of the counties sharing a stretch of border with a county."""
        if county_fips not in self._position:
            raise KeyError(f"unknown county_fips {county_fips!r}")
        return self._positions(_NEIGHBOURS, fips=county_fips)

    def polygons(self, positions: np.ndarray) -> np.ndarray:
        """The polygons of the counties at ``positions``, in that order."""
        rows = dict(self._rows(_POLYGONS, positions=[int(p) for p in positions]))
        return shapely.from_wkb([rows[int(p)] for p in positions])

    def counties(self, counties: pd.DataFrame) -> gpd.GeoDataFrame:
        """``counties`` (the snapshot's rows, in order) with their polygons from the database."""
        geometry = self.polygons(np.arange(len(counties)))
        return gpd.GeoDataFrame(counties.drop(columns="geometry"), geometry=geometry, crs=SRID)

    def _near(
        self, query: sql.Composed, lon: float, lat: float, radius_m: float
    ) -> tuple[np.ndarray, np.ndarray]:
        boxes = _ewkb(radius_boxes(lon, lat, radius_m))
        proj = aeqd_proj(lon, lat)
        rows = self._rows(query, lon=lon, lat=lat, radius=radius_m, boxes=boxes, proj=proj)
        positions = np.array([row[0] for row in rows], dtype=np.intp)
        return positions, np.array([row[1] for row in rows], dtype=np.float64)

    def _positions(self, query: sql.Composed, **params: object) -> np.ndarray:
        return np.array([row[0] for row in self._rows(query, **params)], dtype=np.intp)

    def _rows(self, query: sql.Composed, **params: object) -> list[tuple]:
        with self._pool.connection() as connection:
            return connection.execute(query, params).fetchall()


@contextmanager
def open_postgis(url: str, pool_size: int) -> Iterator[tuple[Snapshot, PostgisIndex]]:
    """The snapshot's tables and the index over a pool of ``pool_size`` connections to ``url``;
    the pool is closed on exit. `PostgisError` when the database holds no snapshot."""
    pool = ConnectionPool(url, min_size=1, max_size=pool_size, open=False)
    try:
        pool.open(wait=True, timeout=10)
    except PoolTimeout:
        pool.close()
        raise PostgisError(f"{safe_url(url)}: cannot connect within 10 s") from None
    try:
        with pool.connection() as connection:
            snapshot = read_snapshot(connection)
        yield snapshot, PostgisIndex(pool, snapshot.counties["county_fips"])
    finally:
        pool.close()


def _ewkb(geometries: np.ndarray) -> list[str]:
    return list(shapely.to_wkb(shapely.set_srid(geometries, SRID), hex=True, include_srid=True))
