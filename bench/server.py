"""Start ``enforcemap serve`` on a free loopback port for a benchmark, and stop it after."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 60


def free_port() -> int:
    """A TCP port nobody listens on right now, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(*options: str) -> Iterator[tuple[str, float]]:
    """Yield the base URL and the seconds from process start to the first ``/healthz`` 200.

    ``options`` go to ``enforcemap serve`` (e.g. ``--workers 2``).
    """
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), *options],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.perf_counter() - started > START_TIMEOUT_S:
                raise RuntimeError(f"enforcemap serve did not answer /healthz on {base}")
            time.sleep(0.01)
        yield base, time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)
