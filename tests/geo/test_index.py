"""Tests for geo.index: CountyIndex and points_within_radius.

The county tests use the committed snapshot ``data/counties.parquet`` and check `locate` against
``geopandas.sjoin(predicate="within")`` itself, on random points and on the points where a
grid shortcut could go wrong: vertices, shared borders, points a hair off them, and points on
the grid's own cell edges. Distances are checked against pyproj.Geod. Small hand-made layers
cover overlapping polygons and every error path.
"""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from geo.index import MAX_RADIUS_M, CountyIndex, points_within_radius

DATA = Path(__file__).resolve().parents[2] / "data"
SEED = 20260601
US_BOX = (-125.0, 24.0, -66.0, 50.0)
GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def counties() -> gpd.GeoDataFrame:
    """The served county layer from the committed snapshot (not the raw-data fixture)."""
    return gpd.read_parquet(DATA / "counties.parquet")


@pytest.fixture(scope="module")
def index(counties: gpd.GeoDataFrame) -> CountyIndex:
    return CountyIndex(counties)


def _position(counties: gpd.GeoDataFrame, county_fips: str) -> int:
    return int(np.flatnonzero(counties["county_fips"] == county_fips)[0])


def _sjoin_within(counties: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """What sjoin says: the lowest position of a county the point is within, else -1."""
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    joined = gpd.sjoin(points, counties.reset_index(drop=True), predicate="within")
    answer = np.full(len(lon), -1)
    lowest = joined.groupby(level=0)["index_right"].min()
    answer[lowest.index.to_numpy()] = lowest.to_numpy()
    return answer


def _squares(*boxes: tuple[float, float, float, float], crs: int | None = 4326):
    """A tiny county layer of boxes, FIPS 00001, 00002, ..."""
    return gpd.GeoDataFrame(
        {"county_fips": [f"{n:05d}" for n in range(1, len(boxes) + 1)]},
        geometry=[shapely.box(*box) for box in boxes],
        crs=crs,
    )


# --- locate / fips_at -----------------------------------------------------------------------


def test_houston_is_in_harris_county(index: CountyIndex, counties: gpd.GeoDataFrame) -> None:
    assert index.fips_at(np.array([-95.36]), np.array([29.76])).tolist() == ["48201"]
    assert index.locate([-95.36], [29.76]).tolist() == [_position(counties, "48201")]


def test_points_in_no_county_are_minus_one_and_none(index: CountyIndex) -> None:
    # Gulf of Mexico, Atlantic, Canada, beyond the grid on every side, the antimeridian itself.
    lon = np.array([-90.0, -60.0, -100.0, 0.0, -180.0, 180.0, -100.0, -100.0])
    lat = np.array([25.0, 35.0, 55.0, 0.0, 52.0, 52.0, 90.0, -90.0])
    assert index.locate(lon, lat).tolist() == [-1] * len(lon)
    assert index.fips_at(lon, lat).tolist() == [None] * len(lon)


def test_random_points_in_the_us_box_match_sjoin(
    index: CountyIndex, counties: gpd.GeoDataFrame
) -> None:
    rng = np.random.default_rng(SEED)
    lon = rng.uniform(US_BOX[0], US_BOX[2], 100_000)
    lat = rng.uniform(US_BOX[1], US_BOX[3], 100_000)
    located = index.locate(lon, lat)
    np.testing.assert_array_equal(located, _sjoin_within(counties, lon, lat))
    assert 0.4 < (located >= 0).mean() < 0.7  # about half the box is US land


@pytest.mark.parametrize(
    "box",
    [(-180.0, 51.0, -129.0, 72.0), (172.0, 51.0, 180.0, 53.5), (-161.0, 18.5, -154.5, 22.5)],
    ids=["alaska", "aleutians_east_of_180", "hawaii"],
)
def test_random_points_beyond_the_lower_48_match_sjoin(
    index: CountyIndex, counties: gpd.GeoDataFrame, box: tuple[float, ...]
) -> None:
    rng = np.random.default_rng(SEED)
    lon, lat = rng.uniform(box[0], box[2], 20_000), rng.uniform(box[1], box[3], 20_000)
    located = index.locate(lon, lat)
    np.testing.assert_array_equal(located, _sjoin_within(counties, lon, lat))
    assert (located >= 0).any()


def test_vertices_and_points_a_hair_off_them_match_sjoin(
    index: CountyIndex, counties: gpd.GeoDataFrame
) -> None:
    """Every vertex lies on a boundary, so sjoin's within is False there; nudged points test
    that the grid hands points next to a boundary to the exact test."""
    vertices = np.unique(shapely.get_coordinates(counties.geometry.array), axis=0)
    rng = np.random.default_rng(SEED)
    nudged = vertices[rng.choice(len(vertices), 30_000, replace=False)]
    offsets = rng.choice([-1e-9, -1e-12, 0.0, 1e-12, 1e-9], size=(4, *nudged.shape))
    points = np.concatenate([vertices, *(nudged + offset for offset in offsets)])
    located = index.locate(points[:, 0], points[:, 1])
    np.testing.assert_array_equal(located, _sjoin_within(counties, points[:, 0], points[:, 1]))
    assert (located[: len(vertices)] == -1).all()
    assert (located[len(vertices) :] >= 0).any()


def test_points_on_shared_borders_match_sjoin(
    index: CountyIndex, counties: gpd.GeoDataFrame
) -> None:
    """Midpoints of border edges and points along them: on the line or a rounding off it."""
    harris = counties.geometry.iloc[_position(counties, "48201")]
    fort_bend = counties.geometry.iloc[_position(counties, "48157")]
    border = shapely.get_coordinates(shapely.intersection(harris.boundary, fort_bend.boundary))
    t = np.linspace(0, 1, 101)[:, None]
    along = (border[:-1, None, :] * (1 - t) + border[1:, None, :] * t).reshape(-1, 2)
    located = index.locate(along[:, 0], along[:, 1])
    np.testing.assert_array_equal(located, _sjoin_within(counties, along[:, 0], along[:, 1]))
    assert set(located) <= {-1, _position(counties, "48201"), _position(counties, "48157")}
    assert index.locate(border[:, 0], border[:, 1]).tolist() == [-1] * len(border)


def test_four_corners_point_is_in_no_county(index: CountyIndex, counties: gpd.GeoDataFrame) -> None:
    apache = counties.geometry.iloc[_position(counties, "04001")]
    montezuma = counties.geometry.iloc[_position(counties, "08083")]
    corner = shapely.intersection(apache, montezuma)  # they share only this point
    assert corner.geom_type == "Point"
    assert index.fips_at([corner.x], [corner.y]).tolist() == [None]
    assert _sjoin_within(counties, [corner.x], [corner.y]).tolist() == [-1]
    lon = corner.x + np.array([-1e-4, 1e-4, -1e-4, 1e-4])
    lat = corner.y + np.array([-1e-4, -1e-4, 1e-4, 1e-4])
    assert index.fips_at(lon, lat).tolist() == ["04001", "35045", "49037", "08083"]


def test_points_on_grid_cell_edges_match_sjoin(
    index: CountyIndex, counties: gpd.GeoDataFrame
) -> None:
    """Multiples of 1/512 degree hit the grid's cell edges and centres exactly."""
    rng = np.random.default_rng(SEED)
    lon = np.round(rng.uniform(US_BOX[0], US_BOX[2], 50_000) * 512) / 512
    lat = np.round(rng.uniform(US_BOX[1], US_BOX[3], 50_000) * 512) / 512
    np.testing.assert_array_equal(index.locate(lon, lat), _sjoin_within(counties, lon, lat))


def test_overlapping_counties_give_the_lowest_position_like_sjoin() -> None:
    squares = _squares((0, 0, 2, 2), (1, 1, 3, 3), (0.5, 0.5, 2.5, 0.9), (4, 4, 5, 5))
    index = CountyIndex(squares)
    rng = np.random.default_rng(SEED)
    lon, lat = rng.uniform(-1, 6, 20_000), rng.uniform(-1, 6, 20_000)
    lon = np.concatenate([lon, np.round(lon[:5000] * 4) / 4])  # on edges and corners too
    lat = np.concatenate([lat, np.round(lat[:5000] * 4) / 4])
    np.testing.assert_array_equal(index.locate(lon, lat), _sjoin_within(squares, lon, lat))
    assert index.locate([1.5, 2.5, 0.7], [1.5, 2.5, 0.7]).tolist() == [0, 1, 0]


def test_one_point_at_a_time_answers_as_the_array_path(index: CountyIndex) -> None:
    """Random points, points on grid cell edges and points a hair off vertices (the exact test
    and the overlapping-candidates order): ``locate_point`` equals ``locate`` for each."""
    rng = np.random.default_rng(SEED)
    lon = rng.uniform(-180, 180, 3000)
    lat = rng.uniform(-90, 90, 3000)
    box_lon = np.round(rng.uniform(US_BOX[0], US_BOX[2], 3000) * 512) / 512
    box_lat = np.round(rng.uniform(US_BOX[1], US_BOX[3], 3000) * 512) / 512
    vertices = shapely.get_coordinates(index._geoms[:200])
    near = vertices[rng.choice(len(vertices), 3000)] + rng.choice([-1e-9, 0.0, 1e-9], (3000, 2))
    lon = np.concatenate([lon, box_lon, near[:, 0]])
    lat = np.concatenate([lat, box_lat, near[:, 1]])
    expected = index.locate(lon, lat)
    one_by_one = [index.locate_point(x, y) for x, y in zip(lon.tolist(), lat.tolist())]
    assert one_by_one == expected.tolist()
    assert len(set(one_by_one)) > 500 and -1 in one_by_one


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [(np.nan, 29.0, r"lon\[0\] is nan"), (-95.0, 95.0, r"lat\[0\] = 95.0 is outside")],
)
def test_one_bad_point_is_refused(index: CountyIndex, lon: float, lat: float, message: str):
    with pytest.raises(ValueError, match=message):
        index.locate_point(lon, lat)


