"""Receipts anyone can verify (I8): a payment, and the proof that its event is in the
store's tamper-evident history.

The proof reuses the store's own hash chain (C3, `projections.audit.checkpoints`), never
a second one. For the payment's event at position P it gives the event row's fields, the
row's SHA-256, the chain's link before P (`previous`) and after it (`head`), and an Ed25519
signature, by the export key, of the same statement a store checkpoint signs:
`billing-center store chain P HEAD`. The service signs the head it *recorded* when it
sealed the row, so a row edited in the database afterwards yields a receipt whose
recomputed hash no longer leads to the signed head: it fails to verify.

Checking a receipt needs the public key and nothing else (README "Receipts"):
1. `row_hash` = SHA-256 of the row bytes: position and version as 8-byte big-endian
   integers, the aggregate id's length as 4 bytes, the id, the topic's length as 4 bytes,
   the topic, the stored state (base64 in the file) — as `chain.row_bytes`;
2. `head` = SHA-256(`previous` + `row_hash`), both as raw 32 bytes;
3. the signature holds for `billing-center store chain {position} {head}`;
4. the payment's fields equal the event's state (JSON) and the event's aggregate is the
   invoice.
"""

from __future__ import annotations

import base64
import hashlib
import io
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import ApplicationRecorder, Notification
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from domain.errors import NotFound
from domain.invoice import Invoice
from projections.audit.chain import GENESIS, Signer, fingerprint, link, row_hash, signature_holds
from projections.audit.checkpoints import Checkpoint, seal
from projections.audit.records import notifications
from store.positions import event_position
from store.sidestore import SideStore

KIND = "billing-center receipt"
VERSION = 1
PAYMENT_EVENTS = ("PaymentMade", "PaymentScheduled")
ATTACHMENT = "receipt.json"
"""The name of the JSON document inside a receipt's PDF."""


@dataclass(frozen=True)
class ChainPoint:
    """The recorded chain around one position: the link before it and the row's hash."""

    previous: bytes
    recorded: bytes

    @property
    def head(self) -> bytes:
        """The chain's link after the row, as the store recorded it."""
        return link(self.previous, self.recorded)


@dataclass(frozen=True)
class Sources:
    """What a receipt is made from: the store, its side tables and the export key."""

    recorder: ApplicationRecorder
    side: SideStore
    signer: Signer


def issue(
    sources: Sources, invoice: Invoice, payment_id: str, method: dict[str, Any] | None
) -> dict[str, Any]:
    """The receipt of the invoice's payment `payment_id`, with its proof (I8).

    `method`: the payment method as every way in shows it (masked, R11), or None when the
    company no longer has it.
    """
    payment = next((p for p in invoice.payments if p["payment_id"] == payment_id), None)
    if payment is None:
        raise NotFound("payment", payment_id)
    rows = (_issued_row(sources.recorder, invoice.id),
            _payment_row(sources.recorder, invoice.id, payment_id))  # fmt: skip
    seal(sources.recorder, sources.side, sources.signer)  # the chain reaches the rows
    return {
        "receipt": _facts(invoice, payment, method),
        "proof": {
            "public_key_sha256": fingerprint(sources.signer.public_pem()),
            "events": [_proven(sources, row) for row in rows],
        },
    }


def _proven(sources: Sources, row: Notification) -> dict[str, Any]:
    """One event row with the chain around it and a signed checkpoint at its position."""
    point = chain_point(sources.side, row.id)
    checkpoint = checkpoint_at(sources.side, sources.signer, row.id, point)
    return {
        "event": {
            "position": row.id,
            "aggregate": str(row.originator_id),
            "version": row.originator_version,
            "topic": row.topic,
            "state": base64.b64encode(row.state).decode(),
        },
        "row_hash": row_hash(row).hex(),
        "previous": point.previous.hex(),
        "head": checkpoint.head,
        "statement": checkpoint.signed_bytes().decode(),
        "signature": checkpoint.signature,
        "signed_at": checkpoint.created_at,
    }


