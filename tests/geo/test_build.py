"""The build on the real raw files: determinism, atomicity, the committed snapshot, history."""

import hashlib
import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo.build import build
from geo.sources import SourceError
from geo.sources.agreements import active_on
from geo.store import load_snapshot

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    build(raw_dir, out / "data", out / "shapefiles")
    return out


def _mirror(raw_dir: Path, target: Path) -> Path:
    """A copy of the raw folder made of symlinks, so one file can be swapped cheaply."""
    for path in raw_dir.rglob("*"):
        if path.is_file():
            link = target / path.relative_to(raw_dir)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path.resolve())
    return target


def test_build_twice_gives_same_bytes(raw_dir, built, tmp_path):
    build(raw_dir, tmp_path / "data", tmp_path / "shapefiles")
    assert _digests(tmp_path / "data") == _digests(built / "data")
    assert _digests(tmp_path / "shapefiles") == _digests(built / "shapefiles")


def test_committed_snapshot_is_what_the_build_makes(built):
    assert _digests(REPO / "data") == _digests(built / "data")
    assert _digests(REPO / "shapefiles") == _digests(built / "shapefiles")


def test_corrupt_input_leaves_previous_snapshot_unchanged(raw_dir, built, tmp_path):
    raw = _mirror(raw_dir, tmp_path / "raw")
    sheet = raw / "287g/sheets/2026-05-18_participating.xlsx"
    sheet.unlink()
    sheet.write_bytes(b"PK\x03\x04 truncated")
    data = tmp_path / "data"
    shutil.copytree(built / "data", data)
    before = _digests(data)
    with pytest.raises(SourceError, match=r"2026-05-18_participating\.xlsx: not a readable xlsx"):
        build(raw, data, tmp_path / "shapefiles")
    assert _digests(data) == before
    assert not (tmp_path / "shapefiles").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_cli_build_failure_is_one_line_and_exit_1(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "api.cli",
            "build",
            "--raw-dir",
            str(tmp_path / "nowhere"),
            "--data-dir",
            str(tmp_path / "data"),
            "--shapefile-dir",
            str(tmp_path / "shp"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"enforcemap build: {tmp_path / 'nowhere'}: raw data folder not found"
    ]
    assert not (tmp_path / "data").exists()


def test_shapefiles_open_in_any_gis(built):
    folder = built / "shapefiles"
    for name, rows in (("counties", 3221), ("states", 52)):
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            assert (folder / f"{name}{ext}").is_file()
        layer = gpd.read_file(folder / f"{name}.shp")
        assert layer.crs.to_epsg() == 4326
        assert len(layer) == rows
    assert "cb_2020_us_county_5m" in (folder / "README.md").read_text()
    counties = gpd.read_file(folder / "counties.shp")
    assert counties.loc[counties["GEOID"] == "35013", "NAME"].item() == "Doña Ana"


def test_history_reads_true_for_maricopa(built):
    snapshot = load_snapshot(built / "data")
    agreements, sightings = snapshot.agreements, snapshot.sightings

    def maricopa_jem(on: date):
        active = active_on(agreements, sightings, on)
        sheriff = active["agency"].str.startswith("Maricopa County Sheriff")
        jem = active["model"] == "Jail Enforcement Model"
        return active[sheriff & jem & (active["county_fips"] == "04013")]

    assert len(maricopa_jem(date(2011, 6, 1))) == 1
    assert maricopa_jem(date(2021, 6, 30)).empty


def test_info_json_reports_live_figures(built, raw_dir):
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "info", "--json", "--data-dir", str(built / "data")],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    info = json.loads(result.stdout)
    agreements = info["layers"]["agreements"]
    assert info["layers"]["counties"]["rows"] >= 3143
    assert agreements["resolved_share"] >= 0.99
    newest = raw_dir / "287g/sheets/2026-05-18_participating.xlsx"
    assert agreements["active_on_newest_sheet"] == len(pd.read_excel(newest).dropna(how="all"))
    assert all(row["review_reason"] for row in agreements["unresolved"])
    sources = {s["path"]: s["sha256"] for s in agreements["sources"]}
    assert (
        sources["287g/sheets/2026-05-18_participating.xlsx"]
        == hashlib.sha256(newest.read_bytes()).hexdigest()
    )


def test_info_table_lists_every_unresolved_agreement(built):
    snapshot = load_snapshot(built / "data")
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "info", "--data-dir", str(built / "data")],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    unresolved = snapshot.agreements[snapshot.agreements["match_type"] == "unresolved"]
    lines = result.stdout.splitlines()
    for row in unresolved.itertuples():
        assert any(
            f"{row.state_abbr} {row.agency} (" in line and line.endswith(row.review_reason)
            for line in lines
        )
