"""``/query/``: the county at a point, features near a point, counties in a polygon, bulk point →
county, and a county's neighbours. Every answer comes from the store's county index: in memory, or PostGIS.
"""

import io
import json
from datetime import date
from typing import Annotated, Literal

import numpy as np
import pandas as pd
import shapely
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.answers import JSON
from api.collections import LayerCache
from api.dependencies import OnDate, SettingsDep
from api.errors import InvalidParameter, NotFound, PayloadTooLarge
from api.formats import encode_json
from api.schemas import (
    ERRORS,
    BulkAnswer,
    NeighboursAnswer,
    PointAnswer,
    PolygonAnswer,
    RadiusAnswer,
)
from api.settings import Settings
from geo.index import CountyIndex
from geo.layers import as_records
from geo.postgis_index import PostgisIndex

router = APIRouter(prefix="/query")

Longitude = Annotated[float, Query(ge=-180, le=180, description="longitude, WGS 84 degrees")]
Latitude = Annotated[float, Query(ge=-90, le=90, description="latitude, WGS 84 degrees")]
_SUMMARY_COLUMNS = ["county_fips", "name_lsad", "state_abbr"]
POLYGON_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "a GeoJSON Polygon or MultiPolygon geometry, a Feature with "
                    "one, or a FeatureCollection of exactly one such Feature (lon/lat)",
                }
            }
        },
    }
}
BULK_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": '{"lon": [...], "lat": [...]} or {"points": [[lon, lat], ...]}',
                }
            },
            "text/csv": {"schema": {"type": "string", "description": "CSV with lon,lat columns"}},
        },
    }
}


def _index(request: Request) -> "CountyIndex | PostgisIndex":
    return request.app.state.layers.index


async def _body(request: Request, settings: Settings) -> bytes:
    """The request body, refused with 413 when over the configured size.

    A body sent without a length (chunked) is read chunk by chunk and refused as soon as it
    passes the limit, so no client can make the service hold more than the limit in memory.
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_body_bytes:
        raise PayloadTooLarge(
            f"body: {int(declared)} bytes is over the limit of {settings.max_body_bytes}"
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > settings.max_body_bytes:
            raise PayloadTooLarge(f"body: over the limit of {settings.max_body_bytes} bytes")
    return bytes(body)


@router.get(
    "/point",
    summary="The county at a point, with its indicators",
    response_model=PointAnswer,
    responses=ERRORS,
)
async def point(request: Request, lon: Longitude, lat: Latitude, on: OnDate) -> Response:
    """The county containing (lon, lat) and every atlas indicator for it as of ``date``."""
    layers = request.app.state.layers
    # The hottest endpoint: answered on the event loop when nothing can block (the index in
    # memory, the date's records made), else on a worker thread.
    if layers.index_in_memory and layers.kept_records_json("counties", on) is not None:
        return _point_answer(layers, lon, lat, on)
    return await run_in_threadpool(_point_answer, layers, lon, lat, on)


def _point_answer(layers: LayerCache, lon: float, lat: float, on: date | None) -> Response:
    position = layers.index.locate_point(lon, lat)
    if position < 0:
        raise NotFound(f"lon, lat: ({lon}, {lat}) lies in no served county")
    # The atlas and the indexed counties are both sorted by county_fips: same positions. The
    # county's record is encoded already, without revalidating it.
    county = layers.records_json("counties", on)[position]
    text = f'{{"lon":{encode_json(lon)},"lat":{encode_json(lat)},"county":{county}}}'
    return Response(text, media_type=JSON)


@router.get(
    "/radius",
    summary="Features within a great-circle radius of a point",
    response_model=RadiusAnswer,
    responses=ERRORS,
)
def radius(
    request: Request,
    lon: Longitude,
    lat: Latitude,
    radius_m: Annotated[float, Query(gt=0, description="radius in metres")],
    settings: SettingsDep,
    layer: Annotated[
        Literal["counties", "facilities"], Query(description="what to look for")
    ] = "counties",
) -> dict:
    """Counties (distance to their nearest edge, 0 inside) or detention facilities within the
    radius, nearest first, with the great-circle distance in metres."""
    if radius_m > settings.max_radius_m:
        raise InvalidParameter(
            f"radius_m: {radius_m:g} is over the maximum of {settings.max_radius_m:g}"
        )
    snapshot = request.app.state.snapshot
    if layer == "counties":
        positions, metres = _index(request).query_radius(lon, lat, radius_m)
        found = snapshot.counties.iloc[positions][_SUMMARY_COLUMNS]
    else:
        positions, metres = request.app.state.layers.facilities_within(lon, lat, radius_m)
        found = snapshot.facilities.iloc[positions][
            ["facility_id", "name", "city", "state_abbr", "county_fips", "placement_method"]
        ]
    records = as_records(found.assign(distance_m=np.round(metres, 1)))
    return {
        "lon": lon,
        "lat": lat,
        "radius_m": radius_m,
        "layer": layer,
        "numberMatched": len(records),
        "features": records,
    }


def _polygon(body: bytes, settings: Settings) -> shapely.Geometry:
    """A posted GeoJSON Polygon / MultiPolygon (bare, Feature, or one-feature collection)."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidParameter(f"body: not JSON ({exc})") from None
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features") or []
        if len(features) != 1:
            raise InvalidParameter(f"body: expected one feature, got {len(features)}")
        document = features[0]
    if isinstance(document, dict) and document.get("type") == "Feature":
        document = document.get("geometry")
    if not isinstance(document, dict) or document.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidParameter("body: expected a GeoJSON Polygon or MultiPolygon geometry")
    try:
        polygon = shapely.from_geojson(json.dumps(document))
    except shapely.errors.GEOSException as exc:
        raise InvalidParameter(f"body: not a readable GeoJSON polygon ({exc})") from None
    vertices = shapely.get_num_coordinates(polygon)
    if vertices > settings.max_polygon_vertices:
        raise PayloadTooLarge(
            f"body: the polygon has {vertices} vertices, over the limit of "
            f"{settings.max_polygon_vertices}"
        )
    if polygon.is_empty or not polygon.is_valid:
        reason = "it is empty" if polygon.is_empty else shapely.is_valid_reason(polygon)
        raise InvalidParameter(f"body: the polygon is not valid: {reason}")
    return polygon


