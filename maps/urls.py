"""The map URLs: one place that writes ``/maps/{indicator}?state=&date=&lang=`` and its kin.

A map URL pins what a reader saw — indicator, state, date, language — so a link or an embed
reproduces it; pages, embed snippets and oEmbed all build their links here.
"""

from datetime import date
from urllib.parse import urlencode

FULL = "maps"
EMBED = "embed"


def map_path(
    kind: str,
    indicator: str,
    state: str | None = None,
    on: date | None = None,
    lang: str | None = None,
) -> str:
    """The path and query of a full (``maps``) or embedded (``embed``) map.

    Examples
    --------
    >>> map_path("embed", "agreements", state="TX", on=date(2021, 6, 30), lang="es")
    '/embed/agreements?state=TX&date=2021-06-30&lang=es'
    """
    return f"/{kind}/{indicator}" + _query(state=state, date=on, lang=lang)


def frame_path(indicator: str, state: str | None) -> str:
    """Where a page fetches the frame of another date (the page appends ``date=``)."""
    return f"/maps/{indicator}/frame" + _query(state=state)


def snippet_path(indicator: str, state: str | None, on: date | None, lang: str) -> str:
    """The page that gives the iframe HTML for this map."""
    return "/embed/snippet" + _query(indicator=indicator, state=state, date=on, lang=lang)


def landing_path(lang: str | None = None, on: date | None = None) -> str:
    """The landing page (the national 287(g) map)."""
    return "/" + _query(date=on, lang=lang)


PROFILE_PREFIX = "/counties/"
"""A county's profile is ``/counties/{fips}``."""


def _query(**params: object) -> str:
    given = {
        name: value.isoformat() if isinstance(value, date) else value
        for name, value in params.items()
        if value is not None
    }
    return "?" + urlencode(given) if given else ""
