"""``/changes``: what ICE's 287(g) lists, the policies and the detention statistics changed
after a date, as JSON or as an Atom 1.0 feed a reporter can subscribe to for one state.
"""

from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Literal
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.dependencies import State
from api.errors import InvalidParameter
from api.schemas import ERRORS
from geo.changes import ChangeList, changes_since
from geo.sources.agreements import participating_dates

router = APIRouter()

ATOM = "http://www.w3.org/2005/Atom"
DEFAULT_WINDOW = timedelta(days=90)
"""Without ``since``, a rolling window before the newest list: a feed URL that never goes stale."""


class ChangesFormat(StrEnum):
    """What ``/changes`` can answer with."""

    json = "json"
    atom = "atom"


MEDIA_TYPES = {ChangesFormat.json: "application/json", ChangesFormat.atom: "application/atom+xml"}


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class AgreementChange(_Open):
    """One agreement added, ended or re-signed on one of ICE's lists."""

    date: str = Field(description="the participating list that shows the change")
    change: Literal["added", "ended", "re_signed"]
    agreement_id: str
    state_abbr: str
    agency: str = Field(description="as ICE last printed it")
    model: str | None = Field(description="287(g) support model")
    signed: str | None = Field(description="signed date on that list (on the last one if ended)")
    previous_signed: str | None = Field(description="re_signed only: the date it replaced")
    relisted: bool = Field(description="added: it had been listed before and dropped")
    county_fips_list: list[str] = Field(description="counties it covers; empty if state-wide")
    county_names: list[str]
    match_type: str | None = Field(description="how it was placed: statewide, unresolved, ...")


class CountyChange(_Open):
    """A county whose sanctuary / anti-sanctuary status differs between since and until."""

    county_fips: str
    county_name: str
    state_abbr: str
    status_before: str | None
    status: str


class FacilityChange(_Open):
    """A detention facility's ADP in the newest fiscal year against the year before."""

    facility_id: str
    name: str
    state_abbr: str | None
    from_fiscal_year: int
    from_adp: float
    to_fiscal_year: int
    to_adp: float
    change: float
    to_year_to_date: bool = Field(description="the newer year was still running")


class ChangesAnswer(_Open):
    since: str
    until: str = Field(description="the newest 287(g) list")
    state: str | None
    lists: list[str] = Field(description="participating lists dated after since")
    counts: dict[str, int] = Field(description="added, ended, re_signed, county_status")
    agreements: list[AgreementChange]
    counties: list[CountyChange]
    facilities: list[FacilityChange] = Field(description="the 10 whose ADP moved most")


def since_query(
    since: Annotated[
        str | None,
        Query(
            description="YYYY-MM-DD: changes on lists dated after this day (default: 90 days "
            "before the newest list)",
            examples=["2026-01-01"],
        ),
    ] = None,
) -> date | None:
    """Parse ``since`` as an ISO calendar date."""
    if since is None:
        return None
    try:
        return date.fromisoformat(since)
    except ValueError:
        raise InvalidParameter(f"since: {since!r} is not a YYYY-MM-DD date") from None


def changes_format(
    request: Request,
    f: Annotated[
        ChangesFormat | None,
        Query(description="json or atom; overrides the Accept header"),
    ] = None,
) -> ChangesFormat:
    """An explicit ``f=`` wins; else Atom when ``Accept`` asks for it; else JSON."""
    if f is not None:
        return f
    accept = request.headers.get("accept", "").lower()
    return ChangesFormat.atom if MEDIA_TYPES[ChangesFormat.atom] in accept else ChangesFormat.json


@router.get(
    "/changes",
    summary="What changed after a date (JSON or Atom feed)",
    responses={
        200: {
            "model": ChangesAnswer,
            "content": {MEDIA_TYPES[ChangesFormat.atom]: {"schema": {"type": "string"}}},
        },
        422: ERRORS[422],
    },
)
def changes(
    request: Request,
    since: Annotated[date | None, Depends(since_query)],
    state: State,
    fmt: Annotated[ChangesFormat, Depends(changes_format)],
) -> Response:
    """287(g) agreements added, ended and re-signed on ICE's lists after ``since`` (with state
    and counties), counties whose sanctuary / anti-sanctuary status changed, and the detention
    facilities whose ADP moved most. The Atom feed carries the agreement and county changes,
    newest first."""
    snapshot = request.app.state.snapshot
    if since is None:
        since = participating_dates(snapshot.sightings)[-1] - DEFAULT_WINDOW
    change_list = changes_since(snapshot, since, state)
    if fmt is ChangesFormat.atom:
        body = atom_feed(change_list, str(request.url), str(request.base_url))
        return Response(body, media_type=MEDIA_TYPES[fmt])
    return JSONResponse(change_list.as_dict(), media_type=MEDIA_TYPES[fmt])


