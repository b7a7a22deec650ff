"""What the billing system sends for an invoice (I1): its lines and dates, checked; and the
terms of a payment (I3)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.errors import InvalidInput
from domain.text import LINE_DESCRIPTION
from domain.values import AccountKey, currency, money

_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
"""The dates an invoice may print (issue and due dates; a payment's date lies between):
far enough from `date.min`/`date.max` that no date arithmetic on them overflows."""


def printed_day(value: date, field: str) -> date:
    """A date printed on an invoice, within FIRST_DAY..LAST_DAY (I1)."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise InvalidInput(field, f"a date from {FIRST_DAY} to {LAST_DAY}", rule="I1")
    return value


def invoice_id(account: AccountKey, invoice_number: str) -> UUID:
    """Derived from the account and number: the store refuses a second one (I1)."""
    return uuid5(NAMESPACE_URL, f"billing-center:invoice:{account}:{invoice_number}")


def reference(value: str, field: str) -> str:
    """Invoice numbers, control ids and tracking numbers: 1-40 plain characters."""
    if not _REFERENCE.fullmatch(value):  # `$` would let a final "\n" through
        raise InvalidInput(field, "1 to 40 letters, digits, '.', '_', '/' or '-'", rule="I1")
    return value


@dataclass(frozen=True)
class Line:
    """One line of an invoice: a shipment and what it costs (its description as stored);
    on a plan's invoice, the shipper account it bills (A8)."""

    tracking_number: str
    description: str
    amount: Decimal
    account: AccountKey | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "description", LINE_DESCRIPTION(self.description))


@dataclass(frozen=True)
class Bill:
    """What the billing system says an invoice is (I1)."""

    account: AccountKey
    invoice_number: str
    control_id: str
    issue_date: date
    due_date: date
    currency: str
    amount: Decimal
    lines: tuple[Line, ...]

    def __post_init__(self) -> None:
        reference(self.invoice_number, "invoice_number")
        reference(self.control_id, "control_id")
        currency(self.currency)
        printed_day(self.issue_date, "issue_date")
        printed_day(self.due_date, "due_date")
        if self.due_date < self.issue_date:
            raise InvalidInput("due_date", "on or after the issue date", rule="I1")
        if money(self.amount) <= 0:
            raise InvalidInput("amount", "more than zero", rule="I1")
        self._check_lines()

    def _check_lines(self) -> None:
        if not self.lines:
            raise InvalidInput("lines", "at least one line", rule="I1")
        numbers = [reference(line.tracking_number, "tracking_number") for line in self.lines]
        if len(set(numbers)) != len(numbers):
            raise InvalidInput("lines", "each tracking number once", rule="I1")
        for line in self.lines:
            money(line.amount)
        if sum((line.amount for line in self.lines), Decimal(0)) != self.amount:
            raise InvalidInput("lines", "line amounts that add up to the amount", rule="I1")


@dataclass(frozen=True)
class Payment:
    """I3/I6: who pays, with which method, under which confirmation number."""

    payment_id: str
    confirmation_number: str
    payment_method_id: str
    paid_by: str
    automatic: bool = False
