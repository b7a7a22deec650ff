"""Issue 20 item 3: reads from a hot standby (`BILLING_READ_DATABASE_URL`).

A real primary and a streaming standby (`pg_basebackup -R`) on loopback, both throwaway.
Writes go through the API to the primary; reads with `min_position` see them through the
standby, wait for the standby (never reading the primary behind the caller's back), and
answer 503 with `Retry-After` while the standby is stopped, writes going on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from tests.e2e.http import World, enroll, settings_for
from tests.postgres import PostgresServer, primary_and_standby

pytestmark = pytest.mark.postgres


@pytest.fixture
def pair() -> Iterator[tuple[PostgresServer, PostgresServer]]:
    with primary_and_standby() as servers:
        yield servers


@pytest.fixture
def replicated(
    pair: tuple[PostgresServer, PostgresServer], tmp_path: Path
) -> Iterator[tuple[World, PostgresServer]]:
    primary, standby = pair
    url = primary.create_database()
    read_url = standby.url(url.rsplit("/", 1)[1])
    settings = settings_for(url, str(tmp_path)).model_copy(update={"read_database_url": read_url})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield enroll(client), standby


def _replay(standby: PostgresServer, *, paused: bool) -> None:
    verb = "pause" if paused else "resume"
    with psycopg.connect(standby.base_url, autocommit=True) as conn:
        conn.execute(f"SELECT pg_wal_replay_{verb}()")


def test_a_write_is_read_back_through_the_standby(
    replicated: tuple[World, PostgresServer],
) -> None:
    world, _ = replicated
    invoice = world.issue(world.accounts[0])
    response = world.admin.get(f"/v1/invoices/{invoice}")
    assert response.status_code == 200, response.text
    assert response.json()["invoice_id"] == invoice


def test_a_read_waits_for_the_standby_never_reading_the_primary(
    replicated: tuple[World, PostgresServer],
) -> None:
    world, standby = replicated
    _replay(standby, paused=True)
    invoice = world.issue(world.accounts[0])
    behind = world.admin.get(f"/v1/invoices/{invoice}")
    assert (behind.status_code, behind.headers["Retry-After"]) == (503, "1"), behind.text
    _replay(standby, paused=False)
    caught_up = world.admin.get(f"/v1/invoices/{invoice}")
    assert caught_up.status_code == 200, caught_up.text


def test_reads_answer_503_while_the_standby_is_stopped_and_writes_go_on(
    replicated: tuple[World, PostgresServer],
) -> None:
    world, standby = replicated
    standby.stop()
    invoice = world.issue(world.accounts[0])  # a write: the primary is fine
    for _ in range(3):  # the pooled connection breaks, then the breaker refuses at once
        response = world.admin.get(f"/v1/companies/{world.cid}")
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "1"
        assert response.json()["title"] == "Read replica unavailable"
    assert world.billing.post("/v1/invoices", json={}).status_code == 422
    assert invoice


def test_health_names_each_lease_owner_read_from_the_primary(
    replicated: tuple[World, PostgresServer],
) -> None:
    """The leases are session advisory locks on the primary: the standby's `pg_locks` has none."""
    world, _ = replicated
    world.issue(world.accounts[0])
    response = world.admin.get("/health")
    assert response.status_code == 200, response.text
    owners = {p["name"]: p["owner"] for p in response.json()["projections"]}
    assert all(owners.values()), owners
