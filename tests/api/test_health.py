"""``/healthz`` on the committed snapshot."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.factory import create_app
from api.settings import Settings
from geo.store import SnapshotError
from tests.api.store import app_settings

DATA = Path(__file__).resolve().parents[2] / "data"


def test_healthz_reports_each_layer_as_of_the_manifest():
    manifest = json.loads((DATA / "manifest.json").read_text())
    with TestClient(create_app(app_settings())) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["layers"]["agreements"]["as_of"] == manifest["layers"]["agreements"]["as_of"]
    assert body["layers"]["counties"]["rows"] == manifest["layers"]["counties"]["rows"]


def test_missing_snapshot_fails_at_start_naming_the_folder(tmp_path):
    app = create_app(Settings(_env_file=None, data_dir=tmp_path))
    expected = f"{tmp_path}/manifest.json: no snapshot manifest"
    with pytest.raises(SnapshotError, match=expected), TestClient(app):
        pass
