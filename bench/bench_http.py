"""``/query/point`` over HTTP on loopback: 64 connections for 30 s with wrk (Debian's package).

Points are drawn from a fixed list of county seats' neighbourhoods by a small Lua script, so
the server answers real lookups rather than one cached URL. The service runs as it would be
deployed on this machine: one worker process per core (:data:`SERVE_OPTIONS`), no access log.
wrk gets one thread: it keeps 64 connections busy at well over 10,000 requests/s, and a second
thread would only take a core's share from the service it measures.
"""

import os
import re
import shutil
import subprocess
import tempfile

from bench.server import running_server

CONNECTIONS = 64
THREADS = 1
SERVE_OPTIONS = ("--workers", str(os.cpu_count() or 1), "--no-access-log")
DURATION_S = 30
WARMUP_S = 20
"""Untimed load first, until each worker's start-up work is done: its index and the warm-up
behind it (about 7 s of CPU per worker, shared with the requests meanwhile)."""
LUA = """
local points = {{-95.36, 29.76}, {-112.07, 33.45}, {-87.63, 41.88}, {-118.24, 34.05},
                {-80.19, 25.76}, {-73.99, 40.73}, {-104.99, 39.74}, {-122.33, 47.61}}
local i = 0
request = function()
  i = i % #points + 1
  local p = points[i]
  return wrk.format("GET", string.format("/query/point?lon=%.2f&lat=%.2f", p[1], p[2]))
end
"""


def measure(duration_s: int = DURATION_S) -> dict:
    """Requests per second, latency percentiles and error count from one wrk run."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed: apt-get install wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(LUA)
        script.flush()
        with running_server(*SERVE_OPTIONS) as (base, _):
            # Untimed first (WARMUP_S): every worker finishes its start-up work and makes its
            # layer cache on the requests its connections bring.
            _wrk(wrk, script.name, base, WARMUP_S)
            return _parse(_wrk(wrk, script.name, base, duration_s))


def _wrk(wrk: str, script: str, base: str, duration_s: int) -> str:
    command = [wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration_s}s", "--latency"]
    return subprocess.run(
        [*command, "-s", script, base], capture_output=True, text=True, check=True
    ).stdout


def _seconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def _parse(output: str) -> dict:
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", output, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50_ms": _seconds(percentiles["50"]) * 1000,
        "p99_ms": _seconds(percentiles["99"]) * 1000,
        "errors": (int(errors.group(1)) if errors else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
        "raw": output,
    }


if __name__ == "__main__":
    result = measure()
    print(result["raw"])
