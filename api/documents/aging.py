"""Aging of what is still due: each unpaid invoice's balance in a bucket by days past due,
summed per currency (the history page's table, and the statement's, R12)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.visibility import outstanding
from projections.queries import InvoiceView

BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


def is_due(invoice: InvoiceView) -> bool:
    """Whether something is still to pay on the invoice (what aging and statements count,
    and what keeps an old one in the history: A7)."""
    return outstanding(invoice.status, invoice.balance)


def bucket(invoice: InvoiceView, today: date) -> str:
    """How far past due an unpaid invoice is."""
    late = (today - invoice.due_date).days
    if late <= 0:
        return "current"
    for bound, name in ((30, "1-30"), (60, "31-60"), (90, "61-90")):
        if late <= bound:
            return name
    return "90+"


def aging(rows: list[InvoiceView], today: date) -> dict[str, dict[str, Decimal]]:
    """Outstanding balances per currency and age bucket, with a total per currency."""
    table: dict[str, dict[str, Decimal]] = {}
    for invoice in rows:
        if not is_due(invoice):
            continue
        sums = table.setdefault(invoice.currency, {b: Decimal(0) for b in (*BUCKETS, "total")})
        sums[bucket(invoice, today)] += invoice.balance
        sums["total"] += invoice.balance
    return table
