"""The store the API tests run against, chosen by ``ENFORCEMAP_TEST_STORE``.

``embedded`` (the default) serves the committed ``data/``; ``postgis`` serves the same snapshot
from the PostGIS database named by ``ENFORCEMAP_TEST_DATABASE_URL`` (``make test`` starts one with
``deploy/postgis-local.sh`` and runs the API tests once per store). The snapshot is loaded into
the database once per run; a run that needs the database and has none fails, it never skips.
"""

import functools
import os
from pathlib import Path

import pytest

from api.settings import Settings
from geo.postgis import load_postgis

DATA = Path(__file__).resolve().parents[2] / "data"
STORES = ("embedded", "postgis")
STORE = os.environ.get("ENFORCEMAP_TEST_STORE", "embedded")
if STORE not in STORES:
    raise ValueError(f"ENFORCEMAP_TEST_STORE={STORE!r} is not one of {', '.join(STORES)}")


@functools.cache
def database_url() -> str:
    """The test database, holding the committed snapshot."""
    url = os.environ.get("ENFORCEMAP_TEST_DATABASE_URL")
    if not url:
        pytest.fail(
            "ENFORCEMAP_TEST_DATABASE_URL is not set; start PostGIS with "
            "deploy/postgis-local.sh (as root) and set it to the URL it prints"
        )
    load_postgis(DATA, url)
    return url


def app_settings(store: str = STORE, **overrides: object) -> Settings:
    """Settings serving the committed snapshot from ``store``, with ``overrides``."""
    url = database_url() if store == "postgis" else None
    return Settings(_env_file=None, data_dir=DATA, database_url=url, **overrides)
