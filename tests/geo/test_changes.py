"""Change lists: from one snapshot's history (`changes --since`) and between two builds (`diff`).

The end-to-end case builds a raw folder that lacks ICE's 2026-05-18 sheet, lets
``enforcemap update --build`` fetch it from a stand-in for ICE's page on 127.0.0.1, and checks
that the change list equals the difference between the two sheets' rows.
"""

import contextlib
import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from api.cli import main
from geo.build import build
from geo.changes import changes_since, describe
from geo.sources.agreements import agency_key, participating_dates, read_workbook, state_lookup
from geo.sources.counties import read_states
from geo.store import Snapshot, load_snapshot
from tests.geo.test_update import (
    NEWEST_SHEET,
    SHEETS,
    IceSite,
    Route,
    digests,
    mirror,
)

REPO = Path(__file__).resolve().parents[2]
PREVIOUS_SHEET = "287g/sheets/2026-04-30_participating.xlsx"


@dataclass(frozen=True)
class History:
    """A raw folder before and after the update, and the snapshot built from each."""

    raw: Path
    old: Path
    new: Path
    update_status: int
    update_output: str


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def history(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> History:
    root = tmp_path_factory.mktemp("history")
    raw = mirror(raw_dir, root / "raw", {NEWEST_SHEET})
    build(raw, root / "old" / "data", root / "old" / "shapefiles")
    site = IceSite()
    site.thread.start()
    try:
        site.routes[f"{SHEETS}/participatingAgencies05182026am.xlsx"] = Route(
            (raw_dir / NEWEST_SHEET).read_bytes()
        )
        site.serve_287g("participatingAgencies05182026am.xlsx")
        site.serve_detention("FY26_detentionStats_04092026.xlsx")  # already held
        status, out, err = _run(
            "update",
            "--raw-dir",
            str(raw),
            "--build",
            "--data-dir",
            str(root / "new" / "data"),
            "--shapefile-dir",
            str(root / "new" / "shapefiles"),
            *[f"--registry-url-override={name}={url}" for name, url in site.overrides().items()],
        )
    finally:
        site.server.shutdown()
        site.server.server_close()
    assert err == ""
    return History(raw, root / "old" / "data", root / "new" / "data", status, out)


def _sheet_rows(raw_dir: Path, relative: str) -> set[tuple[str, str, str]]:
    """(state, agency, model) of every row of one ICE sheet, read independently of the build."""
    states = read_states(raw_dir, served_only=False)
    path = raw_dir / relative
    rows = read_workbook(
        path,
        date.fromisoformat(path.name[:10]),
        state_lookup(states["state_name"], states["state_abbr"]),
    )
    return _keys(rows)


def _keys(rows: pd.DataFrame) -> set[tuple[str, str, str]]:
    return set(zip(rows["state_abbr"], agency_key(rows["agency"]), rows["model"], strict=True))


@pytest.mark.slow
def test_update_build_fetches_the_sheet_and_rebuilds(history):
    assert history.update_status == 0
    assert f"saved {NEWEST_SHEET}" in history.update_output
    assert f"built {history.new}" in history.update_output
    assert load_snapshot(history.new).manifest["layers"]["agreements"]["as_of"] == "2026-05-18"
    assert load_snapshot(history.old).manifest["layers"]["agreements"]["as_of"] == "2026-04-30"


@pytest.mark.slow
def test_changes_lists_what_the_new_sheet_adds_and_ends(history, raw_dir):
    status, out, _ = _run(
        "changes", "--since", "2026-04-30", "--data-dir", str(history.new), "--json"
    )
    assert status == 0
    body = json.loads(out)
    old_rows, new_rows = _sheet_rows(raw_dir, PREVIOUS_SHEET), _sheet_rows(raw_dir, NEWEST_SHEET)
    assert body["lists"] == ["2026-05-18"]
    assert body["counts"]["added"] == len(new_rows - old_rows)
    assert body["counts"]["ended"] == len(old_rows - new_rows)
    assert body["counts"]["added"] - body["counts"]["ended"] == len(new_rows) - len(old_rows)
    events = pd.DataFrame(body["agreements"])
    assert _keys(events[events["change"] == "added"]) == new_rows - old_rows
    assert _keys(events[events["change"] == "ended"]) == old_rows - new_rows
    status, text, _ = _run("changes", "--since", "2026-04-30", "--data-dir", str(history.new))
    assert status == 0
    for agency in events.loc[events["change"] != "re_signed", "agency"]:
        assert agency in text
    assert f"{len(new_rows - old_rows)} added, {len(old_rows - new_rows)} ended" in text


@pytest.mark.slow
def test_diff_of_the_two_builds_names_the_new_sheet(history):
    status, out, _ = _run(
        "diff", str(history.old / "manifest.json"), str(history.new / "manifest.json"), "--json"
    )
    assert status == 0
    diff = json.loads(out)
    since = json.loads(
        _run("changes", "--since", "2026-04-30", "--data-dir", str(history.new), "--json")[1]
    )
    assert diff["agreements"] == since["agreements"]
    assert diff["sources"] == {"added": [NEWEST_SHEET], "removed": [], "changed": []}
    assert diff["facilities"] == []  # the same FY26 release on both sides


@pytest.mark.slow
def test_second_update_fetches_nothing_and_does_not_rebuild(history):
    before = digests(history.new)
    site = IceSite()
    site.thread.start()
    try:
        site.serve_287g("participatingAgencies05182026am.xlsx")
        site.serve_detention("FY26_detentionStats_04092026.xlsx")
        status, out, _ = _run(
            "update",
            "--raw-dir",
            str(history.raw),
            "--build",
            "--data-dir",
            str(history.new),
            *[f"--registry-url-override={name}={url}" for name, url in site.overrides().items()],
        )
    finally:
        site.server.shutdown()
        site.server.server_close()
    assert status == 0
    assert "nothing new" in out and "not rebuilt" in out
    assert [path for path, _ in site.requests if path.startswith("/doclib/")] == []
    assert digests(history.new) == before


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    return load_snapshot(REPO / "data")


def test_added_minus_ended_is_the_growth_of_the_list(snapshot):
    since = date(2025, 12, 31)
    changes = changes_since(snapshot, since)
    listed = snapshot.sightings[snapshot.sightings["list"] == "participating"]
    dates = participating_dates(snapshot.sightings)
    baseline = dates[dates <= since][-1]
    size = listed.groupby("snapshot_date")["agreement_id"].nunique()
    counts = changes.counts()
    assert len(changes.lists) > 1
    assert counts["added"] - counts["ended"] == size[dates[-1]] - size[baseline]


def test_re_signed_gives_both_dates(snapshot):
    re_signed = changes_since(snapshot, date(2025, 6, 27)).agreements.query("change == 're_signed'")
    assert len(re_signed) > 0
    assert (re_signed["signed"] != re_signed["previous_signed"]).all()
    assert re_signed["previous_signed"].notna().all()


def test_state_filter_keeps_one_state_and_refuses_unknown_ones(snapshot):
    changes = changes_since(snapshot, date(2026, 1, 1), "TX")
    assert set(changes.agreements["state_abbr"]) == {"TX"}
    assert set(changes.facilities["state_abbr"]) <= {"TX"}
    with pytest.raises(ValueError, match="state: 'XX' is not a served state"):
        changes_since(snapshot, date(2026, 1, 1), "XX")


def test_policy_status_changes_name_both_statuses(snapshot):
    counties = changes_since(snapshot, date(2025, 8, 4)).counties
    assert len(counties) > 0
    assert (counties["status"] != counties["status_before"]).all()
    assert counties["county_fips"].str.fullmatch(r"\d{5}").all()


def test_facilities_compare_the_newest_fiscal_year_with_the_one_before(snapshot):
    facilities = changes_since(snapshot, date(2026, 1, 1)).facilities
    newest = int(snapshot.facility_years["fiscal_year"].max())
    assert len(facilities) == 10
    assert set(facilities["to_fiscal_year"]) == {newest}
    assert set(facilities["from_fiscal_year"]) == {newest - 1}
    assert facilities["to_year_to_date"].all()
    sizes = facilities["change"].abs().tolist()
    assert sizes == sorted(sizes, reverse=True)


def test_since_after_the_newest_list_is_empty(snapshot):
    newest = participating_dates(snapshot.sightings)[-1]
    changes = changes_since(snapshot, newest)
    assert changes.lists == [] and changes.agreements.empty and changes.until == newest
    assert describe(changes)[1] == "287(g) agreements: 0 added, 0 ended, 0 re-signed"
