"""The national county map: our page beside ``folium.Choropleth`` over the full boundaries.

Both draw the 3,221 counties coloured by active 287(g) agreements on the newest list. The
baseline is what folium gives by default: the full-resolution GeoJSON inlined, assets from
CDNs (not counted). Ours is the landing page as served (assets from ``/static/``, counted
separately) and the standalone file of ``enforcemap map`` (assets inlined). Printed: bytes raw
and gzipped, build times (geometry once per snapshot, then each page), and the geometry's
faithfulness: invalid polygons, gaps and overlaps between neighbours after our shared
simplification and snap rounding beside a naive one (each county simplified alone at the same
tolerance).

Run from the repository root::

    .venv/bin/python bench/bench_map.py            # 5 timed page builds
    .venv/bin/python bench/bench_map.py --runs 9
"""

import argparse
import gzip
import statistics
import time
from functools import lru_cache
from pathlib import Path

import folium
import numpy as np
import shapely

from geo.layers import agencies_layer, counties_layer
from geo.store import load_snapshot
from maps.assets import SCRIPTS, STATIC_DIR, STYLES
from maps.geometry import NATIONAL_TOLERANCE_KM
from maps.indicators import MAP_INDICATORS
from maps.pages import Site, render_map_page
from maps.projection import Scope
from maps.topology import decode_topology
from maps.views import SnapshotMaps

DATA = Path(__file__).resolve().parents[1] / "data"
TARGET_RAW = 1_500_000
TARGET_GZIP = 400_000


