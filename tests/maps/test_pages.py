"""Map pages: language, chrome by kind, assets, escaping of data, reproducible bytes."""

import dataclasses
import re
from datetime import date

import pytest

from maps.choropleth import MapLinks, map_payload, map_payload_json
from maps.elements import JsonPayload, script_json
from maps.indicators import MAP_INDICATORS
from maps.pages import Site, render_map_page
from tests.maps.conftest import INJECTED

AGREEMENTS = MAP_INDICATORS["agreements"]


@pytest.fixture(scope="module")
def site(maps) -> Site:
    return Site(root="", states=maps.states, pinned_date=None)


def test_served_page_links_every_asset_under_static(maps, site):
    html = render_map_page(maps.view(AGREEMENTS, "DE", None, "en"), "page", site)
    sources = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/static/") or s == "data:," for s in sources)
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)


def test_page_is_written_in_its_language(maps, site):
    html = render_map_page(maps.view(AGREEMENTS, "DE", None, "es"), "page", site)
    assert '<html lang="es">' in html
    assert "<title>Acuerdos 287(g) activos — Delaware — enforcemap</title>" in html
    assert ">Todos los estados<" in html and ">Fecha<" in html
    assert 'href="/maps/agreements?state=DE&amp;lang=en"' in html  # the same map in English
    assert "All states" not in html


def test_links_keep_the_pinned_date_and_language(maps):
    site = Site(root="/atlas", states=maps.states, pinned_date=date(2019, 3, 1))
    html = render_map_page(maps.view(AGREEMENTS, "DE", date(2019, 3, 1), "es"), "page", site)
    assert 'href="/atlas/maps/policy?state=DE&amp;date=2019-03-01&amp;lang=es"' in html
    assert (
        'href="/atlas/embed/snippet?indicator=agreements&amp;state=DE&amp;date=2019-03-01' in html
    )
    assert '"frameUrl":"/atlas/maps/agreements/frame?state=DE"' in html


def test_embed_has_no_site_chrome_but_keeps_attribution_and_as_of(maps, site):
    html = render_map_page(maps.view(AGREEMENTS, "DE", None, "en"), "embed", site)
    assert "<nav" not in html and 'class="site"' not in html
    assert f"As of {maps.newest.isoformat()}" in html
    assert "Data: ICE 287(g) participating agency lists" in html
    assert 'href="/maps/agreements?state=DE&amp;lang=en" target="_blank"' in html
    assert '"embed":true' in html


def test_markup_in_names_reaches_the_page_only_as_escaped_data(poisoned_maps, site):
    for kind in ("page", "standalone"):
        view = poisoned_maps.view(AGREEMENTS, "NH", None, "en")
        html = render_map_page(view, kind, None if kind == "standalone" else site)
        assert INJECTED not in html
        assert "window.__pwned" in html  # it is there, as data
        assert "<script>window" not in html and "<img src=x" not in html
        assert "\\u003cscript\\u003ewindow.__pwned" in html
        assert "{{ 7 * 7 }}" in html  # never evaluated by folium's templating


def test_building_a_page_twice_gives_the_same_bytes(maps, site):
    view = maps.view(MAP_INDICATORS["policy"], "RI", None, "en")
    assert render_map_page(view, "page", site) == render_map_page(view, "page", site)


def test_payload_spliced_from_kept_encodings_is_the_payload_encoded_whole(maps):
    view = maps.view(AGREEMENTS, "DE", date(2019, 3, 1), "es")
    assert view.counties_json is not None and view.frame_json is not None
    links = MapLinks(frame="/maps/agreements/frame?state=DE", profile="/counties/")
    for embed in (False, True):
        whole = script_json(map_payload(view, links, embed))
        assert map_payload_json(view, links, embed) == whole
        bare = dataclasses.replace(view, counties_json=None, frame_json=None)
        assert map_payload_json(bare, links, embed) == whole
    assert JsonPayload(map_payload(view, None, False)).render() in render_map_page(
        view, "standalone", None
    )


def test_page_from_kept_encodings_is_the_page_made_afresh(maps, site):
    view = maps.view(MAP_INDICATORS["detention"], "RI", None, "en")
    bare = dataclasses.replace(view, counties_json=None, frame_json=None)
    assert render_map_page(view, "embed", site) == render_map_page(bare, "embed", site)


def test_frames_are_kept_per_indicator_state_and_date(maps):
    policy = MAP_INDICATORS["policy"]
    first = maps.frame(policy, "RI", None)
    assert maps.frame(policy, "RI", maps.newest) is first  # None is the newest date
    assert maps.frame(AGREEMENTS, "RI", None) is not first
    assert maps.frame_json(policy, "RI", None) == script_json(first)
