"""Realistic demo histories, written through the BillingCenter service like real callers.

Each company is enrolled by its general administrator with accounts proven by a recent
invoice (A1), gets users with roles and grants (R3-R9), role changes and notification
toggles, a payment method (R11), an unenroll/re-enroll cycle (A3, A5), an automatic
payment (I6), and its invoices (I1) spread over the past year, some paid (I3) and some
disputed and settled (I4). A simulated clock walks through the year, so proofs and
payments are judged on the day they happen. The same seed gives the same history.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from domain.application import AccountRequest, BankAccount, BillingCenter
from domain.caller import Caller, Scope
from domain.enrollment import Proof
from domain.invoice import Bill, Line
from domain.values import (
    AccountKey,
    AccountType,
    LineOfBusiness,
    Notification,
    Role,
    UnenrollmentReason,
)

BILLING = Caller("demo-ledger", scope=Scope.BILLING_SYSTEM)
YEAR_DAYS = 360
INVOICES_PER_ACCOUNT = 200
"""Invoices spread over accounts so that no account holds more than about this many."""
USER_ROLES = [r for r in Role if r is not Role.ADMINISTRATOR] + [Role.ADMINISTRATOR]


@dataclass
class SimulatedClock:
    """A clock the generator moves forward; BillingCenter reads it for "today"."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(days=YEAR_DAYS))

    def __call__(self) -> datetime:
        return self.now

    def move_to(self, day: date) -> None:
        """Advance to `day` (never backwards)."""
        moved = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        self.now = max(self.now, moved)


@dataclass(frozen=True)
class DemoCompany:
    """What the generator made for one company: who administers it and what it holds."""

    company_id: UUID
    admin: Caller
    users: list[Caller]
    accounts: list[AccountKey]
    invoices: list[UUID]


@dataclass
class DemoGenerator:
    """Writes demo histories into `app`, whose clock must be `clock`."""

    app: BillingCenter
    clock: SimulatedClock
    seed: int = 7
    progress: Callable[[str], None] = lambda _: None

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self.start = self.clock.now.date()

    def seed_companies(self, companies: int, invoices: int, users: int = 10) -> list[DemoCompany]:
        """`companies` companies, each with `users` users and `invoices` invoices."""
        made = [self.company(n, invoices, users) for n in range(companies)]
        self.progress(f"{companies} companies, {companies * invoices} invoices")
        return made

    def company(self, n: int, invoices: int, users: int) -> DemoCompany:
        """One company's whole year."""
        self.clock.now = datetime.combine(self.start, datetime.min.time(), UTC)
        accounts = [AccountKey("US", f"D{n:05d}{a:03d}") for a in range(accounts_for(invoices))]
        admin = Caller(f"admin{n}", email=f"admin{n}@demo.example", name=f"Admin {n}")
        requests = [self._proven(key, f"P{n}") for key in accounts]
        company_id = self.app.enroll_company(admin, f"Demo Carrier Customer {n}", requests).result
        staff = self._users(admin, company_id, accounts, users - 1)
        self._paperwork(admin, company_id, accounts, staff)
        issued = self._year_of_invoices(admin, company_id, accounts, invoices)
        self.progress(f"company {n}: {len(staff) + 1} users, {len(issued)} invoices")
        return DemoCompany(company_id, admin, staff, accounts, issued)

    def _proven(self, key: AccountKey, prefix: str) -> AccountRequest:
        bill = self._bill(key, f"{prefix}-{key.number}-0", self.clock.now.date())
        self.app.issue_invoice(BILLING, bill)
        proof = Proof(bill.invoice_number, bill.issue_date, bill.amount, bill.control_id)
        return AccountRequest(key, LineOfBusiness.PACKAGE, AccountType.INDIVIDUAL, proof)

    def _bill(self, key: AccountKey, number: str, day: date) -> Bill:
        lines = tuple(
            Line(f"1Z{number.replace('-', '')}{i}", f"Shipment {i}", self._amount())
            for i in range(self.random.randint(1, 4))
        )
        total = sum((line.amount for line in lines), Decimal(0))
        due = day + timedelta(days=30)
        return Bill(key, number, f"C{number.replace('-', '')}", day, due, "USD", total, lines)

    def _amount(self) -> Decimal:
        return Decimal(self.random.randint(500, 250_000)) / 100

    def _users(
        self, admin: Caller, company_id: UUID, accounts: list[AccountKey], count: int
    ) -> list[Caller]:
        staff = []
        for i in range(count):
            login = f"{admin.login}-user{i}"
            role = self.random.choice(USER_ROLES)
            grants = self.random.sample(accounts, self.random.randint(1, len(accounts)))
            if role is Role.ADMINISTRATOR:
                grants = []
            email, name = f"{login}@demo.example", f"User {i} of {admin.name}"
            self.app.add_user(admin, company_id, login, email=email, name=name, role=role,
                              accounts=grants)  # fmt: skip
            staff.append(Caller(login, email=email, name=name))
        return staff

    def _paperwork(
        self, admin: Caller, company_id: UUID, accounts: list[AccountKey], staff: list[Caller]
    ) -> None:
        """Role changes, preference toggles, a payment method, an unenroll/re-enroll cycle."""
        for user in self.random.sample(staff, len(staff) // 3):
            role = self.random.choice(USER_ROLES)
            self.app.change_role(admin, company_id, user.login, role)
        for user in self.random.sample(staff, len(staff) // 2):
            kind = self.random.choice(list(Notification))
            self.app.set_notification_preferences(user, {kind: False})
        bank = BankAccount(admin.name, "DEMOBANK", f"DE{self.random.randint(10**19, 10**20)}")
        self.app.add_payment_method(admin, company_id, bank)
        cycled = accounts[-1:]
        self.app.unenroll_accounts(admin, company_id, cycled, UnenrollmentReason.PREFER_PAPER)
        self.app.reenroll_accounts(admin, company_id, cycled)
        self.app.set_up_autopay(admin, company_id, accounts[0], days_before_due=5)

    def _year_of_invoices(
        self, admin: Caller, company_id: UUID, accounts: list[AccountKey], count: int
    ) -> list[UUID]:
        issued = []
        for i in range(count):
            day = self.start + timedelta(days=1 + i * (YEAR_DAYS - 2) // max(count, 1))
            self.clock.move_to(day)
            key = accounts[i % len(accounts)]
            bill = self._bill(key, f"INV-{company_id.hex[:8]}-{i}", day)
            invoice = self.app.issue_invoice(BILLING, bill).result
            self._settle(admin, invoice, bill)
            issued.append(invoice)
        return issued

    def _settle(self, admin: Caller, invoice: UUID, bill: Bill) -> None:
        """Most invoices get paid; about one in ten is disputed, then settled."""
        draw = self.random.random()
        if draw < 0.1:  # noqa: PLR2004 one in ten disputed
            line = bill.lines[0]
            lines = {line.tracking_number: line.amount}
            adjustment = self.app.request_adjustment(admin, invoice, "Damaged parcel", lines)
            approved = self.random.random() < 0.5  # noqa: PLR2004 even odds
            self.app.decide_adjustment(BILLING, invoice, adjustment.result, approved=approved)
        elif draw < 0.8 and self.app.invoice(invoice).status.value == "OPEN":  # noqa: PLR2004
            self.app.pay_invoice(admin, invoice)


def accounts_for(invoices: int) -> int:
    """How many accounts carry `invoices` invoices (at least two, for grants to mean much)."""
    return max(2, -(-invoices // INVOICES_PER_ACCOUNT))