def _facts(
    invoice: Invoice, payment: dict[str, Any], method: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "kind": KIND,
        "version": VERSION,
        "invoice_id": str(invoice.id),
        "invoice_number": invoice.invoice_number,
        "account": str(invoice.account_key),
        "payment_id": payment["payment_id"],
        "confirmation_number": payment["confirmation_number"],
        "amount": str(payment["amount"]),
        "currency": invoice.currency,
        "status": "PAID" if payment["made"] else "SCHEDULED",
        "date": payment["pay_on"],
        "payment_method": method or {"payment_method_id": payment["payment_method_id"]},
        "paid_by": payment["paid_by"],
        "automatic": payment["automatic"],
    }


def _issued_row(recorder: ApplicationRecorder, invoice_id: UUID) -> Notification:
    """The stored row of the invoice's first event (I1: number, account, currency)."""
    return _row_at(recorder, invoice_id, 1)


def _payment_row(recorder: ApplicationRecorder, invoice_id: UUID, payment_id: str) -> Notification:
    """The stored row of the event that made or scheduled the payment (an invoice has a
    handful of events: read them all, then look the one up by its version)."""
    for stored in recorder.select_events(invoice_id):
        if stored.topic.rpartition(".")[2] not in PAYMENT_EVENTS:
            continue
        if orjson.loads(stored.state).get("payment_id") == payment_id:
            return _row_at(recorder, invoice_id, stored.originator_version)
    raise NotFound("payment", payment_id)


def _row_at(recorder: ApplicationRecorder, invoice_id: UUID, version: int) -> Notification:
    position = event_position(recorder, invoice_id, version)
    if position is None:
        raise NotFound("stored event of invoice", invoice_id)
    return next(notifications(recorder, position - 1, position))


def chain_point(side: SideStore, position: int) -> ChainPoint:
    """The recorded chain at `position`, folded from the last checkpoint before it."""
    before = side.query(
        "SELECT position, head FROM audit_checkpoints WHERE position < ?"
        " ORDER BY position DESC LIMIT 1",
        (position,),
    )
    start, previous = (int(before[0][0]), bytes.fromhex(before[0][1])) if before else (0, GENESIS)
    digests = side.query(
        "SELECT position, row_hash FROM audit_chain WHERE position > ? AND position <= ?"
        " ORDER BY position",
        (start, position),
    )
    if not digests or int(digests[-1][0]) != position:
        raise NotFound("sealed event at position", position)
    for _, digest in digests[:-1]:
        previous = link(previous, bytes.fromhex(digest))
    return ChainPoint(previous, bytes.fromhex(digests[-1][1]))


def checkpoint_at(side: SideStore, signer: Signer, position: int, point: ChainPoint) -> Checkpoint:
    """A signed checkpoint exactly at `position` (kept: the next receipt reuses it)."""
    head = point.head.hex()
    rows = side.query(
        "SELECT position, head, signature, public_key, created_at FROM audit_checkpoints"
        " WHERE position = ?",
        (position,),
    )
    public = signer.public_pem().decode()
    if rows and rows[0][1] == head and rows[0][3] == public:
        return Checkpoint(int(rows[0][0]), *rows[0][1:])
    created = datetime.now(UTC).isoformat()
    unsigned = Checkpoint(position, head, "", public, created)
    checkpoint = Checkpoint(position, head, signer.sign(unsigned.signed_bytes()), public, created)
    if not rows:
        with side.transaction() as cursor:
            cursor.execute(
                "INSERT INTO audit_checkpoints VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (position, head, checkpoint.signature, public, created),
            )
    return checkpoint


def receipt_document(content: bytes) -> dict[str, Any]:
    """The receipt in a file: its JSON, or the JSON embedded in its PDF (`receipt.json`)."""
    if content.startswith(b"%PDF-"):
        try:
            attachments = PdfReader(io.BytesIO(content)).attachments
        except PdfReadError as error:
            raise ValueError(f"not a readable PDF: {error}") from None
        if ATTACHMENT not in attachments:
            raise ValueError(f"the PDF has no {ATTACHMENT} attached")
        content = attachments[ATTACHMENT][0]
    try:
        document = orjson.loads(content)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"not a receipt: {error}") from None
    if not isinstance(document, dict):
        raise ValueError("not a receipt: not a JSON object")
    return document


# --- verification, with the public key alone ---------------------------------------------


