"""The county choropleth as a folium map, and the data its page carries.

Folium lays out the Leaflet map, its layers and the layer control; the county geometry, the
frame and every word travel in one JSON payload that ``static/enforcemap/map.js`` draws, so a
date change swaps the frame without reloading the geometry.
"""

from dataclasses import dataclass
from typing import ClassVar

import folium

from geo.sources.agreements import MODELS
from maps.elements import AppLayer, MapApp, script_json
from maps.geometry import CountyGeometry
from maps.i18n import NUMBER_LOCALES, Lang, texts
from maps.indicators import CATEGORY_VALUES, MapIndicator
from maps.projection import Scope

MODEL_COLOURS = ("#1b1b1b", "#0072B2", "#009E73")
"""One colour per 287(g) support model (``MODELS`` order), kept apart from the choropleth's."""


@dataclass(frozen=True)
class MapView:
    """What one map shows: an indicator over a scope on a date, in a language."""

    indicator: MapIndicator
    scope: Scope
    place: str | None
    """The state's name, None for the nation."""
    lang: Lang
    geometry: CountyGeometry
    frame: dict
    """``maps.frames.map_frame`` for the date shown first."""
    dates: tuple[str, ...]
    """The 287(g) list dates the date control steps through (ISO)."""
    counties_json: str | None = None
    """:func:`counties_member` of ``geometry`` as :func:`~maps.elements.script_json`, when the
    caller keeps it (it is most of a page's bytes and never changes); None: encode it here."""
    frame_json: str | None = None
    """``frame`` as :func:`~maps.elements.script_json`, when the caller keeps it."""


@dataclass(frozen=True)
class MapLinks:
    """Where a served map fetches the frames of other dates and links a county's profile."""

    frame: str
    profile: str


class CountyMap(folium.Map):
    """A folium map drawn in display kilometres (``CRS.Simple``), without tiles or CDN links.

    Scripts and style sheets are added by the page from ``maps.assets`` (served or inline).
    """

    default_js: ClassVar[tuple[tuple[str, str], ...]] = ()
    default_css: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __init__(self) -> None:
        super().__init__(
            location=(0, 0),
            zoom_start=0,
            tiles=None,
            crs="Simple",
            position="absolute",
            zoom_control=False,
            attribution_control=False,
            zoom_snap=0.25,
            zoom_delta=0.5,
        )


def choropleth(lang: Lang) -> CountyMap:
    """The folium map with the app's layers and a layer control (data comes from the payload)."""
    text = texts(lang)
    county_map = CountyMap()
    app = MapApp()
    county_map.add_child(app)
    AppLayer(app, "counties", text["layer.counties"], show=True).add_to(county_map)
    AppLayer(app, "states", text["layer.states"], show=True).add_to(county_map)
    AppLayer(app, "facilities", text["layer.facilities"], show=False).add_to(county_map)
    for i, (model, colour) in enumerate(zip(MODELS, MODEL_COLOURS, strict=True)):
        # Leaflet writes layer names as HTML: the dot is ours, the model name a constant.
        label = text["layer.agencies"].format(model=model)
        name = f'<span class="swatch-dot" style="background:{colour}"></span>{label}'
        AppLayer(app, f"agencies:{i}", name, show=False).add_to(county_map)
    folium.LayerControl(collapsed=True, position="topright").add_to(county_map)
    # Folium names elements by random UUID; numbering them makes a page's bytes reproducible.
    for number, element in enumerate([county_map, *county_map._children.values()]):
        element._id = f"{number:02d}"
    return county_map


def map_payload(view: MapView, links: MapLinks | None, embed: bool) -> dict:
    """The JSON the page's script reads: geometry, the first frame, words, and where to go next.

    ``links`` is None for a standalone file: no server to fetch other dates or profiles from.
    An ``embed`` has no search box and a legend without the lines its footer already gives.
    """
    text = texts(view.lang)
    indicator = view.indicator
    category_fields = [f.column for f in indicator.fields if f.format == "category"]
    return {
        "lang": view.lang,
        "locale": NUMBER_LOCALES[view.lang],
        "text": text,
        "indicator": {
            "name": indicator.name,
            "categorical": indicator.categorical,
            "classes": [list(c) for c in indicator.classes],
            "colours": list(indicator.colours),
            "categoryLabels": {
                column: [text[f"category.{column}.{value}"] for value in CATEGORY_VALUES[column]]
                for column in category_fields
            },
        },
        "counties": counties_member(view.geometry),
        "scope": {
            "state": view.scope.state,
            "bounds": list(view.geometry.bounds),
            "insets": [list(box) for box in view.geometry.insets],
        },
        "dates": list(view.dates),
        "frame": view.frame,
        "modelColours": list(MODEL_COLOURS),
        "frameUrl": links.frame if links else None,
        "profileUrl": links.profile if links else None,
        "embed": embed,
    }


def counties_member(geometry: CountyGeometry) -> dict:
    """The payload's ``counties``: the scope's TopoJSON, county names and states by prefix."""
    return {
        "topology": geometry.topology,
        "names": list(geometry.names),
        "states": geometry.state_of_prefix,
    }


def map_payload_json(view: MapView, links: MapLinks | None, embed: bool) -> str:
    """``script_json(map_payload(view, links, embed))``, byte for byte, with the view's encoded
    ``counties`` and ``frame`` spliced in rather than encoded again.

    The county geometry is about 70 % of a national page and the same for every page of its
    scope; encoding it (and the frame) once per scope and date, not once per page, makes a page
    of a new language, kind or date cost its small members only.
    """
    encoded = {"counties": view.counties_json, "frame": view.frame_json}
    members = (
        f"{script_json(name)}:{encoded.get(name) or script_json(value)}"
        for name, value in map_payload(view, links, embed).items()
    )
    return "{" + ",".join(members) + "}"
