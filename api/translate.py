"""Between the HTTP bodies and the domain's values (amounts, accounts, view rows)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

import orjson
from fastapi import Response

from api.schemas import (
    AccountOut,
    AccountRef,
    AdjustmentOut,
    AutopayOut,
    DocumentOut,
    InvoiceDetailOut,
    InvoiceOut,
    LineOut,
    NewAccount,
    PaymentMethodOut,
    PaymentOut,
    UserOut,
    amount_text,
)
from domain.application import AccountRequest
from domain.enrollment import Proof
from domain.values import AccountKey, Role
from projections.queries import (
    AccountView,
    InvoiceDetail,
    InvoiceRow,
    InvoiceView,
    PaymentMethodView,
    UserView,
)


def account_request(body: NewAccount) -> AccountRequest:
    """A1: an account to add, as the domain takes it."""
    proof = body.proof
    return AccountRequest(
        account=body.key(),
        line_of_business=body.line_of_business,
        account_type=body.account_type,
        proof=Proof(
            proof.invoice_number, proof.invoice_date, Decimal(proof.amount), proof.control_id
        ),
    )


def keys(accounts: list[AccountRef]) -> list[AccountKey]:
    """Accounts of a body as domain keys."""
    return [a.key() for a in accounts]


def user_out(view: UserView, *, with_role: bool) -> UserOut:
    """A user row; the role and title only where R7 allows."""
    return UserOut(
        login=view.login,
        email=view.email,
        name=view.name,
        role=Role(view.role) if with_role else None,
        accounts=[AccountRef.of(a) for a in view.accounts],
        general_administrator=view.general_administrator if with_role else None,
    )


def account_out(view: AccountView) -> AccountOut:
    """An account row."""
    autopay = view.autopay
    return AccountOut(
        country=view.country,
        number=view.number,
        line_of_business=view.line_of_business,
        account_type=view.account_type,
        status="ENROLLED" if view.status == "ENROLLED" else "UNENROLLED",
        paper_invoices=view.paper_invoices,
        autopay=AutopayOut(days_before_due=autopay.days_before_due, set_up_by=autopay.set_up_by)
        if autopay
        else None,
        credit=amount_text(view.credit),
        members=[AccountRef.of(m) for m in view.members],
    )


def method_out(view: PaymentMethodView) -> PaymentMethodOut:
    """A payment method, masked (R11)."""
    return PaymentMethodOut(
        payment_method_id=view.payment_method_id,
        holder=view.holder,
        bank_code=view.bank_code,
        account_number=view.account_number,
        default=view.default,
    )


def _invoice_fields(view: InvoiceView) -> dict[str, object]:
    return {
        "invoice_id": view.invoice_id,
        "invoice_number": view.invoice_number,
        "account": AccountRef.of(view.account),
        "issue_date": view.issue_date,
        "due_date": view.due_date,
        "currency": view.currency,
        "amount": amount_text(view.amount),
        "balance": amount_text(view.balance),
        "status": view.status,
        "section": view.section,
    }


def invoice_out(view: InvoiceView) -> InvoiceOut:
    """An invoice list item."""
    return InvoiceOut.model_validate(_invoice_fields(view))


_TWO_DECIMALS = re.compile(r"-?[0-9]+\.[0-9]{2}")


def invoice_item(row: InvoiceRow) -> dict[str, str | dict[str, str]]:
    """An invoice list item exactly as `InvoiceOut` serialises it, straight from the stored
    text: the id and ISO dates are stored in the form pydantic writes them, amounts are
    re-formatted only when not already two-decimal. Building and validating the models,
    and before them the ids, dates and decimals, took most of a list's CPU (issue 5)."""
    country, _, number = row.account.partition("-")
    return {
        "invoice_id": row.invoice_id,
        "invoice_number": row.invoice_number,
        "account": {"country": country, "number": number},
        "issue_date": row.issue_date,
        "due_date": row.due_date,
        "currency": row.currency,
        "amount": _amount(row.amount),
        "balance": _amount(row.balance),
        "status": row.status,
        "section": row.section,
    }


def _amount(stored: str) -> str:
    return stored if _TWO_DECIMALS.fullmatch(stored) else amount_text(Decimal(stored))


def invoice_page(items: Sequence[InvoiceRow], next_cursor: str | None) -> Response:
    """A `Page[InvoiceOut]` answer, the same bytes as FastAPI would send for the models."""
    body = {"items": [invoice_item(row) for row in items], "next": next_cursor}
    return Response(orjson.dumps(body), media_type="application/json")


def invoice_detail_out(view: InvoiceDetail) -> InvoiceDetailOut:
    """An invoice in detail."""
    return InvoiceDetailOut.model_validate(
        {
            **_invoice_fields(view),
            "lines": [
                LineOut(
                    tracking_number=x.tracking_number,
                    description=x.description,
                    amount=amount_text(x.amount),
                    account=None if x.account is None else AccountRef.of(x.account),
                )
                for x in view.lines
            ],
            "payments": [
                PaymentOut(**{**vars(p), "amount": amount_text(p.amount)}) for p in view.payments
            ],
            "adjustments": [
                AdjustmentOut(
                    **{**vars(a), "lines": {k: amount_text(v) for k, v in a.lines.items()}}
                )
                for a in view.adjustments
            ],
            "documents": [
                DocumentOut(
                    document_id=d.document_id, filename=d.filename, size=d.size, sha256=d.sha256
                )
                for d in view.documents
            ],
            "credit_applied": amount_text(view.credit_applied),
            "credit_to_account": amount_text(view.credit_to_account),
        }
    )
