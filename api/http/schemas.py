"""Request and response bodies of API.md: bounded, strict, with examples.

Input models forbid unknown fields; strings have lengths, amounts are decimal strings with
at most two decimals, dates are `YYYY-MM-DD`, accounts are `{country, number}`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from domain import text
from domain.errors import InvalidInput
from domain.invoice import FIRST_DAY, LAST_DAY
from domain.values import (
    AccountKey,
    AccountType,
    LineOfBusiness,
    Role,
    UnenrollmentReason,
    currency,
)

T = TypeVar("T")

AMOUNT_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
Amount = Annotated[
    str,
    StringConstraints(pattern=AMOUNT_PATTERN, max_length=15),
    Field(description="A decimal string with at most 2 decimals.", examples=["120.50"]),
]
_DAY = re.compile(r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$")
DAYS = f"YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}"


def _calendar_day(value: object) -> object:
    """Only the `YYYY-MM-DD` text form of a date (no timestamps, no datetimes), in the
    years 2000-2099 the domain accepts (I1: printed_day)."""
    if not isinstance(value, str) or not _DAY.match(value):
        raise ValueError(f"a date as {DAYS}")
    return value


Day = Annotated[
    date,
    BeforeValidator(_calendar_day),
    Field(description=DAYS, examples=["2025-01-31"], json_schema_extra={"pattern": _DAY.pattern}),
]
_INSTANT = re.compile(
    r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
INSTANTS = "An RFC 3339 instant with an offset, in the years 2000-2099, e.g. 2025-06-15T12:00:00Z."


def _rfc3339(value: object) -> object:
    """Only RFC 3339 text with an offset: no Unix timestamps, no local times (API.md)."""
    if not isinstance(value, str) or not _INSTANT.match(value):
        raise ValueError(INSTANTS)
    return value


Instant = Annotated[
    datetime,
    BeforeValidator(_rfc3339),
    Field(description=INSTANTS, examples=["2025-06-15T12:00:00Z"],
          json_schema_extra={"pattern": _INSTANT.pattern}),
]  # fmt: skip


@dataclass(frozen=True)
class DomainRule:
    """A field checked by a domain value function (the text rule, the ISO lists), whose limits
    the OpenAPI states. The domain function is the only check, so the limit is written once
    (domain/text.py), counts characters after NFC, and a refusal is a 422 naming the field
    and, through its context, the DOMAIN.md rule."""

    check: Callable[[str], str]
    shown: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: text.FreeText, rule: str | None = None) -> DomainRule:
        """A free-text field of the one table, under `rule` when another than its own."""
        check = replace(spec, rule=rule) if rule else spec
        return cls(check, {"minLength": int(spec.required), "maxLength": spec.limit})

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._checked, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {**handler(schema), **self.shown}

    def _checked(self, value: str) -> str:
        try:
            return self.check(value)
        except InvalidInput as error:
            raise PydanticCustomError(
                "domain_rule", "{detail}", {"detail": error.detail, "rule": error.rule_id}
            ) from None


CompanyName = Annotated[str, DomainRule.of(text.COMPANY_NAME)]
CompanyRename = Annotated[str, DomainRule.of(text.COMPANY_NAME, rule="R10")]
Address = Annotated[str, DomainRule.of(text.COMPANY_ADDRESS)]
Name = Annotated[str, DomainRule.of(text.USER_NAME)]
Holder = Annotated[str, DomainRule.of(text.HOLDER)]
BankCode = Annotated[str, DomainRule.of(text.BANK_CODE)]
UnenrollmentComment = Annotated[str, DomainRule.of(text.UNENROLLMENT_COMMENT)]
Description = Annotated[str, DomainRule.of(text.LINE_DESCRIPTION)]
Reason = Annotated[str, DomainRule.of(text.ADJUSTMENT_REASON)]
DecisionComment = Annotated[str, DomainRule.of(text.DECISION_COMMENT)]
LOGIN_SHOWN = {"minLength": 1, "maxLength": text.LOGIN_LIMIT}
Login = Annotated[
    str,
    DomainRule(text.login, LOGIN_SHOWN),
    Field(
        description="NFKC-casefolded, then a-z 0-9 . _ - @ + | : (first a letter or digit).",
        examples=["bob"],
    ),
]
Email = Annotated[
    str,
    DomainRule(text.email, {"minLength": 3, "maxLength": text.EMAIL_LIMIT}),
    Field(examples=["bob@acme.test"]),
]
Currency = Annotated[
    str,
    DomainRule(currency, {"pattern": "^[A-Z]{3}$"}),
    Field(description="An ISO 4217 code of a currency in use.", examples=["USD"]),
]
Reference = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"),
]
MethodId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]


def amount_text(value: Decimal) -> str:
    """An amount as API.md writes it: two decimals."""
    return f"{value.quantize(Decimal('0.01'))}"


class In(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


# --- accounts --------------------------------------------------------------------------


class AccountRef(In):
    """An account in a body: `{country, number}` (in paths: `US-1A2B3C`)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"country": "US", "number": "1A2B3C"}]}
    )

    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    number: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,20}$")]

    def key(self) -> AccountKey:
        """The domain's account key."""
        return AccountKey(self.country, self.number)

    @classmethod
    def of(cls, key: AccountKey | str) -> AccountRef:
        """From a domain key or its `US-1A2B3C` text."""
        key = AccountKey.recorded(key) if isinstance(key, str) else key
        return cls(country=key.country, number=key.number)


