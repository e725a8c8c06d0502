"""Map pages: ``/`` for browsers, ``/maps/{indicator}``, ``/embed/...`` and ``/oembed``.

Pages are HTML built by ``maps``; every bad parameter still answers the API's JSON 4xx. The
map views of the snapshot (county geometry per scope, list dates) are made on the first map
request and kept on ``app.state``; the dated layers come from the app's layer cache.

A page or frame depends only on its URL, its language and the snapshot, which does not change
while the app runs, so each is made once and kept ready to send (:class:`Bodies`): encoded,
gzip-compressed, with its entity tag and its inline scripts' hashes. A kept answer is sent from
the event loop without a worker thread; a new one is made on a worker thread, once however
many requests ask for it at the same time. Answers say how long a cache may keep them and
answer ``If-None-Match`` with 304.
"""

import functools
import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated, Literal, ParamSpec, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.dependencies import date_query, state_query
from api.errors import InvalidParameter, NotFound
from api.schemas import ERRORS
from api.security import declare_inline_scripts, inline_script_hashes
from maps.embed import ForeignUrl, MalformedUrl, frame_size, iframe_html, oembed, parse_map_url
from maps.i18n import Lang, UnknownLanguage, pick_language
from maps.indicators import MAP_INDICATORS, MapIndicator
from maps.pages import Kind, Site, map_title, render_map_page, render_snippet_page
from maps.urls import EMBED, map_path
from maps.views import SnapshotMaps

router = APIRouter()

_MAPS_LOCK = threading.Lock()
P = ParamSpec("P")
T = TypeVar("T")
BODY_CACHE_BYTES = 192 * 1024 * 1024
"""Kept pages and frames, plain and compressed: a national page is 1.2 MB, a state's 0.1 MB."""
BODY_GZIP_LEVEL = 6
"""A kept body is compressed once: a national page to 0.26 MB in 45 ms (level 9: 0.256 MB in
190 ms)."""
CACHE_CONTROL = "public, max-age=300"
"""A page without ``date`` shows the newest data, which a snapshot update changes: caches keep
pages five minutes, then revalidate with the entity tag."""


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


@dataclass(frozen=True)
class Body:
    """An answer's body ready to send: plain and gzip, its entity tag, its scripts' hashes."""

    plain: bytes
    compressed: bytes
    etag: str
    """Weak: the plain and the gzip body are the same answer (RFC 9110, 8.8.1)."""
    script_hashes: tuple[str, ...]
    """:func:`api.security.inline_script_hashes` of an HTML page (empty otherwise)."""

    @classmethod
    def of(cls, text: str, html: bool) -> "Body":
        """Encode, compress, tag and, for a page, hash ``text``."""
        plain = text.encode()
        return cls(
            plain=plain,
            compressed=gzip.compress(plain, BODY_GZIP_LEVEL, mtime=0),
            etag=f'W/"{hashlib.sha256(plain).hexdigest()[:32]}"',
            script_hashes=tuple(inline_script_hashes(plain)) if html else (),
        )

    @property
    def size(self) -> int:
        """Bytes held."""
        return len(self.plain) + len(self.compressed)


