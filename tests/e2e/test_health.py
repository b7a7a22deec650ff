"""GET /health answers while the service is up."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings


def test_health_reports_ok() -> None:
    client = TestClient(create_app(Settings(database_url="memory://")))
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
