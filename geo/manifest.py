"""Provenance of each built layer: source files with SHA-256, publisher, licence, as-of date.

The manifest holds nothing that changes between two builds of the same raw files (no build
time, no absolute paths), so the committed snapshot is reproducible byte for byte.
"""

import hashlib
from pathlib import Path

from geo.resolve import REFERENCE_FILES
from geo.sources import agreements, counties, policies

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
    "agency_rosters": {
        "publisher": "BJS LEAIC 2012 (via FBI CDE / 18F), FBI LEE roster (via 287g-watch), "
        "Census Gazetteer and USGS GNIS (via us_geo)",
        "licence": "Public domain data; us_geo and 287g-watch compilations MIT",
        "files": list(REFERENCE_FILES),
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