class Bodies:
    """Bodies by key, least recently used out first past ``max_bytes``; each made once.

    Safe from any thread. A request that finds its body being made waits for it instead of
    making it again, so a burst on a new map costs one render.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._bodies: OrderedDict[Hashable, Body] = OrderedDict()
        self._making: dict[Hashable, Future[Body]] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._bodies)

    def kept(self, key: Hashable) -> Body | None:
        """The body of ``key`` if it is kept (cheap: for the event loop)."""
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
            return body

    def get(self, key: Hashable, make: Callable[[], Body]) -> Body:
        """The body of ``key``, made by ``make()`` unless kept or being made (blocks)."""
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
                return body
            making = self._making.get(key)
            mine = making is None
            if mine:
                making = self._making[key] = Future()
        if not mine:
            return making.result()
        try:
            body = make()
        except BaseException as exc:
            with self._lock:
                del self._making[key]
            making.set_exception(exc)
            raise
        with self._lock:
            del self._making[key]
            self._keep(key, body)
        making.set_result(body)
        return body

    def _keep(self, key: Hashable, body: Body) -> None:
        if body.size > self.max_bytes:
            return
        self._bodies[key] = body
        self._bytes += body.size
        while self._bytes > self.max_bytes:
            _, dropped = self._bodies.popitem(last=False)
            self._bytes -= dropped.size


def on_event_loop(dependency: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """``dependency`` as a coroutine function with the same parameters, so that FastAPI runs it
    on the event loop: a cheap check, which a hand-off to a worker thread would make wait for
    the interpreter lock behind whatever the workers are computing."""

    @functools.wraps(dependency)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return dependency(*args, **kwargs)

    return run


def map_bodies(request: Request) -> Bodies:
    """The kept map pages and frames of the served snapshot."""
    app_state = request.app.state
    bodies = getattr(app_state, "map_bodies", None)
    if bodies is None:
        with _MAPS_LOCK:
            if getattr(app_state, "map_bodies", None) is None:
                app_state.map_bodies = Bodies(BODY_CACHE_BYTES)
            bodies = app_state.map_bodies
    return bodies


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
State = Annotated[str | None, Depends(on_event_loop(state_query))]
On = Annotated[date | None, Depends(on_event_loop(date_query))]
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


def landing_page(request: Request) -> Response:
    """The national 287(g) map with the layer switcher and county search (``/`` for browsers)."""
    on = date_query(request.query_params.get("date"))
    lang = lang_query(request, request.query_params.get("lang"))
    key, make = _page_maker(request, MAP_INDICATORS["agreements"], None, on, lang, "landing")
    body = map_bodies(request).get(key, make)
    # ``/`` answers JSON or this page by ``Accept``.
    return _answer(request, body, "text/html; charset=utf-8", _language_headers(lang, "Accept"))


@router.get(
    "/maps/{indicator}",
    summary="Map of an indicator (HTML)",
    response_class=Response,
    responses=HTML_PAGE,
)
async def full_map(
    request: Request, indicator: Indicator, state: State, on: On, lang: Language
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
async def dated_frame(request: Request, indicator: Indicator, state: State, on: On) -> Response:
    """What a map page swaps in when its date changes: county values with their years, notes
    and sources, the 287(g) agencies active and the detention facilities of that date."""

    def make() -> Body:
        return Body.of(snapshot_maps(request).frame_json(indicator, state, on), html=False)

    body = await _kept_or_made(request, ("frame", indicator.name, state, on), make)
    return _answer(request, body, "application/json", {})


@router.get(
    "/embed/snippet",
    summary="Iframe HTML to embed a map",
    response_class=Response,
    responses=HTML_PAGE,
)
def embed_snippet(
    request: Request,
    state: State,
    on: On,
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
    request: Request, indicator: Indicator, state: State, on: On, lang: Language
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
) -> Response:
    key, make = _page_maker(request, indicator, state, on, lang, kind)
    body = await _kept_or_made(request, key, make)
    return _answer(request, body, "text/html; charset=utf-8", _language_headers(lang))


def _page_maker(
    request: Request,
    indicator: MapIndicator,
    state: str | None,
    on: date | None,
    lang: Lang,
    kind: Kind,
) -> tuple[Hashable, Callable[[], Body]]:
    """The key of a page and how to make it."""
    root = _root(request)

    def make() -> Body:
        maps = snapshot_maps(request)
        site = Site(root=root, states=maps.states, pinned_date=on)
        return Body.of(render_map_page(maps.view(indicator, state, on, lang), kind, site), True)

    return ("page", indicator.name, state, on, lang, kind, root), make


async def _kept_or_made(request: Request, key: Hashable, make: Callable[[], Body]) -> Body:
    """The kept body of ``key``, else made on a worker thread (the event loop serves on)."""
    bodies = map_bodies(request)
    return bodies.kept(key) or await run_in_threadpool(bodies.get, key, make)


def _answer(request: Request, body: Body, media_type: str, headers: dict[str, str]) -> Response:
    """``body`` as the client takes it: 304 when it holds this version, gzip when it accepts it.

    A page's inline scripts are declared to the headers middleware, which need not scan it.
    """
    vary = ", ".join(filter(None, (headers.pop("Vary", None), "Accept-Encoding")))
    headers |= {"ETag": body.etag, "Cache-Control": CACHE_CONTROL, "Vary": vary}
    if _holds(request, body.etag):
        return Response(status_code=304, headers=headers)
    if body.script_hashes:
        declare_inline_scripts(request.scope, body.script_hashes)
    if _accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        return Response(body.compressed, media_type=media_type, headers=headers)
    return Response(body.plain, media_type=media_type, headers=headers)


def _holds(request: Request, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison) or is ``*``."""
    given = request.headers.get("if-none-match")
    if not given:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in given.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def _accepts_gzip(request: Request) -> bool:
    """Whether ``Accept-Encoding`` admits gzip (named or by ``*``) with a quality above 0."""
    admitted = {}
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, *params = (item.strip() for item in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        admitted[coding.lower()] = quality
    for coding in ("gzip", "x-gzip", "*"):
        if coding in admitted:
            return admitted[coding] > 0
    return False


def _root(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/")


def _absolute(request: Request, path: str) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{_root(request)}{path}"


def _language_headers(lang: Lang, *also_varies_by: str) -> dict[str, str]:
    """A page's language, and that it may differ by ``Accept-Language`` (for caches)."""
    return {"Content-Language": lang, "Vary": ", ".join(("Accept-Language", *also_varies_by))}
