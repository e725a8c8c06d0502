"""Map pages: the landing page, a full map, an embed, and a standalone file.

All four are one folium figure rendered through ``templates/page.html`` (autoescaped) in the
page's language; they differ in the chrome around the map and in where assets and data come
from: a served page links ``/static/`` and fetches other dates, a standalone file inlines
everything and shows one date.
"""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from typing import Literal

from branca.element import Figure
from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from maps.assets import asset_tags, asset_url
from maps.choropleth import MapLinks, MapView, choropleth, map_payload_json
from maps.elements import PAYLOAD_ID, RawHtml
from maps.i18n import LANGS, Lang, texts
from maps.indicators import MAP_INDICATORS
from maps.urls import FULL, PROFILE_PREFIX, frame_path, landing_path, map_path, snippet_path

Kind = Literal["landing", "page", "embed", "standalone"]

TEMPLATES = Environment(
    loader=PackageLoader("maps", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Site:
    """Where a served page lives: the app's root path, the states to offer, the pinned date."""

    root: str
    states: tuple[tuple[str, str], ...]
    """(two-letter code, name) of every served state, for the state menu."""
    pinned_date: date | None
    """The ``date`` the reader asked for, kept in every link (None: the newest)."""


class PageFigure(Figure):
    """A folium figure rendered through an enforcemap template instead of branca's bare one."""

    def __init__(self, template: str, context: dict) -> None:
        super().__init__()
        self._template = TEMPLATES.get_template(template)
        self.context = context

    def render(self, **kwargs: object) -> str:
        """Render the children into header, html and script, then the page around them."""
        for child in self._children.values():
            child.render(**kwargs)
        return self._template.render(this=self, **self.context)


def map_title(indicator: str, place: str | None, lang: Lang) -> str:
    """The indicator's title and where: "Active 287(g) agreements — Texas"."""
    text = texts(lang)
    return f"{text['title.' + indicator]} — {place or text['united_states']}"


def render_map_page(view: MapView, kind: Kind, site: Site | None) -> str:
    """The HTML of a map page; ``site`` is None only for a ``standalone`` file."""
    text = texts(view.lang)
    heading = map_title(view.indicator.name, view.place, view.lang)
    shown = view.frame["date"]
    context: dict = {
        "lang": view.lang,
        "t": text,
        "kind": kind,
        "title": f"{heading} — enforcemap",
        "heading": heading,
        "assets": Markup(asset_tags(None if site is None else site.root + "/static")),
        "nav": None,
        "home_url": None,
        "date": shown,
        "as_of": text["as_of"].format(date=shown),
        "attribution": text["attribution"].format(sources=text["source." + view.indicator.name]),
        "date_control": None
        if site is None
        else {"last": len(view.dates) - 1, "position": _list_position(view.dates, shown)},
        "full_map_url": None,
    }
    links = None
    if site is not None:
        if kind != "embed":
            context.update(_chrome(view, kind, site, text))
        indicator, state, pinned = view.indicator.name, view.scope.state, site.pinned_date
        links = MapLinks(
            frame=site.root + frame_path(indicator, state), profile=site.root + PROFILE_PREFIX
        )
        if kind == "embed":
            context["full_map_url"] = site.root + map_path(
                FULL, indicator, state, pinned, view.lang
            )
    figure = PageFigure("page.html", context)
    figure.add_child(choropleth(view.lang))
    # What ``JsonPayload`` writes, from parts the view may have encoded already.
    payload = map_payload_json(view, links, embed=kind == "embed")
    figure.html.add_child(
        RawHtml(f'<script type="application/json" id="{PAYLOAD_ID}">{payload}</script>')
    )
    return figure.render()


def _list_position(dates: tuple[str, ...], shown: str) -> int:
    """The newest 287(g) list on or before ``shown`` (the first before any list)."""
    return max(bisect_right(dates, shown) - 1, 0)


def _chrome(view: MapView, kind: Kind, site: Site, text: dict[str, str]) -> dict:
    """Links around a served map: indicators, states, the other language, the embed snippet."""
    indicator, state, pinned, lang = (
        view.indicator.name,
        view.scope.state,
        site.pinned_date,
        view.lang,
    )
    root = site.root
    other = next(code for code in LANGS if code != lang)
    same_page_other_language = (
        landing_path(other, pinned)
        if kind == "landing"
        else map_path(FULL, indicator, state, pinned, other)
    )
    return {
        "home_url": root + landing_path(lang),
        "nav": [
            {
                "title": text[f"title.{name}"],
                "url": root + map_path(FULL, name, state, pinned, lang),
                "current": name == indicator,
            }
            for name in MAP_INDICATORS
        ],
        "states": [
            {
                "name": text["all_states"],
                "url": root + map_path(FULL, indicator, None, pinned, lang),
                "current": state is None,
            }
        ]
        + [
            {
                "name": name,
                "url": root + map_path(FULL, indicator, code, pinned, lang),
                "current": code == state,
            }
            for code, name in site.states
        ],
        "other_language": {"lang": other, "url": root + same_page_other_language},
        "embed_url": root + snippet_path(indicator, state, pinned, lang),
    }


def render_snippet_page(lang: Lang, title: str, snippet: str, root: str) -> str:
    """The page that shows the iframe HTML to copy, and the embed it makes."""
    return TEMPLATES.get_template("snippet.html").render(
        lang=lang,
        t=texts(lang),
        title=title,
        snippet=snippet,
        preview=Markup(snippet),
        stylesheet=asset_url(root + "/static", "enforcemap/map.css"),
        script=asset_url(root + "/static", "enforcemap/snippet.js"),
        home_url=root + landing_path(lang),
    )
