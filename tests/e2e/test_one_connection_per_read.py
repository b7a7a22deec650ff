"""Issue 20: a request checks ONE connection out for all its queries, and runs few.

Every pool checkout and every statement a request thread makes is counted (the pools'
`getconn`/`putconn` and psycopg's `Cursor.execute`, wrapped for the test): the soak's reads
each check out one connection, which serves the company's events (R4 as the store has it)
and the read model's query alike, and give it back when they end, refused or not. Each
route's statements are counted too: GET /v1/me's company and user are one query. The soak's
writes check out one too: a write gives its connection back before it waits for its group
commit, and a change that changes nothing (an unchanged company profile) writes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from api.http.hop import ROUTE_THREAD_NAME
from tests.e2e.http import World, enroll, invoice_body, running


@dataclass
class Counts:
    """What the request threads asked of PostgreSQL, since the last `reset`."""

    checkouts: int = 0
    returns: int = 0
    statements: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.checkouts, self.returns, self.statements = 0, 0, []


def _in_a_request() -> bool:
    """A thread that answers routes (the runner and the senders have their own)."""
    return threading.current_thread().name.startswith(ROUTE_THREAD_NAME)


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Counts:
    seen = Counts()
    getconn, putconn = ConnectionPool.getconn, ConnectionPool.putconn
    execute = psycopg.Cursor.execute

    def counted_getconn(pool: ConnectionPool[Any], *args: Any, **kwargs: Any) -> Any:
        seen.checkouts += _in_a_request()
        return getconn(pool, *args, **kwargs)

    def counted_putconn(pool: ConnectionPool[Any], conn: Any) -> None:
        seen.returns += _in_a_request()
        putconn(pool, conn)

    def counted_execute(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        if _in_a_request():
            seen.statements.append(str(query)[:80])
        return execute(cursor, query, *args, **kwargs)

    monkeypatch.setattr(ConnectionPool, "getconn", counted_getconn)
    monkeypatch.setattr(ConnectionPool, "putconn", counted_putconn)
    monkeypatch.setattr(psycopg.Cursor, "execute", counted_execute)
    return seen


@pytest.fixture
def acme(postgres_url: str, tmp_path: Path) -> Iterator[World]:
    """Acme on PostgreSQL with two users besides alice, every write projected."""
    with running(postgres_url, str(tmp_path)) as client:
        world = enroll(client)
        world.add_user("bo", "VIEW_ONLY", world.accounts[0])
        world.add_user("cy", "PLAN_MANAGER", *world.accounts)
        world.issue(world.accounts[0])
        assert world.admin.get("/v1/me").status_code == 200  # waits for the writes above
        yield world


def _read(world: World, counts: Counts, path: str) -> Counts:
    client: TestClient = world.client
    counts.reset()
    response = client.get(path, headers=world.admin.headers)  # no min_position: no wait
    assert response.status_code == 200, response.text
    return Counts(counts.checkouts, counts.returns, list(counts.statements))


SOAK_READS = {  # the soak's reads (tests/reliability/soak.py: mix) and their statements
    "/v1/companies/{cid}/invoices": 2,  # the company's newer events (R4), the page
    "/v1/companies/{cid}": 1,  # the company's newer events: it answers from the company
    "/v1/companies/{cid}/accounts": 2,  # the company's newer events, the accounts
    "/v1/me": 2,  # the company and user read model (with R8 preferences), the company's events
    "/v1/companies/{cid}/users": 2,  # the company's newer events, the users with grants
}


@pytest.mark.postgres
@pytest.mark.parametrize("path", list(SOAK_READS))
def test_a_read_request_checks_out_one_connection(acme: World, counts: Counts, path: str) -> None:
    for _ in range(2):  # the first may load what the process has not cached yet
        seen = _read(acme, counts, path.format(cid=acme.cid))
    assert seen.checkouts == 1, seen.statements
    assert seen.returns == 1


@pytest.mark.postgres
@pytest.mark.parametrize(("path", "statements"), list(SOAK_READS.items()))
def test_a_read_request_runs_its_few_statements(
    acme: World, counts: Counts, path: str, statements: int
) -> None:
    for _ in range(2):
        seen = _read(acme, counts, path.format(cid=acme.cid))
    assert len(seen.statements) == statements, seen.statements


@pytest.mark.postgres
def test_a_refused_read_gives_its_connection_back(acme: World, counts: Counts) -> None:
    """R4: an outsider's read is refused after the company was read; the connection returns."""
    counts.reset()
    outsider = acme.person("zed").headers
    response = acme.client.get(f"/v1/companies/{acme.cid}/users", headers=outsider)
    assert response.status_code in {403, 404}, response.text
    assert counts.checkouts == counts.returns == 1


@pytest.mark.postgres
def test_an_unchanged_company_profile_checks_out_one_connection(
    acme: World, counts: Counts
) -> None:
    """R10 (tests/reliability/soak.py's PUT): the company's events, the head, nothing written."""
    profile = {"name": "Acme", "address": "1 Main"}
    for _ in range(2):
        counts.reset()
        response = acme.client.put(
            f"/v1/companies/{acme.cid}", json=profile, headers=acme.admin.headers
        )
        assert response.status_code == 200, response.text
    assert counts.checkouts == counts.returns == 1, counts.statements


def _put_profile(world: World, counts: Counts, profile: dict[str, str]) -> Counts:
    counts.reset()
    response = world.client.put(
        f"/v1/companies/{world.cid}", json=profile, headers=world.admin.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["company_id"], body["name"], body["address"]) == (world.cid, *profile.values())
    return Counts(counts.checkouts, counts.returns, list(counts.statements))


@pytest.mark.postgres
def test_an_unchanged_company_profile_reads_the_company_once(acme: World, counts: Counts) -> None:
    """R10: the head, then whether the company has events newer than the cached copy the
    command decided on; the answer is that copy (issue 20: it read them three times)."""
    profile = {"name": "Acme", "address": "1 Main"}
    for _ in range(2):
        seen = _put_profile(acme, counts, profile)
    assert len(seen.statements) == 2, seen.statements


@pytest.mark.postgres
def test_a_changed_company_profile_reads_nothing_beside_its_insert(
    acme: World, counts: Counts
) -> None:
    """R10: the insert refuses a stale cached copy; the answer is the company as saved."""
    _put_profile(acme, counts, {"name": "Acme", "address": "1 Main"})  # cached, trusted
    seen = _put_profile(acme, counts, {"name": "Acme 2", "address": "2 Main"})
    assert seen.statements == [], seen.statements


@pytest.mark.postgres
def test_an_invoice_checks_out_one_connection(acme: World, counts: Counts) -> None:
    """I1: the account's events read, then the insert on the writer connection."""
    counts.reset()
    body = invoice_body(acme.accounts[1])
    response = acme.client.post("/v1/invoices", json=body, headers=acme.billing.headers)
    assert response.status_code == 201, response.text
    assert counts.checkouts == counts.returns == 1, counts.statements
