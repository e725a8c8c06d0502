"""An in-process client on the committed snapshot, built through ``create_app(settings)``, on
the store named by ``ENFORCEMAP_TEST_STORE`` (see `tests.api.store`)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.factory import create_app
from tests.api.store import DATA, app_settings

__all__ = ["DATA"]


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    """The app on the real snapshot, with a small max limit so the bound is easy to hit."""
    with TestClient(create_app(app_settings(max_limit=500, default_limit=50))) as test_client:
        yield test_client
