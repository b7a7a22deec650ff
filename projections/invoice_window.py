"""A7 at an event, for the projections that tell users of one (the outbox's e-mails, the
webhooks): whether the invoice an event concerns was in its users' views then.

An invoice older than twelve months stays in the views while it is outstanding
(`domain.visibility.in_window(..., due=...)`). "Then" means just before the event or just
after it: a payment that settles an old invoice is told (the payer saw it when paying), and
an invoice delivered with an old printed date is told while something is left to pay on it.

I10: the account's credit that a new invoice uses is saved with it, as `CreditApplied` just
after `InvoiceIssued`; the users first see the invoice net of it. The account's
`AccountCreditUsed`, which names the invoice, comes just before `InvoiceIssued` (the same
save), so the window notes it in its own table (a page may end between them) and judges the
issue by the balance net of it: an old invoice that the credit covers fully is out of the
views from the start, and told to nobody (issue 24).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from domain.visibility import in_window, outstanding
from projections.base import Projection
from projections.events import EventRecord
from projections.invoices import Invoices
from store.database import Tx


class InvoiceWindow(Projection):
    """Applies each event to a copy of `Invoices`, noting first whether the invoice of one
    of `later` (events on an invoice issued earlier) was outstanding, and the credit each
    new invoice uses (I10). Its table is part of the copy that owns it (same prefix)."""

    tables: ClassVar[dict[str, str]] = {
        "window_credits": "invoice_id TEXT PRIMARY KEY, amount TEXT NOT NULL",
    }

    def __init__(self, prefix: str, invoices: Invoices, later: Collection[str]) -> None:
        super().__init__(prefix)
        self.invoices = invoices
        self.later = frozenset(later)
        self.was_due = False

    def apply(self, tx: Tx, e: EventRecord) -> None:
        """The copy applies `e`; whether its invoice was due before it is kept for `shows`,
        for an old invoice only (a young one is in the views whatever its balance)."""
        self.was_due = e.type in self.later and self._old_and_due(tx, e)
        self.handle(tx, e)
        self.invoices.handle(tx, e)

    def _old_and_due(self, tx: Tx, e: EventRecord) -> bool:
        return _old(self.invoices.invoice(tx, e.aggregate_id).issued, e) and self._due(tx, e)

    def on_AccountCreditUsed(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        """I10: the credit the invoice about to be issued uses (read by `_due` at its issue)."""
        self.execute(
            tx,
            "INSERT INTO @window_credits VALUES (?, ?) ON CONFLICT DO NOTHING",
            (str(e.data["invoice_id"]), str(e.data["amount"])),
        )

    def shows(self, tx: Tx, e: EventRecord, issued: str) -> bool:
        """A7: the invoice of `e` (printed on `issued`) was in its users' views at `e`."""
        return not _old(issued, e) or self.was_due or self._due(tx, e)

    def _due(self, tx: Tx, e: EventRecord) -> bool:
        found = self.invoices.invoice(tx, e.aggregate_id)
        balance = found.balance
        if e.type == "InvoiceIssued":  # I10: as the users first see it, net of the credit
            rows = self.all(tx, "SELECT amount FROM @window_credits WHERE invoice_id = ?", (e.key,))
            balance -= sum((Decimal(amount) for (amount,) in rows), Decimal(0))
        return outstanding(found.status, balance)


def _old(issued: str, e: EventRecord) -> bool:
    """A7: an invoice printed on `issued` is older than the twelve months up to `e`'s day, so
    only a balance due keeps it in the views (`domain.visibility.in_window`)."""
    return not in_window(datetime.fromisoformat(issued).date(), e.day)
