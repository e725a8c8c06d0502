"""Global Moran's I over all counties, 999 permutations: ours beside esda called naively.

Ours is the service's path: queen weights built once per snapshot (as ``LayerCache.weights``),
then ``geo.stats.morans_i`` per request (global and local). The baseline is what a script would
write: build ``Queen.from_dataframe`` and call ``esda.Moran`` for every request.
"""

import statistics
import time
from pathlib import Path

import numpy as np
from esda.moran import Moran
from libpysal.weights import Queen

from geo.layers import counties_layer, newest_date
from geo.stats import morans_i, queen_weights
from geo.store import load_snapshot

DATA = Path(__file__).resolve().parents[1] / "data"
INDICATOR = "agreements_active"


def measure(runs: int = 5) -> dict:
    """Seconds per request of each path over ``runs`` requests."""
    snapshot = load_snapshot(DATA)
    atlas = counties_layer(snapshot, newest_date(snapshot)).set_index("county_fips")
    values = atlas[INDICATOR].astype(float)
    weights = queen_weights(atlas.geometry)
    ours, naive = [], []
    for _ in range(runs):
        started = time.perf_counter()
        morans_i(values, weights)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        known = atlas[values.notna()]
        naive_weights = Queen.from_dataframe(known, use_index=True, silence_warnings=True)
        naive_weights.transform = "r"
        np.random.seed(12345)
        Moran(known[INDICATOR].astype(float).to_numpy(), naive_weights, permutations=999)
        naive.append(time.perf_counter() - started)
    return {"ours": ours, "naive": naive}


if __name__ == "__main__":
    result = measure()
    print(
        f"Moran's I (global + LISA): ours {statistics.median(result['ours']):.3f} s, "
        f"esda naive (global only) {statistics.median(result['naive']):.3f} s"
    )
