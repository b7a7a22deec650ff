"""Bodies of the company routes: enrollment (R1), the company's information (R10), the
general administrator's title (R6) and its payment methods (R11)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from api.schemas.accounts import NewAccount
from api.schemas.values import (
    Address,
    BankCode,
    CompanyName,
    CompanyRename,
    Holder,
    In,
    Login,
    ReassignmentReason,
    example,
)


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


class CompanyClosedOut(BaseModel):
    """200 of closing a company (R14)."""

    company_id: UUID
    position: int


class Reassignment(In):
    """R6: the Administrator the billing system gives the title to, and why."""

    login: Login
    reason: ReassignmentReason


class TitleHandedOver(BaseModel):
    """200 of a hand-over."""

    company_id: UUID
    general_administrator: str
    position: int


class NewPaymentMethod(In):
    """R11: a bank account; the first one added is the default."""

    model_config = example(
        {"holder": "Acme Inc.", "bank_code": "021000021", "account_number": "000123456789"}
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