def test_empty_input_gives_empty_output(index: CountyIndex) -> None:
    assert index.locate([], []).shape == (0,)
    assert index.fips_at(np.array([]), np.array([])).tolist() == []


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        ([-95.0, -96.0], [29.0], "lon has 2 values but lat has 1"),
        ([[-95.0]], [[29.0]], "one-dimensional"),
        ([-95.0, np.nan], [29.0, 30.0], r"lon\[1\] is nan, not a finite number"),
        ([-95.0], [np.inf], r"lat\[0\] is inf, not a finite number"),
        ([-95.0, 200.0], [29.0, 30.0], r"lon\[1\] = 200.0 is outside \[-180, 180\]"),
        ([29.0], [-95.0], r"lat\[0\] = -95.0 is outside \[-90, 90\]"),
    ],
    ids=["lengths", "two_d", "nan", "inf", "lon_range", "lat_range"],
)
def test_bad_coordinates_are_refused(
    index: CountyIndex, lon: list, lat: list, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        index.locate(lon, lat)
    with pytest.raises(ValueError, match=message):
        index.fips_at(lon, lat)


# --- construction ---------------------------------------------------------------------------


def test_other_crs_is_refused(counties: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match=r"EPSG:5070, expected EPSG:4326; reproject"):
        CountyIndex(counties.iloc[:3].to_crs(5070))
    with pytest.raises(ValueError, match="counties have no CRS; expected EPSG:4326"):
        CountyIndex(_squares((0, 0, 1, 1), crs=None))


def test_bad_county_layers_are_refused() -> None:
    with pytest.raises(TypeError, match="must be a GeoDataFrame, got DataFrame"):
        CountyIndex(pd.DataFrame({"county_fips": ["00001"]}))
    with pytest.raises(ValueError, match="no county_fips column"):
        CountyIndex(_squares((0, 0, 1, 1)).rename(columns={"county_fips": "fips"}))
    twice = _squares((0, 0, 1, 1), (2, 2, 3, 3)).assign(county_fips="00001")
    with pytest.raises(ValueError, match="county_fips '00001' repeats"):
        CountyIndex(twice)
    bowtie = _squares((0, 0, 1, 1), (2, 2, 3, 3))
    bowtie.loc[1, "geometry"] = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    with pytest.raises(ValueError, match="county '00002' has an invalid geometry: Self-inter"):
        CountyIndex(bowtie)
    point = _squares((0, 0, 1, 1))
    point.loc[0, "geometry"] = shapely.Point(0, 0)
    with pytest.raises(ValueError, match="county '00001' is not a Polygon or MultiPolygon"):
        CountyIndex(point)


def test_the_callers_geometries_are_not_prepared(counties: gpd.GeoDataFrame) -> None:
    layer = counties.iloc[:5].copy()
    CountyIndex(layer)
    assert not shapely.is_prepared(np.asarray(layer.geometry.array)).any()


# --- bbox and polygon -----------------------------------------------------------------------


def test_bbox_query_matches_brute_force(index: CountyIndex, counties: gpd.GeoDataFrame) -> None:
    harris = _position(counties, "48201")
    assert harris in index.query_bbox(-95.5, 29.7, -95.2, 29.8)
    box = (-100.0, 35.0, -98.0, 36.5)
    expected = np.flatnonzero(counties.intersects(shapely.box(*box)))
    np.testing.assert_array_equal(index.query_bbox(*box), expected)
    assert index.query_bbox(-40.0, 20.0, -39.0, 21.0).tolist() == []


def test_bbox_across_the_antimeridian(index: CountyIndex, counties: gpd.GeoDataFrame) -> None:
    found = counties["county_fips"].iloc[index.query_bbox(175.0, 50.0, -175.0, 54.0)]
    assert found.tolist() == ["02016"]  # Aleutians West, on both sides of 180


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ((-95.0, 30.0, -94.0, 29.0), "miny=30.0 is greater than maxy=29.0"),
        ((-95.0, float("nan"), -94.0, 30.0), r"miny=nan is not a number in \[-90, 90\]"),
        ((-195.0, 29.0, -94.0, 30.0), r"minx=-195.0 is not a number in \[-180, 180\]"),
    ],
    ids=["upside_down", "nan", "out_of_range"],
)
def test_bad_bbox_is_refused(index: CountyIndex, bbox: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        index.query_bbox(*bbox)


def test_polygon_query_matches_brute_force(index: CountyIndex, counties: gpd.GeoDataFrame) -> None:
    triangle = shapely.Polygon([(-95.9, 29.4), (-95.0, 29.6), (-95.5, 30.2)])
    found = index.query_polygon(triangle)
    np.testing.assert_array_equal(found, np.flatnonzero(counties.intersects(triangle)))
    assert {"48201", "48157"} <= set(counties["county_fips"].iloc[found])


def test_bad_polygons_are_refused(index: CountyIndex) -> None:
    with pytest.raises(TypeError, match="expected a Polygon or MultiPolygon, got Point"):
        index.query_polygon(shapely.Point(-95, 29))
    with pytest.raises(ValueError, match="the polygon is empty"):
        index.query_polygon(shapely.Polygon())
    with pytest.raises(ValueError, match="not valid: Self-intersection"):
        index.query_polygon(shapely.Polygon([(-96, 29), (-95, 30), (-95, 29), (-96, 30)]))


# --- radius ---------------------------------------------------------------------------------


def test_radius_starts_with_the_containing_county_and_is_sorted(
    index: CountyIndex, counties: gpd.GeoDataFrame
) -> None:
    positions, metres = index.query_radius(-95.36, 29.76, 40_000)
    assert positions[0] == _position(counties, "48201")
    assert metres[0] == 0.0
    assert (np.diff(metres) >= 0).all() and (metres <= 40_000).all()
    assert {"48157", "48339"} <= set(counties["county_fips"].iloc[positions])


def test_radius_distance_to_a_corner_is_the_geodesic_distance() -> None:
    """South-west of a square, its nearest point is the corner, so the distance is
    point-to-point and pyproj.Geod gives it exactly."""
    index = CountyIndex(_squares((-100, 40, -99, 41), (-98, 40, -97, 41)))
    positions, metres = index.query_radius(-101.0, 39.0, 300_000)
    _, _, corner = GEOD.inv(-101.0, 39.0, -100.0, 40.0)
    _, _, far_corner = GEOD.inv(-101.0, 39.0, -98.0, 40.0)
    assert positions.tolist() == [0, 1]
    np.testing.assert_allclose(metres, [corner, far_corner], rtol=1e-9)
    positions, _ = index.query_radius(-101.0, 39.0, corner - 1.0)
    assert positions.tolist() == []


def test_radius_distances_match_a_dense_geodesic_brute_force(
    index: CountyIndex, counties: gpd.GeoDataFrame
) -> None:
    """Geodesic distance to every vertex of the county cut every 0.0005 degree (about 50 m)."""
    lon, lat = -111.9, 40.76
    positions, metres = index.query_radius(lon, lat, 150_000)
    assert len(positions) > 8
    for position, distance in zip(positions[1::4], metres[1::4], strict=True):
        vertices = shapely.get_coordinates(
            shapely.segmentize(counties.geometry.iloc[position], 0.0005)
        )
        n = len(vertices)
        _, _, to_vertices = GEOD.inv(np.full(n, lon), np.full(n, lat), *vertices.T)
        assert distance == pytest.approx(to_vertices.min(), abs=0.5)


def test_radius_across_the_antimeridian(index: CountyIndex, counties: gpd.GeoDataFrame) -> None:
    positions, metres = index.query_radius(179.9, 51.9, 60_000)
    assert counties["county_fips"].iloc[positions].tolist() == ["02016"]
    assert 0 < metres[0] < 60_000


@pytest.mark.parametrize(
    ("lon", "lat", "radius", "message"),
    [
        (-95.0, 29.0, 0.0, "radius_m=0.0 is not a number in"),
        (-95.0, 29.0, MAX_RADIUS_M + 1, "radius_m=5000001.0 is not a number in"),
        (-95.0, 91.0, 1000.0, r"lat=91.0 is not a number in \[-90, 90\]"),
        (float("nan"), 29.0, 1000.0, "lon=nan is not a number"),
    ],
    ids=["zero_radius", "huge_radius", "lat", "nan"],
)
def test_bad_radius_queries_are_refused(
    index: CountyIndex, lon: float, lat: float, radius: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        index.query_radius(lon, lat, radius)
    with pytest.raises(ValueError, match=message):
        points_within_radius(gpd.GeoSeries.from_xy([0], [0], crs=4326), lon, lat, radius)


# --- neighbours -----------------------------------------------------------------------------


def test_neighbours_of_harris(index: CountyIndex, counties: gpd.GeoDataFrame) -> None:
    found = counties["county_fips"].iloc[index.neighbours("48201")].tolist()
    assert found == ["48039", "48071", "48157", "48167", "48291", "48339", "48473"]
    fort_bend = counties["county_fips"].iloc[index.neighbours("48157")]
    assert "48201" in set(fort_bend)


def test_four_corners_counties_touching_at_a_point_are_not_neighbours(
    index: CountyIndex, counties: gpd.GeoDataFrame
) -> None:
    apache = set(counties["county_fips"].iloc[index.neighbours("04001")])
    montezuma = set(counties["county_fips"].iloc[index.neighbours("08083")])
    assert {"35045", "49037"} <= apache and "08083" not in apache
    assert {"35045", "49037"} <= montezuma and "04001" not in montezuma


def test_neighbours_of_an_unknown_county_name_it(index: CountyIndex) -> None:
    with pytest.raises(KeyError, match="unknown county_fips '99999'"):
        index.neighbours("99999")


# --- point layers ---------------------------------------------------------------------------


def test_points_within_radius_are_geodesic_and_sorted() -> None:
    rng = np.random.default_rng(SEED)
    lon, lat = rng.uniform(-97, -94, 2000), rng.uniform(28, 31, 2000)
    points = gpd.GeoSeries.from_xy(lon, lat, crs=4326)
    points.iloc[5] = None
    positions, metres = points_within_radius(points, -95.36, 29.76, 100_000)
    _, _, expected = GEOD.inv(np.full(2000, -95.36), np.full(2000, 29.76), lon, lat)
    expected[5] = np.inf
    inside = np.flatnonzero(expected <= 100_000)
    assert sorted(positions.tolist()) == inside.tolist()
    np.testing.assert_allclose(metres, expected[positions], rtol=1e-12)
    assert (np.diff(metres) >= 0).all()


def test_points_within_radius_across_the_antimeridian() -> None:
    points = gpd.GeoSeries.from_xy([179.95, -179.95, 170.0], [52.0, 52.0, 52.0], crs=4326)
    positions, metres = points_within_radius(points, 180.0, 52.0, 10_000)
    assert positions.tolist() == [0, 1]
    assert metres[0] == pytest.approx(metres[1])


def test_points_within_radius_refuses_bad_layers() -> None:
    with pytest.raises(ValueError, match="points are in EPSG:3857, expected EPSG:4326"):
        points_within_radius(gpd.GeoSeries.from_xy([0], [0], crs=3857), 0, 0, 1000)
    lines = gpd.GeoSeries([shapely.Point(0, 0), shapely.LineString([(0, 0), (1, 1)])], crs=4326)
    with pytest.raises(ValueError, match="points position 1 is a LineString, not a Point"):
        points_within_radius(lines, 0, 0, 1000)
