"""One dependency per query parameter: read it, describe it for OpenAPI, validate it.

Each returns a parsed value (or None when absent) and raises :class:`InvalidParameter` naming the
parameter and quoting what was wrong, so every route validates the same way. Routes take them
through the ``Annotated`` aliases at the end, which run them on the event loop: each is a cheap
check, and a hand-off to a worker thread would cost more than the check and wait for the
interpreter lock behind whatever the workers compute. The plain functions stay callable (the
oEmbed route parses a map URL's parameters with them).
"""

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, ParamSpec, TypeVar

import pandas as pd
from fastapi import Depends, Query, Request

from api.errors import InvalidParameter
from api.settings import Settings


class OutputFormat(StrEnum):
    """What an items endpoint can answer with."""

    json = "json"
    geojson = "geojson"
    csv = "csv"


MEDIA_TYPES = {
    OutputFormat.geojson: "application/geo+json",
    OutputFormat.json: "application/json",
    OutputFormat.csv: "text/csv",
}


def settings_dep(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


def bbox_query(
    bbox: Annotated[
        str | None,
        Query(
            description="minLon,minLat,maxLon,maxLat in WGS 84 degrees: features intersecting it",
            examples=["-106.6,25.8,-93.5,36.5"],
        ),
    ] = None,
) -> tuple[float, float, float, float] | None:
    """Parse ``bbox`` into four floats, rejecting wrong counts, ranges and inverted boxes."""
    if bbox is None:
        return None
    parts = bbox.split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise InvalidParameter(f"bbox: {bbox!r} is not four comma-separated numbers") from None
    if len(values) != 4:
        raise InvalidParameter(f"bbox: expected 4 numbers, got {len(values)} in {bbox!r}")
    minx, miny, maxx, maxy = values
    if not all(-180 <= x <= 180 for x in (minx, maxx)) or not all(
        -90 <= y <= 90 for y in (miny, maxy)
    ):
        raise InvalidParameter(f"bbox: {bbox!r} is outside lon -180..180 / lat -90..90")
    if minx > maxx or miny > maxy:
        raise InvalidParameter(f"bbox: {bbox!r} is inverted (min greater than max)")
    return minx, miny, maxx, maxy


def date_query(
    date_: Annotated[
        str | None,
        Query(
            alias="date",
            description="YYYY-MM-DD: the layer as of that date (default: the newest data)",
            examples=["2021-06-30"],
            json_schema_extra={"format": "date"},
        ),
    ] = None,
) -> date | None:
    """Parse ``date`` as an ISO calendar date."""
    if date_ is None:
        return None
    try:
        return date.fromisoformat(date_)
    except ValueError:
        raise InvalidParameter(f"date: {date_!r} is not a YYYY-MM-DD date") from None


def state_query(
    request: Request,
    state: Annotated[
        str | None,
        Query(description="two-letter USPS state code, e.g. TX", examples=["TX"]),
    ] = None,
) -> str | None:
    """Normalise ``state`` to upper case and check it is a served state."""
    if state is None:
        return None
    code = state.strip().upper()
    if code not in request.app.state.layers.served["state"]:
        raise InvalidParameter(f"state: {state!r} is not a served state (50 states, DC, PR)")
    return code


@dataclass(frozen=True)
class Page:
    """``limit`` and ``offset`` after checking them against the settings."""

    limit: int
    offset: int


def page_query(
    request: Request,
    limit: Annotated[
        int | None, Query(description="items per page (bounded by the server's maximum)", ge=1)
    ] = None,
    offset: Annotated[int, Query(description="items to skip", ge=0)] = 0,
) -> Page:
    """Apply the default limit and refuse one over the maximum, quoting both numbers."""
    settings: Settings = request.app.state.settings
    if limit is not None and limit > settings.max_limit:
        raise InvalidParameter(f"limit: {limit} is above the maximum of {settings.max_limit}")
    return Page(limit=limit or settings.default_limit, offset=offset)


def output_format(
    request: Request,
    f: Annotated[
        OutputFormat | None,
        Query(description="output format; overrides the Accept header"),
    ] = None,
) -> OutputFormat:
    """An explicit ``f=`` wins; else the first supported type in ``Accept``; else GeoJSON."""
    if f is not None:
        return f
    accept = request.headers.get("accept", "")
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        for fmt, media_type in MEDIA_TYPES.items():
            if media == media_type:
                return fmt
    return OutputFormat.geojson


@dataclass(frozen=True)
class Region:
    """A set of counties named by ``region=``: the nation, a state, a Census region, a FIPS list."""

    kind: str
    values: tuple[str, ...]

    def select(self, counties: pd.DataFrame, states: pd.DataFrame) -> pd.Series:
        """Mask over ``counties`` (with ``county_fips`` and ``state_abbr``) for this region."""
        if self.kind == "us":
            return pd.Series(True, index=counties.index)
        if self.kind == "state":
            return counties["state_abbr"].isin(self.values)
        if self.kind == "census_region":
            in_region = states.loc[states["census_region"].isin(self.values), "state_abbr"]
            return counties["state_abbr"].isin(in_region)
        return counties["county_fips"].isin(self.values)


def region_query(
    request: Request,
    region: Annotated[
        str,
        Query(
            description="us | state:TX | census_region:south (northeast, midwest, south, west) "
            "| fips:48201,48113",
            examples=["us", "state:TX", "census_region:south", "fips:48201,48113"],
        ),
    ] = "us",
) -> Region:
    """Parse ``region`` and check every state, Census region or FIPS it names exists."""
    kind, _, rest = region.partition(":")
    values = tuple(v.strip() for v in rest.split(",") if v.strip())
    known = request.app.state.layers.served
    if kind == "us" and not rest:
        return Region("us", ())
    if kind not in known:
        raise InvalidParameter(
            f"region: {region!r} is not us, state:XX, census_region:NAME or fips:CODE,..."
        )
    if kind == "state":
        values = tuple(v.upper() for v in values)
    unknown = [v for v in values if v not in known[kind]] or ([] if values else ["(none)"])
    if unknown:
        raise InvalidParameter(f"region: unknown {kind} {', '.join(unknown)} in {region!r}")
    return Region(kind, values)


P = ParamSpec("P")
T = TypeVar("T")


def on_event_loop(dependency: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """``dependency`` as a coroutine function with the same parameters, so that FastAPI runs it
    on the event loop instead of a worker thread."""

    @functools.wraps(dependency)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return dependency(*args, **kwargs)

    return run


SettingsDep = Annotated[Settings, Depends(on_event_loop(settings_dep))]
BBox = Annotated[tuple[float, float, float, float] | None, Depends(on_event_loop(bbox_query))]
OnDate = Annotated[date | None, Depends(on_event_loop(date_query))]
State = Annotated[str | None, Depends(on_event_loop(state_query))]
PageOf = Annotated[Page, Depends(on_event_loop(page_query))]
Format = Annotated[OutputFormat, Depends(on_event_loop(output_format))]
RegionOf = Annotated[Region, Depends(on_event_loop(region_query))]
