"""The built snapshot in PostGIS: write it (``enforcemap load-postgis``) and read it back.

Every layer of ``data/`` becomes a table of schema ``enforcemap`` with one column per Parquet
column (text, bigint, double precision, boolean, date, text[]) and a ``position`` column keeping
the row order; geometry columns are ``geometry(Geometry, 4326)`` with a GiST index. Counties also
get their representative point (computed here with shapely, so both stores place agencies at the
same point) and ``county_parts``, their polygons cut by ``ST_Subdivide`` so point-in-county
tests touch a few hundred vertices rather than a whole coastline.

Loading is one transaction that drops and recreates the schema, so readers see the old snapshot
or the new one, never half; a snapshot already loaded (same SHA-256 over its files) is left as
is. Reading restores each table through its stored Arrow schema, so the frames have exactly the
dtypes `geo.store.load_snapshot` gives. The service reads the attribute tables (a few MB) at
start-up; county and state polygons stay in the database, where the spatial queries run
(`geo.postgis_index`).
"""

import hashlib
import io
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from psycopg import sql

from geo.store import CONTEXT, GEO_LAYERS, MANIFEST, TABLE_LAYERS, Snapshot, SnapshotError

SCHEMA = "enforcemap"
SRID = 4326
LAYOUT = "2"
"""Version of the tables' layout: a snapshot loaded by an older layout is loaded again."""
PART_VERTICES = 255
"""Most vertices per piece of ``county_parts``: small enough for fast point-in-polygon tests."""
_CONTEXT_PREFIX = "context__"
_SQL_TYPES = {
    pa.types.is_string: "text",
    pa.types.is_large_string: "text",
    pa.types.is_integer: "bigint",
    pa.types.is_floating: "double precision",
    pa.types.is_boolean: "boolean",
    pa.types.is_date32: "date",
    pa.types.is_null: "text",
}


class PostgisError(Exception):
    """The database cannot be reached, lacks PostGIS, or holds no loaded snapshot."""


def connect(url: str) -> psycopg.Connection:
    """A connection to ``url``, or a `PostgisError` naming the URL (without its password)."""
    try:
        return psycopg.connect(url)
    except psycopg.OperationalError as exc:
        raise PostgisError(f"{safe_url(url)}: cannot connect ({exc})".strip()) from None


def load_postgis(data_dir: Path, url: str) -> bool:
    """Write the snapshot in ``data_dir`` into the database at ``url``; ``False`` when that
    very snapshot is already there (nothing is written)."""
    data_dir = Path(data_dir)
    files = _snapshot_files(data_dir)
    digest = _digest(data_dir, files)
    with connect(url) as connection:
        if _loaded_digest(connection) == digest:
            return False
        with connection.transaction():
            _require_postgis(connection, url)
            connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(_ident()))
            connection.execute(sql.SQL("CREATE SCHEMA {}").format(_ident()))
            connection.execute(
                sql.SQL("CREATE TABLE {} (key text PRIMARY KEY, value text NOT NULL)").format(
                    table("meta")
                )
            )
            schemas = {}
            for name, path in files.items():
                arrow = pq.read_table(path)
                _write_table(connection, name, arrow)
                schemas[name] = arrow.schema.serialize().to_pybytes().hex()
            _add_county_points(connection, pq.read_table(files["counties"]))
            _add_county_parts(connection)
            meta = {
                "digest": digest,
                "manifest": (data_dir / MANIFEST).read_text(encoding="utf-8"),
                "schemas": json.dumps(schemas, sort_keys=True),
            }
            with connection.cursor() as cursor:
                cursor.executemany(
                    sql.SQL("INSERT INTO {} (key, value) VALUES (%s, %s)").format(table("meta")),
                    sorted(meta.items()),
                )
            connection.execute(sql.SQL("ANALYZE"))
    return True


