"""``/query/``: point, radius, polygon, bulk and neighbours, with their limits."""

import geopandas as gpd
import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.factory import create_app
from tests.api.store import DATA, app_settings

HARRIS_BOX = {
    "type": "Polygon",
    "coordinates": [[[-95.5, 29.7], [-95.2, 29.7], [-95.2, 29.8], [-95.5, 29.8], [-95.5, 29.7]]],
}


@pytest.fixture(scope="module")
def tight() -> TestClient:
    """The same app with small limits, so each 413 is cheap to reach."""
    settings = app_settings(
        max_body_bytes=2_000,
        max_polygon_vertices=10,
        max_bulk_points=5,
        max_radius_m=10_000,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def test_point_names_harris_county_with_indicators(client):
    body = client.get("/query/point?lon=-95.36&lat=29.76").json()
    county = body["county"]
    assert county["county_fips"] == "48201"
    assert county["name_lsad"] == "Harris County"
    assert {"agreements_active", "policy_status", "detention_adp", "population"} <= set(county)


def test_point_as_of_a_date(client):
    county = client.get("/query/point?lon=-112.07&lat=33.45&date=2011-06-01").json()["county"]
    assert county["county_fips"] == "04013"
    assert county["agreements_as_of"] == "2011-02-20"


def test_point_in_the_ocean_is_404_naming_it(client):
    response = client.get("/query/point?lon=-40&lat=30")
    assert response.status_code == 404
    assert response.json()["detail"] == "lon, lat: (-40.0, 30.0) lies in no served county"


@pytest.mark.parametrize("query", ["lon=-200&lat=30", "lon=-95&lat=95", "lon=x&lat=30", "lat=30"])
def test_bad_coordinates_are_422(client, query):
    response = client.get(f"/query/point?{query}")
    assert response.status_code == 422
    assert response.json()["detail"].split(":")[0] in ("lon", "lat")


def test_radius_sorted_with_distances(client):
    body = client.get("/query/radius?lon=-95.36&lat=29.76&radius_m=30000").json()
    distances = [f["distance_m"] for f in body["features"]]
    assert body["features"][0]["county_fips"] == "48201" and distances[0] == 0
    assert distances == sorted(distances) and distances[-1] <= 30000
    assert "48157" in {f["county_fips"] for f in body["features"]}


def test_radius_finds_detention_facilities(client):
    body = client.get("/query/radius?lon=-95.36&lat=29.76&radius_m=50000&layer=facilities").json()
    assert body["numberMatched"] >= 1
    assert all(f["distance_m"] <= 50000 for f in body["features"])


def test_radius_over_the_limit_is_422(tight):
    response = tight.get("/query/radius?lon=-95.36&lat=29.76&radius_m=20000")
    assert response.status_code == 422
    assert response.json()["detail"] == "radius_m: 20000 is over the maximum of 10000"


@pytest.mark.parametrize(
    "body",
    [HARRIS_BOX, {"type": "Feature", "geometry": HARRIS_BOX, "properties": {}}],
    ids=["geometry", "feature"],
)
def test_polygon_returns_intersecting_counties(client, body):
    answer = client.post("/query/polygon", json=body).json()
    assert [c["county_fips"] for c in answer["counties"]] == ["48201"]


def test_invalid_polygon_is_422_with_the_reason(client):
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    response = client.post("/query/polygon", json=bowtie)
    assert response.status_code == 422
    assert "Self-intersection" in response.json()["detail"]
    response = client.post("/query/polygon", json={"type": "Point", "coordinates": [0, 0]})
    assert response.json()["detail"] == "body: expected a GeoJSON Polygon or MultiPolygon geometry"


def test_polygon_over_the_vertex_limit_is_413(tight):
    ring = [[-95 + np.cos(a), 30 + np.sin(a)] for a in np.linspace(0, 2 * np.pi, 20)]
    ring[-1] = ring[0]
    response = tight.post("/query/polygon", json={"type": "Polygon", "coordinates": [ring]})
    assert response.status_code == 413
    assert response.json()["detail"] == "body: the polygon has 20 vertices, over the limit of 10"


def test_bulk_equals_sjoin_on_100000_random_points(client):
    rng = np.random.default_rng(20261125)
    lon, lat = rng.uniform(-125, -66, 100_000), rng.uniform(24, 50, 100_000)
    answer = client.post("/query/bulk", json={"lon": lon.tolist(), "lat": lat.tolist()}).json()
    counties = gpd.read_parquet(DATA / "counties.parquet")
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    joined = gpd.sjoin(points, counties[["county_fips", "geometry"]], predicate="within")
    expected = np.full(len(points), None, dtype=object)
    expected[joined.index.to_numpy()] = joined["county_fips"].to_numpy()
    assert answer["n"] == 100_000
    assert answer["county_fips"] == expected.tolist()
    assert answer["outside"] == int(sum(code is None for code in expected))


def test_bulk_accepts_csv_and_point_pairs_in_input_order(client):
    csv_answer = client.post(
        "/query/bulk",
        content=b"lon,lat\n-40,10\n-95.36,29.76\n",
        headers={"content-type": "text/csv"},
    ).json()
    assert csv_answer["county_fips"] == [None, "48201"]
    pairs = client.post("/query/bulk?f=csv", json={"points": [[-95.36, 29.76], [-40, 10]]})
    assert pairs.text.splitlines() == ["lon,lat,county_fips", "-95.36,29.76,48201", "-40.0,10.0,"]


def test_bulk_rejects_malformed_bodies(client):
    response = client.post("/query/bulk", json={"lon": [1, 2], "lat": [1]})
    assert response.status_code == 422
    assert response.json()["detail"] == "body: lon has 2 values but lat has 1"
    response = client.post("/query/bulk", json={"longitude": []})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("body: expected CSV with lon,lat columns")


def test_bulk_limits_are_413(tight):
    response = tight.post("/query/bulk", json={"points": [[-95, 30]] * 6})
    assert response.status_code == 413
    assert response.json()["detail"] == "body: 6 points is over the limit of 5"
    response = tight.post("/query/bulk", content=b"x" * 3_000, headers={"content-type": "text/csv"})
    assert response.status_code == 413
    assert response.json()["detail"] == "body: 3000 bytes is over the limit of 2000"


def test_neighbours_share_a_border(client):
    body = client.get("/query/neighbours?fips=48201").json()
    assert {"48157", "48039", "48071"} <= {c["county_fips"] for c in body["neighbours"]}
    corner = client.get("/query/neighbours?fips=04001").json()  # Apache County, AZ
    assert "08083" not in {c["county_fips"] for c in corner["neighbours"]}  # Montezuma, a corner


def test_neighbours_of_unknown_county_is_404(client):
    response = client.get("/query/neighbours?fips=99999")
    assert response.status_code == 404
    assert response.json()["detail"] == "fips: '99999' is not a served county"