class ProofIn(In):
    """A1: what the company reads off one of the account's three latest invoices."""

    invoice_number: Reference
    invoice_date: Day
    amount: Amount
    control_id: Reference


class NewAccount(AccountRef):
    """A1: an account to add, with its proof."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "country": "US",
                    "number": "1A2B3C",
                    "line_of_business": "PACKAGE",
                    "account_type": "INDIVIDUAL",
                    "proof": {
                        "invoice_number": "INV-1001",
                        "invoice_date": "2025-01-31",
                        "amount": "120.50",
                        "control_id": "C-77",
                    },
                }
            ]
        },
    )

    line_of_business: LineOfBusiness
    account_type: AccountType | None = None
    proof: ProofIn


class AutopayOut(BaseModel):
    """I6: an account's automatic payment."""

    days_before_due: int
    set_up_by: str


class AccountOut(AccountRef):
    """An account as API.md shapes it."""

    line_of_business: str
    account_type: str | None
    status: Literal["ENROLLED", "UNENROLLED"]
    paper_invoices: bool
    autopay: AutopayOut | None


class AccountAdded(BaseModel):
    """201 of adding an account."""

    account: AccountRef
    position: int


class Unenrollment(In):
    """A3: the accounts to unenroll, the reason, and a comment (required with OTHER)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "accounts": [{"country": "US", "number": "1A2B3C"}],
                    "reason": "OTHER",
                    "comment": "moving to paper for the audit season",
                }
            ]
        },
    )

    accounts: Annotated[list[AccountRef], Field(min_length=1, max_length=500)]
    reason: UnenrollmentReason
    comment: UnenrollmentComment = ""


class Reenrollment(In):
    """A5: the accounts to bring back; none (or null) means every unenrolled one."""

    accounts: Annotated[list[AccountRef], Field(max_length=500)] | None = None


class AccountsChanged(BaseModel):
    """200 of unenrolling or re-enrolling: the accounts it changed and their status."""

    accounts: list[AccountRef]
    status: Literal["ENROLLED", "UNENROLLED"]
    position: int


class AutopayIn(In):
    """I6: pay in full a number of days before the due date, with a method or the default."""

    days_before_due: Annotated[int, Field(ge=0, le=60, strict=True, examples=[5])]
    payment_method_id: MethodId | None = None


class AutopaySet(BaseModel):
    """200 of setting up an automatic payment."""

    account: AccountRef
    days_before_due: int
    payment_method_id: str | None
    set_up_by: str
    position: int


# --- companies -----------------------------------------------------------------------


class Enrollment(In):
    """R1: a company's name and its first accounts (one or more, all or none)."""

    name: CompanyName
    accounts: Annotated[list[NewAccount], Field(min_length=1, max_length=50)]


