"""OGC API – Features: landing page, conformance, collections, items, single items."""

from datetime import date
from typing import Annotated

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from api.answers import Body, answer
from api.collections import COLLECTIONS, Collection, LayerCache
from api.dependencies import (
    MEDIA_TYPES,
    BBox,
    Format,
    OnDate,
    OutputFormat,
    Page,
    PageOf,
    State,
    on_event_loop,
)
from api.errors import InvalidParameter, NotFound
from api.formats import feature_json, items_text
from api.routes.maps import landing_page, prefers_html
from api.schemas import (
    ERRORS,
    CollectionInfo,
    Collections,
    Conformance,
    Feature,
    FeatureCollection,
    ItemsPage,
    Landing,
)
from geo.sources.agreements import MODELS

router = APIRouter()

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]


def collection_param(
    collection_id: Annotated[
        str, Path(description=f"one of {', '.join(COLLECTIONS)}", examples=["counties"])
    ],
) -> Collection:
    """The collection named in the path, or a 404 naming it."""
    if collection_id not in COLLECTIONS:
        raise NotFound(
            f"collection_id: {collection_id!r} is not a collection (one of {', '.join(COLLECTIONS)})"
        )
    return COLLECTIONS[collection_id]


CollectionOf = Annotated[Collection, Depends(on_event_loop(collection_param))]


def _describe(request: Request, collection: Collection) -> dict:
    base = str(request.url_for("collection", collection_id=collection.id))
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "filters": {
            name: list(allowed) if allowed else "any"
            for name, (_, allowed) in collection.filters.items()
        },
        "links": [
            {"rel": "self", "type": "application/json", "href": base},
            {"rel": "items", "type": "application/geo+json", "href": f"{base}/items"},
        ],
    }


