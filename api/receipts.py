"""The receipt of a payment (I8) for whoever may see its invoice, whichever way in asks."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.application import BillingCenter
from domain.caller import Caller
from domain.errors import NotFound
from projections.audit.chain import Signer
from projections.audit.receipts import Sources, issue
from projections.queries import ReadModels


def payment_receipt(
    app: BillingCenter, reads: ReadModels, caller: Caller, iid: UUID, pid: str, *, signer: Signer
) -> dict[str, Any]:
    """The receipt with its proof, if the caller may see the invoice (R4, A4-A7, I2, I8)."""
    seen = app.visible_invoice(caller.as_person(), iid)
    side = getattr(app, "side_store", None)
    if side is None:  # only a service without its audit tables: never the one `serve` runs
        raise NotFound("receipt of payment", pid)
    methods = {m.payment_method_id: m for m in reads.payment_methods(seen.company.id)}
    payment = next((p for p in seen.invoice.payments if p["payment_id"] == pid), None)
    method = methods.get(payment["payment_method_id"]) if payment else None
    shown = None
    if method is not None:
        shown = {
            "payment_method_id": method.payment_method_id,
            "holder": method.holder,
            "bank_code": method.bank_code,
            "account_number": method.account_number,
        }
    return issue(Sources(app.recorder, side, signer), seen.invoice, pid, shown)
