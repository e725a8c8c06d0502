"""Response schemas, for the OpenAPI document and for checking what routes return.

Models allow extra fields: a route may add a property (a new indicator) without breaking
clients, and the schema still states every field a client can rely on.
"""

import dataclasses
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from geo import stats


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorBody(BaseModel):
    """Every 4xx answer."""

    error: str = Field(description="kind: invalid_parameter, not_found, payload_too_large, ...")
    detail: str = Field(description="the parameter and the problem, e.g. 'bbox: ... is inverted'")


ERRORS = {
    404: {"model": ErrorBody, "description": "unknown collection, item, county or place"},
    413: {"model": ErrorBody, "description": "body, polygon or point list over its limit"},
    422: {"model": ErrorBody, "description": "a parameter is malformed or out of range"},
}


class Link(_Open):
    rel: str
    href: str
    type: str | None = None


class LayerStatus(_Open):
    as_of: str | None = Field(description="the layer's as-of date (or fiscal year, year)")
    rows: int | None


class Health(_Open):
    status: str = Field(description="'ok' once the snapshot is loaded")
    layers: dict[str, LayerStatus]


class Landing(_Open):
    title: str
    description: str
    links: list[Link]


class Conformance(_Open):
    conformsTo: list[str]


class CollectionInfo(_Open):
    id: str
    title: str
    description: str
    itemType: str
    crs: list[str]
    filters: dict[str, Any] = Field(description="query parameter -> allowed values or 'any'")
    links: list[Link]


class Collections(_Open):
    collections: list[CollectionInfo]
    links: list[Link]


class Feature(_Open):
    type: str = "Feature"
    id: str
    geometry: dict[str, Any] | None = Field(description="GeoJSON geometry (RFC 7946), or null")
    properties: dict[str, Any]


class FeatureCollection(_Open):
    type: str = "FeatureCollection"
    features: list[Feature]
    numberMatched: int
    numberReturned: int
    links: list[Link]


class ItemsPage(_Open):
    """Items as plain JSON records (``f=json``): each feature's properties, no geometry."""

    items: list[dict[str, Any]]
    numberMatched: int
    numberReturned: int
    links: list[Link]


class ValueSeries(_Open):
    source: str | None
    values: list[dict[str, Any]]


class CountyAgreements(_Open):
    source: str | None
    as_of: str | None
    applies: list[dict[str, Any]] = Field(
        description="each agreement with applies_through: county, multi_county or state"
    )
    active_over_time: list[dict[str, Any]] = Field(
        description="per ICE list date, agreements applying through each level"
    )


class CountyProfile(_Open):
    county_fips: str
    name: str
    state_abbr: str
    state_name: str
    land_area_sqmi: float
    population: ValueSeries
    agreements: CountyAgreements


class PointAnswer(_Open):
    lon: float
    lat: float
    county: dict[str, Any] = Field(description="the county's atlas row: every indicator")


class RadiusAnswer(_Open):
    lon: float
    lat: float
    radius_m: float
    layer: str
    numberMatched: int
    features: list[dict[str, Any]] = Field(description="nearest first, with distance_m")


class PolygonAnswer(_Open):
    numberMatched: int
    counties: list[dict[str, Any]]


class BulkAnswer(_Open):
    n: int
    outside: int = Field(description="points in no served county")
    county_fips: list[str | None] = Field(description="one per posted point, in input order")


class NeighboursAnswer(_Open):
    county_fips: str
    neighbours: list[dict[str, Any]]


class IndicatorUse(_Open):
    description: str
    as_of: list[str]


class StatisticAnswer(_Open):
    """What every statistic adds to its result: the indicators' as-of and any warnings."""

    indicators: dict[str, IndicatorUse]
    warnings: list[str]


def _answer(result: type, *, __doc__: str, **route_fields: Any) -> type[BaseModel]:
    """A response model made of a ``geo.stats`` result dataclass's own fields (so the two never
    drift apart) plus the fields the route adds."""
    fields = {f.name: (f.type, ...) for f in dataclasses.fields(result)}
    return create_model(
        f"{result.__name__}Answer",
        __base__=StatisticAnswer,
        __doc__=__doc__,
        **fields,
        **route_fields,
    )


CorrelationAnswer = _answer(
    stats.CorrelationResult, __doc__="A correlation and its inputs.", x=(str, ...), y=(str, ...)
)
CompareAnswer = _answer(
    stats.GroupComparison,
    __doc__="A group comparison and its inputs.",
    indicator=(str, ...),
    by=(str, ...),
)
MoranAnswer = _answer(
    stats.MoranResult, __doc__="Moran's I, LISA clusters and its input.", indicator=(str, ...)
)
