"""Bodies of the invoice routes: issuing (I1), lists and details, payments (I3),
adjustment requests and their decisions (I4)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.accounts import AccountRef
from api.schemas.values import (
    Amount,
    Currency,
    Day,
    DecisionComment,
    Description,
    In,
    MethodId,
    Reason,
    Reference,
    example,
)


class LineIn(In):
    """I1: one line of an invoice."""

    tracking_number: Reference
    description: Description
    amount: Amount
    account: AccountRef | None = None  # A8: on a plan's invoice, the shipper account billed


class NewInvoice(In):
    """I1: an invoice the billing system issues for an account."""

    model_config = example(
        {
            "account": {"country": "US", "number": "1A2B3C"},
            "invoice_number": "INV-1001",
            "control_id": "C-77",
            "issue_date": "2025-01-31",
            "due_date": "2025-02-28",
            "currency": "USD",
            "amount": "120.50",
            "lines": [{"tracking_number": "1Z999", "description": "Ground", "amount": "120.50"}],
        }
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
    """One line of an invoice; `account`: the shipper account a plan's line bills (A8)."""

    tracking_number: str
    description: str
    amount: str
    account: AccountRef | None = None


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
    status: Literal["OPEN", "IN_REVIEW", "APPROVED", "REJECTED"]
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
    credit_applied: str = "0.00"  # I10: the account's credit this invoice used
    credit_to_account: str = "0.00"  # I10: approvals beyond its paid balance, now credit


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
    lines: Annotated[list[DisputedLine], Field(max_length=1000)] | None = Field(
        default=None,
        description="I9: approve part of each disputed line (0 to its disputed amount); "
        "omitted: all of it.",
    )


class DecisionOut(BaseModel):
    """200 of a decision."""

    adjustment_id: str
    status: Literal["APPROVED", "REJECTED"]
    position: int
