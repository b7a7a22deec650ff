"""Value types of the billing center: accounts, roles, money, reasons and sections."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from enum import StrEnum

from domain.errors import InvalidInput
from domain.iso import COUNTRIES, CURRENCIES


class Role(StrEnum):
    """The six roles of R2."""

    VIEW_ONLY = "VIEW_ONLY"
    VIEW_ADJUST = "VIEW_ADJUST"
    VIEW_PAY = "VIEW_PAY"
    VIEW_PAY_ADJUST = "VIEW_PAY_ADJUST"
    PLAN_MANAGER = "PLAN_MANAGER"
    ADMINISTRATOR = "ADMINISTRATOR"


class LineOfBusiness(StrEnum):
    """A1: what the account is used for."""

    PACKAGE = "PACKAGE"
    FREIGHT = "FREIGHT"
    SUPPLY_CHAIN = "SUPPLY_CHAIN"


class AccountType(StrEnum):
    """A1: only for PACKAGE accounts."""

    INDIVIDUAL = "INDIVIDUAL"
    CONSOLIDATED_PAYMENT_PLAN = "CONSOLIDATED_PAYMENT_PLAN"


class UnenrollmentReason(StrEnum):
    """A3: why an account leaves the billing center."""

    NO_LONGER_NEEDED = "NO_LONGER_NEEDED"
    PREFER_PAPER = "PREFER_PAPER"
    ACCOUNT_CLOSED = "ACCOUNT_CLOSED"
    OTHER = "OTHER"


class Notification(StrEnum):
    """R8: the e-mails a user may opt out of."""

    INVOICE_AVAILABLE = "INVOICE_AVAILABLE"
    PAYMENT_RECEIVED = "PAYMENT_RECEIVED"
    ADJUSTMENT_UPDATED = "ADJUSTMENT_UPDATED"


class Section(StrEnum):
    """Where an invoice stands for one company (A4, A6, I2)."""

    HISTORY = "HISTORY"
    ARCHIVE = "ARCHIVE"
    HIDDEN = "HIDDEN"


class InvoiceStatus(StrEnum):
    """The payment status shown on an invoice (API shapes)."""

    OPEN = "OPEN"
    PAYMENT_SCHEDULED = "PAYMENT_SCHEDULED"
    PAID = "PAID"


CENT = Decimal("0.01")
_ACCOUNT_NUMBER = re.compile(r"^[A-Z0-9]{1,20}$")


@dataclass(frozen=True, order=True)
class AccountKey:
    """A shipper account: country (ISO 3166-1 alpha-2) and number; `US-1A2B3C` as text."""

    country: str
    number: str

    def __post_init__(self) -> None:
        if self.country not in COUNTRIES:
            raise InvalidInput(
                "country", "an assigned ISO 3166-1 alpha-2 code such as US", rule="A1"
            )
        if not _ACCOUNT_NUMBER.fullmatch(self.number):  # `$` would let a final "\n" through
            raise InvalidInput("number", "1 to 20 capital letters or digits", rule="A1")

    def __str__(self) -> str:
        return f"{self.country}-{self.number}"

    @classmethod
    def parse(cls, text: str) -> AccountKey:
        """Read the `US-1A2B3C` form used in paths and events."""
        country, sep, number = text.partition("-")
        if not sep:
            raise InvalidInput("account", "COUNTRY-NUMBER, such as US-1A2B3C", rule="A1")
        return cls(country, number)

    @classmethod
    def recorded(cls, text: str) -> AccountKey:
        """An account as an event recorded it: not judged again by today's rules (a store
        written before the ISO list was checked may hold other codes)."""
        country, _, number = text.partition("-")
        key = object.__new__(cls)
        object.__setattr__(key, "country", country)
        object.__setattr__(key, "number", number)
        return key


def money(value: Decimal | str | int) -> Decimal:
    """An amount with at most two decimals (API values)."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError) as error:
        raise InvalidInput("amount", "a decimal number such as 120.50") from error
    if not amount.is_finite() or amount != amount.quantize(CENT, rounding=ROUND_DOWN):
        raise InvalidInput("amount", "a decimal number with at most 2 decimals")
    return amount.quantize(CENT)


def country(code: str) -> str:
    """A1: an assigned ISO 3166-1 alpha-2 code (domain/iso.py)."""
    if code not in COUNTRIES:
        raise InvalidInput("country", "an assigned ISO 3166-1 alpha-2 code such as US", rule="A1")
    return code


def currency(code: str) -> str:
    """I1: an ISO 4217 code of a currency in use (domain/iso.py)."""
    if code not in CURRENCIES:
        raise InvalidInput("currency", "an ISO 4217 currency code such as USD", rule="I1")
    return code
