"""``/counties/{fips}``: one county's profile over time."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from api.answers import Body, answer
from api.errors import InvalidParameter, NotFound
from api.schemas import ERRORS, CountyProfile

router = APIRouter()


@router.get(
    "/counties/{fips}", summary="County profile", response_model=CountyProfile, responses=ERRORS
)
async def profile(
    request: Request,
    fips: Annotated[
        str,
        Path(
            description="5-digit county FIPS code",
            examples=["48201"],
            json_schema_extra={"pattern": "^[0-9]{5}$"},
        ),
    ],
) -> Response:
    """Every indicator for the county over time, with source and as-of, and the 287(g)
    agreements that apply to it and through which level (county, multi-county body, state)."""
    if not (len(fips) == 5 and fips.isdigit()):
        raise InvalidParameter(f"fips: {fips!r} is not a 5-digit county FIPS code")
    if fips not in request.app.state.layers.served["fips"]:
        raise NotFound(f"fips: {fips!r} is not a served county")

    def make() -> Body:
        return Body.of_model(CountyProfile, request.app.state.layers.profiles.of(fips))

    return await answer(request, ("profile", fips), make)
