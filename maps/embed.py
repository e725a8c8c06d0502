"""Embedding: the iframe HTML a reporter copies, and oEmbed 1.0 answers for embed URLs.

An embed URL is ``/embed/{indicator}?state=&date=&lang=`` on this service (a full-map URL
``/maps/...`` is accepted too and answered with its embed). Anything else is not ours to
describe: oEmbed says so with a 404 (spec, section 2.3.4.3).
"""

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from markupsafe import escape

DEFAULT_WIDTH = 800
DEFAULT_HEIGHT = 600
MIN_SIZE = 200
PROVIDER_NAME = "enforcemap"


class ForeignUrl(ValueError):
    """The URL is not a map of this service."""


class MalformedUrl(ValueError):
    """The URL is this service's, but not a map URL it can read."""


@dataclass(frozen=True)
class EmbedTarget:
    """What an embed URL asks for, before the service validates each part."""

    indicator: str
    state: str | None
    date: str | None
    lang: str | None


def parse_map_url(url: str, origin: str, root: str) -> EmbedTarget:
    """Read ``url`` as a map of the service at ``origin`` (``scheme://host[:port]``) under ``root``.

    Examples
    --------
    >>> parse_map_url("http://x.org/embed/policy?state=TX&lang=es", "http://x.org", "")
    EmbedTarget(indicator='policy', state='TX', date=None, lang='es')
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise MalformedUrl(f"url: {url!r} is not an absolute http(s) URL")
    if f"{parts.scheme}://{parts.netloc}".lower() != origin.lower():
        raise ForeignUrl(f"url: {url!r} is not on this service ({origin})")
    path = parts.path.removeprefix(root)
    kind, _, indicator = path.strip("/").partition("/")
    if kind not in ("embed", "maps") or not indicator or "/" in indicator:
        raise ForeignUrl(f"url: {url!r} is not a map URL (/embed/INDICATOR or /maps/INDICATOR)")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"state", "date", "lang"})
    if unknown:
        raise MalformedUrl(f"url: {url!r} has parameters a map does not take: {', '.join(unknown)}")
    repeated = sorted(name for name, values in query.items() if len(values) > 1)
    if repeated:
        raise MalformedUrl(f"url: {url!r} repeats {', '.join(repeated)}")
    return EmbedTarget(
        indicator=indicator,
        state=query.get("state", [None])[0] or None,
        date=query.get("date", [None])[0] or None,
        lang=query.get("lang", [None])[0] or None,
    )


def frame_size(max_width: int | None, max_height: int | None) -> tuple[int, int]:
    """The iframe's size: the default, shrunk to the consumer's maximums (never below 200 px)."""
    width = min(DEFAULT_WIDTH, max_width) if max_width else DEFAULT_WIDTH
    height = min(DEFAULT_HEIGHT, max_height) if max_height else DEFAULT_HEIGHT
    return max(width, MIN_SIZE), max(height, MIN_SIZE)


def iframe_html(src: str, title: str, width: int, height: int) -> str:
    """The iframe to paste: fills its column up to ``width``, keeps ``height``.

    Examples
    --------
    >>> iframe_html("https://x.org/embed/policy?lang=es", 'A "map"', 800, 600)[:66]
    '<iframe src="https://x.org/embed/policy?lang=es" title="A &#34;map'
    """
    return (
        f'<iframe src="{escape(src)}" title="{escape(title)}" width="{width}" height="{height}" '
        f'style="width:100%;max-width:{width}px;height:{height}px;border:0" loading="lazy">'
        "</iframe>"
    )


def oembed(src: str, title: str, provider_url: str, width: int, height: int) -> dict:
    """The oEmbed 1.0 ``rich`` response whose ``html`` is the map's iframe."""
    return {
        "version": "1.0",
        "type": "rich",
        "provider_name": PROVIDER_NAME,
        "provider_url": provider_url,
        "title": title,
        "html": iframe_html(src, title, width, height),
        "width": width,
        "height": height,
    }
