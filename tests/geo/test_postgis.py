"""``load_postgis`` / ``read_snapshot``: tables, indexes, one transaction, exact round trip."""

import shutil

import pandas as pd
import pyarrow
import pytest

from geo.postgis import SCHEMA, PostgisError, connect, load_postgis, read_snapshot
from geo.store import GEO_LAYERS, TABLE_LAYERS, load_snapshot
from tests.api.store import DATA, database_url


@pytest.fixture(scope="module")
def url() -> str:
    return database_url()


def test_every_layer_reads_back_as_parquet_gives_it(url):
    expected = load_snapshot(DATA)
    with connect(url) as connection:
        loaded = read_snapshot(connection)
    for name in TABLE_LAYERS + ("facilities",):
        pd.testing.assert_frame_equal(getattr(loaded, name), getattr(expected, name))
    for name in ("counties", "states"):
        pd.testing.assert_frame_equal(
            getattr(loaded, name).drop(columns="geometry"),
            getattr(expected, name).drop(columns="geometry"),
        )
    points = expected.counties.geometry.representative_point()
    assert loaded.counties.geometry.geom_equals_exact(points, tolerance=0).all()
    assert loaded.states.geometry.isna().all()
    assert loaded.manifest == expected.manifest
    assert loaded.context.keys() == expected.context.keys()


def test_spatial_tables_are_indexed_in_wgs84(url):
    with connect(url) as connection:
        srids = connection.execute(
            "SELECT f_table_name, srid FROM geometry_columns WHERE f_table_schema = %s",
            (SCHEMA,),
        ).fetchall()
        gist = connection.execute(
            "SELECT tablename FROM pg_indexes WHERE schemaname = %s AND indexdef LIKE %s",
            (SCHEMA, "%USING gist%"),
        ).fetchall()
    assert {srid for _, srid in srids} == {4326}
    assert {name for (name,) in gist} == {*GEO_LAYERS, "county_parts"}


def test_loading_the_same_snapshot_again_writes_nothing(url):
    assert load_postgis(DATA, url) is False


def test_a_failed_load_leaves_the_loaded_snapshot(url, tmp_path):
    broken = tmp_path / "data"
    shutil.copytree(DATA, broken)
    (broken / "sightings.parquet").write_bytes(b"not parquet")
    with pytest.raises(pyarrow.ArrowInvalid):
        load_postgis(broken, url)
    assert load_postgis(DATA, url) is False  # still the committed snapshot, whole


def test_unreachable_database_is_one_clear_error():
    with pytest.raises(PostgisError, match="host=127.0.0.1 port=1 .*cannot connect") as error:
        load_postgis(DATA, "postgresql://someone:secret@127.0.0.1:1/nowhere")
    assert "secret" not in str(error.value)
