"""Provenance of each built layer: source files with SHA-256, publisher, licence, as-of date.

The manifest holds nothing that changes between two builds of the same raw files (no build
time, no absolute paths), so the committed snapshot is reproducible byte for byte.
"""

import hashlib
from datetime import date
from pathlib import Path

import pandas as pd

from geo import qa, resolve
from geo.sources import agreements, counties, crime, detention, policies
from geo.sources.agreements import participating_dates
from geo.sources.detention import adp_placed_share

COUNTY_VINTAGE = date(2020, 1, 1)  # cb_2020: boundaries as of January 1, 2020
STATE_VINTAGE = date(2023, 1, 1)  # cb_2023: boundaries as of January 1, 2023

PUBLISHERS = {
    "counties": {
        "publisher": "U.S. Census Bureau, Geography Division",
        "licence": "Public domain (17 U.S.C. §105)",
        "files": [counties.COUNTY_FILE],
    },
    "states": {
        "publisher": "U.S. Census Bureau, Geography Division",
        "licence": "Public domain (17 U.S.C. §105)",
        "files": [counties.STATE_FILE, counties.PEP_V2024_FILE],
    },
    "population": {
        "publisher": "U.S. Census Bureau, Population Division (PEP Vintage 2020 and 2024)",
        "licence": "Public domain (17 U.S.C. §105); us_geo compilation MIT",
        "files": [
            counties.PEP_V2020_FILE,
            counties.PEP_V2024_FILE,
            counties.CT_TOWN_FILE,
            counties.ZCTA_FILE,
        ],
    },
    "agreements": {
        "publisher": "U.S. Immigration and Customs Enforcement, 287(g) program lists",
        "licence": "Public domain (17 U.S.C. §105); roster captures parsed by the Deportation "
        "Data Project (CC0)",
        "files": list(agreements.SOURCE_PATTERNS),
    },
    "policies": {
        "publisher": "Compiled from state legislatures' and governors' pages and news reports; "
        "U.S. DOJ sanctuary jurisdiction list (2025-08-05); ICE/CIS detainer-policy list (2014)",
        "licence": "Compiled facts with citations; U.S. government lists public domain",
        "files": list(policies.SOURCE_FILES),
    },
    "crime": {
        "publisher": "FBI UCR / NIBRS county rates compiled by the Urban Institute (from Kaplan, "
        "openICPSR 108164); FBI CDE agency participation; FBI LEE roster; BJS NCVS tables",
        "licence": "FBI and BJS data public domain; cite Urban Institute and Kaplan (CC BY 4.0)",
        "files": [*crime.SOURCE_FILES, resolve.LEAIC_FILE],
    },
    "facilities": {
        "publisher": "U.S. Immigration and Customs Enforcement, annual detention statistics "
        "(FY2019-FY2026); points from HIFLD Prison Boundaries and an OpenStreetMap-based table",
        "licence": "ICE and HIFLD public domain; points whose point_source is the located table "
        "are (c) OpenStreetMap contributors, ODbL 1.0 (share-alike)",
        "files": list(detention.SOURCE_FILES),
    },
    "agency_rosters": {
        "publisher": "BJS LEAIC 2012 (via FBI CDE / 18F), FBI LEE roster (via 287g-watch), "
        "Census Gazetteer and USGS GNIS (via us_geo)",
        "licence": "Public domain data; us_geo and 287g-watch compilations MIT",
        "files": list(resolve.REFERENCE_FILES),
    },
}


def source_files(raw_dir: Path, layer: str) -> list[Path]:
    """The raw files a layer is built from, expanded and sorted."""
    raw_dir = Path(raw_dir)
    return sorted(p for pattern in PUBLISHERS[layer]["files"] for p in raw_dir.glob(str(pattern)))


def describe_sources(raw_dir: Path, layer: str) -> dict:
    """Publisher, licence and each source file (path relative to the raw folder, bytes, SHA-256)."""
    raw_dir = Path(raw_dir)
    meta = PUBLISHERS[layer]
    files = [
        {
            "path": path.relative_to(raw_dir).as_posix(),
            "bytes": path.stat().st_size,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        }
        for path in source_files(raw_dir, layer)
    ]
    return {"publisher": meta["publisher"], "licence": meta["licence"], "sources": files}


