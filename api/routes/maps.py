"""Map pages: ``/`` for browsers, ``/maps/{indicator}``, ``/embed/...`` and ``/oembed``.

Pages are HTML built by ``maps``; every bad parameter still answers the API's JSON 4xx. The
map views of the snapshot (county geometry per scope, list dates) are made on the first map
request and kept on ``app.state``; the dated layers come from the app's layer cache.

A page or frame depends only on its URL, its language and the snapshot, so each is made once
and kept ready to send (:mod:`api.answers`), with its inline scripts' hashes for the headers.
"""

import threading
from dataclasses import replace
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.answers import HTML, JSON, Body, answer
from api.dependencies import OnDate, State, date_query, on_event_loop, state_query
from api.errors import InvalidParameter, NotFound
from api.schemas import ERRORS
from maps.embed import ForeignUrl, MalformedUrl, frame_size, iframe_html, oembed, parse_map_url
from maps.i18n import Lang, UnknownLanguage, pick_language
from maps.indicators import MAP_INDICATORS, MapIndicator
from maps.pages import Kind, Site, map_title, render_map_page, render_snippet_page
from maps.urls import EMBED, map_path
from maps.views import SnapshotMaps

router = APIRouter()

_MAPS_LOCK = threading.Lock()


HTML_PAGE = {
    200: {"description": "an HTML page", "content": {"text/html": {"schema": {"type": "string"}}}},
    422: ERRORS[422],
}


class MapFrame(BaseModel):
    """One date of a map: arrays in the page's county order (see ``maps.frames``)."""

    model_config = ConfigDict(extra="allow")

    date: str = Field(description="the date shown (YYYY-MM-DD)")
    fields: list[dict] = Field(
        description="popup lines; the first holds the mapped values, with years and notes"
    )
    notes: list[str] = Field(description="why a value is missing, referenced by position")
    agencies: dict = Field(description="287(g) agreements active on the date, as points")
    facilities: dict = Field(description="ICE detention facilities with their ADP, as points")


class OEmbed(BaseModel):
    """An oEmbed 1.0 ``rich`` response."""

    version: str = Field(description="always 1.0")
    type: str = Field(description="always rich")
    provider_name: str
    provider_url: str
    title: str
    html: str = Field(description="the iframe to insert")
    width: int
    height: int


def snapshot_maps(request: Request) -> SnapshotMaps:
    """The map views of the served snapshot, made once on first use."""
    app_state = request.app.state
    with _MAPS_LOCK:
        if getattr(app_state, "maps", None) is None:
            # The layer cache's counties carry their polygons, whichever store serves them.
            snapshot = replace(app_state.snapshot, counties=app_state.layers.counties)
            app_state.maps = SnapshotMaps(snapshot, app_state.layers.get)
    return app_state.maps


def indicator_path(
    indicator: Annotated[
        str, Path(description=f"one of {', '.join(MAP_INDICATORS)}", examples=["agreements"])
    ],
) -> MapIndicator:
    """The indicator named in the path, or a 422 naming it and the known ones."""
    if indicator not in MAP_INDICATORS:
        raise InvalidParameter(
            f"indicator: {indicator!r} is not a map indicator (one of {', '.join(MAP_INDICATORS)})"
        )
    return MAP_INDICATORS[indicator]


def lang_query(
    request: Request,
    lang: Annotated[
        str | None,
        Query(description="en or es (default: the browser's Accept-Language, else en)"),
    ] = None,
) -> Lang:
    """``lang`` if given, else the best language of ``Accept-Language``."""
    try:
        return pick_language(lang, request.headers.get("accept-language"))
    except UnknownLanguage as exc:
        raise InvalidParameter(str(exc)) from None


Indicator = Annotated[MapIndicator, Depends(on_event_loop(indicator_path))]
Language = Annotated[Lang, Depends(on_event_loop(lang_query))]
Maps = Annotated[SnapshotMaps, Depends(snapshot_maps)]


def prefers_html(request: Request) -> bool:
    """Whether ``/`` should answer the map page: ``?f=html``, or ``Accept`` ranking HTML above
    JSON (a browser); ``?f=json``, ``Accept: application/json`` and ``*/*`` keep JSON."""
    f = request.query_params.get("f")
    if f in ("html", "json"):
        return f == "html"
    quality: dict[str, float | None] = {"text/html": None, "application/json": None}
    wildcard = 0.0
    for part in request.headers.get("accept", "").split(","):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.strip().lower()
        if media in quality:
            quality[media] = max(quality[media] or 0.0, q)
        elif media == "*/*":
            wildcard = max(wildcard, q)
    html, json_ = (wildcard if given is None else given for given in quality.values())
    return html > json_


async def landing_page(request: Request) -> Response:
    """The national 287(g) map with the layer switcher and county search (``/`` for browsers)."""
    on = date_query(request.query_params.get("date"))
    lang = lang_query(request, request.query_params.get("lang"))
    # ``/`` answers JSON or this page by ``Accept``.
    return await _page(request, MAP_INDICATORS["agreements"], None, on, lang, "landing", "Accept")