class CompanyCreated(BaseModel):
    """201 of an enrollment."""

    company_id: UUID
    position: int


class CompanyOut(BaseModel):
    """A company as a member sees it; the general administrator only for Administrators."""

    company_id: UUID
    name: str
    address: str
    accounts: int = Field(description="How many of its accounts the caller may see (R4).")
    general_administrator: str | None = None


class CompanyDetails(In):
    """R10: the company's name and address."""

    name: CompanyRename
    address: Address = ""


class CompanyChanged(BaseModel):
    """200 of changing the company's information."""

    company_id: UUID
    name: str
    address: str
    position: int


class HandOver(In):
    """R6: the user who receives the general administrator title."""

    login: Login


class TitleHandedOver(BaseModel):
    """200 of a hand-over."""

    company_id: UUID
    general_administrator: str
    position: int


# --- users ---------------------------------------------------------------------------


class NewUser(In):
    """R5: a user to add, with a role and (for non-Administrators) granted accounts."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "login": "bob",
                    "email": "bob@acme.test",
                    "name": "Bob",
                    "role": "VIEW_PAY",
                    "accounts": [{"country": "US", "number": "1A2B3C"}],
                }
            ]
        },
    )

    login: Login
    email: Email
    name: Name
    role: Role
    accounts: Annotated[list[AccountRef], Field(max_length=500)] = []


class UserCreated(BaseModel):
    """201 of adding a user."""

    login: str
    position: int


class UserOut(BaseModel):
    """A user; `role` and `general_administrator` only where R7 allows (else null)."""

    login: str
    email: str
    name: str
    role: Role | None = None
    accounts: list[AccountRef]
    general_administrator: bool | None = None


class UserChanged(UserOut):
    """200 of a change to a user."""

    position: int


class Profile(In):
    """R10: a user's e-mail and name."""

    email: Email
    name: Name


class RoleIn(In):
    """R3/R9: the new role."""

    role: Role


class Grants(In):
    """R4/R9: exactly the accounts granted (the others are revoked)."""

    accounts: Annotated[list[AccountRef], Field(max_length=500)]


class Preferences(In):
    """R8: the e-mails the user wants."""

    model_config = ConfigDict(extra="forbid")

    INVOICE_AVAILABLE: Annotated[bool, Field(strict=True)]
    PAYMENT_RECEIVED: Annotated[bool, Field(strict=True)]
    ADJUSTMENT_UPDATED: Annotated[bool, Field(strict=True)]


class PreferencesChanged(BaseModel):
    """200 of setting one's notification preferences."""

    INVOICE_AVAILABLE: bool
    PAYMENT_RECEIVED: bool
    ADJUSTMENT_UPDATED: bool
    position: int


class MyCompany(BaseModel):
    """The company of `/v1/me`."""

    company_id: UUID
    name: str


class Me(BaseModel):
    """`/v1/me`: who the caller is; the role only for Administrators (R7)."""

    login: str
    scope: str | None = None
    email: str | None = None
    name: str | None = None
    company: MyCompany | None = None
    role: Role | None = None
    general_administrator: bool = False
    accounts: list[AccountRef] = []


# --- payment methods (R11) -------------------------------------------------------------


