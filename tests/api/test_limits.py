"""Every request bound answers with a 413 or 422 that names the input and the limit."""

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.factory import create_app
from api.settings import Settings
from tests.api.store import app_settings

MAX_BODY = 2_000
CHUNK = 100


def _tight_settings() -> Settings:
    return app_settings(
        default_limit=10,
        max_limit=50,
        max_body_bytes=MAX_BODY,
        max_polygon_vertices=10,
        max_bulk_points=5,
        max_radius_m=10_000,
    )


@pytest.fixture(scope="module")
def tight() -> Iterator[TestClient]:
    with TestClient(create_app(_tight_settings())) as client:
        yield client


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/collections/counties/items?limit=51", "limit: 51 is above the maximum of 50"),
        (
            "/collections/counties/items?limit=99999999999999999999999",
            "limit: 99999999999999999999999 is above the maximum of 50",
        ),
        (
            "/collections/counties/items?limit=0",
            "limit: Input should be greater than or equal to 1",
        ),
        (
            "/collections/counties/items?offset=-1",
            "offset: Input should be greater than or equal to 0",
        ),
        (
            "/query/radius?lon=0&lat=0&radius_m=10001",
            "radius_m: 10001 is over the maximum of 10000",
        ),
        ("/query/radius?lon=0&lat=0&radius_m=inf", "radius_m: inf is over the maximum of 10000"),
        ("/query/radius?lon=0&lat=0&radius_m=0", "radius_m: Input should be greater than 0"),
        (
            "/stats/moran?indicator=population&permutations=10000",
            "permutations: Input should be less than or equal to 9999",
        ),
    ],
)
def test_parameter_over_its_bound_is_422_naming_it(tight, url, detail):
    response = tight.get(url)
    assert response.status_code == 422
    assert response.json() == {"error": "invalid_parameter", "detail": detail}


def test_limit_at_the_maximum_is_served(tight):
    body = tight.get("/collections/counties/items?limit=50&f=json").json()
    assert body["numberReturned"] == 50


def test_bulk_csv_over_the_point_limit_is_413(tight):
    response = tight.post(
        "/query/bulk", content=b"lon,lat\n" + b"-95,30\n" * 6, headers={"content-type": "text/csv"}
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "body: 6 points is over the limit of 5"


def test_declared_body_over_the_limit_is_413_before_reading_it(tight):
    response = tight.post(
        "/query/polygon",
        content=b" " * (MAX_BODY + 1),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert (
        response.json()["detail"] == f"body: {MAX_BODY + 1} bytes is over the limit of {MAX_BODY}"
    )


def test_body_without_a_length_is_refused_once_over_the_limit():
    """A chunked body is never held whole: reading stops at the first chunk past the limit."""
    app = create_app(_tight_settings())
    chunks_read = 0
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal chunks_read
        chunks_read += 1
        return {"type": "http.request", "body": b" " * CHUNK, "more_body": chunks_read < 10_000}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/query/polygon",
        "raw_path": b"/query/polygon",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert sent[1]["body"] == (
        b'{"error":"payload_too_large","detail":"body: over the limit of 2000 bytes"}'
    )
    assert chunks_read == MAX_BODY // CHUNK + 1
