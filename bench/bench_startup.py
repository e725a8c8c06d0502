"""Service start-up: seconds from ``enforcemap serve`` to the first answered ``/healthz``."""

import statistics

from bench.server import running_server


def measure(runs: int = 5) -> dict:
    """Start and stop the service ``runs`` times; the seconds of each start."""
    seconds = []
    for _ in range(runs):
        with running_server() as (_, startup_s):
            seconds.append(startup_s)
    return {"startup": seconds}


if __name__ == "__main__":
    result = measure()["startup"]
    print(f"start to /healthz: min {min(result):.2f} s, median {statistics.median(result):.2f} s")
