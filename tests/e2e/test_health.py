"""GET /health answers while the service is up: the store and each projection's lag."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_health_reports_the_store_and_each_projection(any_api: TestClient) -> None:
    response = any_api.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["store"]["reachable"] is True
    assert {p["name"] for p in body["projections"]} >= {"directory", "invoices"}
