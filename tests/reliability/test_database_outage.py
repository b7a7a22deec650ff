"""Issue 9, faults: PostgreSQL stops under load, then comes back.

While it is down every request answers 503 with `Retry-After` (never a 500, never a hang),
`/health` says the store is unreachable; once it is back the service resumes by itself,
and every write that was answered 2xx is in the store.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import httpx2 as httpx
import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent

from store.recorders import LeanPostgresApplicationRecorder
from store.url import eventsourcing_env
from tests.e2e.http import invoice_body
from tests.postgres import PostgresServer, start_server
from tests.reliability.load import Load, Outcome, Request
from tests.reliability.service import Service, query, serving, start_postgres, stop_postgres
from tests.reliability.world import Company, enroll

pytestmark = pytest.mark.postgres

OUTAGE_SECONDS = 4.0
SLOWEST_ANSWER_SECONDS = 15.0
RECOVERY_SECONDS = 30.0


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A server of this test's own: stopping it must not disturb the other tests."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


def _requests(company: Company) -> tuple[Request, list[str]]:
    kinds = itertools.cycle(["read", "write", "health"])
    numbers: list[str] = []

    def request(client: httpx.Client) -> tuple[str, httpx.Response]:
        kind = next(kinds)
        if kind == "read":
            # min_position: the enrollment is in the read models before the first read.
            path = f"/v1/companies/{company.cid}"
            return kind, client.get(path, params=company.seen, headers=company.admin.headers)
        if kind == "health":
            return kind, client.get("/health")
        body = invoice_body(company.accounts[0])
        response = client.post("/v1/invoices", json=body, headers=company.billing.headers)
        if response.status_code == 201:
            numbers.append(body["invoice_number"])
        return kind, response

    return request, numbers


def _recovered(service: Service, company: Company) -> float:
    started = time.monotonic()
    with httpx.Client(base_url=service.base_url, timeout=10) as client:
        while time.monotonic() - started < RECOVERY_SECONDS:
            body = invoice_body(company.accounts[1])
            response = client.post("/v1/invoices", json=body, headers=company.billing.headers)
            if response.status_code == 201:
                return time.monotonic() - started
            time.sleep(0.2)
    raise AssertionError(f"no write succeeded {RECOVERY_SECONDS} s after PostgreSQL returned")


def _healthy_again(client: httpx.Client) -> bool:
    """/health answers from a probe at most 1 s old (issue 17), and a pooled connection that
    the restart broke may trip the gate once more: it turns 200 within a few probes."""
    deadline = time.monotonic() + 5
    while client.get("/health").status_code != 200:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _misfits(outcomes: list[Outcome]) -> list[Outcome]:
    return [
        o
        for o in outcomes
        if not (200 <= o.status < 300 or (o.status == 503 and o.retry_after))
        or o.seconds > SLOWEST_ANSWER_SECONDS
    ]


def test_a_database_outage_answers_503_then_the_service_resumes_by_itself(
    own_postgres: PostgresServer, tmp_path: Path
) -> None:
    url = own_postgres.create_database()
    with serving(url, tmp_path) as service, httpx.Client(base_url=service.base_url) as client:
        company = enroll(client)
        request, written = _requests(company)
        with Load(service.base_url, request, workers=4) as load:
            time.sleep(1.0)
            stop_postgres(own_postgres)
            time.sleep(OUTAGE_SECONDS)
            health = client.get("/health", timeout=10)
            start_postgres(own_postgres)
            took = _recovered(service, company)
            outcomes = load.stop()
        assert health.status_code == 503, health.text
        assert health.json()["store"]["reachable"] is False
        assert not _misfits(outcomes), _misfits(outcomes)[:5]
        assert sum(o.status == 503 for o in outcomes) > 0
        assert _healthy_again(client), "/health still 503 5 s after a write succeeded"
        print(f"recovered {took:.1f} s after restart; {len(outcomes)} requests")
    _assert_every_acknowledged_write_is_stored(url, written)


def _assert_every_acknowledged_write_is_stored(url: str, numbers: list[str]) -> None:
    rows = query(url, "SELECT state FROM billingcenter_events")
    stored = b"".join(bytes(r[0]) for r in rows)
    missing = [n for n in numbers if n.encode() not in stored]
    assert not missing, missing[:5]


def test_after_a_restart_the_writer_connection_is_replaced_and_no_insert_is_lost(
    own_postgres: PostgresServer,
) -> None:
    """Issue 21: the process's one writer connection dies with the server; the first insert
    after the restart is written on a new one, and every insert answered is stored."""
    app = Application[UUID](env=eventsourcing_env(own_postgres.create_database()))
    answered: dict[UUID, int] = {}

    def insert() -> None:
        originator = uuid4()
        ids = app.recorder.insert_events([StoredEvent(originator, 1, "tests:Event", b"{}")])
        answered[originator] = (ids or [0])[0]

    try:
        for _ in range(5):
            insert()
        stop_postgres(own_postgres)
        start_postgres(own_postgres)
        for _ in range(5):
            insert()
        stored = app.recorder.select_notifications(1, 20)
        assert {n.originator_id: n.id for n in stored} == answered
        assert isinstance(app.recorder, LeanPostgresApplicationRecorder)
        assert app.recorder.writer.connections == 2
    finally:
        app.close()
