"""Webhook messages (issue 22): one row per (event position, endpoint), built from events.

Like the e-mail outbox (projections/outbox.py), the messages and the endpoints live in
tables no rebuild drops (`webhook_messages`, `webhook_endpoints`): a message's primary key
is its event position and endpoint, so a replay or a rebuild inserts nothing new, and its
body is decided here once, so every attempt sends the same bytes under the same
`webhook-id`. What a company may see is decided as for the e-mails, by this projection's
own copy of the `Invoices` read model standing at the event being handled (its
`placement` query: R4 at the company's level, A4's sections, A7's window): an endpoint gets
an invoice's messages only while the invoice is in its company's billing history — never
the archive, a hidden invoice or another company's. An endpoint gets the events after its
creation (or its last enabling) and before its deletion or disabling, by position, whatever
the rebuild.
Delivery is `api.webhooks`'.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, NamedTuple

import orjson

from projections.accounts import instant
from projections.base import Projection, handled_types
from projections.events import EventRecord
from projections.invoice_window import InvoiceWindow
from projections.invoices import Invoices
from store.database import Tx

INVOICE_EVENTS = {
    "InvoiceIssued": "invoice.available",
    "PaymentScheduled": "payment.received",
    "PaymentMade": "payment.received",
    "AdjustmentDecided": "adjustment.updated",
    # I9: every step of a dispute case is an update of the adjustment
    "AdjustmentDecidedInPart": "adjustment.updated",
    "AdjustmentInReview": "adjustment.updated",
    "AdjustmentCommented": "adjustment.updated",
    "AdjustmentDocumentAttached": "adjustment.updated",
}
_CASE_STEPS = {
    "AdjustmentDecided": "DECIDED",
    "AdjustmentDecidedInPart": "DECIDED",
    "AdjustmentInReview": "IN_REVIEW",
    "AdjustmentCommented": "COMMENTED",
    "AdjustmentDocumentAttached": "ATTACHED",
}


def message_id(position: int, endpoint_id: str) -> str:
    """The `webhook-id` of a message: the same for every attempt, and after a rebuild."""
    return f"msg_{position}_{endpoint_id.replace('-', '')}"


def parse_message_id(text: str) -> tuple[int, str]:
    """(position, endpoint id without dashes) of a `webhook-id` (ValueError otherwise)."""
    prefix, position, endpoint = text.split("_") if text.count("_") == 2 else ("", "", "")  # noqa: PLR2004
    if prefix != "msg" or not position.isdigit() or len(endpoint) != 32:  # noqa: PLR2004 hex uuid
        raise ValueError(f"not a webhook-id: {text}")
    return int(position), endpoint


class Endpoint(NamedTuple):
    """An endpoint as the messages projection chooses: what it wants, when it lived."""

    endpoint_id: str
    events: list[str]
    created: int
    ended: int | None

    def wants(self, kind: str, position: int) -> bool:
        """Whether it existed at `position` and asked for `kind`."""
        alive = self.created < position and (self.ended is None or self.ended > position)
        return alive and kind in self.events


class WebhookTables(Projection):
    """The endpoints and their messages: never versioned, never dropped."""

    tables: ClassVar[dict[str, str]] = {
        "endpoints": "endpoint_id TEXT PRIMARY KEY, company_id TEXT NOT NULL, url TEXT NOT NULL, "
        "events TEXT NOT NULL, sealed_secret TEXT NOT NULL, status TEXT NOT NULL, "
        "created_position BIGINT NOT NULL, ended_position BIGINT, created_by TEXT NOT NULL, "
        "created_at TEXT NOT NULL, version INTEGER NOT NULL",
        "messages": "position BIGINT NOT NULL, endpoint_id TEXT NOT NULL, type TEXT NOT NULL, "
        "body TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (position, endpoint_id)",
    }
    indexes: ClassVar[dict[str, str]] = {"endpoints_company": "endpoints (company_id)"}

    def created(self, tx: Tx, e: EventRecord) -> None:
        d = e.data
        self.execute(
            tx,
            "INSERT INTO @endpoints VALUES (?, ?, ?, ?, ?, 'ACTIVE', ?, NULL, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (
                e.key,
                d["company_id"],
                d["url"],
                orjson.dumps(d["events"]).decode(),
                d["sealed_secret"],
                e.position,
                e.actor,
                instant(e.recorded_at),
                e.version,
            ),
        )

    def ended(self, tx: Tx, e: EventRecord, status: str) -> None:
        """Deleted or disabled at `e`: replays of older events change nothing (version)."""
        self.execute(
            tx,
            "UPDATE @endpoints SET status = ?, ended_position = ?, version = ? "
            "WHERE endpoint_id = ? AND version < ?",
            (status, e.position, e.version, e.key, e.version),
        )

    def enabled(self, tx: Tx, e: EventRecord) -> None:
        """Enabled again at `e`: it gets the events after `e` (its `created_position` moves
        there), so the events it missed while disabled never become messages, even in a
        rebuild, and the messages made before it was disabled stay as they were."""
        self.execute(
            tx,
            "UPDATE @endpoints SET status = 'ACTIVE', created_position = ?, "
            "ended_position = NULL, version = ? WHERE endpoint_id = ? AND version < ?",
            (e.position, e.version, e.key, e.version),
        )

    def endpoints(self, tx: Tx, company: str) -> list[Endpoint]:
        """The company's endpoints, ended or not."""
        rows = self.all(
            tx,
            "SELECT endpoint_id, events, created_position, ended_position FROM @endpoints "
            "WHERE company_id = ? ORDER BY endpoint_id",
            (company,),
        )
        return [Endpoint(str(i), orjson.loads(k), int(c), e) for i, k, c, e in rows]

    def add(self, tx: Tx, rows: Sequence[tuple[int, str, str, str, str]]) -> None:
        """(position, endpoint, type, body, created at): replays add nothing."""
        self.executemany(
            tx, "INSERT INTO @messages VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows
        )


