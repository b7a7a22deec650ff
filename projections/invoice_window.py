"""A7 at an event, for the projections that tell users of one (the outbox's e-mails, the
webhooks): whether the invoice an event concerns was in its users' views then.

An invoice older than twelve months stays in the views while it is outstanding
(`domain.visibility.in_window(..., due=...)`). "Then" means just before the event or just
after it: a payment that settles an old invoice is told (the payer saw it when paying), and
an invoice delivered with an old printed date is told while something is left to pay on it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from domain.visibility import in_window, outstanding
from projections.events import EventRecord
from projections.invoices import Invoices
from store.database import Tx


class InvoiceWindow:
    """Applies each event to a copy of `Invoices`, noting first whether the invoice of one
    of `later` (events on an invoice issued earlier) was outstanding."""

    def __init__(self, invoices: Invoices, later: Collection[str]) -> None:
        self.invoices = invoices
        self.later = frozenset(later)
        self.was_due = False

    def apply(self, tx: Tx, e: EventRecord) -> None:
        """The copy applies `e`; what was due before it is kept for `shows`."""
        self.was_due = e.type in self.later and self._due(tx, e.aggregate_id)
        self.invoices.handle(tx, e)

    def shows(self, tx: Tx, e: EventRecord, issued: str) -> bool:
        """A7: the invoice of `e` (printed on `issued`) was in its users' views at `e`."""
        due = self.was_due or self._due(tx, e.aggregate_id)
        return in_window(datetime.fromisoformat(issued).date(), e.day, due=due)

    def _due(self, tx: Tx, invoice_id: UUID) -> bool:
        found = self.invoices.invoice(tx, invoice_id)
        return outstanding(found.status, found.balance)
