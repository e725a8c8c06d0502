"""287(g) lists: header detection per format, normalisation, and the active-on-date history."""

from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geo.sources import SourceError
from geo.sources.agreements import (
    active_on,
    agency_key,
    build_agreements,
    list_in_force,
    normalise_model,
    read_sightings,
    read_workbook,
    state_lookup,
)

STATE_NAMES = state_lookup(
    pd.Series(
        [
            "North Carolina",
            "Texas",
            "Delaware",
            "Pennsylvania",
            "Commonwealth of the Northern Mariana Islands",
        ]
    ),
    pd.Series(["NC", "TX", "DE", "PA", "MP"]),
)

# One file per header layout ICE has used (287g/SOURCES.md, "Columns and how they changed").
FORMATS = [
    ("wayback_tables/2021-01-31_participating_wayback.xlsx", "wayback", False),
    ("sheets/2025-02-21_participating.xlsx", "no COUNTY", False),
    ("sheets/2025-02-21_pending.xlsx", "pending, no COUNTY", False),
    ("sheets/2025-03-31_participating.xlsx", "+ COUNTY", True),
    ("sheets/2025-07-30_participating.xlsx", "+ ADDENDUM", True),
    ("sheets/2026-01-30_pending.xlsx", "pending + MOA", True),
]


