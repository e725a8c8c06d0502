"""The embedded snapshot and PostGIS answer every collection and spatial query identically.

Both apps serve the committed snapshot: one from ``data/``, one from the test database (see
`tests.api.store`). Inputs are drawn with a fixed seed over the US box and its edges (Alaska
across the antimeridian, Puerto Rico, the coasts), so most points and circles cross borders.
"""

from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.collections import COLLECTIONS
from api.factory import create_app
from tests.api.store import app_settings

pytestmark = pytest.mark.slow

SEED = 20261125
DATES = [None, "2011-06-01", "2021-06-30"]
LIMIT = 5000
CENTRES = [
    (-95.36, 29.76),  # Houston
    (-122.42, 37.77),  # San Francisco, bay and ocean
    (-176.64, 51.88),  # Adak, Aleutians
    (179.5, 51.5),  # west of the antimeridian
    (-66.1, 18.4),  # San Juan
    (-109.045, 36.999),  # Four Corners
    (-74.0, 40.7),  # New York harbour
    (-155.5, 19.6),  # Hawaii
    (-87.6, 41.9),  # Chicago on the lake
]
RADII = [1.0, 5_000.0, 50_000.0, 250_000.0, 500_000.0]


@pytest.fixture(scope="module")
def stores() -> Iterator[dict[str, TestClient]]:
    """One client per store, with a page size that fits every collection."""
    with (
        TestClient(create_app(app_settings("embedded", max_limit=LIMIT))) as embedded,
        TestClient(create_app(app_settings("postgis", max_limit=LIMIT))) as postgis,
    ):
        yield {"embedded": embedded, "postgis": postgis}


def _same(stores: dict[str, TestClient], method: str, url: str, **kwargs: object) -> object:
    """Ask both stores; assert the status and the body are identical; return the body."""
    answers = {name: client.request(method, url, **kwargs) for name, client in stores.items()}
    embedded, postgis = answers["embedded"], answers["postgis"]
    assert embedded.status_code == postgis.status_code, url
    assert embedded.headers["content-type"] == postgis.headers["content-type"], url
    if embedded.headers["content-type"].startswith("text/csv"):
        assert embedded.text == postgis.text, url
        return embedded.text
    assert embedded.json() == postgis.json(), url
    return embedded.json()


@pytest.mark.parametrize("collection", list(COLLECTIONS))
@pytest.mark.parametrize("day", DATES)
def test_every_item_of_every_collection(stores, collection, day):
    dated = f"&date={day}" if day else ""
    body = _same(stores, "GET", f"/collections/{collection}/items?limit={LIMIT}{dated}")
    assert body["numberReturned"] == body["numberMatched"] > 0
    one = body["features"][len(body["features"]) // 2]["id"]
    _same(stores, "GET", f"/collections/{collection}/items/{one}?{dated}")


@pytest.mark.parametrize("collection", list(COLLECTIONS))
@pytest.mark.parametrize(
    "bbox", ["-106.6,25.8,-93.5,36.5", "-180,50,-160,72", "-67.3,17.8,-65.2,18.6", "0,0,1,1"]
)
def test_items_in_a_bbox(stores, collection, bbox):
    _same(stores, "GET", f"/collections/{collection}/items?limit={LIMIT}&bbox={bbox}")
    _same(stores, "GET", f"/collections/{collection}/items?bbox={bbox}&f=csv")


def test_point(stores):
    rng = np.random.default_rng(SEED)
    lon = np.concatenate([rng.uniform(-125, -66, 150), rng.uniform(-180, 180, 50)])
    lat = np.concatenate([rng.uniform(24, 50, 150), rng.uniform(15, 72, 50)])
    found = 0
    for x, y in zip(lon, lat, strict=True):
        body = _same(stores, "GET", f"/query/point?lon={float(x)!r}&lat={float(y)!r}")
        found += "county" in body
    assert 50 < found < len(lon)


@pytest.mark.parametrize("layer", ["counties", "facilities"])
def test_radius(stores, layer):
    matched = 0
    for lon, lat in CENTRES:
        for radius in RADII:
            url = f"/query/radius?lon={lon}&lat={lat}&radius_m={radius}&layer={layer}"
            matched += _same(stores, "GET", url)["numberMatched"]
    assert matched > 0


@pytest.mark.parametrize(
    "polygon",
    [
        {"type": "Polygon", "coordinates": [[[-100, 30], [-98, 30], [-98, 31.5], [-100, 30]]]},
        {
            "type": "MultiPolygon",
            "coordinates": [
                [[[-123, 37], [-121.5, 37], [-121.5, 38.5], [-123, 38.5], [-123, 37]]],
                [[[-67.5, 17.5], [-65, 17.5], [-65, 19], [-67.5, 17.5]]],
            ],
        },
        {"type": "Polygon", "coordinates": [[[-40, 30], [-39, 30], [-39, 31], [-40, 30]]]},
    ],
)
def test_polygon(stores, polygon):
    _same(stores, "POST", "/query/polygon", json=polygon)


def test_bulk(stores):
    rng = np.random.default_rng(SEED + 1)
    lon = np.concatenate([rng.uniform(-125, -66, 15_000), rng.uniform(-180, 180, 5_000)])
    lat = np.concatenate([rng.uniform(24, 50, 15_000), rng.uniform(15, 72, 5_000)])
    body = _same(stores, "POST", "/query/bulk", json={"lon": lon.tolist(), "lat": lat.tolist()})
    assert 0 < body["outside"] < body["n"] == len(lon)
    csv = "lon,lat\n" + "".join(
        f"{float(x)!r},{float(y)!r}\n" for x, y in zip(lon[:500], lat[:500], strict=True)
    )
    _same(stores, "POST", "/query/bulk?f=csv", content=csv, headers={"content-type": "text/csv"})


@pytest.mark.parametrize(
    ("fips", "state"),
    [("48201", "TX"), ("04001", "AZ"), ("02016", "AK"), ("06075", "CA"), ("51600", "VA")],
)
def test_neighbours_profile_and_moran(stores, fips, state):
    _same(stores, "GET", f"/query/neighbours?fips={fips}")
    _same(stores, "GET", f"/counties/{fips}")
    _same(stores, "GET", f"/stats/moran?indicator=population_density&region=state:{state}")