@router.get(
    "/maps/{indicator}",
    summary="Map of an indicator (HTML)",
    response_class=Response,
    responses=HTML_PAGE,
)
async def full_map(
    request: Request, indicator: Indicator, state: State, on: OnDate, lang: Language
) -> Response:
    """A county map of ``indicator`` over the nation or ``state`` on ``date``, with legend,
    popups, overlays, a layer control and a date control stepping through the 287(g) lists."""
    return await _page(request, indicator, state, on, lang, "page")


@router.get(
    "/maps/{indicator}/frame",
    summary="One date of a map (JSON)",
    response_model=MapFrame,
    responses={422: ERRORS[422]},
)
async def dated_frame(request: Request, indicator: Indicator, state: State, on: OnDate) -> Response:
    """What a map page swaps in when its date changes: county values with their years, notes
    and sources, the 287(g) agencies active and the detention facilities of that date."""

    def make() -> Body:
        return Body.of(snapshot_maps(request).frame_json(indicator, state, on), html=False)

    return await answer(request, ("frame", indicator.name, state, on), make, JSON)


@router.get(
    "/embed/snippet",
    summary="Iframe HTML to embed a map",
    response_class=Response,
    responses=HTML_PAGE,
)
def embed_snippet(
    request: Request,
    state: State,
    on: OnDate,
    lang: Language,
    maps: Maps,
    indicator: Annotated[
        str, Query(description=f"one of {', '.join(MAP_INDICATORS)}")
    ] = "agreements",
) -> Response:
    """A page with the iframe HTML to copy for this map (its URL keeps the language)."""
    chosen = indicator_path(indicator)
    src = _absolute(request, map_path(EMBED, chosen.name, state, on, lang))
    title = map_title(chosen.name, maps.place(state), lang)
    snippet = iframe_html(src, title, *frame_size(None, None))
    html = render_snippet_page(lang, title, snippet, _root(request))
    return Response(html, media_type="text/html; charset=utf-8", headers=_language_headers(lang))


@router.get(
    "/embed/{indicator}",
    summary="Embeddable map (HTML)",
    response_class=Response,
    responses=HTML_PAGE,
)
async def embedded_map(
    request: Request, indicator: Indicator, state: State, on: OnDate, lang: Language
) -> Response:
    """The map with minimal chrome for an iframe: legend, date control, as-of and attribution."""
    return await _page(request, indicator, state, on, lang, "embed")


@router.get(
    "/oembed",
    summary="oEmbed 1.0 for map URLs",
    response_model=OEmbed,
    responses={
        404: ERRORS[404],
        422: ERRORS[422],
    },
)
def oembed_endpoint(
    request: Request,
    maps: Maps,
    url: Annotated[str, Query(description="an /embed/... or /maps/... URL of this service")],
    maxwidth: Annotated[
        int | None, Query(ge=1, description="widest iframe the consumer takes")
    ] = None,
    maxheight: Annotated[
        int | None, Query(ge=1, description="tallest iframe the consumer takes")
    ] = None,
    fmt: Annotated[
        Literal["json"], Query(alias="format", description="json, the only format served")
    ] = "json",
) -> dict:
    """oEmbed ``rich`` JSON whose ``html`` is the map's iframe; 404 for a URL that is not a map
    of this service, 422 for a map URL with a bad indicator, state, date or language, and for a
    ``format`` other than json (the spec's 501 would read as a server fault)."""
    origin = f"{request.url.scheme}://{request.url.netloc}"
    try:
        target = parse_map_url(url, origin, _root(request))
    except ForeignUrl as exc:
        raise NotFound(str(exc)) from None
    except MalformedUrl as exc:
        raise InvalidParameter(str(exc)) from None
    try:
        indicator = indicator_path(target.indicator)
        state = state_query(request, target.state)
        on = date_query(target.date)
        lang = lang_query(request, target.lang)
    except InvalidParameter as exc:
        raise InvalidParameter(f"url: {url!r}: {exc.detail}") from None
    src = _absolute(request, map_path(EMBED, indicator.name, state, on, lang))
    title = map_title(indicator.name, maps.place(state), lang)
    width, height = frame_size(maxwidth, maxheight)
    return oembed(src, title, _absolute(request, "/"), width, height)


async def _page(
    request: Request,
    indicator: MapIndicator,
    state: str | None,
    on: date | None,
    lang: Lang,
    kind: Kind,
    *also_varies_by: str,
) -> Response:
    """The page, kept or made; its answer varies by language and ``also_varies_by`` headers."""
    root = _root(request)

    def make() -> Body:
        maps = snapshot_maps(request)
        site = Site(root=root, states=maps.states, pinned_date=on)
        return Body.of(render_map_page(maps.view(indicator, state, on, lang), kind, site), True)

    key = ("page", indicator.name, state, on, lang, kind, root)
    return await answer(request, key, make, HTML, _language_headers(lang, *also_varies_by))


def _root(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/")


def _absolute(request: Request, path: str) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{_root(request)}{path}"


def _language_headers(lang: Lang, *also_varies_by: str) -> dict[str, str]:
    """A page's language, and that it may differ by ``Accept-Language`` (for caches)."""
    return {"Content-Language": lang, "Vary": ", ".join(("Accept-Language", *also_varies_by))}
