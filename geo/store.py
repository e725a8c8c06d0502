"""Read and write the built snapshot: GeoParquet / Parquet layers plus ``manifest.json``.

The snapshot is committed, so a fresh clone serves real data offline. Writing is atomic: layers
go into a temporary folder beside the target, which then replaces the target in one rename, so a
failed or killed build leaves the previous snapshot loadable.
"""

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

MANIFEST = "manifest.json"
GEO_LAYERS = ("counties", "states", "facilities")
TABLE_LAYERS = (
    "population",
    "agreements",
    "sightings",
    "policies",
    "crime_rates",
    "reporting_coverage",
    "facility_years",
    "county_detention",
)
CONTEXT = "context"


class SnapshotError(Exception):
    """The snapshot folder is missing a layer or its manifest."""


@dataclass(frozen=True)
class Snapshot:
    """Every layer the service reads, as loaded from ``data/``."""

    counties: gpd.GeoDataFrame
    states: gpd.GeoDataFrame
    population: pd.DataFrame
    agreements: pd.DataFrame
    sightings: pd.DataFrame
    policies: pd.DataFrame
    crime_rates: pd.DataFrame
    reporting_coverage: pd.DataFrame
    facilities: gpd.GeoDataFrame
    facility_years: pd.DataFrame
    county_detention: pd.DataFrame
    context: dict[str, pd.DataFrame]
    """Tables that describe no county (e.g. national and state NCVS shares), by name."""
    manifest: dict


def write_snapshot(snapshot: Snapshot, qa: dict[str, pd.DataFrame], data_dir: Path) -> None:
    """Write every layer, the QA tables and the manifest into ``data_dir`` atomically."""

    def write(folder: Path) -> None:
        for name in GEO_LAYERS:
            getattr(snapshot, name).to_parquet(folder / f"{name}.parquet", index=False)
        for name in TABLE_LAYERS:
            getattr(snapshot, name).to_parquet(folder / f"{name}.parquet", index=False)
        (folder / CONTEXT).mkdir()
        for name, table in sorted(snapshot.context.items()):
            table.to_parquet(folder / CONTEXT / f"{name}.parquet", index=False)
        (folder / "qa").mkdir()
        for name, table in qa.items():
            table.to_csv(folder / "qa" / f"{name}.csv", index=False, lineterminator="\n")
        text = json.dumps(snapshot.manifest, indent=2, sort_keys=True, default=str)
        (folder / MANIFEST).write_text(text + "\n", encoding="utf-8")

    replace_folder(Path(data_dir), write)


def replace_folder(target: Path, fill: Callable[[Path], None]) -> None:
    """Fill a fresh temporary folder beside ``target``, then swap it into place.

    The temporary folder sits in the same parent so the swap is a rename on one file system;
    on any error it is removed and ``target`` is untouched. The swap is two renames (target to
    ``.<name>.old``, then the new folder to target): a process killed between them leaves no
    target, so the previous folder is first put back from ``.<name>.old``, and
    :func:`load_snapshot` reads it from there meanwhile.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    retired = _retired(target)
    if not target.exists() and retired.is_dir():
        os.replace(retired, target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        fill(staging)
        os.chmod(staging, 0o755)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        os.replace(target, retired)
    os.replace(staging, target)
    shutil.rmtree(retired, ignore_errors=True)


def _retired(target: Path) -> Path:
    """Where :func:`replace_folder` moves the previous folder during its swap."""
    return target.parent / f".{target.name}.old"


def load_snapshot(data_dir: Path) -> Snapshot:
    """Load the snapshot written by :func:`write_snapshot`.

    When ``data_dir`` is missing because a build was killed in the middle of its swap, the
    previous snapshot is read from where the swap had moved it.

    Examples
    --------
    >>> snapshot = load_snapshot(Path("data"))  # doctest: +SKIP
    >>> snapshot.manifest["layers"]["counties"]["rows"]  # doctest: +SKIP
    3221
    """
    data_dir = Path(data_dir)
    if not data_dir.exists() and _retired(data_dir).is_dir():
        data_dir = _retired(data_dir)
    manifest_path = data_dir / MANIFEST
    if not manifest_path.is_file():
        raise SnapshotError(f"{manifest_path}: no snapshot manifest; run `enforcemap build`")
    layers = {}
    for name in GEO_LAYERS + TABLE_LAYERS:
        path = data_dir / f"{name}.parquet"
        if not path.is_file():
            raise SnapshotError(f"{path}: layer missing from the snapshot")
        layers[name] = (gpd.read_parquet if name in GEO_LAYERS else pd.read_parquet)(path)
    context = {
        path.stem: pd.read_parquet(path) for path in sorted((data_dir / CONTEXT).glob("*.parquet"))
    }
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return Snapshot(manifest=manifest, context=context, **layers)
