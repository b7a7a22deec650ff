"""Issue 20 item 5: `serve --workers 2 --metrics-port P` adds up both workers' series
(prometheus-client's multiprocess mode), a real service on the suite's PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
import pytest

from tests.e2e.test_metrics import value
from tests.postgres import free_port
from tests.reliability.service import Service

pytestmark = pytest.mark.postgres
REQUESTS = 20
HEALTH = {"method": "GET", "route": "/health", "status": "200"}


def _counted(port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return value(text, "billing_http_request_duration_seconds_count", **HEALTH)


def test_two_workers_are_scraped_as_one_on_the_metrics_port(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, folder = free_port(), tmp_path / "metrics"
    folder.mkdir()
    monkeypatch.setenv("BILLING_METRICS_PORT", str(port))
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    service = Service(postgres_url, tmp_path / "home", workers=2)
    try:
        service.start()
        before = _counted(port)
        for _ in range(REQUESTS):
            assert httpx.get(service.base_url + "/health", timeout=10).status_code == 200
        after = _counted(port)
    finally:
        service.stop()
    assert after - before == REQUESTS  # whichever worker answered each one
    pids = {p.stem.rpartition("_")[2] for p in folder.glob("counter_*.db")}
    assert len(pids) >= 2, sorted(folder.iterdir())
