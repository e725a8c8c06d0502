"""``/``, ``/conformance``, ``/collections`` and items: paging, filters, formats, errors."""

import csv
import io

import pytest
import shapely
from shapely.geometry import shape


def test_landing_links_to_collections_and_openapi(client):
    links = {link["rel"]: link["href"] for link in client.get("/").json()["links"]}
    assert links["data"].endswith("/collections")
    assert client.get(links["service-desc"]).json()["openapi"].startswith("3.")


def test_conformance_lists_geojson(client):
    classes = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in classes


def test_collections_lists_counties_and_agencies(client):
    ids = [c["id"] for c in client.get("/collections").json()["collections"]]
    assert {"counties", "agencies"} <= set(ids)
    assert client.get("/collections/counties").json()["links"][1]["rel"] == "items"


def test_texas_counties_page_and_next_link(client):
    response = client.get("/collections/counties/items?state=TX&limit=10&f=geojson")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["numberMatched"] == 254
    assert body["numberReturned"] == len(body["features"]) == 10
    assert {f["properties"]["state_abbr"] for f in body["features"]} == {"TX"}
    following = client.get(next(link["href"] for link in body["links"] if link["rel"] == "next"))
    second = following.json()
    assert second["numberReturned"] == 10
    assert not {f["id"] for f in second["features"]} & {f["id"] for f in body["features"]}
    assert any(link["rel"] == "prev" for link in second["links"])


def test_last_page_has_no_next(client):
    body = client.get("/collections/counties/items?state=DE&limit=2&offset=2").json()
    assert body["numberMatched"] == 3 and body["numberReturned"] == 1
    assert [link["rel"] for link in body["links"]] == ["self", "prev"]


def test_polygons_follow_the_right_hand_rule(client):
    feature = client.get("/collections/counties/items/48201").json()
    polygon = shape(feature["geometry"])
    rings = polygon.geoms if polygon.geom_type == "MultiPolygon" else [polygon]
    assert all(shapely.is_ccw(ring.exterior) for ring in rings)


def test_bbox_selects_intersecting_counties(client):
    body = client.get("/collections/counties/items?bbox=-95.4,29.7,-95.3,29.8&limit=50").json()
    assert "48201" in {f["id"] for f in body["features"]}
    assert body["numberMatched"] < 5


@pytest.mark.parametrize(
    ("bbox", "problem"),
    [
        ("1,2,3", "expected 4 numbers"),
        ("a,b,c,d", "not four comma-separated numbers"),
        ("-95,30,-96,29", "inverted"),
        ("-200,0,0,10", "outside lon -180..180"),
    ],
)
def test_bad_bbox_is_422_naming_it(client, bbox, problem):
    response = client.get(f"/collections/counties/items?bbox={bbox}")
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_parameter"
    assert response.json()["detail"].startswith("bbox:")
    assert problem in response.json()["detail"]


def test_limit_above_maximum_quotes_both_numbers(client):
    response = client.get("/collections/counties/items?limit=501")
    assert response.status_code == 422
    assert response.json()["detail"] == "limit: 501 is above the maximum of 500"


def test_unknown_collection_and_item_are_404(client):
    response = client.get("/collections/sheriffs/items")
    assert response.status_code == 404
    assert "'sheriffs' is not a collection" in response.json()["detail"]
    response = client.get("/collections/counties/items/99999")
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "detail": "item_id: '99999' is not in the counties collection",
    }


def test_filter_a_collection_does_not_have_is_422(client):
    response = client.get("/collections/counties/items?model=Task Force Model")
    assert response.status_code == 422
    assert response.json()["detail"] == "model: the counties collection cannot be filtered by model"


def test_unknown_state_and_status_are_422(client):
    assert client.get("/collections/counties/items?state=ZZ").json()["detail"].startswith("state:")
    response = client.get("/collections/agencies/items?status=ended")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("status:")


def test_csv_by_f_and_by_accept(client):
    by_f = client.get("/collections/counties/items?state=RI&f=csv")
    by_accept = client.get("/collections/counties/items?state=RI", headers={"Accept": "text/csv"})
    assert by_f.headers["content-type"].startswith("text/csv")
    assert by_f.text == by_accept.text
    rows = list(csv.DictReader(io.StringIO(by_f.text)))
    assert [r["county_fips"] for r in rows] == ["44001", "44003", "44005", "44007", "44009"]


def test_plain_json_lists_items(client):
    body = client.get("/collections/agencies/items?state=WY&f=json&limit=5").json()
    assert body["numberReturned"] == len(body["items"]) <= 5
    assert all(item["state_abbr"] == "WY" for item in body["items"])


def test_agencies_as_of_a_date_read_the_history(client):
    url = "/collections/agencies/items?state=AZ&f=json&limit=100&date={}"

    def names(day: str) -> set[str]:
        return {item["agency"] for item in client.get(url.format(day)).json()["items"]}

    assert "Maricopa County Sheriff's Office" in names("2011-06-01")
    assert "Maricopa County Sheriff's Office" not in names("2021-06-30")


def test_bad_date_is_422(client):
    response = client.get("/collections/agencies/items?date=2021-13-01")
    assert response.status_code == 422
    assert response.json()["detail"] == "date: '2021-13-01' is not a YYYY-MM-DD date"


def test_statewide_agreement_has_null_geometry(client):
    body = client.get("/collections/agencies/items?state=FL&limit=500").json()
    statewide = [f for f in body["features"] if f["properties"]["match_type"] == "statewide"]
    assert statewide and all(f["geometry"] is None for f in statewide)


def test_counties_filter_by_policy_status_on_a_date(client):
    url = "/collections/counties/items?state=CA&status=limits_cooperation&date=2018-06-01&f=json"
    body = client.get(url).json()
    assert body["numberMatched"] == 58
    assert {item["policy_level"] for item in body["items"]} == {"state"}
    earlier = client.get(url.replace("2018-06-01", "2012-06-01")).json()
    assert earlier["numberMatched"] < 58


def test_unknown_policy_status_is_422_listing_the_choices(client):
    response = client.get("/collections/counties/items?status=sanctuary")
    assert response.status_code == 422
    assert response.json()["detail"].startswith(
        "status: 'sanctuary' is not one of limits_cooperation"
    )


def test_facilities_as_of_a_fiscal_year(client):
    snapshot = client.app.state.snapshot
    years = snapshot.facility_years
    for day, fiscal_year in [("2019-06-01", 2019), ("2025-10-02", 2026)]:
        body = client.get(f"/collections/facilities/items?date={day}&limit=1").json()
        assert body["numberMatched"] == int((years["fiscal_year"] == fiscal_year).sum())
        assert body["features"][0]["properties"]["fiscal_year"] == fiscal_year


def test_policies_in_force_on_a_date_and_by_direction(client):
    california = client.get("/collections/policies/items?state=CA&date=2018-06-01&f=json").json()
    assert {p["state_abbr"] for p in california["items"]} == {"CA"}
    assert any(p["level"] == "state" for p in california["items"])
    before = client.get("/collections/policies/items?state=CA&date=2005-01-01&f=json").json()
    assert before["numberMatched"] < california["numberMatched"]
    mandates = client.get("/collections/policies/items?status=mandates_cooperation&f=json").json()
    assert {p["direction"] for p in mandates["items"]} == {"mandates_cooperation"}
