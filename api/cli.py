"""The ``enforcemap`` command: build the snapshot, describe it, serve it.

Every failure the user can fix (a bad raw file, a broken invariant, a missing snapshot) ends
with exit status 1 and one line on stderr naming the input and the problem.
"""

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

from geo.postgis import PostgisError
from geo.qa import QAFailure
from geo.sources import SourceError
from geo.store import SnapshotError


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run one subcommand; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (SourceError, QAFailure, SnapshotError, PostgisError) as exc:
        print(f"enforcemap {args.command}: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="enforcemap", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="build data/ and shapefiles/ from the raw files")
    build.add_argument(
        "--raw-dir",
        type=Path,
        default=os.environ.get("ENFORCEMAP_RAW_DIR"),
        required="ENFORCEMAP_RAW_DIR" not in os.environ,
        help="raw public data folder (default: $ENFORCEMAP_RAW_DIR)",
    )
    build.add_argument("--data-dir", type=Path, default=Path("data"))
    build.add_argument("--shapefile-dir", type=Path, default=Path("shapefiles"))
    build.set_defaults(run=_build)

    info = commands.add_parser("info", help="describe the built snapshot")
    info.add_argument("--data-dir", type=Path, default=Path("data"))
    info.add_argument("--json", action="store_true", help="print the full description as JSON")
    info.set_defaults(run=_info)

    export = commands.add_parser("export", help="write one layer of the snapshot to a file")
    export.add_argument("--layer", required=True, help="atlas, agencies, agreements, ...")
    export.add_argument("--date", type=_iso_date, default=None, help="YYYY-MM-DD (default: newest)")
    export.add_argument("--format", choices=["csv", "geojson", "parquet"], default="csv")
    export.add_argument("-o", "--output", type=Path, required=True)
    export.add_argument("--data-dir", type=Path, default=Path("data"))
    export.set_defaults(run=_export)

    serve = commands.add_parser("serve", help="serve the snapshot over HTTP")
    serve.add_argument("--data-dir", type=Path, default=None)
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument(
        "--database-url",
        default=None,
        help="serve from PostGIS (default: $ENFORCEMAP_DATABASE_URL)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("ENFORCEMAP_WORKERS", "1")),
        help="processes, each with its own copy of the snapshot (default: $ENFORCEMAP_WORKERS or 1)",
    )
    serve.add_argument(
        "--no-access-log", action="store_true", help="do not log each request (a proxy does)"
    )
    serve.set_defaults(run=_serve)

    postgis = commands.add_parser(
        "load-postgis", help="write the built snapshot into a PostGIS database"
    )
    postgis.add_argument(
        "--database-url",
        default=os.environ.get("ENFORCEMAP_DATABASE_URL"),
        required="ENFORCEMAP_DATABASE_URL" not in os.environ,
        help="postgresql://user:password@host:port/db (default: $ENFORCEMAP_DATABASE_URL)",
    )
    postgis.add_argument("--data-dir", type=Path, default=Path("data"))
    postgis.set_defaults(run=_load_postgis)

    update = commands.add_parser(
        "update", help="fetch new ICE releases into the raw folder, then optionally rebuild"
    )
    update.add_argument(
        "--raw-dir",
        type=Path,
        default=os.environ.get("ENFORCEMAP_RAW_DIR"),
        required="ENFORCEMAP_RAW_DIR" not in os.environ,
        help="raw public data folder (default: $ENFORCEMAP_RAW_DIR)",
    )
    update.add_argument("--build", action="store_true", help="rebuild when a file was saved")
    update.add_argument("--data-dir", type=Path, default=Path("data"))
    update.add_argument("--shapefile-dir", type=Path, default=Path("shapefiles"))
    update.add_argument(
        "--registry-url-override",
        type=_source_url,
        action="append",
        default=[],
        metavar="SOURCE=URL",
        help="read a source's landing page from URL instead (ice_287g, ice_detention)",
    )
    update.set_defaults(run=_update)

    changes = commands.add_parser("changes", help="what the snapshot's history changed after DATE")
    changes.add_argument("--since", type=_iso_date, required=True, help="YYYY-MM-DD")
    changes.add_argument("--state", default=None, help="two-letter state code, e.g. TX")
    changes.add_argument("--data-dir", type=Path, default=Path("data"))
    changes.add_argument("--json", action="store_true", help="print the change list as JSON")
    changes.set_defaults(run=_changes)

    diff = commands.add_parser("diff", help="what changed between two built snapshots")
    diff.add_argument("old_manifest", type=Path, help="manifest.json of the older snapshot")
    diff.add_argument("new_manifest", type=Path, help="manifest.json of the newer snapshot")
    diff.add_argument("--state", default=None, help="two-letter state code, e.g. TX")
    diff.add_argument("--json", action="store_true", help="print the change list as JSON")
    diff.set_defaults(run=_diff)

    map_ = commands.add_parser("map", help="write one map as a standalone HTML file")
    map_.add_argument("indicator", help="agreements, policy, detention, ucr_violent, ...")
    map_.add_argument("--state", default=None, help="two-letter state code, e.g. TX")
    map_.add_argument("--date", type=_iso_date, default=None, help="YYYY-MM-DD (default: newest)")
    map_.add_argument("--lang", choices=["en", "es"], default="en")
    map_.add_argument("-o", "--output", type=Path, required=True)
    map_.add_argument("--data-dir", type=Path, default=Path("data"))
    map_.set_defaults(run=_map)
    return parser


def _build(args: argparse.Namespace) -> int:
    from geo.build import build

    snapshot = build(args.raw_dir, args.data_dir, args.shapefile_dir)
    agreements = snapshot.manifest["layers"]["agreements"]
    print(
        f"built {args.data_dir}: {len(snapshot.counties)} counties, {agreements['rows']} "
        f"agreements ({agreements['active_on_newest_sheet']} active on {agreements['as_of']}, "
        f"{agreements['resolved_share']:.1%} placed)"
    )
    return 0


def _info(args: argparse.Namespace) -> int:
    from geo.info import snapshot_info
    from geo.store import load_snapshot

    info = snapshot_info(load_snapshot(args.data_dir))
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True, default=str))
        return 0
    print(f"{'layer':<12} {'rows':>7}  as of")
    for name, layer in sorted(info["layers"].items()):
        print(f"{name:<12} {layer.get('rows', ''):>7}  {layer.get('as_of', '')}")
    agreements = info["layers"]["agreements"]
    print(
        f"\nagreements active on the newest sheet: {agreements['active_on_newest_sheet']}, "
        f"placed in a county, several counties or statewide: {agreements['resolved_share']:.2%}"
    )
    print(f"unresolved agreements: {len(agreements['unresolved'])}")
    for row in agreements["unresolved"]:
        print(
            f"  [{row['status']}] {row['state_abbr']} {row['agency']} "
            f"({row['model'] or 'model not published'}): {row['review_reason']}"
        )
    return 0


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from None


