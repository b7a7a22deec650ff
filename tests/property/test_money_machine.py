"""I3, I10 under random sequences of invoices, payments (made or scheduled), cancellations
and approvals on one account (issue 24).

After every step: no balance is negative; for the account, the payments made, the credit
used and the approvals that reached a balance add up to what was billed minus what is open;
the account's credit is what approvals beyond paid balances earned minus what invoices used
(never negative: no credit is used twice); a scheduled payment always pays exactly the
balance (never an overpayment); replaying the events yields the same invoices and account.
On SQLite and PostgreSQL the read models follow too: each invoice's balance, status and
credit used, and the account's credit, are the write side's after every step.
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager, ExitStack
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import settings, stateful
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from domain.errors import DomainError
from domain.invoice import Invoice
from tests.builders import (
    ACCOUNT,
    ADMIN,
    BILLING,
    TODAY,
    add_payment_method,
    bill,
    billing_center,
    enrolled_company,
    issue,
    person,
    replayed,
    state,
)
from tests.integration.projections_support import Stack, stack

STEPS = 30
AMOUNTS = st.integers(min_value=1, max_value=40_000).map(lambda c: f"{Decimal(c) / 100:.2f}")


class MoneyMachine(RuleBasedStateMachine):
    """One company, one account; the model keeps what each approval did to the balance."""

    def open_store(self) -> AbstractContextManager[Stack] | None:
        """A store with its read models (SQLite, PostgreSQL); None: the domain on memory."""
        return None

    @initialize()
    def enroll(self) -> None:
        self.exits = ExitStack()
        store = self.open_store()
        self.stack = self.exits.enter_context(store) if store else None
        self.app = self.stack.app if self.stack else billing_center()
        self.company = enrolled_company(self.app)
        add_payment_method(self.app, self.company)
        self.invoices: list[UUID] = []
        self.to_balance = Decimal(0)  # approvals that reached a balance (the model's)
        self.earned = Decimal(0)  # approvals beyond the balance (the model's)

    def _invoice(self, index: int) -> Invoice:
        return self.app.invoice(self.invoices[index % len(self.invoices)])

    @rule(amount=AMOUNTS)
    def issue_an_invoice(self, amount: str) -> None:
        number = f"INV-M{len(self.invoices)}"
        issued = TODAY - timedelta(days=1)
        self.invoices.append(issue(self.app, bill(ACCOUNT, number, issued=issued, amount=amount)))

    @precondition(lambda self: self.invoices)
    @rule(index=st.integers(0, 50), later=st.booleans())
    def pay(self, index: int, later: bool) -> None:
        pay_on = TODAY + timedelta(days=5 if later else 0)
        with contextlib.suppress(DomainError):
            self.app.pay_invoice(person(ADMIN), self._invoice(index).id, pay_on)

    @precondition(lambda self: self.invoices)
    @rule(index=st.integers(0, 50))
    def cancel_a_scheduled_payment(self, index: int) -> None:
        invoice = self._invoice(index)
        for payment in invoice.payments:
            with contextlib.suppress(DomainError):
                self.app.cancel_payment(person(ADMIN), invoice.id, payment["payment_id"])

    @precondition(lambda self: self.invoices)
    @rule(index=st.integers(0, 50), line=st.integers(0, 1), share=st.integers(1, 100))
    def approve(self, index: int, line: int, share: int) -> None:
        invoice = self._invoice(index)
        number = invoice.lines[line]["tracking_number"]
        left = invoice._disputable()[number]
        amount = (left * share / 100).quantize(Decimal("0.01"))
        if amount <= 0:
            return
        try:
            asked = self.app.request_adjustment(person(ADMIN), invoice.id, "x", {number: amount})
        except DomainError:
            return
        balance = self.app.invoice(invoice.id).balance
        self.app.decide_adjustment(BILLING, invoice.id, asked.result, approved=True)
        self.to_balance += min(amount, balance)
        self.earned += amount - min(amount, balance)

    def _all(self) -> list[Invoice]:
        return [self.app.invoice(i) for i in self.invoices]

    @invariant()
    def no_balance_is_negative(self) -> None:
        assert all(i.balance >= 0 for i in self._all())

    @invariant()
    def payments_credit_and_approvals_make_up_what_is_no_longer_open(self) -> None:
        invoices = self._all()
        made = sum((p["amount"] for i in invoices for p in i.payments if p["made"]), Decimal(0))
        used = sum((i.credit_applied for i in invoices), Decimal(0))
        billed_minus_open = sum((i.amount - i.balance for i in invoices), Decimal(0))
        assert made + used + self.to_balance == billed_minus_open

    @invariant()
    def the_credit_left_is_earned_minus_used_and_never_negative(self) -> None:
        used = sum((i.credit_applied for i in self._all()), Decimal(0))
        credit = self.app.account(ACCOUNT).credit
        assert credit == self.earned - used
        assert credit >= 0

    @invariant()
    def a_scheduled_payment_pays_exactly_the_balance(self) -> None:
        for invoice in self._all():
            for payment in invoice.payments:
                if not payment["made"]:
                    assert payment["amount"] == invoice.balance > 0

    @invariant()
    def replaying_the_stored_events_yields_the_same_state(self) -> None:
        account = self.app.account(ACCOUNT)
        for aggregate in [*self._all(), account]:
            assert replayed(self.app, aggregate.id) == state(aggregate)

    @invariant()
    def the_read_models_show_what_the_write_side_has(self) -> None:
        if self.stack is None:
            return
        self.stack.catch_up()
        for invoice in self._all():
            seen = self.stack.reads.invoice(invoice.id, login=ADMIN, today=TODAY)
            assert seen is not None
            assert (seen.balance, seen.status, seen.credit_applied) == (
                invoice.balance, invoice.status, invoice.credit_applied
            )  # fmt: skip
        accounts = self.stack.reads.accounts(self.company, visible_to=ADMIN)
        assert [a.credit for a in accounts] == [self.app.account(ACCOUNT).credit]

    def teardown(self) -> None:
        self.exits.close()


MoneyMachine.TestCase.settings = settings(stateful_step_count=STEPS, deadline=None)
TestMoneyMachine = MoneyMachine.TestCase


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_read_models_follow_the_money(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """I3, I10 on a durable store: the invariants above, the read models' included."""
    server = request.getfixturevalue("postgres_instance") if kind == "postgres" else None

    class OnStore(MoneyMachine):
        def open_store(self) -> AbstractContextManager[Stack]:
            return stack(kind, tmp_path, server)

    examples = settings().max_examples // (1 if server is None else 4)
    stateful.run_state_machine_as_test(
        OnStore,
        settings=settings(stateful_step_count=STEPS, max_examples=max(5, examples), deadline=None),
    )
