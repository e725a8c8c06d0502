"""The served feature layers as of a date: counties with their indicators, 287(g) agencies.

Geometries are oriented counter-clockwise (RFC 7946's right-hand rule) once here, so every
output format inherits it.
"""

import math
from collections.abc import Callable
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.atlas import county_atlas, fiscal_year
from geo.sources.agreements import active_on
from geo.sources.policies import in_force_on
from geo.store import Snapshot

AGENCY_COLUMNS = [
    "agreement_id",
    "state_abbr",
    "agency",
    "agency_type",
    "model",
    "signed",
    "first_listed",
    "last_listed",
    "ended_by",
    "status",
    "county_fips",
    "county_fips_list",
    "match_type",
    "ori",
    "review_reason",
]


FACILITY_COLUMNS = ["name", "city", "state_abbr", "county_fips", "placement_method", "point_source"]
FACILITY_YEAR_COLUMNS = [
    "facility_id",
    "fiscal_year",
    "facility_type",
    "aor",
    "adp",
    "adp_note",
    "adp_mandatory",
    "guaranteed_minimum",
    "alos",
]


def counties_layer(snapshot: Snapshot, on: date) -> gpd.GeoDataFrame:
    """Counties with every atlas indicator as of ``on``; feature id is ``county_fips``."""
    atlas = county_atlas(snapshot, on)
    geometry = snapshot.counties.set_index("county_fips").geometry.reindex(atlas["county_fips"])
    return gpd.GeoDataFrame(
        atlas,
        geometry=shapely.orient_polygons(geometry.to_numpy(), exterior_cw=False),
        crs=4326,
    )


def agencies_layer(snapshot: Snapshot, on: date | None) -> gpd.GeoDataFrame:
    """287(g) agreements (all, or those active on ``on``) placed at their counties.

    An agreement covering one county sits at that county's representative point, one covering
    several at a multipoint of theirs; statewide and unresolved agreements have no geometry
    (their place is a state, or unknown, not a point).
    """
    agreements = snapshot.agreements
    if on is not None:
        agreements = active_on(agreements, snapshot.sightings, on)
    agreements = agreements.reset_index(drop=True)
    points = snapshot.counties.set_index("county_fips").geometry.representative_point()
    geometry = agreements["county_fips"].map(points).to_numpy()
    multi = agreements.index[agreements["match_type"] == "multi_county"]
    for i in multi:  # a handful of rows; each needs its own multipoint
        codes = list(agreements.at[i, "county_fips_list"])
        geometry[i] = shapely.multipoints(points.loc[codes].to_numpy())
    return gpd.GeoDataFrame(agreements[AGENCY_COLUMNS], geometry=geometry, crs=4326)


def facilities_layer(snapshot: Snapshot, on: date | None) -> gpd.GeoDataFrame:
    """Detention facilities listed in the fiscal year of ``on`` (default: the newest), with
    that year's ADP; a facility with no sourced point has no geometry."""
    years = snapshot.facility_years
    wanted = fiscal_year(on) if on is not None else int(years["fiscal_year"].max())
    usable = years.loc[years["fiscal_year"] <= wanted, "fiscal_year"]
    chosen = int(usable.max()) if len(usable) else int(years["fiscal_year"].min())
    listed = years[years["fiscal_year"] == chosen][FACILITY_YEAR_COLUMNS]
    placed = snapshot.facilities[["facility_id", *FACILITY_COLUMNS, "geometry"]]
    layer = placed.merge(listed, on="facility_id", how="inner").sort_values("facility_id")
    return gpd.GeoDataFrame(layer.reset_index(drop=True), geometry="geometry", crs=4326)


def policies_layer(snapshot: Snapshot, on: date | None) -> gpd.GeoDataFrame:
    """Sanctuary / anti-sanctuary policies (all, or those in force on ``on``).

    A county policy sits at its county's representative point; state and city policies have no
    point (a state is not a point, and the snapshot keeps no place points).
    """
    policies = snapshot.policies
    if on is not None:
        policies = policies[in_force_on(policies, on)]
    policies = policies.reset_index(drop=True)
    points = snapshot.counties.set_index("county_fips").geometry.representative_point()
    county_level = (policies["level"] == "county").to_numpy()
    geometry = np.full(len(policies), None, dtype=object)
    geometry[county_level] = policies.loc[county_level, "county_fips"].map(points).to_numpy()
    return gpd.GeoDataFrame(policies, geometry=geometry, crs=4326)


def as_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: nulls as ``None``, dates as ISO text, arrays as lists.

    Cell by cell on plain Python values: for the few rows of a page or a point answer this is
    far cheaper than converting whole pandas columns first.
    """
    rows = frame.drop(columns="geometry", errors="ignore").to_dict("records")
    return [{key: _plain(value) for key, value in row.items()} for row in rows]


def _plain(value: object) -> object:
    if isinstance(value, np.ndarray | list | tuple):
        return [str(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def newest_date(snapshot: Snapshot) -> date:
    """The date of the newest 287(g) list: the default "as of" of every dated layer."""
    return date.fromisoformat(snapshot.manifest["layers"]["agreements"]["as_of"])


LAYERS: dict[str, Callable[[Snapshot, date | None], pd.DataFrame]] = {
    "atlas": lambda snapshot, on: counties_layer(snapshot, on or newest_date(snapshot)),
    "agencies": agencies_layer,
    "facilities": facilities_layer,
    "policies": policies_layer,
    "agreements": lambda snapshot, on: snapshot.agreements,
    "sightings": lambda snapshot, on: snapshot.sightings,
    "population": lambda snapshot, on: snapshot.population,
    "states": lambda snapshot, on: snapshot.states,
}
"""Every exportable layer by name: ``LAYERS[name](snapshot, date_or_None)``."""


def export_layer(layer: pd.DataFrame, path: Path, fmt: str) -> None:
    """Write a layer as ``csv``, ``geojson`` (RFC 7946) or ``parquet`` (GeoParquet if spatial)."""
    spatial = isinstance(layer, gpd.GeoDataFrame)
    if fmt == "geojson":
        if not spatial:
            raise ValueError("geojson needs a layer with geometry (atlas, agencies, states)")
        records = gpd.GeoDataFrame(as_records(layer), geometry=layer.geometry.to_numpy(), crs=4326)
        records.to_file(path, driver="GeoJSON", engine="pyogrio", layer_options={"RFC7946": "YES"})
    elif fmt == "parquet":
        layer.to_parquet(path, index=False)
    elif fmt == "csv":
        pd.DataFrame(as_records(layer)).to_csv(path, index=False, lineterminator="\n")
    else:
        raise ValueError(f"format {fmt!r} is not one of csv, geojson, parquet")
