"""Histories generated through the domain for the projection property tests: invoices,
unenroll/re-enroll cycles, takeovers by another company, users added, removed, their
roles and grants changed between invoices, payments, adjustments, automatic payments."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from hypothesis import strategies as st

from domain.application import BillingCenter
from domain.errors import DomainError
from domain.values import AccountKey, Notification, Role, UnenrollmentReason
from tests.builders import (
    BILLING,
    TODAY,
    add_payment_method,
    bill,
    enrolled_company,
    issue,
    person,
    proven,
)
from tests.integration.projections_support import Stack

ACCOUNTS = (AccountKey("US", "A00001"), AccountKey("US", "A00002"), AccountKey("FR", "B00003"))
LOGINS = ("ursula", "victor", "wanda")
ROLES = tuple(Role)
AGES = (5, 40, 200, 380)  # days before today: the last one is outside A7's window

step = st.tuples(st.integers(0, 12), st.integers(0, 2), st.integers(0, 7), st.integers(0, 5))
histories = st.lists(step, min_size=1, max_size=30)


class History:
    """Plays generated steps against a BillingCenter; refused commands change nothing."""

    def __init__(self, app: BillingCenter) -> None:
        self.app = app
        self.first = enrolled_company(app, "alice", ACCOUNTS[:2])
        self.second = enrolled_company(app, "zoe", ACCOUNTS[2:], proof_number="PROOF-Z")
        for company, admin in ((self.first, "alice"), (self.second, "zoe")):
            add_payment_method(app, company, by=admin)
        self.count = 0
        self.invoices: list[UUID] = []

    def play(self, steps: list[tuple[int, int, int, int]]) -> None:
        for op, a, b, c in steps:
            with contextlib.suppress(DomainError):
                self.do(op, ACCOUNTS[a], b, c)

    def _ga(self, company: UUID) -> str:
        return str(self.app.company(company).general_administrator)

    def _holder(self, account: AccountKey) -> UUID:
        return UUID(self.app.account(account).holder)

    def do(self, op: int, account: AccountKey, b: int, c: int) -> None:  # noqa: PLR0912
        app, login = self.app, LOGINS[b % 3]
        if op == 0:
            self.count += 1
            issued = TODAY - timedelta(days=AGES[c % 4])
            number = f"N-{self.count}"
            self.invoices.append(issue(app, bill(account, number, issued=issued, due=TODAY)))
        elif op == 1:
            holder = self._holder(account)
            app.unenroll_accounts(
                person(self._ga(holder)), holder, [account], UnenrollmentReason.NO_LONGER_NEEDED
            )
        elif op == 2:
            holder = self._holder(account)
            app.reenroll_accounts(person(self._ga(holder)), holder, [account])
        elif op == 3:
            other = self.second if self._holder(account) == self.first else self.first
            self.count += 1
            app.add_account(person(self._ga(other)), other, proven(app, account, f"P-{self.count}"))
        elif op == 4:
            grants = [x for i, x in enumerate(ACCOUNTS) if c >> i & 1]
            app.add_user(
                person("alice"),
                self.first,
                login,
                email=f"{login}@example.com",
                name=login.title(),
                role=ROLES[(b + c) % 6],
                accounts=grants,
            )
        elif op == 5:
            app.change_role(person(self._ga(self.first)), self.first, login, ROLES[c % 6])
        elif op == 6:
            grants = [x for i, x in enumerate(ACCOUNTS) if c >> i & 1]
            app.set_user_accounts(person(self._ga(self.first)), self.first, login, grants)
        elif op == 7:
            app.remove_user(person(self._ga(self.first)), self.first, login, confirmed=True)
        elif op == 8 and self.invoices:
            invoice = self.invoices[-1 - c % len(self.invoices)]
            payer = "alice" if b == 0 else login
            app.pay_invoice(person(payer), invoice)
        elif op == 9:
            app.hand_over(person(self._ga(self.first)), self.first, login)
        elif op == 10:
            holder = self._holder(account)
            app.set_up_autopay(person(self._ga(holder)), holder, account, c)
        elif op == 11 and self.invoices:
            invoice = self.invoices[-1 - c % len(self.invoices)]
            adjustment = app.request_adjustment(
                person("alice"), invoice, "wrong weight", {"TRK-1": Decimal("1.00")}
            ).result
            app.decide_adjustment(BILLING, invoice, adjustment, approved=b == 0)
        elif op == 12:
            app.set_notification_preferences(
                person(login), {k: bool(c >> i & 1) for i, k in enumerate(Notification)}
            )


def play_followed(
    s: Stack, steps: list[tuple[int, int, int, int]], make: type[History] = History
) -> History:
    """The history of `steps` played on `s`, the read models catching up halfway (they follow
    while the history goes on) and at the end, in pages of 7."""
    history = make(s.app)
    half = len(steps) // 2
    history.play(steps[:half])
    s.catch_up(page_size=7)
    history.play(steps[half:])
    s.catch_up(page_size=7)
    return history
