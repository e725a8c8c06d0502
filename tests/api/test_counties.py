"""``/counties/{fips}``: the county profile."""

import pytest


def test_profile_lists_population_with_source_per_year(client):
    body = client.get("/counties/04013").json()
    assert body["name"] == "Maricopa County"
    years = [value["year"] for value in body["population"]["values"]]
    assert years == list(range(2010, 2025))
    assert {value["source"] for value in body["population"]["values"]} == {"pep_v2020", "pep_v2024"}


def test_profile_says_through_which_level_each_agreement_applies(client):
    applies = client.get("/counties/04013").json()["agreements"]["applies"]
    levels = {(a["agency"], a["applies_through"]) for a in applies}
    assert ("Maricopa County Sheriff's Office", "county") in levels
    assert any(level == "state" for _, level in levels)


def test_profile_counts_agreements_list_by_list(client):
    timeline = client.get("/counties/04013").json()["agreements"]["active_over_time"]
    by_date = {row["list_date"]: row for row in timeline}
    assert by_date["2011-02-20"]["county"] >= 1
    assert timeline[-1]["list_date"] == "2026-05-18"


def test_connecticut_profile_is_a_legacy_county(client):
    body = client.get("/counties/09003").json()
    notes = {value["note"] for value in body["population"]["values"] if value["year"] >= 2020}
    assert notes and all("planning regions" in note for note in notes)


@pytest.mark.parametrize(
    ("fips", "status", "detail"),
    [
        ("4013", 422, "fips: '4013' is not a 5-digit county FIPS code"),
        ("abcde", 422, "fips: 'abcde' is not a 5-digit county FIPS code"),
        ("99999", 404, "fips: '99999' is not a served county"),
    ],
)
def test_bad_fips_is_named(client, fips, status, detail):
    response = client.get(f"/counties/{fips}")
    assert response.status_code == status
    assert response.json()["detail"] == detail
