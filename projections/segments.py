"""Segments of the invoices projection (issue 20): each applies the events of the accounts
a stable hash gives it, so two workers can share the heaviest projection, each on a core
(as Axon splits a tracking processor into segments).

Every handler of `Invoices` touches the rows of one account only (its state, its invoices),
so the segments' transactions never meet, and together they equal the whole projection:
`projections rebuild` still builds it whole, and the tests compare the two.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence

from projections.base import handler_name
from projections.events import EventRecord
from projections.invoices import _ENROLLMENT, _LATER, Invoices
from store.database import Tx


@functools.lru_cache(maxsize=4096)
def segment_of(account: str, count: int) -> int:
    """The segment of `count` an account's events belong to: a stable hash (the same in
    every process and version, unlike Python's `hash`)."""
    return int.from_bytes(hashlib.sha256(account.encode()).digest()[:8], "big") % count


class InvoiceSegment(Invoices):
    """The invoices projection for the accounts of segment `index` of `count`."""

    def __init__(self, prefix: str, index: int, count: int) -> None:
        super().__init__(prefix)
        self.index, self.count = index, count
        self.stored: dict[str, str] = {}  # the page's invoices already stored: their account

    def prepare(self, tx: Tx, events: Sequence[EventRecord]) -> None:
        """Which of the page's invoices are stored, and their account, in one light query;
        then what the whole projection prefetches, for this segment's events only (issue 20:
        a segment looked up each event of another segment's invoice, one query per event,
        half its catch-up, and fetched and parsed the others' invoice rows)."""
        ids = sorted({e.key for e in events if self._on_invoice(e)})
        rows = self.all_in(tx, "SELECT invoice_id, account FROM @invoices WHERE invoice_id IN", ids)
        self.stored = {str(invoice): str(account) for invoice, account in rows}
        super().prepare(tx, [e for e in events if e.type in _ENROLLMENT or self._ours(e)])

    def handle(self, tx: Tx, event: EventRecord) -> None:
        """Apply the event if it is of this segment's accounts."""
        if self._ours(event):
            super().handle(tx, event)

    def _ours(self, e: EventRecord) -> bool:
        """Whether the event's account is of this segment. Every event of an account comes
        after its registration, and its invoices' events after their issue, so the account
        is known here when it is ours: from the event, from what the page has seen, or from
        the rows `prepare` read. An invoice with no row and not issued in the page is
        another segment's (this one has written each of its own it has applied), and an
        account with no state is another segment's too (this one writes only its own)."""
        if e.type == "AccountRegistered":
            account: str | None = f"{e.data['country']}-{e.data['number']}"
        elif e.type == "InvoiceIssued":
            account = e.data["account"]
        elif e.type in _ENROLLMENT:
            known = self.memo.get(("state", e.key))
            account = None if known is None else known[0]
        elif self._on_invoice(e):
            invoice = self.page.get(e.aggregate_id)
            account = invoice.account if invoice else self.stored.get(e.key)
        else:
            return False  # nothing this projection applies
        return account is not None and segment_of(str(account), self.count) == self.index

    def _on_invoice(self, e: EventRecord) -> bool:
        """An event this projection applies to an invoice issued before it."""
        later = e.type in _LATER or e.aggregate_type == "Invoice"
        return later and e.type != "InvoiceIssued" and handler_name(type(self), e.type) is not None
