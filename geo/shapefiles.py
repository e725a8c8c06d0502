"""Write the served county and state layers as shapefiles any GIS can open.

Shapefile field names are capped at 10 characters, so the layers use Census-style names. The
DBF header carries a "last update" date that GDAL would set to today; it is pinned to the
boundary vintage so that building twice gives the same bytes.
"""

from datetime import date
from pathlib import Path

import geopandas as gpd

COUNTY_FIELDS = {
    "county_fips": "GEOID",
    "name": "NAME",
    "name_lsad": "NAMELSAD",
    "state_fips": "STATEFP",
    "state_abbr": "STUSPS",
    "state_name": "STATE_NAME",
    "land_area_sqmi": "ALAND_SQMI",
}
STATE_FIELDS = {"state_fips": "STATEFP", "state_abbr": "STUSPS", "state_name": "NAME"}

README = """# Shapefiles

Written by `enforcemap build`; do not edit by hand. EPSG:4326 (WGS 84), UTF-8 (`.cpg`).

| file | what | source |
|---|---|---|
| `counties.shp` | {county_rows} counties and equivalents of the 50 states, DC and Puerto Rico; Connecticut as its 8 legacy counties | U.S. Census Bureau, 2020 Cartographic Boundary File, County and Equivalent, 1:5,000,000 (`cb_2020_us_county_5m`), boundaries as of {county_vintage} |
| `states.shp` | {state_rows} states, DC and Puerto Rico | U.S. Census Bureau, 2023 Cartographic Boundary File, State, 1:5,000,000 (`cb_2023_us_state_5m`), boundaries as of {state_vintage} |

Fields: `GEOID` (5-digit county FIPS), `NAME`, `NAMELSAD`, `STATEFP`, `STUSPS`, `STATE_NAME`,
`ALAND_SQMI` (land area, square miles). Public domain (17 U.S.C. §105).
"""


def write_shapefiles(
    counties: gpd.GeoDataFrame,
    states: gpd.GeoDataFrame,
    folder: Path,
    county_vintage: date,
    state_vintage: date,
) -> None:
    """Write ``counties.shp``, ``states.shp`` (with ``.prj`` and ``.cpg``) and a README."""
    _write(
        counties[[*COUNTY_FIELDS, "geometry"]].rename(columns=COUNTY_FIELDS),
        folder / "counties.shp",
        county_vintage,
    )
    _write(
        states[[*STATE_FIELDS, "geometry"]].rename(columns=STATE_FIELDS),
        folder / "states.shp",
        state_vintage,
    )
    text = README.format(
        county_rows=len(counties),
        state_rows=len(states),
        county_vintage=county_vintage,
        state_vintage=state_vintage,
    )
    (folder / "README.md").write_text(text, encoding="utf-8")


def _write(layer: gpd.GeoDataFrame, path: Path, vintage: date) -> None:
    layer.to_file(
        path,
        driver="ESRI Shapefile",
        engine="pyogrio",
        layer_options={"ENCODING": "UTF-8", "DBF_DATE_LAST_UPDATE": vintage.isoformat()},
    )
