"""Security headers on every answer, framing only for embeds, and CORS for GET only."""

import base64
import gzip
import hashlib
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.factory import create_app
from api.security import (
    GZIP_MINIMUM_BYTES,
    add_security,
    declare_inline_scripts,
    inline_script_hashes,
)
from api.settings import Settings
from tests.api.store import app_settings

START = "enforcemap.start(map_1);"
PAGE = (
    '<html><head><script src="/static/leaflet.js"></script></head><body>'
    '<script type="application/json" id="data">{"a": 1}</script>'
    f"<script>{START}</script></body></html>"
)
LONG_PAGE = PAGE.replace("<body>", "<body>" + "<p>County</p>" * 2000)
"""A page long enough to be compressed."""
NEWSROOM = "https://news.example.org"
SITE = "https://atlas.example.org"


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _directives(response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";"))}


def _pages(**settings: object) -> TestClient:
    """A bare app with one map page, one embed and one streamed embed, behind the middleware."""
    app = FastAPI()
    add_security(app, Settings(_env_file=None, **settings))

    @app.get("/maps/agreements", response_class=HTMLResponse)
    def page() -> str:
        return PAGE

    @app.get("/embed/agreements", response_class=HTMLResponse)
    def embed() -> str:
        return PAGE

    @app.get("/embed/streamed")
    def streamed() -> StreamingResponse:
        return StreamingResponse(iter([PAGE[:70], PAGE[70:]]), media_type="text/html")

    @app.get("/maps/long", response_class=HTMLResponse)
    def long_page() -> str:
        return LONG_PAGE

    @app.get("/maps/ready")
    def ready_made(request: Request) -> Response:
        """A page kept compressed, whose route knows its inline scripts."""
        declare_inline_scripts(request.scope, inline_script_hashes(LONG_PAGE.encode()))
        return Response(
            gzip.compress(LONG_PAGE.encode()),
            media_type="text/html",
            headers={"Content-Encoding": "gzip"},
        )

    return TestClient(app)


@pytest.fixture(scope="module")
def pages() -> TestClient:
    return _pages()


@pytest.fixture(scope="module")
def cors() -> Iterator[TestClient]:
    """The real app with one site allowed to read it cross-origin."""
    settings = app_settings(cors_origins=[SITE])
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize("url", ["/healthz", "/collections/nothing", "/query/point?lon=x&lat=1"])
def test_json_answers_and_errors_are_nosniff_unframable_and_load_nothing(client, url):
    response = client.get(url)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; frame-ancestors 'none'"
    )


def test_wrong_method_is_405_with_the_allowed_method(client):
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json() == {"error": "http_error", "detail": "Method Not Allowed"}


def test_page_runs_only_its_own_scripts_and_its_inline_start_up_code(pages):
    response = pages.get("/maps/agreements")
    policy = _directives(response)
    assert response.text == PAGE
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'", _sha256(START)]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert not any("http" in value for values in policy.values() for value in values)


