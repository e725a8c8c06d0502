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

from geo.qa import QAFailure
from geo.sources import SourceError
from geo.store import SnapshotError


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run one subcommand; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (SourceError, QAFailure, SnapshotError) as exc:
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
    serve.set_defaults(run=_serve)
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

    from api.factory import create_app
    from api.settings import Settings

    overrides = {
        k: v for k, v in vars(args).items() if k in ("data_dir", "host", "port") and v is not None
    }
    settings = Settings(**overrides)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