class WebhookMessages(Projection):
    """Decides which endpoint gets which message, from its own copy of the invoices."""

    def __init__(self, prefix: str, tables: WebhookTables) -> None:
        super().__init__(prefix)
        self.invoices = Invoices(prefix)
        self.window = InvoiceWindow(prefix, self.invoices, set(INVOICE_EVENTS) - {"InvoiceIssued"})
        self.stable = tables
        self.rows: list[tuple[int, str, str, str, str]] = []
        # Each company's endpoints, read once a page (issue 20: a query per invoice event was
        # most of the projection's time); an endpoint event forgets them.
        self.endpoints: dict[str, list[Endpoint]] = {}

    def create(self, tx: Tx) -> None:
        self.stable.create(tx)
        self.invoices.create(tx)
        self.window.create(tx)

    def drop(self, tx: Tx) -> None:
        self.invoices.drop(tx)
        self.window.drop(tx)

    def prepare(self, tx: Tx, events: Sequence[EventRecord]) -> None:
        self.invoices.prepare(tx, events)

    def finish_page(self, tx: Tx) -> None:
        self.invoices.finish_page(tx)
        self.stable.add(tx, self.rows)
        self.rows = []

    def event_types(self) -> frozenset[str]:
        """Those of its copy of the invoices, and those it sends."""
        copies = handled_types(Invoices) | handled_types(InvoiceWindow)
        return handled_types(type(self)) | copies | set(INVOICE_EVENTS)

    def handle(self, tx: Tx, event: EventRecord) -> None:
        self.window.apply(tx, event)  # A7 at the event: `_invoice_event`
        if event.type in INVOICE_EVENTS:
            self._invoice_event(tx, event, INVOICE_EVENTS[event.type])
        super().handle(tx, event)

    def _send(self, tx: Tx, e: EventRecord, company: str, kind: str, data: dict[str, Any]) -> None:
        if company not in self.endpoints:
            self.endpoints[company] = self.stable.endpoints(tx, company)
        endpoints = [p.endpoint_id for p in self.endpoints[company] if p.wants(kind, e.position)]
        if not endpoints:
            return
        at = instant(e.recorded_at)
        body = orjson.dumps({"type": kind, "timestamp": at, "data": data}).decode()
        self.rows += [(e.position, endpoint, kind, body, at) for endpoint in endpoints]

    def _invoice_event(self, tx: Tx, e: EventRecord, kind: str) -> None:
        """Only while the invoice is in its company's billing history (R4, A4, A7)."""
        account, company, section, issued = self.invoices.placement(tx, e.aggregate_id)
        if company is None or section != "HISTORY":
            return
        if not self.window.shows(tx, e, issued):
            return
        self._send(tx, e, company, kind, {"invoice_id": e.key, "account": account, **_data(e)})

    def on_AccountUnenrolled(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        account = self.invoices._state(tx, e)[0]
        data = {"account": account, "reason": e.data["reason"]}
        self._send(tx, e, e.data["company_id"], "account.unenrolled", data)

    def on_AccountReenrolled(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        account = self.invoices._state(tx, e)[0]
        self._send(tx, e, e.data["company_id"], "account.reenrolled", {"account": account})

    def on_UserRemoved(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._send(tx, e, e.key, "user.removed", {"login": e.data["login"]})

    def on_WebhookEndpointCreated(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.endpoints.clear()
        self.stable.created(tx, e)

    def on_WebhookEndpointDeleted(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.endpoints.clear()
        self.stable.ended(tx, e, "DELETED")

    def on_WebhookEndpointDisabled(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.endpoints.clear()
        self.stable.ended(tx, e, "DISABLED")

    def on_WebhookEndpointEnabled(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.endpoints.clear()
        self.stable.enabled(tx, e)


def _data(e: EventRecord) -> dict[str, Any]:
    """What each invoice message says beyond the invoice and its account (API.md)."""
    d = e.data
    if e.type == "InvoiceIssued":
        return {
            "invoice_number": d["invoice_number"],
            "currency": d["currency"],
            "amount": str(d["amount"]),
            "due_date": d["due_date"],
        }
    if e.type in _CASE_STEPS:  # I4, I9: which case, which step (its content: GET the case)
        step = {"adjustment_id": d["adjustment_id"], "step": _CASE_STEPS[e.type]}
        return {**step, "approved": d["approved"]} if "approved" in d else step
    return {
        "payment_id": d["payment_id"],
        "confirmation_number": d["confirmation_number"],
        "amount": str(d["amount"]),
        "pay_on": d["paid_on"] if e.type == "PaymentMade" else d["pay_on"],
        "made": e.type == "PaymentMade",
    }