def atom_feed(changes: ChangeList, self_url: str, base_url: str) -> bytes:
    """An Atom 1.0 (RFC 4287) feed: one entry per agreement or county change, newest first.

    Ids are URNs made of what changed and when, so an entry keeps its id across requests and
    windows and a feed reader shows it once.
    """
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    place = changes.state or "the United States"
    _add(feed, "id", f"urn:enforcemap:changes:{(changes.state or 'us').lower()}")
    _add(feed, "title", f"enforcemap: 287(g) agreements and policies changing in {place}")
    _add(
        feed,
        "subtitle",
        f"Agreements added, ended and re-signed on ICE's 287(g) lists after {changes.since}, "
        "and counties whose sanctuary / anti-sanctuary status changed.",
    )
    _add(feed, "updated", _timestamp(changes.until))
    author = _add(feed, "author")
    _add(author, "name", "enforcemap")
    _add(feed, "link", rel="self", href=self_url, type=MEDIA_TYPES[ChangesFormat.atom])
    _add(feed, "rights", "Data: U.S. Immigration and Customs Enforcement (public domain)")
    _add(feed, "generator", "enforcemap")
    entries = [_agreement_entry(row, base_url) for row in changes.agreements.itertuples()]
    entries += [
        _county_entry(row, changes.until, base_url) for row in changes.counties.itertuples()
    ]
    for entry in sorted(entries, key=lambda e: e.findtext(f"{{{ATOM}}}updated"), reverse=True):
        feed.append(entry)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


_VERBS = {"added": "Added", "ended": "Ended", "re_signed": "Re-signed"}


def _agreement_entry(row: tuple, base_url: str) -> ET.Element:
    where = (
        "state-wide"
        if row.match_type == "statewide"
        else ", ".join(row.county_names) or "county not resolved"
    )
    model = row.model or "support model not published"
    title = f"{_VERBS[row.change]}: {row.agency} ({row.state_abbr}), {model}"
    if row.change == "re_signed":
        text = f"signed date {row.previous_signed} changed to {row.signed}"
    elif row.change == "ended":
        text = "no longer on the list"
    else:
        text = "listed again" if row.relisted else "newly listed"
        text += f", signed {row.signed}" if row.signed is not None else ""
    content = (
        f"ICE's 287(g) participating list of {row.date}: {row.agency} ({where}, "
        f"{row.state_abbr}), {model}: {text}."
    )
    entry = _entry(f"urn:enforcemap:agreement:{row.agreement_id}:{row.change}:{row.date}", title)
    _add(entry, "updated", _timestamp(row.date))
    _add(entry, "category", term=row.change, label=_VERBS[row.change])
    _add(entry, "content", content, type="text")
    if row.county_fips is not None:
        _add(entry, "link", rel="alternate", href=f"{base_url}counties/{row.county_fips}")
    return entry


def _county_entry(row: tuple, until: date, base_url: str) -> ET.Element:
    title = f"Policy status changed: {row.county_name}, {row.state_abbr}"
    entry = _entry(f"urn:enforcemap:county:{row.county_fips}:status:{until}", title)
    _add(entry, "updated", _timestamp(until))
    _add(entry, "category", term="county_status", label="Policy status changed")
    _add(entry, "content", f"{row.status_before} -> {row.status} ({row.status_level} level)")
    _add(entry, "link", rel="alternate", href=f"{base_url}counties/{row.county_fips}")
    return entry


def _entry(urn: str, title: str) -> ET.Element:
    entry = ET.Element(f"{{{ATOM}}}entry")
    _add(entry, "id", urn)
    _add(entry, "title", title)
    return entry


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    child = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    child.text = text
    return child


def _timestamp(day: date) -> str:
    """RFC 3339 at midnight UTC: ICE dates its lists by day only."""
    return f"{day.isoformat()}T00:00:00Z"
