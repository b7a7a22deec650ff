"""A7 over time: as days pass and invoices are paid, scheduled, cancelled and credited, an
invoice printed more than twelve months ago leaves the billing history (list, detail, the
write side's check) exactly when it is settled — never while something is still to pay —
on SQLite and PostgreSQL. Its I5 e-mail went exactly when it was in the views at its issue:
printed in the last twelve months, or something left to pay net of the credit it used (I10,
issue 24)."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError, NotFound
from domain.values import InvoiceStatus
from domain.visibility import history_cutoff
from tests.builders import (
    ACCOUNT,
    ADMIN,
    BILLING,
    add_payment_method,
    bill,
    enrolled_company,
    issue,
    person,
)
from tests.integration.projections_support import Stack, stack
from tests.postgres import PostgresServer

EXAMPLE = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
POSTGRES_EXAMPLE = settings(EXAMPLE, max_examples=max(5, settings().max_examples // 4))

step = st.tuples(st.integers(0, 5), st.integers(0, 9), st.integers(0, 40))
days = st.lists(step, min_size=1, max_size=25)
COVERED_BY_CREDIT = [(0, 0, 0), (2, 0, 0), (5, 0, 0), (0, 0, 35)]
"""Issue 24: N-0 paid, then approved in full (a credit of all of it, I10), which N-1, printed
420 days ago, uses whole at its issue: never in the views, no e-mail."""


class Ledger:
    """Plays the steps: issue (printed some days ago), let days pass, pay, schedule, cancel,
    approve in full. Refused commands change nothing (a scheduled payment past its day)."""

    def __init__(self, s: Stack) -> None:
        self.s = s
        self.company = enrolled_company(s.app)
        add_payment_method(s.app, self.company)
        self.invoices: list[UUID] = []
        self.due_at_issue: dict[UUID, bool] = {}  # net of the credit it used (I10)

    def today(self) -> date:
        return self.s.app.today()

    def play(self, op: int, pick: int, n: int) -> None:
        app, me = self.s.app, person(ADMIN)
        if op == 0 or not self.invoices:
            printed = self.today() - timedelta(days=n * 12)
            self.invoices.append(
                issue(app, bill(ACCOUNT, f"N-{len(self.invoices)}", issued=printed))
            )
            self.due_at_issue[self.invoices[-1]] = app.invoice(self.invoices[-1]).balance > 0
            return
        invoice = self.invoices[pick % len(self.invoices)]
        with contextlib.suppress(DomainError):
            if op == 1:
                self.s.clock.advance(n * 5)
            elif op == 2:
                app.pay_invoice(me, invoice)
            elif op == 3:
                app.pay_invoice(me, invoice, self.today() + timedelta(days=1 + n % 3))
            elif op == 4:
                for payment in app.invoice(invoice).payments:
                    app.cancel_payment(me, invoice, payment["payment_id"])
            else:
                lines = {x["tracking_number"]: x["amount"] for x in app.invoice(invoice).lines}
                asked = app.request_adjustment(me, invoice, "billed twice", lines).result
                app.decide_adjustment(BILLING, invoice, asked, approved=True)

    def settled(self, invoice: UUID) -> bool:
        """Nothing left to pay: paid, or an approval or a credit took the balance to zero."""
        found = self.s.app.invoice(invoice)
        return found.status is InvoiceStatus.PAID or found.balance <= Decimal(0)

    def in_window(self, invoice: UUID) -> bool:
        """Printed in the last twelve months."""
        return self.s.app.invoice(invoice).issued > history_cutoff(self.today())


def _seen_everywhere(s: Stack, ledger: Ledger) -> dict[UUID, bool]:
    """Whether each invoice is in the history list, its detail and the write side's check —
    which must agree."""
    today = s.app.today()
    listed = {
        item.invoice_id
        for item in s.reads.invoices(ledger.company, ADMIN, "HISTORY", today=today, limit=500).items
    }
    seen: dict[UUID, bool] = {}
    for invoice in ledger.invoices:
        detail = s.reads.invoice(invoice, login=ADMIN, today=today) is not None
        try:
            s.app.visible_invoice(ADMIN, invoice)
            checked = True
        except NotFound:
            checked = False
        assert (invoice in listed) == detail == checked, (invoice, listed, detail, checked)
        seen[invoice] = detail
    return seen


def _old_invoices_leave_exactly_when_settled(
    kind: str, server: PostgresServer | None, tmp_path: Path, steps: list[tuple[int, int, int]]
) -> None:
    with stack(kind, tmp_path, server) as s:
        ledger = Ledger(s)
        for op, pick, n in steps:
            ledger.play(op, pick, n)
            s.catch_up()
            for invoice, seen in _seen_everywhere(s, ledger).items():
                expected = ledger.in_window(invoice) or not ledger.settled(invoice)
                assert seen == expected, (s.app.invoice(invoice).issue_date, s.app.today())
        _told_exactly_when_in_view_at_issue(s, ledger)


def _told_exactly_when_in_view_at_issue(s: Stack, ledger: Ledger) -> None:
    """I5 and A7 at the issue, as the outbox judges it: by the day the event was recorded
    (the real one: the store stamps events), a day either side of the cutoff left alone."""
    cutoff = history_cutoff(datetime.now(UTC).date())
    with s.db.read() as tx:
        kinds = tx.all("SELECT subject_id FROM outbox_messages WHERE kind = 'INVOICE_AVAILABLE'")
    told = {subject for (subject,) in kinds}
    for invoice, due in ledger.due_at_issue.items():
        printed = s.app.invoice(invoice).issued
        if abs((printed - cutoff).days) > 1:
            assert (str(invoice) in told) == (printed > cutoff or due), (printed, due)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a7_an_old_invoice_leaves_the_history_exactly_when_settled(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    server = request.getfixturevalue("postgres_instance") if kind == "postgres" else None

    @(POSTGRES_EXAMPLE if server else EXAMPLE)
    @given(steps=days)
    @example(steps=COVERED_BY_CREDIT)
    def holds(steps: list[tuple[int, int, int]]) -> None:
        _old_invoices_leave_exactly_when_settled(kind, server, tmp_path, steps)

    holds()
