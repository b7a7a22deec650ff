"""Builders that let domain tests read as specifications: a billing center on memory with a
fake secret box and a fixed clock, callers, bills, proofs, and enrolled companies.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

import pytest
from eventsourcing.application import project_aggregate

from domain.application import AccountRequest, BankAccount, BillingCenter
from domain.caller import Caller, Scope
from domain.enrollment import Proof
from domain.errors import DomainError
from domain.invoice import Bill, Line
from domain.values import AccountKey, AccountType, LineOfBusiness, Role, UnenrollmentReason

E = TypeVar("E", bound=DomainError)

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}

ADMIN = "alice"
ACCOUNT = AccountKey("US", "A00001")
OTHER_ACCOUNT = AccountKey("US", "A00002")
THIRD_ACCOUNT = AccountKey("FR", "B00003")
BANK_NUMBER = "DE89370400440532013000"

BILLING = Caller("ledger", scope=Scope.BILLING_SYSTEM)


class FakeSecretBox:
    """Seals by remembering: the token says nothing of the plaintext."""

    def __init__(self) -> None:
        self.sealed: dict[str, str] = {}

    def seal(self, plaintext: str) -> str:
        token = f"sealed-{len(self.sealed) + 1}"
        self.sealed[token] = plaintext
        return token

    def open(self, sealed: str) -> str:
        return self.sealed[sealed]


@dataclass
class FixedClock:
    """A clock that stands still until a test moves it."""

    now: datetime = field(default=NOW)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: int) -> None:
        self.now += timedelta(days=days)


def billing_center(
    env: dict[str, str] | None = None, clock: FixedClock | None = None
) -> BillingCenter:
    """A BillingCenter on memory (or `env`) with a fake secret box and a fixed clock."""
    return BillingCenter(env or MEMORY, secret_box=FakeSecretBox(), clock=clock or FixedClock())


def person(login: str) -> Caller:
    """A person with an e-mail address and a name."""
    return Caller(login, email=f"{login}@example.com", name=login.title())


def bill(
    account: AccountKey = ACCOUNT,
    number: str = "INV-1",
    *,
    issued: date = TODAY - timedelta(days=10),
    due: date | None = None,
    amount: str = "100.00",
    control_id: str = "CTRL-1",
) -> Bill:
    """An invoice as the billing system delivers it: two lines that add up to `amount`."""
    total = Decimal(amount)
    first = (total * Decimal("0.6")).quantize(Decimal("0.01"))
    lines = (Line("TRK-1", "Ground parcel", first), Line("TRK-2", "Express parcel", total - first))
    return Bill(
        account,
        number,
        control_id,
        issued,
        due or issued + timedelta(days=30),
        "USD",
        total,
        lines,
    )


def issue(app: BillingCenter, invoice: Bill) -> UUID:
    """The billing system issues `invoice`; its id."""
    return app.issue_invoice(BILLING, invoice).result


def proof_of(invoice: Bill) -> Proof:
    """A1: what a company reads off `invoice` to prove its account."""
    return Proof(invoice.invoice_number, invoice.issue_date, invoice.amount, invoice.control_id)


def request(
    invoice: Bill,
    line: LineOfBusiness = LineOfBusiness.PACKAGE,
    kind: AccountType | None = AccountType.INDIVIDUAL,
) -> AccountRequest:
    """An account request proven by `invoice`."""
    return AccountRequest(invoice.account, line, kind, proof_of(invoice))


def proven(app: BillingCenter, account: AccountKey, number: str = "PROOF-1") -> AccountRequest:
    """An account request proven by a recent invoice the billing system just issued."""
    invoice = bill(account, number)
    issue(app, invoice)
    return request(invoice)


def enrolled_company(
    app: BillingCenter,
    admin: str = ADMIN,
    accounts: tuple[AccountKey, ...] = (ACCOUNT,),
    proof_number: str = "PROOF-1",
) -> UUID:
    """R1: a company enrolled by `admin` with `accounts`, each proven by a recent invoice."""
    requests = [proven(app, account, proof_number) for account in accounts]
    return app.enroll_company(person(admin), "Acme", requests).result


def a_company() -> tuple[BillingCenter, UUID]:
    """A new BillingCenter where ADMIN has enrolled a company holding ACCOUNT (R1)."""
    app = billing_center()
    return app, enrolled_company(app)


def an_invoice(number: str = "INV-1") -> tuple[BillingCenter, UUID]:
    """A new BillingCenter where ADMIN's company holds ACCOUNT, billed `number` (100.00)."""
    app = billing_center()
    enrolled_company(app)
    return app, issue(app, bill(ACCOUNT, number))


def billed_on_paper(app: BillingCenter, company: UUID) -> UUID:
    """A6: ACCOUNT unenrolled, billed PAPER-1 meanwhile, then re-enrolled; the paper invoice."""
    unenroll(app, company)
    paper = issue(app, bill(ACCOUNT, "PAPER-1"))
    reenroll(app, company)
    return paper


def add_user(
    app: BillingCenter,
    company: UUID,
    login: str,
    role: Role,
    accounts: tuple[AccountKey, ...] = (),
    *,
    by: str = ADMIN,
) -> str:
    """R5: `by` adds `login` to the company."""
    email, name = f"{login}@example.com", login.title()
    return app.add_user(
        person(by), company, login, email=email, name=name, role=role, accounts=accounts
    ).result


def add_payment_method(
    app: BillingCenter, company: UUID, by: str = ADMIN, number: str = BANK_NUMBER
) -> str:
    """R11: the general administrator adds a bank account; its id."""
    bank = BankAccount("Acme Inc", "COBADEFF", number)
    return app.add_payment_method(person(by), company, bank).result


@contextmanager
def refused(
    app: BillingCenter, error: type[E], rule: str | None
) -> Iterator[pytest.ExceptionInfo[E]]:
    """The block raises `error` naming `rule`, and the store is left as it was."""
    before = app.head()
    with pytest.raises(error) as caught:
        yield caught
    assert caught.value.rule_id == rule
    assert app.head() == before


def unenroll(app: BillingCenter, company: UUID, *accounts: AccountKey, by: str = ADMIN) -> None:
    """A3: the general administrator unenrolls `accounts` (ACCOUNT by default)."""
    reason = UnenrollmentReason.NO_LONGER_NEEDED
    app.unenroll_accounts(person(by), company, list(accounts or (ACCOUNT,)), reason)


def reenroll(app: BillingCenter, company: UUID, *accounts: AccountKey, by: str = ADMIN) -> None:
    """A5: an Administrator re-enrolls `accounts` (ACCOUNT by default)."""
    app.reenroll_accounts(person(by), company, list(accounts or (ACCOUNT,)))


def event_names(app: BillingCenter, aggregate_id: UUID) -> list[str]:
    """The names of an aggregate's stored events, in order."""
    return [type(e).__name__ for e in app.events.get(aggregate_id)]


def state(aggregate: object) -> dict[str, object]:
    """An aggregate's state, without the events it has not saved."""
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def replayed(app: BillingCenter, aggregate_id: UUID) -> dict[str, object]:
    """C1: the state rebuilt from the aggregate's stored events alone."""
    return state(project_aggregate(None, app.events.get(aggregate_id)))