def read_snapshot(connection: psycopg.Connection) -> Snapshot:
    """The snapshot's tables, as `geo.store.load_snapshot` gives them, except that counties
    carry their representative points and states no geometry: the polygons stay in the
    database (`geo.postgis_index.PostgisIndex` reads them when asked)."""
    meta = _meta(connection)
    schemas = {
        name: pa.ipc.read_schema(pa.py_buffer(bytes.fromhex(value)))
        for name, value in json.loads(meta["schemas"]).items()
    }
    geometry_source = {"counties": "representative_point", "states": None}
    layers = {
        name: _read_table(connection, name, schemas[name], geometry_source.get(name, "geometry"))
        for name in GEO_LAYERS + TABLE_LAYERS
    }
    context = {
        name.removeprefix(_CONTEXT_PREFIX): _read_table(connection, name, schema, None)
        for name, schema in sorted(schemas.items())
        if name.startswith(_CONTEXT_PREFIX)
    }
    return Snapshot(manifest=json.loads(meta["manifest"]), context=context, **layers)


def _snapshot_files(data_dir: Path) -> dict[str, Path]:
    """Table name -> Parquet file of every layer and context table in the snapshot folder."""
    if not (data_dir / MANIFEST).is_file():
        raise SnapshotError(f"{data_dir / MANIFEST}: no snapshot manifest; run `enforcemap build`")
    files = {name: data_dir / f"{name}.parquet" for name in GEO_LAYERS + TABLE_LAYERS}
    for path in sorted((data_dir / CONTEXT).glob("*.parquet")):
        files[_CONTEXT_PREFIX + path.stem] = path
    for path in files.values():
        if not path.is_file():
            raise SnapshotError(f"{path}: layer missing from the snapshot")
    return files


def _digest(data_dir: Path, files: dict[str, Path]) -> str:
    """SHA-256 over the table layout, the manifest and every layer file, in a fixed order."""
    digest = hashlib.sha256(f"layout {LAYOUT}\0".encode())
    for path in [data_dir / MANIFEST, *files.values()]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _loaded_digest(connection: psycopg.Connection) -> str | None:
    try:
        return _meta(connection).get("digest")
    except PostgisError:
        return None


def _meta(connection: psycopg.Connection) -> dict[str, str]:
    exists = connection.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (f"{SCHEMA}.meta",)
    ).fetchone()[0]
    if not exists:
        raise PostgisError(
            f"{safe_url(connection.info.dsn)}: no enforcemap snapshot; run `enforcemap load-postgis`"
        )
    rows = connection.execute(sql.SQL("SELECT key, value FROM {}").format(table("meta")))
    return dict(rows.fetchall())


def _require_postgis(connection: psycopg.Connection, url: str) -> None:
    try:
        connection.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg.Error as exc:
        raise PostgisError(
            f"{safe_url(url)}: PostGIS is not available ({exc}); install Debian's postgis package"
        ) from None


def _write_table(connection: psycopg.Connection, name: str, arrow: pa.Table) -> None:
    """Create the table for ``arrow``'s columns and copy its rows in, geometry as EWKB."""
    columns = [sql.SQL("position integer PRIMARY KEY")]
    for field in arrow.schema:
        columns.append(sql.SQL("{} {}").format(sql.Identifier(field.name), _sql_type(field)))
    connection.execute(
        sql.SQL("CREATE TABLE {} ({})").format(table(name), sql.SQL(", ").join(columns))
    )
    values = {field.name: arrow.column(field.name).to_pylist() for field in arrow.schema}
    if "geometry" in values:
        values["geometry"] = _ewkb(values["geometry"])
    names = sql.SQL(", ").join(sql.Identifier(n) for n in ["position", *values])
    copy_rows = sql.SQL("COPY {} ({}) FROM STDIN").format(table(name), names)
    with connection.cursor() as cursor, cursor.copy(copy_rows) as copy:
        for position, row in enumerate(zip(*values.values(), strict=True)):
            copy.write_row((position, *row))
    if "geometry" in values:
        connection.execute(sql.SQL("CREATE INDEX ON {} USING gist (geometry)").format(table(name)))


