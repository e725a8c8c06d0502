"""``enforcemap export`` and ``info`` on the committed snapshot."""

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

REPO = Path(__file__).resolve().parents[1]


def _enforcemap(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )


def test_export_atlas_geojson_is_rfc7946_and_reads_back(tmp_path):
    out = tmp_path / "atlas.geojson"
    result = _enforcemap("export", "--layer", "atlas", "--format", "geojson", "-o", str(out))
    assert result.returncode == 0, result.stderr
    atlas = gpd.read_file(out)
    assert len(atlas) == len(gpd.read_parquet(REPO / "data/counties.parquet"))
    assert atlas.crs.to_epsg() == 4326
    body = json.loads(out.read_text())
    assert "crs" not in body  # RFC 7946 drops the crs member: WGS 84 lon/lat is implied
    exteriors = shapely.get_exterior_ring(shapely.get_parts(atlas.geometry.to_numpy()))
    assert shapely.is_ccw(exteriors).all()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_dated_agencies(tmp_path, fmt):
    out = tmp_path / f"agencies.{fmt}"
    result = _enforcemap(
        "export", "--layer", "agencies", "--date", "2011-06-01", "--format", fmt, "-o", str(out)
    )
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
    assert "Maricopa County Sheriff's Office" in set(table["agency"])
    assert result.stdout.startswith(f"wrote {len(table)} rows of agencies")


def test_export_unknown_layer_and_bad_date_fail_in_one_line(tmp_path):
    result = _enforcemap("export", "--layer", "jails", "-o", str(tmp_path / "x.csv"))
    assert result.returncode == 1
    assert result.stderr.strip().startswith("enforcemap export: --layer 'jails' is not one of")
    result = _enforcemap("export", "--layer", "atlas", "--date", "2021-02-30", "-o", "x")
    assert result.returncode == 2
    assert "'2021-02-30' is not a YYYY-MM-DD date" in result.stderr


def test_export_geojson_of_a_table_is_refused(tmp_path):
    result = _enforcemap(
        "export", "--layer", "population", "--format", "geojson", "-o", str(tmp_path / "p.json")
    )
    assert result.returncode == 1
    assert "geojson needs a layer with geometry" in result.stderr
    assert not (tmp_path / "p.json").exists()
