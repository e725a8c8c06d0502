"""Bulk point -> county: `CountyIndex.locate` beside ``geopandas.sjoin(predicate="within")``.

Draws random points uniformly in the US box (lon -125..-66, lat 24..50) with a fixed seed,
times both on the same points in the same run, asserts they give identical answers (a point in
no county is -1 for us and unmatched for sjoin), and prints a markdown table and the speed-up.
The index is built once, outside the timed runs, as the service does at start-up; sjoin gets
the counties' spatial index built beforehand too, so neither side pays for its index per call.

Run from the repository root::

    .venv/bin/python bench/bench_points.py            # 1,000,000 points, 7 runs each
    .venv/bin/python bench/bench_points.py --points 100000 --runs 5
"""

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np

from geo.index import CountyIndex

COUNTIES = Path(__file__).resolve().parents[1] / "data" / "counties.parquet"
US_BOX = (-125.0, 24.0, -66.0, 50.0)
SEED = 12345


def measure(points_count: int = 1_000_000, runs: int = 7) -> dict:
    """Time both methods on the same random points; assert identical answers.

    Returns the seconds of every run of each (``ours``, ``sjoin``), the index build time, the
    grid's bytes and the counts of points in and out of a county.
    """
    counties = gpd.read_parquet(COUNTIES)
    rng = np.random.default_rng(SEED)
    lon = rng.uniform(US_BOX[0], US_BOX[2], points_count)
    lat = rng.uniform(US_BOX[1], US_BOX[3], points_count)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)

    started = time.perf_counter()
    index = CountyIndex(counties)
    build_s = time.perf_counter() - started
    counties.sindex  # noqa: B018 -- build sjoin's STRtree before timing it

    ours, located = _time(lambda: index.locate(lon, lat), runs)
    theirs, joined = _time(
        lambda: gpd.sjoin(points, counties, how="left", predicate="within"), runs
    )
    _assert_identical(located, joined)
    return {
        "points": points_count,
        "ours": ours,
        "sjoin": theirs,
        "build_s": build_s,
        "grid_bytes": index.grid_nbytes,
        "inside": int((located >= 0).sum()),
    }


def main() -> None:
    """Parse the options, run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000, help="points per run")
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each (at least 5)")
    options = parser.parse_args()
    if options.runs < 5:
        parser.error(f"--runs {options.runs}: at least 5 runs are needed for min/median/max")
    result = measure(options.points, options.runs)
    ours, theirs = result["ours"], result["sjoin"]
    rows = [("CountyIndex.locate", ours), ('geopandas.sjoin(predicate="within")', theirs)]
    per_million = 1_000_000 / options.points
    print(f"{options.points:,} random points in the US box, seed {SEED}, {options.runs} runs")
    print()
    print("| method | min s | median s | max s | s per 1M points (median) |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds in rows:
        median = statistics.median(seconds)
        print(
            f"| {name} | {min(seconds):.4f} | {median:.4f} | {max(seconds):.4f} "
            f"| {median * per_million:.4f} |"
        )
    print()
    print(
        f"speed-up: {statistics.median(theirs) / statistics.median(ours):.1f}x (median), ", end=""
    )
    print(f"{min(theirs) / min(ours):.1f}x (min)")
    print(
        f"index build (once, at start-up): {result['build_s']:.2f} s; "
        f"point grid {result['grid_bytes'] / 1e6:.1f} MB"
    )
    print(
        f"identical answers: yes ({result['inside']:,} points in a county, "
        f"{options.points - result['inside']:,} in none)"
    )


def _time(run: Callable[[], object], runs: int) -> tuple[list[float], object]:
    """Seconds of each of ``runs`` calls, and the last call's result."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        result = run()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def _assert_identical(located: np.ndarray, joined: gpd.GeoDataFrame) -> None:
    """sjoin's answer per point (unmatched -> -1) must equal ours, point by point."""
    assert joined.index.is_unique, "a point lies within two counties; sjoin gave both"
    expected = joined["index_right"].fillna(-1).astype(np.int64).to_numpy()
    mismatched = np.flatnonzero(expected != located)
    assert not len(mismatched), f"{len(mismatched)} points differ, e.g. point {mismatched[:5]}"


if __name__ == "__main__":
    main()
