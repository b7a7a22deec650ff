"""Notification outbox: one row per (event position, recipient, kind) (R8, I4, I5).

- INVOICE_AVAILABLE (I5): an invoice delivered into a company's billing history (and
  within A7's window that day): every user who can see it then and wants the e-mail.
  Archive-only or hidden invoices send none; a later grant sends none.
- PAYMENT_RECEIVED: a payment made or scheduled (I3, and I6's automatic ones): the users
  who can see the invoice then and want it.
- ADJUSTMENT_UPDATED (I4): the requester, when the request is decided, if still a user
  of the company and wanting it.

Recipients are decided from the state *as of the event*, so the outbox keeps its own
copy of the directory and of invoice placement (rebuilt with it), and never reads
another projection, which may be ahead or behind. The rows themselves live in
`outbox_messages`, which no rebuild drops: its primary key makes a replay or a rebuild
insert nothing new (ON CONFLICT DO NOTHING). Delivery is another issue's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from domain.visibility import in_window
from projections.accounts import instant
from projections.base import Component, handler_name
from projections.db import Params, Tx
from projections.directory import Directory
from projections.events import EventRecord
from projections.invoices import Invoices
from projections.queries import OutboxMessage


class OutboxMessages(Component):
    """The outbox rows: never versioned, never dropped."""

    tables: ClassVar[dict[str, str]] = {
        "messages": "position BIGINT NOT NULL, recipient TEXT NOT NULL, kind TEXT NOT NULL, "
        "subject_id TEXT NOT NULL, created_at TEXT NOT NULL, sent_at TEXT, "
        "PRIMARY KEY (position, recipient, kind)",
    }
    indexes: ClassVar[dict[str, str]] = {"messages_unsent": "messages (sent_at, position)"}

    def add(self, tx: Tx, rows: Sequence[Params]) -> None:
        """(position, recipient, kind, subject, created at) rows; replays add nothing."""
        tx.executemany(
            self.q("INSERT INTO @messages VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING"),
            rows,
        )

    def pending(self, tx: Tx, *, unsent_only: bool, limit: int) -> list[OutboxMessage]:
        where = "WHERE sent_at IS NULL " if unsent_only else ""
        rows = self.all(
            tx,
            "SELECT position, recipient, kind, subject_id, created_at, sent_at FROM @messages "
            f"{where}ORDER BY position, recipient, kind LIMIT ?",
            (limit,),
        )
        return [
            OutboxMessage(
                int(p), r, k, s, datetime.fromisoformat(c), datetime.fromisoformat(t) if t else None
            )
            for p, r, k, s, c, t in rows
        ]


class Outbox(Component):
    """Decides recipients from its own directory and placement, writes `outbox_messages`."""

    def __init__(self, prefix: str, messages: OutboxMessages) -> None:
        super().__init__(prefix)
        self.directory = Directory(prefix)
        self.invoices = Invoices(prefix)
        self.messages = messages
        self.rows: list[Params] = []  # the page's messages, written by `flush`
        self.recipients: dict[tuple[str, str, str], list[str]] = {}

    def prepare(self, tx: Tx, events: Sequence[EventRecord]) -> None:
        self.invoices.prepare(tx, events)

    def flush(self, tx: Tx) -> None:
        self.directory.flush(tx)
        self.invoices.flush(tx)
        self.messages.add(tx, self.rows)
        self.rows = []

    def settle(self, tx: Tx) -> None:
        """Recipients are read from the directory: its queued writes go first."""
        self.directory.settle(tx)
        super().settle(tx)

    def _add(self, e: EventRecord, kind: str, recipients: list[str]) -> None:
        subject, created = e.key, instant(e.recorded_at)
        self.rows += [(e.position, r, kind, subject, created) for r in recipients]

    def create(self, tx: Tx) -> None:
        self.directory.create(tx)
        self.invoices.create(tx)

    def drop(self, tx: Tx) -> None:
        self.directory.drop(tx)
        self.invoices.drop(tx)

    def handle(self, tx: Tx, event: EventRecord) -> None:
        if handler_name(Directory, event.type) is not None:
            self.recipients.clear()  # who receives what may have changed
        self.directory.handle(tx, event)
        self.invoices.handle(tx, event)
        super().handle(tx, event)

    def _seeing(self, tx: Tx, e: EventRecord, kind: str, sections: set[str]) -> None:
        account, company, section, issued = self.invoices.placement(tx, e.aggregate_id)
        if company is None or section not in sections:
            return
        if not in_window(datetime.fromisoformat(issued).date(), e.day):
            return
        key = (kind, company, account)
        if key not in self.recipients:
            rows = self.all(tx, self.directory.recipients_sql(kind), (company, account))
            self.recipients[key] = [r[0] for r in rows]
        self._add(e, kind, self.recipients[key])

    def on_InvoiceIssued(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._seeing(tx, e, "INVOICE_AVAILABLE", {"HISTORY"})

    def on_PaymentScheduled(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._seeing(tx, e, "PAYMENT_RECEIVED", {"HISTORY", "ARCHIVE"})

    def on_PaymentMade(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._seeing(tx, e, "PAYMENT_RECEIVED", {"HISTORY", "ARCHIVE"})

    def on_AdjustmentDecided(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        _, company, _, _ = self.invoices.placement(tx, e.aggregate_id)
        if company is None:
            return
        detail = self.invoices.invoice(tx, e.aggregate_id).detail
        requester = detail["adjustments"][e.data["adjustment_id"]]["requested_by"]
        key = ("ADJUSTMENT_UPDATED", company, requester)
        if key not in self.recipients:  # remembered until the directory changes
            wanted = self.one(
                tx,
                "SELECT 1 FROM @members m JOIN @profiles p ON p.login = m.login "
                "AND p.company_id = m.company_id WHERE m.company_id = ? AND m.login = ? "
                "AND m.removed = 0 AND p.adjustment_updated = 1",
                (company, requester),
            )
            self.recipients[key] = [requester] if wanted else []
        self._add(e, "ADJUSTMENT_UPDATED", self.recipients[key])
