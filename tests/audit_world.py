"""A small billing center for the audit tests: a private (C4) BillingCenter on any store,
a fixed clock, people, bills and an enrolled company."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from domain.application import AccountRequest
from domain.caller import Caller, Scope
from domain.enrollment import Proof
from domain.invoice import Bill, Line
from domain.values import AccountKey, AccountType, LineOfBusiness, Role
from projections.audit.privacy import PrivateBillingCenter
from store.url import eventsourcing_env

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
ACCOUNT = AccountKey("US", "A00001")
BILLING = Caller("ledger", scope=Scope.BILLING_SYSTEM)


class PlainBox:
    """A secret box that only marks what it seals (bank numbers are not under test)."""

    def seal(self, plaintext: str) -> str:
        return f"sealed:{plaintext}"

    def open(self, sealed: str) -> str:
        return sealed.removeprefix("sealed:")


@dataclass
class Clock:
    """Stands still until moved."""

    now: datetime = field(default=NOW)

    def __call__(self) -> datetime:
        return self.now


def center(url: str = "memory://", clock: Clock | None = None) -> PrivateBillingCenter:
    """A private BillingCenter on the store at `url`."""
    return PrivateBillingCenter(
        eventsourcing_env(url), secret_box=PlainBox(), clock=clock or Clock()
    )


def person(login: str) -> Caller:
    """A person with an e-mail and a name."""
    return Caller(login, email=f"{login}@example.com", name=login.title())


def bill(account: AccountKey, number: str, issued: date) -> Bill:
    """A one-line invoice."""
    amount = Decimal("100.00")
    lines = (Line("TRK-1", "Ground parcel", amount),)
    due = issued + timedelta(days=30)
    return Bill(account, number, "CTRL-1", issued, due, "USD", amount, lines)


def issue(app: PrivateBillingCenter, account: AccountKey, number: str) -> UUID:
    """The billing system issues an invoice printed ten days ago."""
    return app.issue_invoice(BILLING, bill(account, number, app.today() - timedelta(10))).result


def proven(app: PrivateBillingCenter, account: AccountKey, number: str) -> AccountRequest:
    """A1: a request for `account`, proven by an invoice issued just now."""
    printed = bill(account, number, app.today() - timedelta(10))
    app.issue_invoice(BILLING, printed)
    proof = Proof(number, printed.issue_date, printed.amount, printed.control_id)
    return AccountRequest(account, LineOfBusiness.PACKAGE, AccountType.INDIVIDUAL, proof)


def company(app: PrivateBillingCenter, admin: str = "alice", account: AccountKey = ACCOUNT) -> UUID:
    """R1: `admin` enrolls a company with `account`."""
    request = proven(app, account, f"PROOF-{admin}")
    return app.enroll_company(person(admin), "Acme", [request]).result


def add_user(
    app: PrivateBillingCenter,
    company_id: UUID,
    login: str,
    role: Role,
    *,
    accounts: tuple[AccountKey, ...] = (),
    by: str = "alice",
) -> None:
    """R5: `by` adds `login`."""
    email, name = f"{login}@example.com", login.title()
    app.add_user(person(by), company_id, login, email=email, name=name, role=role,
                 accounts=accounts)  # fmt: skip


def instant() -> datetime:
    """The real now (events are stamped with the real clock)."""
    return datetime.now(UTC)
