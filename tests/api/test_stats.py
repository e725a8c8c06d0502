"""``/stats/``: correlation, group comparison and Moran's I against scipy and esda."""

import numpy as np
import pandas as pd
import pytest
from esda.moran import Moran
from libpysal.weights import Queen
from scipy import stats

from geo.layers import counties_layer, newest_date
from geo.store import load_snapshot
from tests.api.store import DATA


@pytest.fixture(scope="module")
def atlas() -> pd.DataFrame:
    """The expected side, from the committed files, whichever store the app reads."""
    snapshot = load_snapshot(DATA)
    return counties_layer(snapshot, newest_date(snapshot)).set_index("county_fips")


def test_correlation_matches_scipy_and_lists_exclusions(client, atlas):
    body = client.get(
        "/stats/correlation?x=population_density&y=agreements_active&region=state:TX"
    ).json()
    texas = atlas[atlas["state_abbr"] == "TX"]
    expected = stats.pearsonr(
        texas["population_density"].astype(float), texas["agreements_active"].astype(float)
    )
    assert body["n"] == len(texas)
    assert body["r"] == pytest.approx(expected.statistic, abs=1e-9)
    assert body["p_value"] == pytest.approx(expected.pvalue)
    assert body["ci_low"] < body["r"] < body["ci_high"]
    assert body["excluded"] == []
    assert body["indicators"]["agreements_active"]["as_of"] == ["2026-05-18"]


def test_national_correlation_excludes_puerto_rico_for_missing_population(client):
    body = client.get(
        "/stats/correlation?x=population&y=agreements_active&region=us&method=spearman"
    ).json()
    excluded = {e["county_fips"][:2] for e in body["excluded"]}
    assert excluded == {"72"}
    assert body["excluded"][0]["reason"] == "missing population"
    assert body["method"] == "spearman"


def test_census_region_counts_only_its_states(client, atlas):
    body = client.get(
        "/stats/correlation?x=population&y=agreements_active&region=census_region:northeast"
    ).json()
    northeast = {"CT", "ME", "MA", "NH", "RI", "VT", "NJ", "NY", "PA"}
    assert body["n"] == int(atlas["state_abbr"].isin(northeast).sum())


def test_compare_groups_matches_welch(client, atlas):
    body = client.get("/stats/compare?indicator=population_density&region=state:TX").json()
    texas = atlas[atlas["state_abbr"] == "TX"]
    has = texas["agreements_active"] > 0
    density = texas["population_density"].astype(float)
    expected = stats.ttest_ind(density[has], density[~has], equal_var=False)
    assert body["p_value"] == pytest.approx(expected.pvalue)
    assert body["n_with"] == int(has.sum())
    assert body["test"].startswith("Welch")


def test_moran_matches_esda_with_the_same_seed(client, atlas):
    body = client.get("/stats/moran?indicator=agreements_active&region=state:TX").json()
    texas = atlas[atlas["state_abbr"] == "TX"]
    weights = Queen.from_dataframe(texas, use_index=True, silence_warnings=True)
    weights.transform = "r"
    np.random.seed(body["seed"])
    expected = Moran(texas["agreements_active"].astype(float).to_numpy(), weights, permutations=999)
    assert body["statistic"] == pytest.approx(expected.I)
    assert body["p_value"] == pytest.approx(expected.p_sim)
    assert set(body["clusters"].values()) <= {"HH", "LL", "HL", "LH", "ns"}
    assert len(body["clusters"]) == body["n"] == len(texas)


def test_moran_lists_islands_as_excluded(client):
    body = client.get("/stats/moran?indicator=agreements_active&region=us").json()
    islands = {
        e["county_fips"] for e in body["excluded"] if e["reason"] == "no neighbour sharing a border"
    }
    assert {"15001", "15007"} <= islands  # Hawaii and Kauai counties share no border
    response = client.get("/stats/moran?indicator=agreements_active&region=state:HI")
    assert response.status_code == 422
    assert "have a neighbour" in response.json()["detail"]


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/stats/correlation?x=crime&y=population", "x: 'crime' is not an indicator"),
        (
            "/stats/correlation?x=population&y=population&region=state:ZZ",
            "region: unknown state ZZ",
        ),
        (
            "/stats/correlation?x=population&y=population&region=planet",
            "region: 'planet' is not us",
        ),
        (
            "/stats/correlation?x=population&y=agreements_active&region=fips:48201",
            "only 1 counties",
        ),
        (
            "/stats/moran?indicator=agreements_active&date=2000-01-01",
            "only 0 counties have a value",
        ),
        ("/stats/moran?indicator=population&permutations=5", "permutations:"),
        ("/stats/correlation?x=population&y=population&method=kendall", "method:"),
    ],
)
def test_bad_statistics_requests_are_422(client, url, detail):
    response = client.get(url)
    assert response.status_code == 422
    assert detail in response.json()["detail"]


def test_mixing_ucr_and_nibrs_is_warned_about(client):
    body = client.get("/stats/correlation?x=ucr_violent_rate&y=nibrs_violent_rate&region=us").json()
    assert body["warnings"] and "compares the UCR and NIBRS series" in body["warnings"][0]
    assert body["indicators"]["ucr_violent_rate"]["as_of"] == ["2017"]
    assert body["indicators"]["nibrs_violent_rate"]["as_of"] == ["2023"]


def test_crime_against_287g_names_the_series_and_years(client):
    body = client.get(
        "/stats/compare?indicator=nibrs_violent_rate&region=state:TX&date=2023-06-01"
    ).json()
    assert len(body["warnings"]) == 1
    assert body["indicators"]["nibrs_violent_rate"]["as_of"] == ["2023"]
    assert body["indicators"]["agreements_active"]["as_of"] == ["2023-05-30"]


def test_non_crime_indicators_carry_no_warning(client):
    body = client.get("/stats/correlation?x=population&y=detention_adp_per_100k").json()
    assert body["warnings"] == []
