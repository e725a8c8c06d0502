"""Load: a mix of point, items, profile, stats and map requests against a running service.

Run by hand against ``enforcemap serve`` on loopback, as deployed (one worker per core, no
access log; ``BENCHMARKS.md`` records a run on 2 cores)::

    .venv/bin/enforcemap serve --workers 2 --no-access-log > serve.log 2>&1 &
    .venv/bin/python -m bench.load --url http://127.0.0.1:8000 | tee bench/load-latest.txt

Each of ``--connections`` connections sends one request after another (a closed loop, as wrk
does), so a latency includes the time a request waits at the server behind the others: what a
reader feels during a news spike. URLs are drawn, with a fixed seed, from real inputs the
service lists (county FIPS, placed detention facilities' points, served states), so every
request is one the service must answer with 200; any other status, or a timeout, counts as an
error. A statistic is undefined for some states (one county; no county with an agreement), so
the stats requests use the states where it is defined, found by asking once. A warm-up runs
the same mix first, untimed, so the layer cache and the county index are built as they are
after the first visitors. Map requests join the mix only when ``/maps/agreements`` answers 200.

The generator shares the machine's cores with the service, so the CPU it spends per request is
taken from the service and measured as the service's latency. The timed loops (and the warm-up)
therefore send their requests with the lean keep-alive client of ``bench.http1``, on uvloop when
it is installed, rather than httpx (0.5-1 ms of CPU per request); httpx only reads the inputs.

Prints requests, errors and latency percentiles, in all and per kind; exits 1 when a request
failed or the p99 missed its target.
"""

import argparse
import asyncio
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import numpy as np

from bench import http1

try:
    from uvloop import run as run_event_loop
except ImportError:  # uvloop comes with uvicorn[standard]; asyncio's own loop costs more CPU
    from asyncio import run as run_event_loop

CONNECTIONS = 64
DURATION_S = 60.0
WARMUP_S = 15.0
MAX_REQUESTS = 1_000_000
"""A bound on the requests of each phase, whatever its duration."""
TIMEOUT_S = 10.0
P99_TARGET_MS = 200.0
SEED = 20261125
PERCENTILES = (50, 90, 99, 99.9)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# A spike follows a story: most readers look up a place or open a map of a state.
WEIGHTS = {"point": 30, "items": 20, "profile": 20, "stats": 15, "map": 15}
COLLECTIONS = ("counties", "agencies", "facilities", "policies")
INDICATORS = ("population", "population_density", "detention_adp_per_100k", "agreements_active")
# Group comparison and Moran's I need an indicator that varies inside a state.
VARYING = ("population", "population_density")
CENSUS_REGIONS = ("northeast", "midwest", "south", "west")
MAP_INDICATORS = ("agreements", "detention")
DATES = (None, None, None, "2011-06-01", "2021-06-30")
"""Mostly the newest data (no ``date``), sometimes the history."""

Maker = Callable[[random.Random], str]


@dataclass(frozen=True)
class Inputs:
    """Real values to build URLs from, as the service lists them."""

    fips: list[str]
    points: list[tuple[float, float]]
    states: list[str]
    stats_states: list[str]
    maps: bool


