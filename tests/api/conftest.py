"""An in-process client on the committed snapshot, built through ``create_app(settings)``."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.factory import create_app
from api.settings import Settings

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    """The app on the real snapshot, with a small max limit so the bound is easy to hit."""
    settings = Settings(_env_file=None, data_dir=DATA, max_limit=500, default_limit=50)
    with TestClient(create_app(settings)) as test_client:
        yield test_client
