"""Render a page of features as GeoJSON (RFC 7946), plain JSON or CSV."""

import csv
import io
import json

import geopandas as gpd
import shapely
from fastapi.responses import JSONResponse, Response

from api.dependencies import MEDIA_TYPES, OutputFormat
from geo.layers import as_records


def features(page: gpd.GeoDataFrame, id_column: str) -> list[dict]:
    """GeoJSON features with the id column as the feature id; missing geometry is ``null``."""
    geometries = shapely.to_geojson(page.geometry.to_numpy())
    return [
        {
            "type": "Feature",
            "id": record[id_column],
            "geometry": None if geometry is None else _raw(geometry),
            "properties": record,
        }
        for record, geometry in zip(as_records(page), geometries, strict=True)
    ]


def _raw(geojson_text: str) -> dict:
    return json.loads(geojson_text)


def render_items(
    page: gpd.GeoDataFrame,
    id_column: str,
    fmt: OutputFormat,
    number_matched: int,
    links: list[dict],
) -> Response:
    """One response for a page of items in the negotiated format."""
    if fmt is OutputFormat.csv:
        return Response(to_csv(as_records(page)), media_type=MEDIA_TYPES[fmt])
    body: dict = {
        "numberMatched": number_matched,
        "numberReturned": len(page),
        "links": links,
    }
    if fmt is OutputFormat.geojson:
        body = {"type": "FeatureCollection", "features": features(page, id_column), **body}
    else:
        body = {"items": as_records(page), **body}
    return JSONResponse(body, media_type=MEDIA_TYPES[fmt])


def to_csv(records: list[dict]) -> str:
    """Records as CSV text; list values joined with ``;``."""
    out = io.StringIO()
    if records:
        writer = csv.DictWriter(out, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow(
                {k: ";".join(v) if isinstance(v, list) else v for k, v in record.items()}
            )
    return out.getvalue()