@router.post(
    "/polygon",
    summary="Counties intersecting a posted GeoJSON polygon",
    response_model=PolygonAnswer,
    responses=ERRORS,
    openapi_extra=POLYGON_BODY,
)
async def polygon(request: Request, settings: SettingsDep) -> dict:
    """Counties whose polygon intersects the posted GeoJSON Polygon or MultiPolygon (lon/lat)."""
    shape = _polygon(await _body(request, settings), settings)
    positions = _index(request).query_polygon(shape)
    counties = request.app.state.snapshot.counties.iloc[positions][_SUMMARY_COLUMNS]
    return {"numberMatched": len(counties), "counties": as_records(counties)}


def _points(body: bytes, content_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes from CSV (``lon,lat`` columns) or JSON (``{"lon": [...],
    "lat": [...]}`` or ``{"points": [[lon, lat], ...]}``)."""
    if content_type.startswith("text/csv"):
        try:
            table = pd.read_csv(io.BytesIO(body), usecols=["lon", "lat"], dtype=float)
        except (ValueError, pd.errors.ParserError) as exc:
            raise InvalidParameter(f"body: CSV needs numeric lon and lat columns ({exc})") from None
        return table["lon"].to_numpy(), table["lat"].to_numpy()
    try:
        document = json.loads(body)
        if isinstance(document, dict) and "points" in document:
            pairs = np.asarray(document["points"], dtype=float).reshape(-1, 2)
            return pairs[:, 0], pairs[:, 1]
        return np.asarray(document["lon"], dtype=float), np.asarray(document["lat"], dtype=float)
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise InvalidParameter(
            'body: expected CSV with lon,lat columns, {"lon": [...], "lat": [...]} or '
            f'{{"points": [[lon, lat], ...]}} ({type(exc).__name__}: {exc})'
        ) from None


@router.post(
    "/bulk",
    summary="Bulk point → county",
    responses={200: {"model": BulkAnswer, "content": {"text/csv": {}}}, **ERRORS},
    openapi_extra=BULK_BODY,
)
async def bulk(
    request: Request,
    settings: SettingsDep,
    f: Annotated[Literal["json", "csv"], Query(description="answer format")] = "json",
) -> Response:
    """The county FIPS of every posted point, in input order; ``null`` outside every county."""
    body = await _body(request, settings)
    lon, lat = _points(body, request.headers.get("content-type", ""))
    if len(lon) > settings.max_bulk_points:
        raise PayloadTooLarge(
            f"body: {len(lon)} points is over the limit of {settings.max_bulk_points}"
        )
    try:
        fips = _index(request).fips_at(lon, lat)
    except ValueError as exc:
        raise InvalidParameter(f"body: {exc}") from None
    if f == "csv":
        table = pd.DataFrame({"lon": lon, "lat": lat, "county_fips": fips})
        return Response(table.to_csv(index=False, lineterminator="\n"), media_type="text/csv")
    outside = int(sum(code is None for code in fips))
    return Response(
        json.dumps({"n": len(fips), "outside": outside, "county_fips": fips.tolist()}),
        media_type="application/json",
    )


@router.get(
    "/neighbours",
    summary="Counties sharing a border with a county",
    response_model=NeighboursAnswer,
    responses=ERRORS,
)
def neighbours(
    request: Request,
    fips: Annotated[
        str,
        Query(
            description="5-digit county FIPS",
            examples=["48201"],
            json_schema_extra={"pattern": "^[0-9]{5}$"},
        ),
    ],
) -> dict:
    """Counties whose border meets the county's along a line (a shared corner does not count)."""
    try:
        positions = _index(request).neighbours(fips)
    except KeyError:
        raise NotFound(f"fips: {fips!r} is not a served county") from None
    counties = request.app.state.snapshot.counties.iloc[positions][_SUMMARY_COLUMNS]
    return {"county_fips": fips, "neighbours": as_records(counties)}
