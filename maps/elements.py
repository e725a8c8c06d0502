"""Folium elements of a map page: the data payload, the page's app, its layers.

Folium re-parses what a macro renders as a Jinja template (``branca.element.MacroElement``
wraps it in ``Element(template=...)``), so a data string containing ``{{`` would be evaluated.
Data therefore never passes through a macro: it travels in :class:`JsonPayload`, whose
``render`` returns the escaped JSON as it is, and the browser reads it with ``JSON.parse`` and
writes it into the page as text nodes. The macros below only hold constant glue code.
"""

import json

import folium
from branca.element import Element, MacroElement
from jinja2 import Template

PAYLOAD_ID = "enforcemap-data"

_HTML_UNSAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def script_json(value: object) -> str:
    """JSON that cannot close or open a tag inside ``<script>``: ``<``, ``>``, ``&`` escaped.

    Examples
    --------
    >>> script_json({"name": "</script><script>alert(1)</script>"})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003cscript\\\\u003ealert(1)\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(_HTML_UNSAFE)


class RawHtml(Element):
    """Fixed HTML inserted as it is, never parsed as a template."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self._html = html

    def render(self, **kwargs: object) -> str:
        """The HTML unchanged."""
        return self._html


class JsonPayload(RawHtml):
    """The page's data as ``<script type="application/json">``: inert, parsed by the app."""

    def __init__(self, payload: dict) -> None:
        super().__init__(
            f'<script type="application/json" id="{PAYLOAD_ID}">{script_json(payload)}</script>'
        )


class MapApp(MacroElement):
    """Starts ``enforcemap.start`` on the map: builds the layers and the controls from the data."""

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = enforcemap.start(
    {{ this._parent.get_name() }}, {{ this.payload_id|tojson }}
);
{% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapApp"
        self.payload_id = PAYLOAD_ID


class AppLayer(folium.map.Layer):
    """One of the app's layers (``counties``, ``states``, ``facilities``, ``agencies:<i>``),
    registered with folium so its ``LayerControl`` lists it."""

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = {{ this.app.get_name() }}.layers[{{ this.key|tojson }}];
{% endmacro %}"""
    )

    def __init__(self, app: MapApp, key: str, name: str, show: bool) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "AppLayer"
        self.app = app
        self.key = key