def _sql_type(field: pa.Field) -> sql.SQL:
    if field.name == "geometry":
        return sql.SQL(f"geometry(Geometry, {SRID})")
    if pa.types.is_list(field.type):
        return sql.SQL(_scalar_sql_type(field.type.value_type, field.name) + "[]")
    return sql.SQL(_scalar_sql_type(field.type, field.name))


def _scalar_sql_type(kind: pa.DataType, column: str) -> str:
    for test, name in _SQL_TYPES.items():
        if test(kind):
            return name
    raise SnapshotError(f"column {column!r}: Arrow type {kind} has no PostgreSQL mapping")


def _ewkb(wkbs: list[bytes | None]) -> list[str | None]:
    """WKB values as hex EWKB with SRID 4326, the text form PostGIS reads in COPY."""
    geometries = shapely.set_srid(shapely.from_wkb(wkbs), SRID)
    return list(shapely.to_wkb(geometries, hex=True, include_srid=True))


def _add_county_points(connection: psycopg.Connection, counties: pa.Table) -> None:
    """Each county's representative point, from shapely, as the embedded store computes it."""
    geometry = gpd.GeoSeries.from_wkb(counties.column("geometry").to_pylist(), crs=SRID)
    points = _ewkb(list(shapely.to_wkb(geometry.representative_point().to_numpy())))
    connection.execute(
        sql.SQL("ALTER TABLE {} ADD COLUMN representative_point geometry(Point, {})").format(
            table("counties"), sql.Literal(SRID)
        )
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            sql.SQL("UPDATE {} SET representative_point = %s::geometry WHERE position = %s").format(
                table("counties")
            ),
            [(point, position) for position, point in enumerate(points)],
        )
    connection.execute(sql.SQL("CREATE UNIQUE INDEX ON {} (county_fips)").format(table("counties")))


def _add_county_parts(connection: psycopg.Connection) -> None:
    parts = table("county_parts")
    connection.execute(
        sql.SQL("CREATE TABLE {} (position integer, geometry geometry(Geometry, {}))").format(
            parts, sql.Literal(SRID)
        )
    )
    connection.execute(
        sql.SQL("INSERT INTO {} SELECT position, ST_Subdivide(geometry, {}) FROM {}").format(
            parts, sql.Literal(PART_VERTICES), table("counties")
        )
    )
    connection.execute(sql.SQL("CREATE INDEX ON {} USING gist (geometry)").format(parts))


def _read_table(
    connection: psycopg.Connection, name: str, schema: pa.Schema, geometry: str | None
) -> pd.DataFrame:
    """One table as the frame its Parquet file gives, through the stored Arrow schema.

    ``geometry`` names the column served as the geometry (None: no geometry, all null).
    """
    selected = []
    for field in schema:
        if field.name != "geometry":
            selected.append(sql.Identifier(field.name))
        elif geometry is None:
            selected.append(sql.SQL("NULL::bytea"))
        else:
            selected.append(sql.SQL("ST_AsBinary({})").format(sql.Identifier(geometry)))
    query = sql.SQL("SELECT {} FROM {} ORDER BY position").format(
        sql.SQL(", ").join(selected), table(name)
    )
    with connection.cursor() as cursor:
        rows = cursor.execute(query).fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    arrays = [
        pa.array([bytes(v) if isinstance(v, memoryview) else v for v in values], type=field.type)
        for field, values in zip(schema, columns, strict=True)
    ]
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), buffer)
    buffer.seek(0)
    reader = gpd.read_parquet if "geometry" in schema.names else pd.read_parquet
    return reader(buffer)


def _ident() -> sql.Identifier:
    return sql.Identifier(SCHEMA)


def table(name: str) -> sql.Composed:
    """A table of the snapshot's schema, quoted for SQL."""
    return sql.SQL("{}.{}").format(_ident(), sql.Identifier(name))


def safe_url(url: str) -> str:
    """The URL or DSN with any password replaced, for messages."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the database URL"
    info.pop("password", None)
    return " ".join(f"{key}={value}" for key, value in sorted(info.items()))