class NewPaymentMethod(In):
    """R11: a bank account; the first one added is the default."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"holder": "Acme Inc.", "bank_code": "021000021", "account_number": "000123456789"}
            ]
        },
    )

    holder: Holder
    bank_code: BankCode
    account_number: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 ]{4,40}$")]
    default: Annotated[bool, Field(strict=True)] = False


class PaymentMethodCreated(BaseModel):
    """201 of adding a payment method."""

    payment_method_id: str
    position: int


class PaymentMethodOut(BaseModel):
    """A payment method, its number masked (R11)."""

    payment_method_id: str
    holder: str
    bank_code: str
    account_number: str = Field(examples=["****6789"])
    default: bool


class DefaultChanged(BaseModel):
    """200 of making a payment method the default."""

    payment_method_id: str
    default: bool
    position: int


# --- invoices ------------------------------------------------------------------------


class LineIn(In):
    """I1: one line of an invoice."""

    tracking_number: Reference
    description: Description
    amount: Amount


class NewInvoice(In):
    """I1: an invoice the billing system issues for an account."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "account": {"country": "US", "number": "1A2B3C"},
                    "invoice_number": "INV-1001",
                    "control_id": "C-77",
                    "issue_date": "2025-01-31",
                    "due_date": "2025-02-28",
                    "currency": "USD",
                    "amount": "120.50",
                    "lines": [
                        {"tracking_number": "1Z999", "description": "Ground", "amount": "120.50"}
                    ],
                }
            ]
        },
    )

    account: AccountRef
    invoice_number: Reference
    control_id: Reference
    issue_date: Day
    due_date: Day
    currency: Currency
    amount: Amount
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=1000)]


class InvoiceCreated(BaseModel):
    """201 of issuing an invoice."""

    invoice_id: UUID
    position: int


class InvoiceOut(BaseModel):
    """An invoice as a list item (API.md Shapes)."""

    invoice_id: UUID
    invoice_number: str
    account: AccountRef
    issue_date: date
    due_date: date
    currency: str
    amount: str = Field(examples=["120.50"])
    balance: str = Field(examples=["120.50"])
    status: Literal["OPEN", "PAYMENT_SCHEDULED", "PAID"]
    section: Literal["HISTORY", "ARCHIVE"]


class LineOut(BaseModel):
    """One line of an invoice."""

    tracking_number: str
    description: str
    amount: str


class PaymentOut(BaseModel):
    """A payment made or scheduled (I3, I6)."""

    payment_id: str
    confirmation_number: str
    payment_method_id: str
    paid_by: str
    automatic: bool
    amount: str
    pay_on: date
    made: bool


class AdjustmentOut(BaseModel):
    """An adjustment request and its decision (I4)."""

    adjustment_id: str
    reason: str
    lines: dict[str, str]
    requested_by: str
    status: Literal["OPEN", "APPROVED", "REJECTED"]
    comment: str


class DocumentOut(BaseModel):
    """A document attached to an invoice (I7)."""

    document_id: str
    filename: str
    size: int
    sha256: str


class InvoiceDetailOut(InvoiceOut):
    """An invoice in detail."""

    lines: list[LineOut]
    payments: list[PaymentOut]
    adjustments: list[AdjustmentOut]
    documents: list[DocumentOut]


class PaymentIn(In):
    """I3: pay the whole balance on a date (default today) with a method (default the default)."""

    pay_on: Day | None = None
    payment_method_id: MethodId | None = None


class PaymentCreated(BaseModel):
    """201 of a payment."""

    payment_id: str
    confirmation_number: str
    pay_on: date
    status: Literal["PAYMENT_SCHEDULED", "PAID"]
    position: int


class DisputedLine(In):
    """I4: a disputed line and the amount asked back."""

    tracking_number: Reference
    amount: Amount


class AdjustmentIn(In):
    """I4: the reason and the disputed lines."""

    reason: Reason
    lines: Annotated[list[DisputedLine], Field(min_length=1, max_length=1000)]


class AdjustmentCreated(BaseModel):
    """201 of an adjustment request."""

    adjustment_id: str
    position: int


class Decision(In):
    """I4: the billing system's decision."""

    approved: Annotated[bool, Field(strict=True)]
    comment: DecisionComment = ""


class DecisionOut(BaseModel):
    """200 of a decision."""

    adjustment_id: str
    status: Literal["APPROVED", "REJECTED"]
    position: int


# --- lists ---------------------------------------------------------------------------


class Page(BaseModel, Generic[T]):
    """A page of a list; pass `next` back as `cursor` (null: no more)."""

    items: list[T]
    next: str | None
