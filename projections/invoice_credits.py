"""The invoices projection's handlers for cancelled and re-quoted payments (I3, I10) and
credits (I10), kept beside `projections.invoices` (a mixin of its `Invoices`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from projections.events import EventRecord
from store.database import Tx


class InvoiceRows(Protocol):
    """What the handlers below need of the projection they are mixed into (`Invoices`)."""

    def _load(self, tx: Tx, e: EventRecord) -> tuple[Decimal, dict[str, Any]]: ...

    def _store(self, tx: Tx, e: EventRecord, balance: Decimal, detail: dict[str, Any]) -> None: ...


class CreditHandlers:
    """I3, I10: what a cancelled or re-quoted payment and a credit do to an invoice row."""

    def on_PaymentCancelled(self: InvoiceRows, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        """I3: a scheduled payment cancelled (by a user, or by an approval, I10)."""
        balance, detail = self._load(tx, e)
        gone = e.data["payment_id"]
        detail["payments"] = [p for p in detail["payments"] if p["payment_id"] != gone]
        self._store(tx, e, balance, detail)

    def on_PaymentRequoted(self: InvoiceRows, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        """I10: an approval left less to pay: the scheduled payment pays that."""
        balance, detail = self._load(tx, e)
        for payment in detail["payments"]:
            if payment["payment_id"] == e.data["payment_id"]:
                payment["amount"] = str(e.data["amount"])
        self._store(tx, e, balance, detail)

    def on_CreditApplied(self: InvoiceRows, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        """I10: the account's credit settled part of this new invoice."""
        _credit(self, tx, e, "credit_applied", Decimal(e.data["amount"]))

    def on_ApprovalCredited(self: InvoiceRows, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        """I10: an approval beyond the outstanding balance went to the account."""
        _credit(self, tx, e, "credit_to_account", Decimal(0))


def _credit(rows: InvoiceRows, tx: Tx, e: EventRecord, field: str, off_balance: Decimal) -> None:
    balance, detail = rows._load(tx, e)
    detail[field] = str(Decimal(detail.get(field, "0")) + Decimal(e.data["amount"]))
    rows._store(tx, e, balance - off_balance, detail)
