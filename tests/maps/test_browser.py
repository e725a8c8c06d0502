"""The map pages in a real browser: Debian's Chromium, driven by Playwright, on a live server.

The service runs under uvicorn on 127.0.0.1 (a free port) with the committed snapshot; a second
local server plays a newsroom page that frames an embed. Every request the browser makes is
recorded and must stay on 127.0.0.1 (or the file itself, for a standalone map). Screenshots go
to each test's ``tmp_path``.
"""

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from api.factory import create_app
from api.settings import Settings
from maps.indicators import MAP_INDICATORS
from maps.pages import render_map_page
from tests.maps.conftest import DATA, INJECTED, POISONED_COUNTY

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TEXAS_COUNTIES = 254
LUBBOCK = "48303"  # a square county: the centre of its box is inside it


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The app under uvicorn on 127.0.0.1, on a port the OS picked."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    app = create_app(Settings(_env_file=None, data_dir=DATA))
    service = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=service.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not service.started:
        assert time.monotonic() < deadline, "uvicorn did not start within 30 s"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    service.should_exit = True
    thread.join(timeout=10)
    listener.close()


@pytest.fixture(scope="module")
def newsroom(server: str) -> Iterator[str]:
    """Another local site whose article frames the Texas 287(g) embed."""
    article = (
        "<!DOCTYPE html><html><head><title>Article</title><link rel='icon' href='data:,'></head>"
        "<body><h1>Our county and ICE</h1>"
        f'<iframe src="{server}/embed/agreements?state=TX" width="640" height="480" '
        'title="map"></iframe></body></html>'
    ).encode()

    class Article(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(article)

        def log_message(self, *args: object) -> None:
            """Keep the test output quiet."""

    site = ThreadingHTTPServer(("127.0.0.1", 0), Article)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{site.server_address[1]}/article"
    site.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium (installed by .ci/run; Playwright's own download is not used)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (see .ci/run)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page whose every request is kept in ``page.requests``."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    opened.requests = []  # type: ignore[attr-defined]
    context.on("request", lambda request: opened.requests.append(request.url))
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == []


def _wait_for_counties(scope: Page, count: int) -> None:
    # Functions, not expression strings: the page's CSP forbids the eval a string would need.
    scope.wait_for_function(
        "n => document.querySelectorAll('path.county').length === n", arg=count, timeout=20_000
    )


def _all_local(requests: list[str], prefix: str = "http://127.0.0.1:") -> list[str]:
    return [url for url in requests if not url.startswith((prefix, "data:"))]


def _fills(page: Page) -> list[str]:
    return page.eval_on_selector_all(
        "path.county", "paths => paths.map(p => p.getAttribute('fill'))"
    )


def test_landing_draws_every_county_from_this_origin_only(server, page, tmp_path):
    page.goto(f"{server}/")
    _wait_for_counties(page, 3221)
    assert page.locator("nav a").count() == len(MAP_INDICATORS)
    assert page.locator("#enforcemap-search").is_visible()
    page.screenshot(path=tmp_path / "landing.png")
    assert page.requests and _all_local(page.requests) == []


def test_state_map_popup_and_date_control(server, page, maps, tmp_path):
    page.goto(f"{server}/maps/agreements?state=TX")
    _wait_for_counties(page, TEXAS_COUNTIES)
    page.locator(f"path.fips-{LUBBOCK}").click()
    popup = page.locator(".leaflet-popup-content")
    assert popup.locator("h3").inner_text() == "Lubbock County, TX"
    assert "Active 287(g) agreements" in popup.inner_text()
    assert popup.locator("a").get_attribute("href") == f"/counties/{LUBBOCK}"

    newest = _fills(page)
    earlier = next(d for d in maps.dates if d >= "2012-01-01")
    page.evaluate(
        """position => {
            const slider = document.getElementById("enforcemap-date");
            slider.value = String(position);
            slider.dispatchEvent(new Event("change"));
        }""",
        maps.dates.index(earlier),
    )
    page.wait_for_function("d => document.documentElement.dataset.date === d", arg=earlier)
    assert _fills(page) != newest
    assert f"date={earlier}" in page.url
    assert page.locator("#enforcemap-as-of").inner_text() == f"As of {earlier}"
    page.locator("#enforcemap-previous").click()
    before = maps.dates[maps.dates.index(earlier) - 1]
    page.wait_for_function("d => document.documentElement.dataset.date === d", arg=before)
    page.screenshot(path=tmp_path / "texas.png")
    assert _all_local(page.requests) == []


def test_embed_works_inside_another_sites_page(newsroom, page, tmp_path):
    page.goto(newsroom)
    embed = page.frame_locator("iframe")
    embed.locator("path.county").nth(TEXAS_COUNTIES - 1).wait_for(timeout=20_000)
    assert embed.locator("path.county").count() == TEXAS_COUNTIES
    embed.locator(f"path.fips-{LUBBOCK}").click()
    assert embed.locator(".leaflet-popup-content h3").inner_text() == "Lubbock County, TX"
    assert embed.locator("#enforcemap-as-of").inner_text().startswith("As of ")
    assert embed.locator("a", has_text="Open the full map").get_attribute("target") == "_blank"
    page.screenshot(path=tmp_path / "embed.png")
    assert _all_local(page.requests) == []


def test_spanish_page_has_the_spanish_legend(server, page, tmp_path):
    page.goto(f"{server}/maps/agreements?lang=es")
    _wait_for_counties(page, 3221)
    assert page.locator(".legend summary").inner_text() == "Acuerdos 287(g) activos"
    assert page.locator("#enforcemap-as-of").inner_text().startswith("Datos al ")
    page.screenshot(path=tmp_path / "spanish.png")
    assert _all_local(page.requests) == []


def test_markup_in_names_stays_text_in_a_standalone_file(poisoned_maps, page, tmp_path):
    view = poisoned_maps.view(MAP_INDICATORS["detention"], "NH", None, "en")
    standalone = tmp_path / "nh.html"
    standalone.write_text(render_map_page(view, "standalone", None), encoding="utf-8")
    page.goto(standalone.as_uri())
    _wait_for_counties(page, 10)
    page.locator(f"path.fips-{POISONED_COUNTY}").click()
    assert page.locator(".leaflet-popup-content h3").inner_text() == f"{INJECTED}, NH"
    # Open every facility's and agency's popup: each writes a poisoned name.
    names = page.evaluate(
        """() => {
            const app = window.enforcemapApp, seen = [];
            for (const key of ["facilities", "agencies:0", "agencies:1", "agencies:2"]) {
                app.layers[key].addTo(app.map).eachLayer(marker => {
                    marker.openPopup();
                    seen.push(marker.getPopup().getElement().querySelector("h3").textContent);
                });
            }
            return seen;
        }"""
    )
    assert names and set(names) == {INJECTED}
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src='x']").count() == 0
    page.screenshot(path=tmp_path / "poisoned.png")
    assert _all_local(page.requests, prefix="file://") == []
