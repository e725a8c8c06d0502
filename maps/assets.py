"""The scripts and style sheets every map page uses, served from ``/static/`` or inlined.

A served page links them under the app's ``/static/`` (with a content hash in the query, so a
browser re-fetches a changed file); a standalone file from ``enforcemap map`` carries them
inline, images as ``data:`` URIs, so it opens from disk with no network at all.
"""

import base64
import hashlib
import mimetypes
import re
from functools import cache
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
SCRIPTS = (
    "vendor/leaflet-1.9.4/leaflet.js",
    "vendor/topojson-client-3.1.0/topojson-client.min.js",
    "enforcemap/map.js",
)
STYLES = ("vendor/leaflet-1.9.4/leaflet.css", "enforcemap/map.css")

_CSS_URL = re.compile(r"url\((?!['\"]?(?:#|data:))['\"]?([^)'\"]+)['\"]?\)")
_SCRIPT_END = re.compile(r"</(script)", re.IGNORECASE)


def asset_tags(static_url: str | None) -> str:
    """``<link>``/``<script>`` tags for the assets under ``static_url``, or inline when None."""
    if static_url is None:
        return "\n".join(
            [f"<style>{_inline_css(path)}</style>" for path in STYLES]
            + [f"<script>{_inline_js(path)}</script>" for path in SCRIPTS]
        )
    return "\n".join(
        [f'<link rel="stylesheet" href="{asset_url(static_url, p)}">' for p in STYLES]
        + [f'<script src="{asset_url(static_url, p)}"></script>' for p in SCRIPTS]
    )


def asset_url(static_url: str, path: str) -> str:
    """The served URL of one asset, versioned by its content."""
    return f"{static_url.rstrip('/')}/{path}?v={_digest(path)}"


@cache
def _digest(path: str) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]


@cache
def _inline_js(path: str) -> str:
    # A literal "</script" would end the inline element early; "<\/" means the same in JS.
    return _SCRIPT_END.sub(r"<\\/\1", (STATIC_DIR / path).read_text(encoding="utf-8"))


@cache
def _inline_css(path: str) -> str:
    folder = (STATIC_DIR / path).parent

    def data_uri(match: re.Match) -> str:
        image = folder / match.group(1)
        mime = mimetypes.guess_type(image.name)[0] or "application/octet-stream"
        return f"url(data:{mime};base64,{base64.b64encode(image.read_bytes()).decode()})"

    return _CSS_URL.sub(data_uri, (STATIC_DIR / path).read_text(encoding="utf-8"))