def snapshot_manifest(raw_dir: Path, layers: dict) -> dict:
    """Provenance and headline figures for every layer of a build (``layers`` as in build)."""
    figures = {
        "counties": _counties,
        "states": _states,
        "population": _population,
        "agreements": _agreements,
        "policies": _policies,
        "crime": _crime,
        "facilities": _facilities,
    }
    described = {
        name: {**describe_sources(raw_dir, name), **compute(layers)}
        for name, compute in figures.items()
    }
    described["agreements"]["agency_rosters"] = describe_sources(raw_dir, "agency_rosters")
    return {"name": "enforcemap snapshot", "layers": described}


def _counties(layers: dict) -> dict:
    return {
        "as_of": COUNTY_VINTAGE.isoformat(),
        "rows": len(layers["counties"]),
        "crs": "EPSG:4326",
        "notes": "50 states, DC and Puerto Rico. Connecticut is served as its 8 legacy counties "
        "(09001-09015), which the enforcement and crime records use.",
    }


def _states(layers: dict) -> dict:
    return {"as_of": STATE_VINTAGE.isoformat(), "rows": len(layers["states"]), "crs": "EPSG:4326"}


def _population(layers: dict) -> dict:
    years = layers["population"]["year"]
    return {
        "as_of": f"{int(years.max())}-07-01",
        "rows": len(years),
        "years": [int(years.min()), int(years.max())],
        "notes": "July 1 estimates. Connecticut 2020 onward is published for the 9 planning "
        "regions and carried over to the 8 legacy counties through the town crosswalk (see each "
        "row's note). Puerto Rico is not in the PEP county files: null.",
    }


def _agreements(layers: dict) -> dict:
    table, sightings = layers["agreements"], layers["sightings"]
    dates = participating_dates(sightings)
    counts = table["match_type"].value_counts().sort_index()
    return {
        "as_of": dates[-1].isoformat(),
        "rows": len(table),
        "active_on_newest_sheet": int((table["status"] == "active").sum()),
        "resolved_share": qa.resolved_share(table),
        "match_types": {k: int(v) for k, v in counts.items()},
        "lists": len(dates),
        "first_list": dates[0].isoformat(),
        "sightings": len(sightings),
    }


def _policies(layers: dict) -> dict:
    table = layers["policies"]
    return {
        "as_of": str(max(table["adopted"].dropna())),
        "rows": len(table),
        "by_level": {k: int(v) for k, v in table["level"].value_counts().sort_index().items()},
        "notes": "Compiled state laws, the DOJ 2025-08-05 designation list and the ICE/CIS 2014 "
        "detainer-policy list. Not exhaustive: a county with nothing documented is "
        "'undocumented', never 'none'.",
    }


def crime_county_years(rates: pd.DataFrame) -> pd.Series:
    """Rows of the crime table with at least one UCR or NIBRS rate."""
    rate_columns = [
        "ucr_violent_rate",
        "ucr_property_rate",
        "nibrs_violent_rate",
        "nibrs_property_rate",
    ]
    return rates[rate_columns].notna().any(axis=1)


def _crime(layers: dict) -> dict:
    rates = layers["crime_rates"]
    ucr = rates[["ucr_violent_rate", "ucr_property_rate"]].notna().any(axis=1)
    nibrs = rates[["nibrs_violent_rate", "nibrs_property_rate"]].notna().any(axis=1)
    return {
        "as_of": str(int(rates.loc[ucr | nibrs, "year"].max())),
        "rows": len(rates),
        "county_years": int((ucr | nibrs).sum()),
        "ucr_years": sorted(int(y) for y in rates.loc[ucr, "year"].unique()),
        "nibrs_years": sorted(int(y) for y in rates.loc[nibrs, "year"].unique()),
        "reporting_coverage_counties": int(layers["reporting_coverage"]["coverage"].notna().sum()),
        "context_tables": sorted(layers["context"]),
        "notes": "UCR (Summary) and NIBRS rates are different series ('violent' differs): they "
        "are kept in separate columns and never put on one axis.",
    }


def _facilities(layers: dict) -> dict:
    facilities, facility_years = layers["facilities"], layers["facility_years"]
    newest = int(facility_years["fiscal_year"].max())
    methods = facilities["placement_method"].value_counts().sort_index()
    return {
        "as_of": f"FY{newest}",
        "rows": len(facilities),
        "facility_years": len(facility_years),
        "fiscal_years": sorted(int(y) for y in facility_years["fiscal_year"].unique()),
        "adp_placed_share": round(adp_placed_share(facility_years, facilities, newest), 4),
        "county_years": len(layers["county_detention"]),
        "placement_methods": {k: int(v) for k, v in methods.items()},
    }
