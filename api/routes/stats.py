"""``/stats/``: correlation, group comparison and spatial autocorrelation over a region.

Each answer names the as-of of every indicator it used and lists the counties it left out.
A statistic depends only on its parameters and the snapshot, so each is computed once (on a
worker thread) and kept; Moran's I permutes with a fixed seed, so kept is what it would say again.
"""

from dataclasses import asdict
from datetime import date
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.answers import Body, answer
from api.dependencies import OnDate, Region, RegionOf
from api.errors import InvalidParameter
from api.schemas import ERRORS, CompareAnswer, CorrelationAnswer, MoranAnswer
from geo.atlas import INDICATORS, SERIES_CHANGE_WARNING
from geo.stats import METHODS, PERMUTATIONS, compare_groups, correlation, morans_i

router = APIRouter(prefix="/stats")
GROUPINGS = ("active_287g",)
# Documented, not enforced, by OpenAPI: the route's own check answers with the list of indicators.
_ONE_OF_INDICATORS = {"enum": list(INDICATORS)}


def _indicator(name: str, parameter: str) -> str:
    if name not in INDICATORS:
        raise InvalidParameter(
            f"{parameter}: {name!r} is not an indicator (one of {', '.join(INDICATORS)})"
        )
    return name


def _region_atlas(request: Request, region: Region, on: date | None) -> pd.DataFrame:
    atlas = request.app.state.layers.get("counties", on)
    chosen = atlas[region.select(atlas, request.app.state.snapshot.states).to_numpy()]
    return chosen.set_index("county_fips")


def _describe(atlas: pd.DataFrame, *names: str) -> dict:
    """Each indicator's description and the as-of values its figures carry."""
    described = {}
    for name in names:
        description, as_of_column = INDICATORS[name]
        as_of = sorted({str(v) for v in atlas[as_of_column].dropna().unique()})
        described[name] = {"description": description, "as_of": as_of}
    return described


def _warnings(*names: str) -> list[str]:
    """Say so whenever a crime indicator is used, since its series changed method."""
    series = {name.split("_")[0] for name in names if name.startswith(("ucr_", "nibrs_"))}
    if not series:
        return []
    if series == {"ucr", "nibrs"}:
        return [f"this compares the UCR and NIBRS series. {SERIES_CHANGE_WARNING}"]
    return [SERIES_CHANGE_WARNING]


def _numeric(atlas: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_numeric(atlas[name], errors="coerce").astype(float).rename(name)


def _run(compute, *args):
    """Turn a statistic's refusal (too few counties) into a 422 naming the reason."""
    try:
        return compute(*args)
    except ValueError as exc:
        raise InvalidParameter(f"region and date: {exc}") from None


@router.get(
    "/correlation",
    summary="Correlation of two indicators",
    response_model=CorrelationAnswer,
    responses=ERRORS,
)
async def correlation_route(
    request: Request,
    x: Annotated[
        str,
        Query(
            description=f"indicator, one of {', '.join(INDICATORS)}",
            json_schema_extra=_ONE_OF_INDICATORS,
        ),
    ],
    y: Annotated[str, Query(description="second indicator", json_schema_extra=_ONE_OF_INDICATORS)],
    region: RegionOf,
    on: OnDate,
    method: Annotated[Literal[METHODS], Query(description="correlation coefficient")] = "pearson",
) -> Response:
    """n, r, p-value and a 95% confidence interval; counties missing either value are listed."""
    x, y = _indicator(x, "x"), _indicator(y, "y")
    if x == y:
        raise InvalidParameter(f"y: {y!r} is also x; a correlation needs two different indicators")

    def make() -> Body:
        atlas = _region_atlas(request, region, on)
        result = _run(correlation, _numeric(atlas, x), _numeric(atlas, y), method)
        described = _describe(atlas, x, y)
        return Body.of_model(
            CorrelationAnswer,
            {
                "x": x,
                "y": y,
                "indicators": described,
                "warnings": _warnings(x, y),
                **asdict(result),
            },
        )

    return await answer(request, ("correlation", x, y, region, on, method), make)


@router.get(
    "/compare",
    summary="Compare counties with and without an active 287(g) agreement",
    response_model=CompareAnswer,
    responses=ERRORS,
)
async def compare_route(
    request: Request,
    indicator: Annotated[
        str, Query(description="the indicator to compare", json_schema_extra=_ONE_OF_INDICATORS)
    ],
    region: RegionOf,
    on: OnDate,
    by: Annotated[
        Literal[GROUPINGS],
        Query(description="active_287g: at least one county or multi-county agreement active"),
    ] = "active_287g",
) -> Response:
    """Means, their difference with a 95% interval, and the test used."""
    indicator = _indicator(indicator, "indicator")

    def make() -> Body:
        atlas = _region_atlas(request, region, on)
        group = (atlas["agreements_active"] > 0).where(atlas["agreements_active"].notna())
        result = _run(compare_groups, _numeric(atlas, indicator), group.rename(by))
        described = _describe(atlas, indicator, "agreements_active")
        return Body.of_model(
            CompareAnswer,
            {
                "indicator": indicator,
                "by": by,
                "indicators": described,
                "warnings": _warnings(indicator),
                **asdict(result),
            },
        )

    return await answer(request, ("compare", indicator, region, on, by), make)


@router.get(
    "/moran",
    summary="Spatial autocorrelation (Moran's I and LISA)",
    response_model=MoranAnswer,
    responses=ERRORS,
)
async def moran_route(
    request: Request,
    indicator: Annotated[
        str, Query(description="the indicator to test", json_schema_extra=_ONE_OF_INDICATORS)
    ],
    region: RegionOf,
    on: OnDate,
    permutations: Annotated[
        int, Query(ge=99, le=9999, description="permutations for the pseudo p-value")
    ] = PERMUTATIONS,
) -> Response:
    """Global Moran's I with its permutation p-value, and LISA cluster labels per county."""
    indicator = _indicator(indicator, "indicator")

    def make() -> Body:
        atlas = _region_atlas(request, region, on)
        weights = request.app.state.layers.weights
        result = _run(morans_i, _numeric(atlas, indicator), weights, permutations)
        return Body.of_model(
            MoranAnswer,
            {
                "indicator": indicator,
                "indicators": _describe(atlas, indicator),
                "warnings": _warnings(indicator),
                **asdict(result),
            },
        )

    return await answer(request, ("moran", indicator, region, on, permutations), make)
