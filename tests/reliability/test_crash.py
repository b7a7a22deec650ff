"""Issue 9, faults: `kill -9` the API server while writes run, then restart it.

Every write answered 2xx is in the store and in the read models; nothing that was not
asked for is stored, nothing twice; the projections converge on the store's head; and the
notification outbox holds each (invoice, recipient) once (I5).
"""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path
from uuid import UUID

import httpx2 as httpx
import pytest

from domain.invoice import invoice_id
from domain.values import AccountKey
from tests.e2e.http import invoice_body
from tests.reliability.load import Load, Request
from tests.reliability.service import Service, query
from tests.reliability.world import Caller, Company, enroll, expect

pytestmark = pytest.mark.postgres

LOAD_BEFORE_KILL_SECONDS = 1.5
ACKNOWLEDGED_BEFORE_KILL = 10
ACKNOWLEDGE_DEADLINE_SECONDS = 60
CONVERGE_SECONDS = 20.0


class Writes:
    """Invoices asked for (by id), and those the service acknowledged with 201."""

    def __init__(self, company: Company) -> None:
        self.company = company
        self.asked: set[UUID] = set()
        self.acknowledged: set[UUID] = set()
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def request(self, client: httpx.Client) -> tuple[str, httpx.Response]:
        account = self.company.accounts[next(self._numbers) % 2]
        body = invoice_body(account, invoice_number=f"K-{next(self._numbers)}")
        iid = invoice_id(AccountKey.parse(f"{account['country']}-{account['number']}"),
                         body["invoice_number"])  # fmt: skip
        with self._lock:
            self.asked.add(iid)
        response = client.post("/v1/invoices", json=body, headers=self.company.billing.headers)
        if response.status_code == 201:
            assert response.json()["invoice_id"] == str(iid)
            with self._lock:
                self.acknowledged.add(iid)
        return "write", response


def _stored_invoices(url: str) -> list[UUID]:
    sql = "SELECT originator_id FROM billingcenter_events WHERE topic LIKE %s"
    rows = query(url, sql, ("%InvoiceIssued",))
    return [UUID(str(r[0])) for r in rows]


def _converged(service: Service, head: int) -> dict[str, object]:
    deadline = time.monotonic() + CONVERGE_SECONDS
    while True:
        health = httpx.get(service.base_url + "/health", timeout=10).json()
        if all(p["position"] >= head for p in health["projections"]):
            return dict(health)
        assert time.monotonic() < deadline, health
        time.sleep(0.2)


def _until_acknowledged(writes: Writes, count: int) -> None:
    """Kill mid-stream, not before the first answer, however slow the machine is."""
    deadline = time.monotonic() + ACKNOWLEDGE_DEADLINE_SECONDS
    while len(writes.acknowledged) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_kill_9_under_writes_loses_no_acknowledged_write_and_adds_none(
    postgres_url: str, tmp_path: Path
) -> None:
    first = Service(postgres_url, tmp_path).start()
    try:
        with httpx.Client(base_url=first.base_url, timeout=30) as client:
            company = enroll(client)
            company.add_user("bob", "VIEW_ONLY", *company.accounts)
        before = set(_stored_invoices(postgres_url))  # the proofs of enrollment (A1)
        writes = Writes(company)
        request: Request = writes.request
        with Load(first.base_url, request, workers=6):
            time.sleep(LOAD_BEFORE_KILL_SECONDS)
            _until_acknowledged(writes, ACKNOWLEDGED_BEFORE_KILL)
            first.kill()
    finally:
        first.kill()
    assert writes.acknowledged, "no write was acknowledged before the kill"
    stored = _stored_invoices(postgres_url)
    assert len(stored) == len(set(stored)), "an invoice was issued twice"
    assert writes.acknowledged <= set(stored), "an acknowledged write was lost"
    loaded = set(stored) - before
    assert loaded <= writes.asked, "an invoice nobody asked for was stored"
    second = Service(postgres_url, tmp_path).start()
    try:
        _assert_read_models_hold(second, company, postgres_url, loaded)
    finally:
        second.stop()


def _assert_read_models_hold(
    service: Service, company: Company, url: str, stored: set[UUID]
) -> None:
    head = int(query(url, "SELECT max(notification_id) FROM billingcenter_events")[0][0])
    health = _converged(service, head)
    assert health["status"] == "ok"
    with httpx.Client(base_url=service.base_url, timeout=30) as client:
        seen = _listed(Caller(client, company.admin.login), company.cid, head)
    assert stored <= seen, f"{len(stored - seen)} stored invoices missing from the read models"
    rows = query(
        url,
        "SELECT subject_id, recipient, count(*) FROM outbox_messages "
        "WHERE kind = 'INVOICE_AVAILABLE' GROUP BY subject_id, recipient",
    )
    assert all(r[2] == 1 for r in rows), "an e-mail is queued twice"
    mailed = {(UUID(str(r[0])), str(r[1])) for r in rows}
    expected = {(i, login) for i in stored for login in ("alice", "bob")}
    assert expected <= mailed, f"{len(expected - mailed)} e-mails missing from the outbox"


def _listed(admin: Caller, cid: str, head: int) -> set[UUID]:
    seen: set[UUID] = set()
    params: dict[str, str | int] = {"min_position": head, "limit": 500}
    while True:
        page = expect(admin.get(f"/v1/companies/{cid}/invoices", params=params), 200)
        seen |= {UUID(i["invoice_id"]) for i in page["items"]}
        if not page["next"]:
            return seen
        params["cursor"] = page["next"]