@router.get(
    "/",
    summary="Landing page",
    response_model=Landing,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
async def landing(request: Request) -> dict | Response:
    """What this service is, and links to its parts; a browser (``Accept: text/html`` or
    ``?f=html``) gets the national map page instead, ``?f=json`` always this JSON."""
    if prefers_html(request):
        return await landing_page(request)
    return {
        "title": "enforcemap",
        "description": "US immigration enforcement, county by county: 287(g) agreements over "
        "time joined to Census counties.",
        "links": [
            {"rel": "self", "href": str(request.url_for("landing"))},
            {"rel": "service-desc", "href": str(request.url_for("openapi"))},
            {"rel": "conformance", "href": str(request.url_for("conformance"))},
            {"rel": "data", "href": str(request.url_for("collections"))},
        ],
    }


@router.get("/conformance", summary="Conformance classes", response_model=Conformance)
def conformance() -> dict:
    """The OGC API – Features classes this service implements."""
    return {"conformsTo": CONFORMANCE}


@router.get("/collections", summary="Feature collections", response_model=Collections)
def collections(request: Request) -> dict:
    """Every collection with its links."""
    return {
        "collections": [_describe(request, c) for c in COLLECTIONS.values()],
        "links": [{"rel": "self", "href": str(request.url_for("collections"))}],
    }


@router.get(
    "/collections/{collection_id}",
    summary="One collection",
    name="collection",
    response_model=CollectionInfo,
    responses=ERRORS,
)
def collection(request: Request, collection: CollectionOf) -> dict:
    """A collection's description and links."""
    return _describe(request, collection)


def _filtered(
    layers: LayerCache,
    collection: Collection,
    on: date | None,
    filters: dict[str, str | None],
    bbox: tuple[float, float, float, float] | None,
) -> np.ndarray:
    """Positions of the rows matching every given property filter and intersecting ``bbox``."""
    layer = layers.get(collection.id, on)
    keep = pd.Series(True, index=layer.index)
    for name, value in filters.items():
        if value is None:
            continue
        if name not in collection.filters:
            raise InvalidParameter(
                f"{name}: the {collection.id} collection cannot be filtered by {name}"
            )
        column, allowed = collection.filters[name]
        if allowed is not None and value not in allowed:
            raise InvalidParameter(
                f"{name}: {value!r} is not one of {', '.join(allowed)} in {collection.id}"
            )
        keep &= layer[column] == value
    if bbox is not None:
        keep &= layers.in_bbox(collection.id, on, bbox)
    return np.flatnonzero(keep.to_numpy())


def _page_links(request: Request, page: Page, matched: int) -> list[dict]:
    def at(offset: int) -> str:
        return str(request.url.include_query_params(offset=offset, limit=page.limit))

    links = [{"rel": "self", "type": "application/geo+json", "href": str(request.url)}]
    if page.offset + page.limit < matched:
        links.append(
            {"rel": "next", "type": "application/geo+json", "href": at(page.offset + page.limit)}
        )
    if page.offset > 0:
        links.append(
            {
                "rel": "prev",
                "type": "application/geo+json",
                "href": at(max(page.offset - page.limit, 0)),
            }
        )
    return links


@router.get(
    "/collections/{collection_id}/items",
    summary="Items of a collection",
    responses={
        200: {
            "model": FeatureCollection | ItemsPage,
            "content": {
                "application/geo+json": {
                    "schema": {"$ref": "#/components/schemas/FeatureCollection"}
                },
                "text/csv": {"schema": {"type": "string"}},
            },
            "description": "GeoJSON (default), JSON items or CSV, by `f` or `Accept`",
        },
        **ERRORS,
    },
)
async def items(
    request: Request,
    collection: CollectionOf,
    page: PageOf,
    bbox: BBox,
    on: OnDate,
    state: State,
    fmt: Format,
    model: Annotated[
        str | None,
        Query(description=f"agencies: 287(g) support model, one of {', '.join(MODELS)}"),
    ] = None,
    status: Annotated[
        str | None,
        Query(
            description="agencies: status on the newest list (active, pending, "
            "no_longer_listed); counties: policy status on `date` (limits_cooperation, "
            "mandates_cooperation, conflicting, city_limits_cooperation, ..., undocumented)"
        ),
    ] = None,
) -> Response:
    """A page of features, filtered by bbox, state and properties, as of ``date``."""

    def make() -> Body:
        layers = request.app.state.layers
        filters = {"state": state, "model": model, "status": status}
        matched = _filtered(layers, collection, on, filters, bbox)
        selected = matched[page.offset : page.offset + page.limit]
        records, encoded = layers.records(collection.id, on), layers.records_json(collection.id, on)
        text = items_text(
            fmt,
            [records[i] for i in selected],
            [encoded[i] for i in selected],
            layers.geometry_json(collection.id, on, selected)
            if fmt is OutputFormat.geojson
            else [],
            collection.id_column,
            len(matched),
            _page_links(request, page, len(matched)),
        )
        return Body.of(text, html=False)

    # Without ``f``, the format follows ``Accept``: the URL and the format name the answer.
    key = ("items", str(request.url), fmt)
    return await answer(request, key, make, MEDIA_TYPES[fmt], {"Vary": "Accept"})


@router.get(
    "/collections/{collection_id}/items/{item_id}",
    summary="One item",
    response_model=Feature,
    responses=ERRORS,
)
def item(
    request: Request,
    collection: CollectionOf,
    item_id: Annotated[str, Path(description="feature id (county: 5-digit FIPS)")],
    on: OnDate,
) -> Response:
    """One feature by id, as GeoJSON."""
    layers = request.app.state.layers
    layer = layers.get(collection.id, on)
    found = np.flatnonzero((layer[collection.id_column] == item_id).to_numpy())[:1]
    if not len(found):
        raise NotFound(f"item_id: {item_id!r} is not in the {collection.id} collection")
    text = feature_json(
        item_id,
        layers.geometry_json(collection.id, on, found)[0],
        layers.records_json(collection.id, on)[found[0]],
    )
    return Response(text, media_type="application/json")
