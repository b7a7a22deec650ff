"""Issue 17: `/health` names a projection that stopped at an event it cannot apply (503
`degraded`), `min_position` behind it answers 503 at once, and it resumes by itself once
the cause is gone. `/health` answers from a probe at most a second old, so calling it
cannot open database connections at will."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from api.http.outage import StoreGate
from store.url import postgres_conninfo
from tests.e2e.http import World, running
from tests.integration.projections_support import poison_directory_renames

WAIT_SECONDS = 15.0


def _poisoned_rename(world: World, monkeypatch: pytest.MonkeyPatch) -> int:
    """Acme renamed while the directory cannot apply a rename; the rename's position."""
    poison_directory_renames(monkeypatch)
    body = {"name": "Acme 2", "address": "1 Road"}
    response = world.admin.put(f"/v1/companies/{world.cid}", json=body)
    assert response.status_code == 200, response.text
    world.add_user("bob", "VIEW_ONLY")  # a later write the other projections go on to
    return int(response.headers["X-Position"])


def _health_once(client: TestClient, wanted: Callable[[httpx.Response], bool]) -> httpx.Response:
    deadline = time.monotonic() + WAIT_SECONDS
    while not wanted(response := client.get("/health")):
        assert time.monotonic() < deadline, response.text
        time.sleep(0.05)
    return response


def _settled(response: httpx.Response) -> bool:
    """Degraded, and every projection but the stalled one at the head."""
    body = response.json()
    others = [p for p in body["projections"] if "stalled" not in p]
    return response.status_code == 503 and all(p["lag"] == 0 for p in others)


def _degraded(client: TestClient) -> dict[str, Any]:
    response = _health_once(client, _settled)
    body: dict[str, Any] = response.json()
    return body


def test_health_names_the_stalled_projection_its_position_the_event_and_the_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    poison = _poisoned_rename(world, monkeypatch)
    body = _degraded(world.client)
    assert body["status"] == "degraded"
    shown = {p["name"]: p for p in body["projections"]}
    directory = shown.pop("directory")
    assert directory["position"] == poison - 1
    assert directory["stalled"]["event_position"] == poison
    assert directory["stalled"]["error"] == f"Poisoned: cannot apply event {poison}"
    head = body["store"]["head"]
    assert all(p["lag"] == 0 and "stalled" not in p for p in shown.values()), (head, shown)


def test_min_position_behind_a_stalled_projection_answers_503_at_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    poison = _poisoned_rename(world, monkeypatch)
    _degraded(world.client)
    started = time.monotonic()
    response = world.admin.get(f"/v1/companies/{world.cid}", params={"min_position": poison})
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert time.monotonic() - started < 1.0, "no wait for what cannot come"


def test_a_stalled_projection_resumes_by_itself_once_the_cause_is_gone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    poison = _poisoned_rename(world, monkeypatch)
    _degraded(world.client)
    monkeypatch.undo()  # the fixed version
    body = _health_once(world.client, lambda r: r.status_code == 200).json()
    assert body["status"] == "ok"
    response = world.admin.get(f"/v1/companies/{world.cid}", params={"min_position": poison})
    assert response.json()["name"] == "Acme 2"


def _sessions(url: str) -> int:
    """Connections ever opened to the test's database (pg_stat_database counts them)."""
    conninfo, _ = postgres_conninfo(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return int(row[0]) - 1  # less this one


def _settled_sessions(url: str) -> int:
    """The session count once the pools have stopped opening connections in the background:
    two counts 0.5 s apart differ only by the first count's own connection."""
    count = _sessions(url)
    for _ in range(40):
        time.sleep(0.5)
        previous, count = count, _sessions(url)
        if count == previous + 1:
            break
    return count


def test_rapid_health_calls_open_at_most_one_connection_a_second(
    postgres_url: str, tmp_path: Any
) -> None:
    with running(postgres_url, str(tmp_path)) as client:
        gate: StoreGate = client.app.state.store_gate  # type: ignore[attr-defined]
        probes: list[float] = []
        real_probe = gate.probe

        def counted() -> str | None:
            probes.append(time.monotonic())
            return real_probe()

        gate.probe = counted
        assert client.get("/health").status_code == 200
        before = _settled_sessions(postgres_url)  # pools fill their minimum in the background
        started = time.monotonic()
        for _ in range(50):
            assert client.get("/health").status_code == 200
        seconds = time.monotonic() - started
        opened = _sessions(postgres_url) - before - 1  # less the first count's
    during = [t for t in probes if t >= started]
    assert len(during) <= int(seconds) + 1, f"{len(during)} probes in {seconds:.2f} s"
    # Before the cache, each call opened its own connection (50 in 0.5 s); a pool may still
    # replace one of its own now and then, which is not a probe.
    assert opened <= len(during) + 2, f"{opened} connections in {seconds:.2f} s"
