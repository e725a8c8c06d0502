"""The served feature layers as of a date: counties with their indicators, 287(g) agencies.

Geometries are oriented counter-clockwise (RFC 7946's right-hand rule) once here, so every
output format inherits it.
"""

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.atlas import county_atlas
from geo.sources.agreements import active_on
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


def as_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: nulls as ``None``, dates as ISO text, arrays as lists."""
    values = frame.drop(columns="geometry", errors="ignore").astype(object)
    values = values.where(values.notna(), None)
    records = values.to_dict("records")
    for record in records:
        for key, value in record.items():
            if isinstance(value, date):
                record[key] = value.isoformat()
            elif isinstance(value, np.ndarray | tuple):
                record[key] = [str(v) for v in value]
            elif isinstance(value, np.integer):
                record[key] = int(value)
            elif isinstance(value, np.floating):
                record[key] = float(value)
    return records
