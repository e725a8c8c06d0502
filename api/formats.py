"""Render a page of features as GeoJSON (RFC 7946), plain JSON or CSV."""

import csv
import io
import json

import numpy as np
import shapely
from fastapi.responses import JSONResponse, Response

from api.dependencies import MEDIA_TYPES, OutputFormat


def features(records: list[dict], geometries: np.ndarray, id_column: str) -> list[dict]:
    """GeoJSON features with the id column as the feature id; missing geometry is ``null``."""
    return [
        {
            "type": "Feature",
            "id": record[id_column],
            "geometry": None if geometry is None else json.loads(geometry),
            "properties": record,
        }
        for record, geometry in zip(records, shapely.to_geojson(geometries), strict=True)
    ]


def render_items(
    records: list[dict],
    geometries: np.ndarray,
    id_column: str,
    fmt: OutputFormat,
    number_matched: int,
    links: list[dict],
) -> Response:
    """One response for a page of items (records and their geometries) in the negotiated format."""
    if fmt is OutputFormat.csv:
        return Response(to_csv(records), media_type=MEDIA_TYPES[fmt])
    body: dict = {"numberMatched": number_matched, "numberReturned": len(records), "links": links}
    if fmt is OutputFormat.geojson:
        body = {
            "type": "FeatureCollection",
            "features": features(records, geometries, id_column),
            **body,
        }
    else:
        body = {"items": records, **body}
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