@dataclass(frozen=True)
class ReceiptVerdict:
    """What checking a receipt found: None when it holds, else the first problem."""

    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the receipt holds."""
        return self.problem is None


def verify(document: dict[str, Any], public_pem: bytes) -> ReceiptVerdict:
    """Check a receipt offline (steps 1-4 of this module's docstring)."""
    try:
        problem = _first_problem(document["receipt"], document["proof"], public_pem)
    except (KeyError, TypeError, ValueError) as error:
        problem = f"not a receipt: {error!r}"
    return ReceiptVerdict(problem)


def _first_problem(receipt: dict[str, Any], proof: dict[str, Any], public_pem: bytes) -> str | None:
    if receipt.get("kind") != KIND:
        return "not a billing-center receipt"
    if proof["public_key_sha256"] != fingerprint(public_pem):
        return "signed by another key than the one given"
    entries = proof["events"]
    if len(entries) != 2:  # noqa: PLR2004 (the invoice's issue, then its payment)
        return "a receipt proves two events: the invoice's issue and the payment"
    for entry in entries:
        if problem := _chain_problem(entry, public_pem):
            return problem
    issued, paid = (entry["event"] for entry in entries)
    return _issued_problem(receipt, issued) or _payment_problem(receipt, paid)


def _chain_problem(entry: dict[str, Any], public_pem: bytes) -> str | None:
    """Steps 1-3 for one proven event."""
    event = entry["event"]
    digest = hashlib.sha256(_row_bytes(event)).digest()
    if digest.hex() != entry["row_hash"]:
        return f"the event row at position {event['position']} does not match its hash"
    head = hashlib.sha256(bytes.fromhex(entry["previous"]) + digest).hexdigest()
    statement = f"billing-center store chain {event['position']} {head}"
    if head != entry["head"] or statement != entry["statement"]:
        return f"the event at position {event['position']} is not in the signed chain"
    if not signature_holds(public_pem, statement.encode(), entry["signature"]):
        return f"the checkpoint at position {event['position']}: bad signature"
    return None


def _row_bytes(event: dict[str, Any]) -> bytes:
    aggregate, topic = event["aggregate"].encode(), event["topic"].encode()
    head = struct.pack(">QQI", event["position"], event["version"], len(aggregate))
    state = base64.b64decode(event["state"], validate=True)
    return b"".join((head, aggregate, struct.pack(">I", len(topic)), topic, state))


def _state(event: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = orjson.loads(base64.b64decode(event["state"]))
    return state


def _text(value: Any) -> str:
    """A stored value as text: decimals are stored as `{"_type_": ..., "_data_": "1.00"}`."""
    return str(value["_data_"]) if isinstance(value, dict) else str(value)


def _issued_problem(receipt: dict[str, Any], event: dict[str, Any]) -> str | None:
    """Whether the receipt names the invoice the first proven event issued."""
    if event["topic"].rpartition(".")[2] != "InvoiceIssued" or event["version"] != 1:
        return "the first proven event is not the invoice's issue"
    state = _state(event)
    stated = {
        "invoice_id": event["aggregate"],
        "invoice_number": state["invoice_number"],
        "account": state["account"],
        "currency": state["currency"],
    }
    return _differs(receipt, stated)


def _payment_problem(receipt: dict[str, Any], event: dict[str, Any]) -> str | None:
    """Whether the receipt says what the proven payment event says."""
    kind = event["topic"].rpartition(".")[2]
    if kind not in PAYMENT_EVENTS or event["aggregate"] != receipt.get("invoice_id"):
        return "the second proven event is not a payment of the invoice"
    state = _state(event)
    stated = {
        "payment_id": state["payment_id"],
        "confirmation_number": state["confirmation_number"],
        "amount": _text(state["amount"]),
        "status": "PAID" if kind == "PaymentMade" else "SCHEDULED",
        "date": state["paid_on"] if kind == "PaymentMade" else state["pay_on"],
        "paid_by": state["paid_by"],
        "automatic": state["automatic"],
    }
    method = receipt.get("payment_method") or {}
    if method.get("payment_method_id") != state["payment_method_id"]:
        return "the receipt's payment_method differs from the proven event"
    return _differs(receipt, stated)


def _differs(receipt: dict[str, Any], stated: dict[str, Any]) -> str | None:
    for field, value in stated.items():
        if receipt.get(field) != value:
            return f"the receipt's {field} differs from the proven event"
    return None
