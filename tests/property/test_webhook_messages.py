"""Issue 22: the webhook messages equal an oracle computed from the commands played (R4,
A4, A6: an invoice's messages only while it is in its company's billing history), one
per event and endpoint, however the events fall into pages, and a rebuild adds none."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.application import BillingCenter
from domain.errors import DomainError
from domain.values import AccountKey
from projections.runner import rebuild
from tests.builders import (
    ACCOUNT,
    OTHER_ACCOUNT,
    THIRD_ACCOUNT,
    add_payment_method,
    bill,
    enrolled_company,
    issue,
    person,
    reenroll,
    unenroll,
)
from tests.integration.projections_support import Stack, stack

EXAMPLE = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
ALL = ["invoice.available", "payment.received", "account.unenrolled", "account.reenrolled"]
ACCOUNTS = (ACCOUNT, OTHER_ACCOUNT, THIRD_ACCOUNT)

steps = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=25)
pages = st.sampled_from([1, 3, 2000])


class Played:
    """Commands played through the domain, and what each company's endpoint should get."""

    def __init__(self, app: BillingCenter) -> None:
        self.app = app
        self.first = enrolled_company(app, "alice", ACCOUNTS[:2])
        self.second = enrolled_company(app, "zoe", ACCOUNTS[2:], proof_number="PROOF-Z")
        self.admins = {self.first: "alice", self.second: "zoe"}
        self.enrolled = dict.fromkeys(ACCOUNTS, True)
        self.invoices: list[tuple[UUID, UUID, bool]] = []  # invoice, company, in its history
        self.expected: dict[UUID, list[tuple[str, str]]] = {self.first: [], self.second: []}
        for company, admin in self.admins.items():
            add_payment_method(app, company, by=admin)
            app.create_webhook(person(admin), company, "https://hooks.example/x", ALL)

    def company(self, account: AccountKey) -> UUID:
        return self.second if account == THIRD_ACCOUNT else self.first

    def play(self, op: int, account: AccountKey, n: int) -> None:
        company = self.company(account)
        if op == 0:
            number = f"INV-{n}"
            invoice = issue(self.app, bill(account, number, issued=datetime.now(UTC).date()))
            self.invoices.append((invoice, company, self.enrolled[account]))
            if self.enrolled[account]:
                self.expected[company].append(("invoice.available", str(invoice)))
        elif op == 1 and self.enrolled[account]:
            unenroll(self.app, company, account, by=self.admins[company])
            self.enrolled[account] = False
            self.expected[company].append(("account.unenrolled", str(account)))
        elif op == 2 and not self.enrolled[account]:
            reenroll(self.app, company, account, by=self.admins[company])
            self.enrolled[account] = True
            self.expected[company].append(("account.reenrolled", str(account)))
        elif op == 3 and self.invoices:
            invoice, owner, in_history = self.invoices[-1 - n % len(self.invoices)]
            with contextlib.suppress(DomainError):  # paid already, or not one they see
                self.app.pay_invoice(person(self.admins[owner]), invoice)
                if in_history:
                    self.expected[owner].append(("payment.received", str(invoice)))


def messages(s: Stack) -> dict[str, list[tuple[str, str]]]:
    """Per company: (type, invoice or account) of its endpoint's messages, in event order."""
    with s.db.read() as tx:
        rows = tx.all(
            "SELECT e.company_id, m.type, m.body FROM webhook_messages m JOIN webhook_endpoints e "
            "ON e.endpoint_id = m.endpoint_id ORDER BY m.position"
        )
    found: dict[str, list[tuple[str, str]]] = {}
    for company, kind, body in rows:
        data: dict[str, Any] = orjson.loads(body)["data"]
        found.setdefault(str(company), []).append(
            (kind, data.get("invoice_id", data.get("account", "")))
        )
    return found


def everything(s: Stack) -> list[Any]:
    with s.db.read() as tx:
        return sorted(map(repr, tx.all("SELECT * FROM webhook_messages")))


@EXAMPLE
@given(played=steps, page=pages)
def test_webhook_messages_equal_the_oracle_and_a_rebuild_adds_none(
    tmp_path: Path, played: list[tuple[int, int]], page: int
) -> None:
    with stack("sqlite", tmp_path) as s:
        world = Played(s.app)
        for n, (op, a) in enumerate(played):
            world.play(op, ACCOUNTS[a], n)
        s.catch_up(page_size=page)
        found = messages(s)
        for company, expected in world.expected.items():
            assert found.get(str(company), []) == expected, company
        before = everything(s)
        rebuild(s.db, s.app, "webhooks", page_size=2)
        s.catch_up()
        assert everything(s) == before