def test_page_is_not_framable(pages):
    response = pages.get("/maps/agreements")
    assert _directives(response)["frame-ancestors"] == ["'none'"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_embed_is_framable_by_any_site_by_default(pages):
    response = pages.get("/embed/agreements")
    assert _directives(response)["frame-ancestors"] == ["*"]
    assert "x-frame-options" not in response.headers
    assert _directives(response)["script-src"] == ["'self'", _sha256(START)]


def test_embed_ancestors_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("ENFORCEMAP_EMBED_ANCESTORS", f"{NEWSROOM}, 'self'")
    app = FastAPI()
    add_security(app, Settings(_env_file=None))
    app.get("/embed/x", response_class=HTMLResponse)(lambda: PAGE)
    app.get("/maps/x", response_class=HTMLResponse)(lambda: PAGE)
    client = TestClient(app)
    assert _directives(client.get("/embed/x"))["frame-ancestors"] == [NEWSROOM, "'self'"]
    assert _directives(client.get("/maps/x"))["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("value", ["https://a.org; script-src *", "https://a.org b.org", ""])
def test_embed_ancestors_that_would_break_the_header_are_refused(value):
    with pytest.raises(ValidationError, match="is not a list of sites"):
        Settings(_env_file=None, embed_ancestors=value)


def test_inline_script_is_hashed_as_the_browser_parses_it():
    page = "<SCRIPT type='text/javascript'>\r\n  a = 'é';\r  b();\n</script >".encode()
    assert inline_script_hashes(page) == [_sha256("\n  a = 'é';\n  b();\n")[8:-1]]


def test_streamed_page_is_hashed_whole_and_sent_unchanged(pages):
    response = pages.get("/embed/streamed")
    assert response.text == PAGE
    assert _directives(response)["script-src"] == ["'self'", _sha256(START)]


def test_page_is_compressed_after_its_scripts_are_hashed(pages):
    response = pages.get("/maps/long", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) < len(LONG_PAGE) / 4
    assert response.text == LONG_PAGE
    assert _directives(response)["script-src"] == ["'self'", _sha256(START)]


def test_page_whose_route_declares_its_scripts_passes_as_it_is(pages):
    response = pages.get("/maps/ready", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.text == LONG_PAGE
    assert _directives(response)["script-src"] == ["'self'", _sha256(START)]
    assert _directives(response)["frame-ancestors"] == ["'none'"]
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("url", ["/openapi.json", "/collections/counties/items?state=TX&limit=20"])
def test_json_is_compressed_for_clients_that_take_it(client, url):
    """Compressed as it is sent (the OpenAPI document) or kept compressed (a page of items)."""
    response = client.get(url)
    assert response.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["vary"]
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; frame-ancestors 'none'"
    )
    plain = client.get(url, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == response.json()


def test_an_answer_within_one_round_trip_is_not_compressed(client):
    response = client.get("/query/point?lon=-95.36&lat=29.76", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200 and len(response.content) < GZIP_MINIMUM_BYTES
    assert "content-encoding" not in response.headers


def test_interactive_docs_may_load_swagger_ui_and_nothing_else_from_outside(client):
    response = client.get("/docs")
    policy = _directives(response)
    inline = response.text.split("<script>")[1].split("</script>")[0]
    assert policy["script-src"] == ["'self'", _sha256(inline), "https://cdn.jsdelivr.net"]
    assert policy["frame-ancestors"] == ["'none'"]
    maps_policy = _directives(_pages().get("/maps/agreements"))
    assert "https://cdn.jsdelivr.net" not in maps_policy["script-src"]


def test_cors_origins_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("ENFORCEMAP_CORS_ORIGINS", f"{SITE},{NEWSROOM}")
    assert Settings(_env_file=None).cors_origins == [SITE, NEWSROOM]


def test_allowed_site_may_read_gets(cors):
    response = cors.get("/healthz", headers={"origin": SITE})
    assert response.headers["access-control-allow-origin"] == SITE
    assert response.headers["x-content-type-options"] == "nosniff"
    other = cors.get("/healthz", headers={"origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers


def test_preflight_allows_get_and_refuses_post(cors):
    def preflight(method: str):
        return cors.options(
            "/query/bulk", headers={"origin": SITE, "access-control-request-method": method}
        )

    assert preflight("GET").status_code == 200
    assert preflight("GET").headers["access-control-allow-methods"] == "GET"
    refused = preflight("POST")
    assert refused.status_code == 400
    assert refused.text == "Disallowed CORS method"


def test_cross_origin_post_without_preflight_gets_no_cors_header(cors):
    response = cors.post(
        "/query/bulk",
        content=b"lon,lat\n-95.36,29.76\n",
        headers={"origin": SITE, "content-type": "text/csv"},
    )
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_no_cors_header_unless_configured(client):
    response = client.get("/healthz", headers={"origin": SITE})
    assert "access-control-allow-origin" not in response.headers