def _export(args: argparse.Namespace) -> int:
    from geo.layers import LAYERS, export_layer
    from geo.store import load_snapshot

    if args.layer not in LAYERS:
        print(
            f"enforcemap export: --layer {args.layer!r} is not one of {', '.join(LAYERS)}",
            file=sys.stderr,
        )
        return 1
    layer = LAYERS[args.layer](load_snapshot(args.data_dir), args.date)
    try:
        export_layer(layer, args.output, args.format)
    except ValueError as exc:
        print(f"enforcemap export: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {len(layer)} rows of {args.layer} to {args.output}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.settings import Settings

    # Worker processes build their app from the environment, so the options go there.
    for name in ("data_dir", "host", "port", "database_url"):
        value = getattr(args, name)
        if value is not None:
            os.environ[f"ENFORCEMAP_{name.upper()}"] = str(value)
    settings = Settings()
    uvicorn.run(
        "api.factory:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=args.workers,
        access_log=not args.no_access_log,
    )
    return 0


def _load_postgis(args: argparse.Namespace) -> int:
    from geo.postgis import load_postgis, safe_url

    written = load_postgis(args.data_dir, args.database_url)
    done = "loaded" if written else "already holds"
    print(f"{safe_url(args.database_url)}: {done} the snapshot in {args.data_dir}")
    return 0


def _source_url(text: str) -> tuple[str, str]:
    name, _, url = text.partition("=")
    if not (name and url.startswith(("http://", "https://"))):
        raise argparse.ArgumentTypeError(f"{text!r} is not SOURCE=http(s)://URL")
    return name, url


def _update(args: argparse.Namespace) -> int:
    from geo.update import update, with_landing_urls

    try:
        sources = with_landing_urls(dict(args.registry_url_override))
    except ValueError as exc:
        print(f"enforcemap update: --registry-url-override: {exc}", file=sys.stderr)
        return 1
    result = update(args.raw_dir, sources)
    for saved in result.saved:
        print(f"saved {saved.saved_as} ({saved.bytes:,} bytes) from {saved.url}")
    for rejection in result.rejected:
        print(f"enforcemap update: {rejection}", file=sys.stderr)
    if not result.saved:
        print(f"nothing new ({len(result.unchanged)} published file(s) already held)")
    if args.build and result.saved:
        _build(args)
    elif args.build:
        print(f"{args.data_dir} not rebuilt")
    return 1 if result.rejected else 0


def _changes(args: argparse.Namespace) -> int:
    from geo.changes import changes_since, describe
    from geo.store import load_snapshot

    state = args.state.strip().upper() if args.state else None
    try:
        changes = changes_since(load_snapshot(args.data_dir), args.since, state)
    except ValueError as exc:
        print(f"enforcemap changes: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(changes.as_dict(), indent=2) if args.json else "\n".join(describe(changes)))
    return 0


def _diff(args: argparse.Namespace) -> int:
    from geo.changes import describe, diff_snapshots
    from geo.store import load_snapshot

    folders = [p if p.is_dir() else p.parent for p in (args.old_manifest, args.new_manifest)]
    state = args.state.strip().upper() if args.state else None
    try:
        changes = diff_snapshots(load_snapshot(folders[0]), load_snapshot(folders[1]), state)
    except ValueError as exc:
        print(f"enforcemap diff: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(changes.as_dict(), indent=2) if args.json else "\n".join(describe(changes)))
    return 0


def _map(args: argparse.Namespace) -> int:
    from geo.store import load_snapshot
    from maps.indicators import MAP_INDICATORS
    from maps.pages import map_title, render_map_page
    from maps.views import SnapshotMaps

    if args.indicator not in MAP_INDICATORS:
        print(
            f"enforcemap map: {args.indicator!r} is not one of {', '.join(MAP_INDICATORS)}",
            file=sys.stderr,
        )
        return 1
    maps = SnapshotMaps.uncached(load_snapshot(args.data_dir))
    state = args.state.strip().upper() if args.state else None
    if state is not None and state not in dict(maps.states):
        print(f"enforcemap map: --state {args.state!r} is not a served state", file=sys.stderr)
        return 1
    view = maps.view(MAP_INDICATORS[args.indicator], state, args.date, args.lang)
    html = render_map_page(view, "standalone", None).encode("utf-8")
    args.output.write_bytes(html)
    title = map_title(view.indicator.name, view.place, view.lang)
    print(f"wrote {title} on {view.frame['date']} to {args.output} ({len(html):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