@dataclass
class Tally:
    """Latencies in milliseconds and errors, per kind of request."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    """One failing URL per kind of failure, to say what went wrong."""


def _dated(url: str, rng: random.Random) -> str:
    day = rng.choice(DATES)
    return url if day is None else f"{url}&date={day}"


def url_makers(inputs: Inputs) -> dict[str, Maker]:
    """One URL maker per kind of request, drawing its parameters from ``inputs``."""

    def point(rng: random.Random) -> str:
        lon, lat = rng.choice(inputs.points)
        return _dated(f"/query/point?lon={lon}&lat={lat}", rng)

    def items(rng: random.Random) -> str:
        collection, state = rng.choice(COLLECTIONS), rng.choice(inputs.states)
        fmt, limit = rng.choice(("json", "geojson")), rng.choice((10, 50, 100))
        return _dated(f"/collections/{collection}/items?state={state}&f={fmt}&limit={limit}", rng)

    def profile(rng: random.Random) -> str:
        return f"/counties/{rng.choice(inputs.fips)}"

    def stats(rng: random.Random) -> str:
        x, y = rng.sample(INDICATORS, 2)
        state, varying = rng.choice(inputs.stats_states), rng.choice(VARYING)
        return rng.choice(
            (
                f"/stats/correlation?x={x}&y={y}&region=census_region:{rng.choice(CENSUS_REGIONS)}",
                f"/stats/compare?indicator={varying}&region=state:{state}",
                f"/stats/moran?indicator={varying}&region=state:{state}&permutations=99",
            )
        )

    def map_page(rng: random.Random) -> str:
        indicator, state = rng.choice(MAP_INDICATORS), rng.choice(inputs.states)
        return rng.choice(
            (
                f"/embed/{indicator}?state={state}",
                f"/maps/{indicator}?state={state}",
                f"/maps/{indicator}/frame?state={state}",
                f"/maps/{indicator}",
            )
        )

    makers = {"point": point, "items": items, "profile": profile, "stats": stats}
    return makers | ({"map": map_page} if inputs.maps else {})


def _client(url: str) -> httpx.AsyncClient:
    """A client holding one connection, for the untimed calls that read the inputs."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    return httpx.AsyncClient(base_url=url, limits=limits, timeout=TIMEOUT_S)


async def _all_items(client: httpx.AsyncClient, collection: str, fmt: str) -> list[dict]:
    """Every item of a collection, page by page at the service's default page size."""
    items: list[dict] = []
    while True:
        page = await client.get(
            f"/collections/{collection}/items", params={"f": fmt, "offset": len(items)}
        )
        page.raise_for_status()
        body = page.json()
        batch = body["items" if fmt == "json" else "features"]
        items += batch
        if not batch or len(items) >= body["numberMatched"]:
            return items


async def _defined_everywhere(client: httpx.AsyncClient, state: str) -> bool:
    """Whether every statistic the mix asks of ``state`` is defined there."""
    for indicator in VARYING:
        for path in ("/stats/compare", "/stats/moran"):
            params = {"indicator": indicator, "region": f"state:{state}", "permutations": 99}
            if path == "/stats/compare":
                params.pop("permutations")
            if (await client.get(path, params=params)).status_code != 200:
                return False
    return True


async def read_inputs(url: str) -> Inputs:
    """Read the county FIPS, served states and placed facility points from the service."""
    async with _client(url) as client:
        counties = await _all_items(client, "counties", "json")
        facilities = await _all_items(client, "facilities", "geojson")
        states = sorted({county["state_abbr"] for county in counties})
        return Inputs(
            fips=[county["county_fips"] for county in counties],
            points=[
                tuple(feature["geometry"]["coordinates"])
                for feature in facilities
                if feature["geometry"] and feature["properties"]["county_fips"]
            ],
            states=states,
            stats_states=[state for state in states if await _defined_everywhere(client, state)],
            maps=(await client.get("/maps/agreements")).status_code == 200,
        )


async def run_mix(
    url: str,
    makers: dict[str, Maker],
    connections: int,
    duration_s: float,
    max_requests: int,
    seed: int,
) -> Tally:
    """Run the mix on ``connections`` closed loops for ``duration_s`` or ``max_requests``."""
    tally = Tally()
    kinds = list(makers)
    weights = [WEIGHTS[kind] for kind in kinds]
    service = urlsplit(url)
    prefix = service.path.rstrip("/")
    deadline = time.perf_counter() + duration_s
    sent = 0

    async def loop(rng: random.Random) -> None:
        nonlocal sent
        # One connection per closed loop, as per reader: loops sharing a pool would queue on it.
        async with http1.Connection(service.hostname, service.port or 80, TIMEOUT_S) as connection:
            while time.perf_counter() < deadline and sent < max_requests:
                sent += 1
                kind = rng.choices(kinds, weights)[0]
                path = makers[kind](rng)
                started = time.perf_counter()
                try:
                    status = await connection.get(prefix + path)
                    failure = None if status == 200 else f"HTTP {status}"
                except http1.HttpError as exc:
                    failure = type(exc).__name__
                tally.latencies[kind].append((time.perf_counter() - started) * 1000)
                if failure:
                    tally.errors[kind] += 1
                    tally.examples.setdefault(f"{kind}: {failure}", path)

    await asyncio.gather(*(loop(random.Random(seed + i)) for i in range(connections)))
    return tally


