"""Dispute cases (I9): each adjustment request with its steps, and the billing system's
queue, oldest first, with what is overdue.

A case is due 30 days after its request (*decision*, DOMAIN.md I9): `decide_by` is the
request's recorded day plus 30; an undecided case past it is overdue. Its history is every
step in store order: requested, commented, evidence attached, in review, decided. The
invoice's number and account are kept here (`cases_invoices`) so the queue names them
without reading another read model.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, ClassVar
from uuid import UUID

import orjson

from projections.base import Projection, handled_types
from projections.events import EventRecord
from projections.queries import CaseStep, CaseView
from store.database import Tx

DECIDE_WITHIN = timedelta(days=30)
"""I9 (decision): a case not decided within 30 days of its request is overdue."""
_CASE = (
    "c.invoice_id, c.adjustment_id, i.invoice_number, i.account, i.currency, c.status, "
    "c.reason, c.lines, c.approved, c.requested_by, c.requested_at, c.decide_by, c.comment"
)


class Cases(Projection):
    """The cases and their steps, from the invoices' adjustment events."""

    tables: ClassVar[dict[str, str]] = {
        "invoices": "invoice_id TEXT PRIMARY KEY, invoice_number TEXT NOT NULL, "
        "account TEXT NOT NULL, currency TEXT NOT NULL",
        "cases": "invoice_id TEXT NOT NULL, adjustment_id TEXT NOT NULL, status TEXT NOT NULL, "
        "reason TEXT NOT NULL, lines TEXT NOT NULL, approved TEXT, requested_by TEXT NOT NULL, "
        "requested_at TEXT NOT NULL, decide_by TEXT NOT NULL, comment TEXT NOT NULL, "
        "PRIMARY KEY (invoice_id, adjustment_id)",
        "steps": "position BIGINT NOT NULL, adjustment_id TEXT NOT NULL, step TEXT NOT NULL, "
        "at TEXT NOT NULL, actor TEXT NOT NULL, detail TEXT NOT NULL, "
        "PRIMARY KEY (position, adjustment_id)",
    }
    indexes: ClassVar[dict[str, str]] = {"steps_by_case": "steps (adjustment_id, position)"}
    reader_indexes: ClassVar[dict[str, str]] = {"cases_queue": "cases (status, requested_at)"}

    def _step(self, tx: Tx, e: EventRecord, step: str, **detail: Any) -> None:
        actor = str(e.data.get("by") or e.data.get("actor") or "")
        self.defer(
            tx,
            "steps",
            "INSERT INTO @steps VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (e.position, e.data["adjustment_id"], step, e.recorded_at.isoformat(), actor,
             orjson.dumps(detail, default=str).decode()),
            key=e.data["adjustment_id"],
        )  # fmt: skip

    def on_InvoiceIssued(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.defer(  # (every write here is deferred: sent a page at a time, issue 20)
            tx,
            "invoices",
            "INSERT INTO @invoices VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (e.key, e.data["invoice_number"], e.data["account"], e.data["currency"]),
            key=e.key,
        )

    def on_AdjustmentRequested(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        d = e.data
        lines = {k: str(v) for k, v in d["lines"].items()}
        requested = e.recorded_at.date()
        self.defer(
            tx,
            "cases",
            "INSERT INTO @cases VALUES (?, ?, 'OPEN', ?, ?, NULL, ?, ?, ?, '') "
            "ON CONFLICT DO NOTHING",
            (e.key, d["adjustment_id"], d["reason"], orjson.dumps(lines).decode(),
             d["requested_by"], e.recorded_at.isoformat(),
             (requested + DECIDE_WITHIN).isoformat()),
            key=(e.key, d["adjustment_id"]),
        )  # fmt: skip
        self._step(tx, e, "REQUESTED", reason=d["reason"], lines=lines)

    def on_AdjustmentInReview(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._status(tx, e, "IN_REVIEW")
        self._step(tx, e, "IN_REVIEW")

    def on_AdjustmentCommented(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._step(tx, e, "COMMENTED", comment_id=e.data["comment_id"], text=e.data["text"])

    def on_AdjustmentDocumentAttached(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        fields = ("document_id", "filename", "size", "sha256")
        self._step(tx, e, "ATTACHED", **{k: e.data[k] for k in fields})

    def on_AdjustmentDecided(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._decided(tx, e, None)

    def on_AdjustmentDecidedInPart(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._decided(tx, e, {k: str(v) for k, v in e.data["approved_lines"].items()})

    def _decided(self, tx: Tx, e: EventRecord, approved: dict[str, str] | None) -> None:
        d = e.data
        status = "APPROVED" if d["approved"] and approved != {} else "REJECTED"
        self.defer(
            tx,
            "cases",
            "UPDATE @cases SET status = ?, comment = ?, approved = ? "
            "WHERE invoice_id = ? AND adjustment_id = ?",
            (status, d["comment"], orjson.dumps(approved).decode() if approved else None,
             e.key, d["adjustment_id"]),
            key=(e.key, d["adjustment_id"]),
        )  # fmt: skip
        self._step(tx, e, status, credited=str(d["credited"]), comment=d["comment"],
                   approved_lines=approved)  # fmt: skip

    def _status(self, tx: Tx, e: EventRecord, status: str) -> None:
        self.defer(
            tx,
            "cases",
            "UPDATE @cases SET status = ? WHERE invoice_id = ? AND adjustment_id = ?",
            (status, e.key, e.data["adjustment_id"]),
            key=(e.key, e.data["adjustment_id"]),
        )

    # --- queries --------------------------------------------------------------------------

    def case(self, tx: Tx, invoice_id: UUID, adjustment_id: str, today: date) -> CaseView | None:
        """One case with its history, or None."""
        row = self.one(
            tx,
            f"SELECT {_CASE} FROM @cases c JOIN @invoices i ON i.invoice_id = c.invoice_id "
            "WHERE c.invoice_id = ? AND c.adjustment_id = ?",
            (str(invoice_id), adjustment_id),
        )
        if row is None:
            return None
        steps = self.all(
            tx,
            "SELECT step, at, actor, detail FROM @steps WHERE adjustment_id = ? ORDER BY position",
            (adjustment_id,),
        )
        history = tuple(
            CaseStep(s, at, actor, orjson.loads(detail)) for s, at, actor, detail in steps
        )
        return _view(row, today, history)

    def queue(
        self, tx: Tx, today: date, *, status: str | None, overdue: bool | None, limit: int
    ) -> list[CaseView]:
        """The billing system's queue: cases oldest first, by status and overdue."""
        where, params = ["1 = 1"], []
        if status:
            where.append("c.status = ?")
            params.append(status)
        if overdue is not None:
            undecided = "c.status IN ('OPEN', 'IN_REVIEW')"
            late = f"({undecided} AND c.decide_by < ?)"
            where.append(late if overdue else f"NOT {late}")
            params.append(today.isoformat())
        rows = self.all(
            tx,
            f"SELECT {_CASE} FROM @cases c JOIN @invoices i ON i.invoice_id = c.invoice_id "
            f"WHERE {' AND '.join(where)} ORDER BY c.requested_at, c.adjustment_id LIMIT ?",
            (*params, limit),
        )
        return [_view(row, today, ()) for row in rows]


STEPS = handled_types(Cases) - {"InvoiceIssued", "AdjustmentRequested"}
"""The events of a case after its request (I9: in review, commented, evidence attached,
decided): each a step told to its requester (I4) and to the company's webhooks."""


def _view(row: Any, today: date, history: tuple[CaseStep, ...]) -> CaseView:
    (invoice_id, adjustment_id, number, account, currency, status, reason, lines, approved,
     requested_by, requested_at, decide_by, comment) = row  # fmt: skip
    due = date.fromisoformat(decide_by)
    return CaseView(
        invoice_id=str(invoice_id), adjustment_id=adjustment_id, invoice_number=number,
        account=account, currency=currency, status=status, reason=reason,
        lines=orjson.loads(lines), approved_lines=orjson.loads(approved) if approved else None,
        requested_by=requested_by, requested_at=requested_at, decide_by=due,
        overdue=status in ("OPEN", "IN_REVIEW") and due < today, comment=comment,
        history=history,
    )  # fmt: skip
