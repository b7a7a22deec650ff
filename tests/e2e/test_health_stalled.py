"""Issue 20 item 4: `/health` shows each projection's lag in events and in seconds and its
owner, and answers 503 `degraded` naming a projection that is behind and has not moved for
the stall threshold (injected here: a fraction of a second instead of 30 s)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from projections.runner import Runner
from projections.tracking import PROJECTIONS, UNITS
from tests.e2e.http import enroll, settings_for

THRESHOLD_SECONDS = 0.3
WAIT_SECONDS = 15.0


@pytest.fixture
def paused(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """A switch that stops every projection runner of this process where it is."""
    switch, step = threading.Event(), Runner.step
    monkeypatch.setattr(Runner, "step", lambda self: 0 if switch.is_set() else step(self))
    yield switch
    switch.clear()


@pytest.fixture
def client(durable_store_url: str, tmp_path: Path, paused: threading.Event) -> Iterator[TestClient]:
    """The app, started after `paused` patched `Runner.step` (a runner takes its step
    function when it starts following the store)."""
    del paused
    settings = settings_for(durable_store_url, str(tmp_path))
    settings = settings.model_copy(update={"projection_stall_seconds": THRESHOLD_SECONDS})
    with TestClient(create_app(settings), raise_server_exceptions=False) as started:
        yield started


def _health_until(client: TestClient, status: int) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while (response := client.get("/health")).status_code != status:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.05)
    body: dict[str, Any] = response.json()
    return body


def test_health_names_a_projection_behind_that_has_not_moved(
    client: TestClient, paused: threading.Event, durable_store_url: str
) -> None:
    world = enroll(client)
    deadline = time.monotonic() + WAIT_SECONDS  # caught up (the sender may close a period)
    while not all(p["lag"] == 0 for p in _health_until(client, 200)["projections"]):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    body = _health_until(client, 200)
    assert all(p["lag"] == 0 and p["lag_seconds"] == 0 for p in body["projections"])
    paused.set()
    world.add_user("bob", "VIEW_ONLY")  # events no projection applies while paused
    body = _health_until(client, 503)
    assert body["status"] == "degraded"
    shown = {p["name"]: p for p in body["projections"]}
    assert set(shown) == set(PROJECTIONS)
    segments = {s["name"] for s in shown["invoices"]["segments"]}
    assert segments | set(PROJECTIONS) - {"invoices"} == set(UNITS)
    for projection in shown.values():
        assert projection["lag"] > 0
        assert projection["head"] == body["store"]["head"]
        assert projection["lag_seconds"] >= 0
        assert projection["stalled"]["not_moved_seconds"] >= THRESHOLD_SECONDS
        if durable_store_url.startswith("postgresql"):  # the lease's owner: this process
            assert projection["owner"]
    paused.clear()
    body = _health_until(client, 200)  # it moves again: no longer stalled
    assert all("stalled" not in p and p["lag"] == 0 for p in body["projections"])
