"""``/counties/{fips}``: one county's profile over time."""

from typing import Annotated

from fastapi import APIRouter, Path, Request

from api.errors import InvalidParameter, NotFound
from api.schemas import ERRORS, CountyProfile
from geo.profile import county_profile

router = APIRouter()


@router.get(
    "/counties/{fips}", summary="County profile", response_model=CountyProfile, responses=ERRORS
)
def profile(
    request: Request,
    fips: Annotated[
        str,
        Path(
            description="5-digit county FIPS code",
            examples=["48201"],
            json_schema_extra={"pattern": "^[0-9]{5}$"},
        ),
    ],
) -> dict:
    """Every indicator for the county over time, with source and as-of, and the 287(g)
    agreements that apply to it and through which level (county, multi-county body, state)."""
    if not (len(fips) == 5 and fips.isdigit()):
        raise InvalidParameter(f"fips: {fips!r} is not a 5-digit county FIPS code")
    try:
        return request.app.state.layers.memo(
            ("profile", fips), lambda: county_profile(request.app.state.snapshot, fips)
        )
    except KeyError:
        raise NotFound(f"fips: {fips!r} is not a served county") from None
