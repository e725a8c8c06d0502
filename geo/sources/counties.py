"""County and state boundaries from the Census cartographic boundary files.

The 2020 1:5M county file is the served geometry: it is the newest Census vintage that still has
Connecticut's 8 legacy counties, which the enforcement and crime records use.
"""

from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.sources import SourceError

COUNTY_FILE = Path("boundaries/geometry/cb_2020_us_county_5m.zip")
STATE_FILE = Path("boundaries/geometry/cb_2023_us_state_5m.geojson")

# The 50 states, DC and Puerto Rico; the Island Areas (AS, GU, MP, VI) are out of scope.
ISLAND_AREA_FIPS = ("60", "66", "69", "78")
SQ_METRES_PER_SQ_MILE = 2_589_988.110336


def read_counties(raw_dir: Path) -> gpd.GeoDataFrame:
    """Read every county and equivalent of the 50 states, DC and PR in EPSG:4326.

    Columns: ``county_fips`` (5-character string), ``name``, ``name_lsad``, ``state_fips``,
    ``state_abbr``, ``state_name``, ``land_area_sqmi``, ``geometry``; sorted by ``county_fips``.

    Examples
    --------
    >>> counties = read_counties(Path("../shared/data"))  # doctest: +SKIP
    >>> counties.loc[counties.county_fips == "04013", "name"].item()  # doctest: +SKIP
    'Maricopa'
    """
    path = Path(raw_dir) / COUNTY_FILE
    if not path.is_file():
        raise SourceError(path, "county boundary file not found")
    try:
        raw = gpd.read_file(f"zip://{path}")
    except Exception as exc:  # pyogrio raises several types; all mean the same to the build
        raise SourceError(path, f"cannot read county boundaries ({exc})") from exc
    missing = {"GEOID", "NAME", "NAMELSAD", "STATEFP", "STUSPS", "STATE_NAME", "ALAND"} - set(
        raw.columns
    )
    if missing:
        raise SourceError(path, f"missing columns {sorted(missing)}")
    if raw.crs is None:
        raise SourceError(path, "no .prj: the CRS is unknown")
    raw = raw[~raw["STATEFP"].isin(ISLAND_AREA_FIPS)].to_crs(4326)
    counties = gpd.GeoDataFrame(
        {
            "county_fips": raw["GEOID"].astype(str),
            "name": raw["NAME"].astype(str),
            "name_lsad": raw["NAMELSAD"].astype(str),
            "state_fips": raw["STATEFP"].astype(str),
            "state_abbr": raw["STUSPS"].astype(str),
            "state_name": raw["STATE_NAME"].astype(str),
            "land_area_sqmi": (pd.to_numeric(raw["ALAND"]) / SQ_METRES_PER_SQ_MILE).round(3),
        },
        geometry=raw.geometry.values,
        crs=4326,
    )
    bad = ~counties["county_fips"].str.fullmatch(r"\d{5}")
    if bad.any():
        raise SourceError(path, f"malformed GEOID {counties.loc[bad, 'county_fips'].iloc[0]!r}")
    return counties.sort_values("county_fips", ignore_index=True)