def _workbook(path: Path, rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def all_states(raw_dir: Path) -> dict[str, str]:
    from geo.sources.counties import read_states

    states = read_states(raw_dir, served_only=False)
    return state_lookup(states["state_name"], states["state_abbr"])


@pytest.fixture(scope="module")
def history(raw_dir: Path, all_states: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return build_agreements(read_sightings(raw_dir, all_states))


@pytest.mark.parametrize(("name", "layout", "has_county"), FORMATS, ids=[f[1] for f in FORMATS])
def test_header_detected_in_each_real_layout(raw_dir, all_states, name, layout, has_county):
    path = raw_dir / "287g" / name
    sheet = pd.read_excel(path, dtype=object).dropna(how="all")
    sightings = read_workbook(path, date(2026, 5, 18), all_states)
    assert len(sightings) == len(sheet)
    assert (
        sightings["model"]
        .isin(["Jail Enforcement Model", "Task Force Model", "Warrant Service Officer"])
        .all()
    )
    assert sightings["state_abbr"].str.fullmatch(r"[A-Z]{2}").all()
    assert sightings["county_as_printed"].notna().any() == has_county
    assert sightings["agency"].iloc[0] == str(sheet["LAW ENFORCEMENT AGENCY"].iloc[0]).strip()


def test_header_found_below_a_title_row(tmp_path):
    path = _workbook(
        tmp_path / "2026-01-01_participating.xlsx",
        [
            ["287(g) Participating Agencies as of 01/01/2026"],
            [],
            ["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "SUPPORT TYPE", "SIGNED"],
            [
                "TEXAS",
                "Harris County Sheriff's Office ",
                "County ",
                "Task Force Model ",
                "2025-03-01",
            ],
            [
                "NORTH CAROLINA",
                "Cabarrus Co. Sheriff’s Office",
                "County",
                "Jail Enforcement Model",
                None,
            ],
        ],
    )
    sightings = read_workbook(path, date(2026, 1, 1), STATE_NAMES)
    assert sightings["row"].tolist() == [4, 5]
    assert sightings["state_abbr"].tolist() == ["TX", "NC"]
    assert sightings["agency"].tolist()[0] == "Harris County Sheriff's Office"
    assert sightings["model"].tolist() == ["Task Force Model", "Jail Enforcement Model"]
    assert sightings["signed"].tolist() == [date(2025, 3, 1), None]


def test_workbook_without_state_header_names_the_file(tmp_path):
    path = _workbook(tmp_path / "2026-01-01_participating.xlsx", [["AGENCY", "MODEL"], ["x", "y"]])
    with pytest.raises(
        SourceError, match=r"2026-01-01_participating\.xlsx: no header row with a STATE cell"
    ):
        read_workbook(path, date(2026, 1, 1), STATE_NAMES)


def test_workbook_missing_support_type_is_rejected(tmp_path):
    path = _workbook(
        tmp_path / "2026-01-01_participating.xlsx",
        [["STATE", "LAW ENFORCEMENT AGENCY", "SIGNED"], ["TEXAS", "Harris County", "2025-01-01"]],
    )
    with pytest.raises(SourceError, match=r"lacks column\(s\) \['SUPPORT TYPE'\]"):
        read_workbook(path, date(2026, 1, 1), STATE_NAMES)


def test_html_saved_as_xlsx_is_rejected(tmp_path):
    path = tmp_path / "2026-01-01_participating.xlsx"
    path.write_text("<html><body>Access denied</body></html>")
    with pytest.raises(SourceError, match="not a readable xlsx workbook"):
        read_workbook(path, date(2026, 1, 1), STATE_NAMES)


def test_unknown_state_is_named(tmp_path):
    path = _workbook(
        tmp_path / "2026-01-01_participating.xlsx",
        [
            ["STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE"],
            ["ATLANTIS", "Harris", "Task Force Model"],
        ],
    )
    with pytest.raises(SourceError, match="unknown state 'ATLANTIS'"):
        read_workbook(path, date(2026, 1, 1), STATE_NAMES)


def test_malformed_and_impossible_signed_dates_are_flagged_not_dropped(tmp_path):
    path = _workbook(
        tmp_path / "2025-06-27_participating.xlsx",
        [
            ["STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE", "SIGNED"],
            ["TEXAS", "A Police Department", "Task Force Model", "05/082025"],
            ["TEXAS", "B Police Department", "Task Force Model", "5025-07-07"],
            ["TEXAS", "C Police Department", "Task Force Model", "2025-05-08"],
        ],
    )
    sightings = read_workbook(path, date(2025, 6, 27), STATE_NAMES)
    assert len(sightings) == 3
    assert sightings["signed"].tolist() == [None, None, date(2025, 5, 8)]
    assert sightings["signed_problem"].iloc[0] == "malformed signed date '05/082025'"
    assert "5025-07-07" in sightings["signed_problem"].iloc[1]
    assert sightings["signed_problem"].iloc[2] is None


def test_support_types_normalise_to_three_models():
    cells = pd.Series(
        [
            "Jail Enforcement",
            "Task Force Model ",
            "Warrant Services Officer",
            "Warrant Service Office",
        ]
    )
    assert normalise_model(cells, Path("x")).tolist() == [
        "Jail Enforcement Model",
        "Task Force Model",
        "Warrant Service Officer",
        "Warrant Service Officer",
    ]
    with pytest.raises(SourceError, match="unknown support type 'Border Model'"):
        normalise_model(pd.Series(["Border Model"]), Path("x"))


def test_agency_spellings_share_a_key():
    names = pd.Series(
        [
            "Cabarrus County Sheriff's Office",
            "Cabarrus Co. Sheriff’s Office",
            "Cabarrus County Sheriffs Office",
            "CABARRUS COUNTY SHERIFF'S DEPARTMENT ",
        ]
    )
    assert agency_key(names).nunique() == 1
    assert (
        agency_key(pd.Series(["City of Durham Police Department", "Durham Police"])).nunique() == 1
    )


def test_state_misspellings_footnotes_and_territories_resolve(tmp_path):
    path = _workbook(
        tmp_path / "2026-01-30_participating.xlsx",
        [
            ["STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE"],
            ["NORTHERN MARIANA ISLANDS", "Department of Corrections", "Task Force Model"],
            ["DELAWARE**", "Department of Correction", "Task Force Model"],
            ["PENNSLYVANIA", "Hazleton Police Department", "Task Force Model"],
        ],
    )
    sightings = read_workbook(path, date(2026, 1, 30), STATE_NAMES)
    assert sightings["state_abbr"].tolist() == ["MP", "DE", "PA"]


def test_active_on_newest_sheet_equals_its_rows(raw_dir, history):
    agreements, sightings = history
    newest = raw_dir / "287g/sheets/2026-05-18_participating.xlsx"
    rows = len(pd.read_excel(newest, dtype=object).dropna(how="all"))
    assert (agreements["status"] == "active").sum() == rows
    assert len(active_on(agreements, sightings, date(2026, 5, 18))) == rows


def test_active_on_reads_each_list_family(history):
    agreements, sightings = history
    assert list_in_force(sightings, date(2011, 6, 1)) == date(2011, 2, 20)
    assert list_in_force(sightings, date(2007, 1, 1)) is None
    assert active_on(agreements, sightings, date(2007, 1, 1)).empty
    # Each family's own row count comes back on its own date.
    for day, family in [(date(2013, 4, 2), "roster"), (date(2023, 6, 22), "wayback")]:
        listed = sightings[
            (sightings["snapshot_date"] == day) & (sightings["list"] == "participating")
        ]
        assert set(listed["family"]) == {family}
        assert len(active_on(agreements, sightings, day)) == listed["agreement_id"].nunique()


def test_agreement_ends_at_first_list_without_it(history):
    agreements, _ = history
    maricopa = agreements[
        (agreements["state_abbr"] == "AZ")
        & agreements["agency_key"].eq("maricopa county sheriff")
        & agreements["model"].eq("Jail Enforcement Model")
    ].iloc[0]
    assert maricopa["status"] == "no_longer_listed"
    assert maricopa["first_listed"] == date(2007, 9, 19)  # on the 2007 partners list
    assert maricopa["ended_by"] > maricopa["last_listed"]


def test_pending_request_and_later_agreement_share_one_row(history):
    agreements, sightings = history
    both = agreements.dropna(subset=["first_pending", "first_listed"])
    assert len(both) > 0
    assert (both["first_pending"] <= both["last_listed"]).all()
    assert sightings.groupby("agreement_id")["list"].nunique().max() == 2
