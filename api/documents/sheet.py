"""What a printed invoice shows, taken from what the domain lets one caller see.

The PDF is drawn from this plain record, not from the aggregate, so the renderer knows
nothing of events and the record names no other user (payments show no payer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from domain.application import Visible
from domain.values import Section


@dataclass(frozen=True)
class SheetLine:
    """One shipment billed; on a plan's invoice, the shipper account it bills (A8)."""

    tracking_number: str
    description: str
    amount: Decimal
    account: str = ""


@dataclass(frozen=True)
class SheetAdjustment:
    """An adjustment request (I4) and what it credited."""

    reason: str
    tracking_numbers: tuple[str, ...]
    requested: Decimal
    status: str
    credited: Decimal


@dataclass(frozen=True)
class SheetPayment:
    """A payment made or scheduled (I3, I6)."""

    confirmation_number: str
    on: date
    amount: Decimal
    made: bool


@dataclass(frozen=True)
class InvoiceSheet:
    """Everything the invoice PDF prints."""

    company: str
    address: str
    account: str
    invoice_number: str
    control_id: str
    issue_date: date
    due_date: date
    currency: str
    amount: Decimal
    balance: Decimal
    status: str
    archive: bool
    lines: tuple[SheetLine, ...]
    adjustments: tuple[SheetAdjustment, ...] = ()
    payments: tuple[SheetPayment, ...] = ()
    documents: tuple[str, ...] = ()
    credit_applied: Decimal = Decimal(0)  # I10: the account's credit this invoice used
    credit_to_account: Decimal = Decimal(0)  # I10: approvals beyond its paid balance

    @property
    def credited(self) -> Decimal:
        """The total that approved adjustments took off the amount."""
        return sum((a.credited for a in self.adjustments), Decimal(0))

    @property
    def paid(self) -> Decimal:
        """The total of payments made (scheduled ones are not yet paid)."""
        return sum((p.amount for p in self.payments if p.made), Decimal(0))


def sheet_of(seen: Visible) -> InvoiceSheet:
    """The printable invoice, as the caller who loaded `seen` may see it."""
    invoice = seen.invoice
    return InvoiceSheet(
        company=seen.company.name,
        address=seen.company.address,
        account=invoice.account,
        invoice_number=invoice.invoice_number,
        control_id=invoice.control_id,
        issue_date=invoice.issued,
        due_date=invoice.due,
        currency=invoice.currency,
        amount=Decimal(invoice.amount),
        balance=Decimal(invoice.balance),
        status=invoice.status.value,
        archive=seen.section is Section.ARCHIVE,
        lines=tuple(_line(x) for x in invoice.lines),
        adjustments=tuple(_adjustment(x) for x in invoice.adjustments.values()),
        payments=tuple(_payment(x) for x in invoice.payments),
        documents=tuple(d["filename"] for d in invoice.documents),
        credit_applied=invoice.credit_applied,
        credit_to_account=invoice.credit_earned,
    )


def _line(line: dict[str, Any]) -> SheetLine:
    amount = Decimal(line["amount"])
    return SheetLine(line["tracking_number"], line["description"], amount, line.get("account", ""))


def _adjustment(request: dict[str, Any]) -> SheetAdjustment:
    requested = sum((Decimal(x) for x in request["lines"].values()), Decimal(0))
    credited = requested if request["status"] == "APPROVED" else Decimal(0)
    return SheetAdjustment(
        reason=request["reason"],
        tracking_numbers=tuple(request["lines"]),
        requested=requested,
        status=request["status"],
        credited=credited,
    )


def _payment(payment: dict[str, Any]) -> SheetPayment:
    return SheetPayment(
        confirmation_number=payment["confirmation_number"],
        on=date.fromisoformat(payment["pay_on"]),
        amount=Decimal(payment["amount"]),
        made=bool(payment["made"]),
    )