def measure(runs: int = 5) -> dict:
    """Build both pages, time them, and measure the light geometry against the original."""
    snapshot = load_snapshot(DATA)
    # Dated layers cached per date, as the service's LayerCache does: a page build is then the
    # frame, the payload and the HTML.
    builders = {"counties": counties_layer, "agencies": agencies_layer}
    maps = SnapshotMaps(snapshot, lru_cache(maxsize=None)(lambda n, on: builders[n](snapshot, on)))
    agreements = MAP_INDICATORS["agreements"]
    site = Site(root="", states=maps.states, pinned_date=None)

    started = time.perf_counter()
    geometry = maps.geometry.get(Scope())
    geometry_s = time.perf_counter() - started
    started = time.perf_counter()
    render_map_page(maps.view(agreements, None, None, "en"), "landing", site)
    first_page_s = time.perf_counter() - started
    page_s, page = _time(
        lambda: render_map_page(maps.view(agreements, None, None, "en"), "landing", site), runs
    )
    standalone = render_map_page(maps.view(agreements, None, None, "en"), "standalone", None)
    baseline_s, baseline = _time(lambda: _folium_choropleth(maps), max(runs // 2, 1))
    assets = sum((STATIC_DIR / p).stat().st_size for p in (*SCRIPTS, *STYLES))
    return {
        "page": _sizes(page),
        "standalone": _sizes(standalone),
        "baseline": _sizes(baseline),
        "assets_bytes": assets,
        "assets_gzip": sum(
            len(gzip.compress((STATIC_DIR / p).read_bytes())) for p in (*SCRIPTS, *STYLES)
        ),
        "geometry_s": geometry_s,
        "first_page_s": first_page_s,
        "page_s": page_s,
        "baseline_s": baseline_s,
        "geometry": _faithfulness(snapshot.counties, geometry.topology),
    }


def _folium_choropleth(maps: SnapshotMaps) -> str:
    """The named baseline: folium's own choropleth of the full-resolution county GeoJSON."""
    counties = maps.layer("counties", maps.newest)[["county_fips", "agreements_active", "geometry"]]
    county_map = folium.Map(location=(39, -98), zoom_start=4, tiles=None)
    folium.Choropleth(
        geo_data=counties[["county_fips", "geometry"]].to_json(),
        data=counties[["county_fips", "agreements_active"]],
        columns=["county_fips", "agreements_active"],
        key_on="feature.properties.county_fips",
        fill_color="YlOrRd",
        legend_name="Active 287(g) agreements",
    ).add_to(county_map)
    return county_map.get_root().render()


def _faithfulness(counties, topology: dict) -> dict:
    """Gaps and overlaps between neighbours: ours (decoded as the browser will) and naive."""
    projected = Scope().project(counties.geometry.to_numpy(), counties["state_abbr"].to_numpy())
    ours = decode_topology(topology, "counties")
    naive = shapely.simplify(projected, NATIONAL_TOLERANCE_KM, preserve_topology=True)
    original_holes = _holes(shapely.coverage_union_all(projected))
    return {
        "vertices_original": int(shapely.get_num_coordinates(projected).sum()),
        "vertices_ours": int(sum(len(arc) for arc in topology["arcs"])),
        "vertices_naive": int(shapely.get_num_coordinates(naive).sum()),
        "ours": _gaps_and_overlaps(ours, original_holes),
        "naive": _gaps_and_overlaps(naive, original_holes),
    }


def _gaps_and_overlaps(polygons: np.ndarray, original_holes: shapely.Geometry) -> dict:
    """Overlap: area covered twice. Gap: area enclosed by counties that the original covered."""
    valid = shapely.make_valid(polygons)
    union = shapely.union_all(valid)
    gaps = shapely.get_parts(shapely.difference(_holes(union), original_holes))
    gaps = gaps[shapely.area(gaps) > 1e-6]
    return {
        "invalid": int((~shapely.is_valid(polygons)).sum()),
        "overlap_km2": float(shapely.area(valid).sum() - shapely.area(union)),
        "gaps": len(gaps),
        "gap_km2": float(shapely.area(gaps).sum()),
    }


def _holes(union: shapely.Geometry) -> shapely.Geometry:
    rings = [ring for part in shapely.get_parts(union) for ring in part.interiors]
    return shapely.union_all(shapely.polygons(rings)) if rings else shapely.Polygon()


def _sizes(html: str) -> dict:
    data = html.encode("utf-8")
    return {"raw": len(data), "gzip": len(gzip.compress(data, compresslevel=6))}


def _time(run, runs: int) -> tuple[list[float], str]:
    seconds, result = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        result = run()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def main() -> None:
    """Parse the options, run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed page builds (at least 3)")
    options = parser.parse_args()
    if options.runs < 3:
        parser.error(f"--runs {options.runs}: at least 3 runs are needed for min/median/max")
    result = measure(options.runs)
    page, standalone, baseline = result["page"], result["standalone"], result["baseline"]
    print("National county map, active 287(g) agreements on the newest list")
    print()
    print("| page | bytes raw | bytes gzip | build s (min / median / max) |")
    print("|---|---:|---:|---:|")
    rows = [
        ("folium.Choropleth, full-resolution GeoJSON (baseline)", baseline, result["baseline_s"]),
        (
            "enforcemap landing page `/` (assets from /static/), layers cached",
            page,
            result["page_s"],
        ),
        ("enforcemap standalone file (`enforcemap map`, assets inline)", standalone, None),
    ]
    for name, sizes, seconds in rows:
        timing = _spread(seconds) if seconds else "—"
        print(f"| {name} | {sizes['raw']:,} | {sizes['gzip']:,} | {timing} |")
    print(
        f"| static assets, fetched once and cached | {result['assets_bytes']:,} "
        f"| {result['assets_gzip']:,} | — |"
    )
    print()
    print(
        f"page vs baseline: {baseline['raw'] / page['raw']:.1f}x smaller raw, "
        f"{baseline['gzip'] / page['gzip']:.1f}x smaller gzipped"
    )
    print(
        f"targets: page <= {TARGET_RAW:,} raw "
        f"({'met' if page['raw'] <= TARGET_RAW else 'MISSED'}), "
        f"<= {TARGET_GZIP:,} gzip ({'met' if page['gzip'] <= TARGET_GZIP else 'MISSED'}); "
        f"standalone {standalone['raw']:,} raw "
        f"({'met' if standalone['raw'] <= TARGET_RAW else 'MISSED'})"
    )
    print(
        f"geometry (projection, coverage simplification, TopoJSON), once per snapshot: "
        f"{result['geometry_s']:.2f} s; first page (atlas and agencies for the date): "
        f"{result['first_page_s']:.2f} s"
    )
    geometry = result["geometry"]
    print()
    print(
        f"| geometry at {NATIONAL_TOLERANCE_KM} km | vertices | invalid polygons | overlap km² "
        "| gaps | gap km² |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| original 1:5M | {geometry['vertices_original']:,} | 0 | 0 | 0 | 0 |")
    for name, key in (
        ("ours: coverage_simplify + snap rounding + shared arcs", "ours"),
        ("naive: each county simplified alone", "naive"),
    ):
        g = geometry[key]
        vertices = geometry[f"vertices_{key}"]
        print(
            f"| {name} | {vertices:,} | {g['invalid']} | {_km2(g['overlap_km2'])} "
            f"| {g['gaps']} | {_km2(g['gap_km2'])} |"
        )


def _km2(area: float) -> str:
    """An area that tells exactly nothing from a sliver too small for two decimals."""
    if area == 0:
        return "0"
    return f"{area:,.2f}" if abs(area) >= 0.01 else f"{area:.1e}"


def _spread(seconds: list[float]) -> str:
    return " / ".join(f"{v:.3f}" for v in (min(seconds), statistics.median(seconds), max(seconds)))


if __name__ == "__main__":
    main()
