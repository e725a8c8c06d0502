"""``/changes`` on the committed snapshot: JSON, the Atom feed, and its parameter errors."""

from datetime import date, timedelta
from xml.etree import ElementTree as ET

import feedparser

ATOM = "{http://www.w3.org/2005/Atom}"


def test_json_lists_changes_in_the_state_after_since(client):
    response = client.get("/changes", params={"since": "2026-01-01", "state": "tx"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["since"], body["state"]) == ("2026-01-01", "TX")
    assert body["lists"] and all(d > "2026-01-01" for d in body["lists"])
    assert body["until"] == body["lists"][-1]
    agreements = body["agreements"]
    assert {a["state_abbr"] for a in agreements} == {"TX"}
    assert all("2026-01-01" < a["date"] <= body["until"] for a in agreements)
    counts = body["counts"]
    assert counts["added"] == sum(a["change"] == "added" for a in agreements) > 0
    assert {f["state_abbr"] for f in body["facilities"]} <= {"TX"}


def test_atom_feed_is_valid_and_carries_each_agreement_change(client):
    response = client.get("/changes", params={"since": "2026-01-01", "state": "TX", "f": "atom"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.id == "urn:enforcemap:changes:tx"
    assert "TX" in feed.feed.title
    assert feed.feed.links[0].rel == "self"
    expected = client.get("/changes", params={"since": "2026-01-01", "state": "TX"}).json()
    changes = len(expected["agreements"]) + len(expected["counties"])
    assert len(feed.entries) == changes > 0
    ids = [entry.id for entry in feed.entries]
    assert len(set(ids)) == len(ids)
    updated = [entry.updated for entry in feed.entries]
    assert updated == sorted(updated, reverse=True)
    for entry in feed.entries:
        assert entry.title and entry.content[0].value and entry.updated_parsed
        assert "(TX)" in entry.title
    # RFC 4287: every entry has an id, a title, an updated time and content or an alternate link
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for entry in root.iter(f"{ATOM}entry"):
        for required in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{required}") is not None
        assert entry.find(f"{ATOM}content") is not None


def test_accept_header_selects_atom(client):
    response = client.get(
        "/changes",
        params={"since": "2026-04-30", "state": "FL"},
        headers={"Accept": "application/atom+xml"},
    )
    assert response.headers["content-type"].startswith("application/atom+xml")


def test_without_since_the_window_is_90_days_before_the_newest_list(client):
    body = client.get("/changes").json()
    until, since = date.fromisoformat(body["until"]), date.fromisoformat(body["since"])
    assert until - since == timedelta(days=90)


def test_bad_parameters_answer_422_naming_them(client):
    response = client.get("/changes", params={"since": "2026-02-30"})
    assert response.status_code == 422
    assert response.json() == {
        "error": "invalid_parameter",
        "detail": "since: '2026-02-30' is not a YYYY-MM-DD date",
    }
    response = client.get("/changes", params={"since": "2026-01-01", "state": "XX"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("state: 'XX' is not a served state")
    response = client.get("/changes", params={"f": "rss"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("f:")
