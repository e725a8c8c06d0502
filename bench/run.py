"""Run every benchmark and rewrite ``BENCHMARKS.md`` and ``bench/results.json``.

Each measure is timed beside its named baseline in the same run; figures are min / median / max
over repeated runs. ``make bench`` runs this from the repository root.
"""

import json
import os
import platform
import statistics
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from bench import bench_http, bench_map, bench_moran, bench_points, bench_startup

REPO = Path(__file__).resolve().parents[1]


def _spread(seconds: list[float], unit: float = 1.0, digits: int = 3) -> str:
    values = [s * unit for s in seconds]
    return " / ".join(
        f"{v:.{digits}f}" for v in (min(values), statistics.median(values), max(values))
    )


def _machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return f"{os.cpu_count()} cores ({cpu}), {memory_kb / 2**20:.0f} GiB, Python {platform.python_version()}"


def main() -> None:
    """Run the benchmarks in order and write both reports."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    ).stdout.strip()
    county_map = bench_map.measure()
    points = bench_points.measure()
    moran = bench_moran.measure()
    startup = bench_startup.measure()
    http = bench_http.measure()
    bulk, baseline = statistics.median(points["ours"]), statistics.median(points["sjoin"])
    standalone, baseline_page = county_map["standalone"], county_map["baseline"]
    ours_geometry = county_map["geometry"]["ours"]
    results = {
        "map_bytes": standalone["raw"],
        "map_gzip_bytes": standalone["gzip"],
        "map_build_s": round(statistics.median(county_map["page_s"]), 3),
        "map_baseline_bytes": baseline_page["raw"],
        "bulk_s": round(bulk, 4),
        "bulk_baseline_s": round(baseline, 4),
        "bulk_ratio": round(baseline / bulk, 1),
        "http_rps": round(http["rps"], 1),
        "http_p99_ms": round(http["p99_ms"], 2),
        "startup_s": round(statistics.median(startup["startup"]), 3),
        "moran_s": round(statistics.median(moran["ours"]), 3),
    }
    rows = [
        (
            (
                "national county choropleth page, Leaflet inlined: bytes / gzip bytes; build (s: "
                "first, its date's layers made; then warm, its frame kept)"
            ),
            (
                f"{standalone['raw']:,} / {standalone['gzip']:,}; "
                f"{county_map['first_page_s']:.3f}; {_spread(county_map['page_s'])}; "
                f"{ours_geometry['gaps']} gaps, "
                f"{ours_geometry['overlap_km2']:.2f} km² overlap between neighbours"
            ),
            (
                f"`folium.Choropleth`, full-resolution counties: {baseline_page['raw']:,} / "
                f"{baseline_page['gzip']:,}; {_spread(county_map['baseline_s'])}"
            ),
            f"{baseline_page['raw'] / standalone['raw']:.1f}× smaller",
            "≤ 1.5 MB, ≤ 0.4 MB gzip, ≤ 0.15 s, ≥ 5× smaller, no gaps or overlaps",
        ),
        (
            "1,000,000 random points in the US box → county FIPS (s)",
            f"`CountyIndex.locate`: {_spread(points['ours'], digits=4)}",
            f"`geopandas.sjoin(within)`: {_spread(points['sjoin'], digits=4)}",
            f"{results['bulk_ratio']}× faster, identical answers (asserted)",
            "≥ 20×",
        ),
        (
            "`/query/point`, 64 connections, 30 s (wrk; `serve --workers 2 --no-access-log`)",
            (
                f"{http['rps']:.0f} req/s, p50 {http['p50_ms']:.2f} ms, "
                f"p99 {http['p99_ms']:.2f} ms, {http['errors']} errors"
            ),
            "—",
            "—",
            "≥ 3,000 req/s, p99 ≤ 20 ms, 0 errors",
        ),
        ("service start to first `/healthz` (s)", _spread(startup["startup"]), "—", "—", "≤ 2 s"),
        (
            "global Moran's I + LISA, all counties, 999 permutations (s)",
            f"weights cached per snapshot: {_spread(moran['ours'])}",
            f"esda naive (weights rebuilt, global only): {_spread(moran['naive'])}",
            f"{statistics.median(moran['naive']) / statistics.median(moran['ours']):.1f}×",
            "≤ 0.5 s",
        ),
    ]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit `{commit}`.",
        f"Machine: {_machine()}. Figures are min / median / max over repeated runs; each ratio",
        "is against the baseline measured in the same run.",
        "",
        "| measure | enforcemap | baseline (same run) | ratio | target |",
        "|---|---|---|---|---|",
        *[f"| {' | '.join(row)} |" for row in rows],
        "",
        (
            f"Bulk index: built once at start-up in {points['build_s']:.2f} s; "
            f"its point grid holds {points['grid_bytes'] / 1e6:.1f} MB."
        ),
        "",
    ]
    load = REPO / "bench" / "load-latest.txt"
    if load.is_file():  # bench/load.py is run by hand against `enforcemap serve`; see its doc
        lines += [
            (
                "## Load mix (`bench/load.py`, run by hand against "
                "`enforcemap serve --workers 2 --no-access-log`)"
            ),
            "",
            "```",
            load.read_text(encoding="utf-8").rstrip(),
            "```",
            "",
        ]
    (REPO / "BENCHMARKS.md").write_text("\n".join(lines), encoding="utf-8")
    (REPO / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