def report(tally: Tally, elapsed_s: float) -> list[str]:
    """The table of requests, errors and percentiles, per kind and in all."""
    every = [value for values in tally.latencies.values() for value in values]
    rows = [(kind, tally.latencies[kind], tally.errors[kind]) for kind in sorted(tally.latencies)]
    rows.append(("all", every, sum(tally.errors.values())))
    percentiles = " ".join(f"{f'p{p:g}':>7}" for p in PERCENTILES)
    lines = [f"{'kind':<8} {'requests':>9} {'errors':>7} {percentiles} {'max':>7}  (ms)"]
    for kind, values, errors in rows:
        cuts = " ".join(f"{cut:>7.1f}" for cut in np.percentile(values, PERCENTILES))
        lines.append(f"{kind:<8} {len(values):>9} {errors:>7} {cuts} {max(values):>7.1f}")
    lines.append(f"throughput: {len(every) / elapsed_s:.0f} requests/s over {elapsed_s:.1f} s")
    lines += [f"error {failure}, e.g. {path}" for failure, path in sorted(tally.examples.items())]
    return lines


async def run(
    url: str, connections: int, duration_s: float, warmup_s: float, max_requests: int
) -> int:
    """Warm up, run the timed mix, print the report; 0 when it met the target, else 1."""
    inputs = await read_inputs(url)
    makers = url_makers(inputs)
    print(
        f"enforcemap load: {url}, {connections} connections, {duration_s:g} s after a "
        f"{warmup_s:g} s warm-up; {len(inputs.fips)} counties, {len(inputs.points)} facility "
        f"points, {len(inputs.states)} states ({len(inputs.stats_states)} for group and "
        "spatial statistics)"
    )
    print(
        "maps: /maps/agreements answers 200, so map pages and frames are in the mix"
        if inputs.maps
        else "maps: /maps/agreements does not answer 200, so the mix has no map requests"
    )
    print("mix (relative weights): " + ", ".join(f"{kind} {WEIGHTS[kind]}" for kind in makers))
    warm = await run_mix(url, makers, connections, warmup_s, max_requests, SEED)
    warm_count = sum(len(values) for values in warm.latencies.values())
    print(f"warm-up: {warm_count} requests, {sum(warm.errors.values())} errors (not counted)")
    started = time.perf_counter()
    tally = await run_mix(url, makers, connections, duration_s, max_requests, SEED + connections)
    for line in report(tally, time.perf_counter() - started):
        print(line)
    p99 = float(np.percentile([v for values in tally.latencies.values() for v in values], 99))
    errors = sum(tally.errors.values())
    met = errors == 0 and p99 < P99_TARGET_MS
    print(
        f"target (0 errors, p99 < {P99_TARGET_MS:g} ms): {'met' if met else 'missed'} "
        f"({errors} errors, p99 {p99:.1f} ms)"
    )
    return 0 if met else 1


def main(argv: list[str] | None = None) -> int:
    """Parse the options, refuse a service off this machine, run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running service")
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--duration", type=float, default=DURATION_S, help="timed seconds")
    parser.add_argument("--warmup", type=float, default=WARMUP_S, help="untimed seconds first")
    parser.add_argument("--max-requests", type=int, default=MAX_REQUESTS, help="per phase")
    args = parser.parse_args(argv)
    service = urlsplit(args.url)
    if service.scheme != "http" or service.hostname not in LOOPBACK:
        parser.error(f"--url {args.url}: load runs only against plain HTTP on this machine")
    return run_event_loop(
        run(args.url, args.connections, args.duration, args.warmup, args.max_requests)
    )


if __name__ == "__main__":
    sys.exit(main())
