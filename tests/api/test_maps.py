"""Map routes: ``/`` for browsers, ``/maps``, ``/embed``, ``/embed/snippet``, ``/oembed``."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from api.security import inline_script_hashes

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_landing_is_the_national_map_for_browsers_and_json_otherwise(client):
    page = client.get("/", headers={"accept": BROWSER})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<title>Active 287(g) agreements — United States — enforcemap</title>" in page.text
    assert '"embed":false' in page.text
    assert client.get("/", headers={"accept": "application/json"}).json()["title"] == "enforcemap"
    assert client.get("/?f=json", headers={"accept": BROWSER}).json()["title"] == "enforcemap"
    assert client.get("/?f=html").headers["content-type"].startswith("text/html")


def test_landing_lists_every_map_as_a_link(client):
    html = client.get("/?lang=es", headers={"accept": BROWSER}).text
    links = set(re.findall(r'<a href="/maps/(\w+)\?lang=es" data-keep-date', html))
    assert links == {
        "agreements",
        "policy",
        "detention",
        "ucr_violent",
        "nibrs_violent",
        "coverage",
    }


def test_state_map_page(client):
    response = client.get("/maps/agreements?state=tx")
    assert response.status_code == 200
    assert response.headers["content-language"] == "en"
    assert "Active 287(g) agreements — Texas" in response.text
    assert '"state":"TX"' in response.text


def test_spanish_from_accept_language_unless_lang_says_otherwise(client):
    spanish = client.get("/maps/policy", headers={"accept-language": "es-MX,es;q=0.9"})
    assert '<html lang="es">' in spanish.text and spanish.headers["content-language"] == "es"
    english = client.get("/maps/policy?lang=en", headers={"accept-language": "es"})
    assert '<html lang="en">' in english.text


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/maps/crime", "indicator: 'crime' is not a map indicator (one of agreements, policy, "),
        ("/maps/agreements?state=ZZ", "state: 'ZZ' is not a served state"),
        ("/embed/policy?date=2021-02-30", "date: '2021-02-30' is not a YYYY-MM-DD date"),
        ("/maps/policy?lang=fr", "lang: 'fr' is not one of en, es"),
        ("/maps/bogus/frame", "indicator: 'bogus' is not a map indicator"),
        ("/embed/snippet?indicator=nope", "indicator: 'nope' is not a map indicator"),
    ],
)
def test_bad_map_parameters_are_json_422_naming_them(client, url, detail):
    response = client.get(url)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_parameter"
    assert response.json()["detail"].startswith(detail)


def test_frame_of_another_date(client):
    body = client.get("/maps/agreements/frame?state=TX&date=2012-01-01").json()
    assert body["date"] == "2012-01-01"
    mapped = body["fields"][0]
    assert mapped["column"] == "agreements_active" and len(mapped["values"]) == 254
    assert mapped["period"] <= "2012-01-01"
    assert set(body["agencies"]) >= {"x", "y", "name", "names", "model", "models"}


def test_embed_may_be_framed_and_carries_its_credit(client):
    response = client.get("/embed/detention?state=CA&lang=es")
    assert response.status_code == 200
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert "x-frame-options" not in response.headers
    assert "Datos al " in response.text and "Abrir el mapa completo" in response.text


def test_snippet_keeps_the_language_of_its_reader(client):
    page = client.get("/embed/snippet?indicator=policy&state=TX", headers={"accept-language": "es"})
    code = unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", page.text, re.DOTALL).group(1))
    src = unescape(re.search(r'src="([^"]+)"', code).group(1))
    assert urlsplit(src).path == "/embed/policy"
    assert parse_qs(urlsplit(src).query) == {"state": ["TX"], "lang": ["es"]}
    assert "<h2>Vista previa</h2>" in page.text and code in page.text  # the preview is the code


def test_oembed_answers_rich_json_with_the_iframe(client):
    url = "http://testserver/embed/agreements?state=TX&date=2021-06-30&lang=es"
    body = client.get("/oembed", params={"url": url, "maxwidth": 500}).json()
    assert body["version"] == "1.0" and body["type"] == "rich"
    assert body["provider_name"] == "enforcemap"
    assert (body["width"], body["height"]) == (500, 600)
    assert body["title"] == "Acuerdos 287(g) activos — Texas"
    iframe = re.fullmatch(r'<iframe src="([^"]+)"[^>]*></iframe>', body["html"])
    assert iframe and unescape(iframe.group(1)) == url


def test_oembed_of_a_full_map_url_gives_its_embed(client):
    body = client.get("/oembed", params={"url": "http://testserver/maps/policy"}).json()
    assert 'src="http://testserver/embed/policy?lang=en"' in body["html"]


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        ("https://news.example.org/embed/agreements", 404, "is not on this service"),
        ("http://testserver/collections/counties", 404, "is not a map URL"),
        ("http://testserver/embed/nothing", 422, "indicator: 'nothing' is not a map indicator"),
        ("http://testserver/embed/policy?state=XX", 422, "state: 'XX' is not a served state"),
        ("http://testserver/embed/policy?zoom=3", 422, "has parameters a map does not take"),
        ("embed/policy", 422, "is not an absolute http(s) URL"),
    ],
)
def test_oembed_refuses_foreign_and_malformed_urls(client, url, status, detail):
    response = client.get("/oembed", params={"url": url})
    assert response.status_code == status
    assert detail in response.json()["detail"] and response.json()["detail"].startswith("url: ")


def test_oembed_serves_json_only(client):
    response = client.get(
        "/oembed", params={"url": "http://testserver/embed/policy", "format": "xml"}
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("format: ")


def test_every_asset_a_page_names_is_served_with_its_licence(client):
    html = client.get("/maps/policy?state=DE").text
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert len(assets) == 5
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    for licence in ("vendor/leaflet-1.9.4/LICENSE", "vendor/topojson-client-3.1.0/LICENSE"):
        assert client.get(f"/static/{licence}").status_code == 200


def test_page_is_sent_compressed_tagged_and_cacheable(client):
    url = "/maps/detention?state=RI&lang=en"
    packed = client.get(url, headers={"accept-encoding": "gzip"})
    plain = client.get(url, headers={"accept-encoding": "identity"})
    assert packed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert packed.text == plain.text  # httpx decompressed it
    assert packed.headers["etag"] == plain.headers["etag"]
    assert packed.headers["etag"].startswith('W/"')
    assert packed.headers["cache-control"] == "public, max-age=300"
    assert packed.headers["vary"] == "Accept-Language, Accept-Encoding"
    assert int(packed.headers["content-length"]) < len(plain.content) / 2


def test_kept_page_admits_exactly_its_inline_scripts(client):
    url = "/embed/agreements?state=VT"
    first, kept = client.get(url), client.get(url)
    assert kept.text == first.text
    for response in (first, kept):
        policy = response.headers["content-security-policy"]
        script_src = next(p for p in policy.split("; ") if p.startswith("script-src"))
        hashes = [f"'sha256-{h}'" for h in inline_script_hashes(response.content)]
        assert hashes and script_src.split()[1:] == ["'self'", *hashes]
        assert "frame-ancestors *" in policy


@pytest.mark.parametrize(
    "url", ["/maps/policy?state=DE", "/maps/agreements/frame?state=DE&date=2019-01-01"]
)
def test_if_none_match_with_the_tag_answers_304(client, url):
    etag = client.get(url).headers["etag"]
    again = client.get(url, headers={"if-none-match": f'"x", {etag.removeprefix("W/")}'})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert client.get(url, headers={"if-none-match": '"other"'}).status_code == 200


def test_landing_page_varies_by_accept(client):
    response = client.get("/", headers={"accept": BROWSER})
    assert response.headers["vary"] == "Accept-Language, Accept, Accept-Encoding"


@pytest.mark.parametrize(
    ("accept_encoding", "gzip"),
    [
        ("gzip", True),
        ("br;q=1.0, gzip;q=0.5", True),
        ("*", True),
        ("gzip;q=0", False),
        ("identity", False),
        ("", False),
        ("deflate, *;q=0", False),
    ],
)
def test_gzip_only_when_the_client_takes_it(client, accept_encoding, gzip):
    response = client.get(
        "/maps/agreements/frame?state=DE", headers={"accept-encoding": accept_encoding}
    )
    assert (response.headers.get("content-encoding") == "gzip") is gzip
    assert response.json()["fields"][0]["column"] == "agreements_active"
