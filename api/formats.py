"""Write a page of features as GeoJSON (RFC 7946), plain JSON or CSV.

Rows and geometries arrive encoded already (the layer cache encodes each once), so a page is
spliced from their text: the answer is the same JSON as encoding the page whole.
"""

import csv
import io
import json

from api.dependencies import OutputFormat


def encode_json(value: object) -> str:
    """Compact JSON as the API writes it: UTF-8 text, and no NaN (a value that is not JSON
    fails loudly instead of reaching a client as invalid JSON)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def feature_json(feature_id: object, geometry: str | None, properties: str) -> str:
    """One GeoJSON Feature from its encoded geometry (None: ``null``) and properties."""
    return (
        f'{{"type":"Feature","id":{encode_json(feature_id)},'
        f'"geometry":{geometry or "null"},"properties":{properties}}}'
    )


def items_text(
    fmt: OutputFormat,
    records: list[dict],
    records_json: list[str],
    geometries: list[str | None],
    id_column: str,
    number_matched: int,
    links: list[dict],
) -> str:
    """A page of items (its rows, as dicts and encoded, and their geometries) in ``fmt``."""
    if fmt is OutputFormat.csv:
        return to_csv(records)
    tail = (
        f'"numberMatched":{number_matched},"numberReturned":{len(records)},'
        f'"links":{encode_json(links)}}}'
    )
    if fmt is OutputFormat.geojson:
        features = ",".join(
            feature_json(record[id_column], geometry, properties)
            for record, geometry, properties in zip(records, geometries, records_json, strict=True)
        )
        return f'{{"type":"FeatureCollection","features":[{features}],{tail}'
    return f'{{"items":[{",".join(records_json)}],{tail}'


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
