"""Segments of the invoices projection (issue 20): each applies the events of the accounts
a stable hash gives it, so two workers can share the heaviest projection, each on a core
(as Axon splits a tracking processor into segments).

Every handler of `Invoices` touches the rows of one account only (its state, its invoices),
so the segments' transactions never meet, and together they equal the whole projection:
`projections rebuild` still builds it whole, and the tests compare the two.
"""

from __future__ import annotations

import hashlib

from projections.base import handler_name
from projections.events import EventRecord
from projections.invoices import _ENROLLMENT, _LATER, Invoices
from store.database import Tx


def segment_of(account: str, count: int) -> int:
    """The segment of `count` an account's events belong to: a stable hash (the same in
    every process and version, unlike Python's `hash`)."""
    return int.from_bytes(hashlib.sha256(account.encode()).digest()[:8], "big") % count


class InvoiceSegment(Invoices):
    """The invoices projection for the accounts of segment `index` of `count`."""

    def __init__(self, prefix: str, index: int, count: int) -> None:
        super().__init__(prefix)
        self.index, self.count = index, count

    def handle(self, tx: Tx, event: EventRecord) -> None:
        """Apply the event if it is of this segment's accounts."""
        if self._ours(tx, event):
            super().handle(tx, event)

    def _ours(self, tx: Tx, e: EventRecord) -> bool:
        """Whether the event's account is of this segment. Every event of an account comes
        after its registration, and its invoices' events after their issue, so the account
        is known here when it is ours: from the event, from what the page has seen, or from
        the rows `prepare` read (a row another segment wrote names its account too; no row
        and nothing in the page: another segment's account it has not applied yet)."""
        if e.type == "AccountRegistered":
            account = f"{e.data['country']}-{e.data['number']}"
        elif e.type == "InvoiceIssued":
            account = e.data["account"]
        elif e.type in _ENROLLMENT:
            known = self.memo.get(("state", e.key))
            if known is None:
                return False
            account = known[0]
        elif e.type in _LATER or e.aggregate_type == "Invoice":  # any event on an invoice,
            invoice = self.page.get(e.aggregate_id)  # also one `prepare` does not fetch
            row = (invoice.account,) if invoice else self._account_of(tx, e)
            if row is None:
                return False
            account = row[0]
        else:
            return False  # nothing this projection applies
        return segment_of(str(account), self.count) == self.index

    def _account_of(self, tx: Tx, e: EventRecord) -> tuple[str] | None:
        """The account of an invoice this page has not read, if its row exists."""
        if handler_name(type(self), e.type) is None:
            return None  # not applied here at all: no need to know
        row = self.one(tx, "SELECT account FROM @invoices WHERE invoice_id = ?", (e.key,))
        return None if row is None else (str(row[0]),)
