"""A receipt (I8) printed: the payment's facts, then its proof, with the verifiable JSON
document embedded as the PDF's attachment `receipt.json` (what `billing-center audit
verify-receipt` checks; the printed hashes are for reading, not for retyping)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from fpdf import FPDF

from api.documents.pdf import BRAND, CARRIER, FONT, INK, MUTED, money, set_up
from projections.audit.receipts import ATTACHMENT


def render_receipt(document: dict[str, Any]) -> bytes:
    """The receipt as a one-page PDF, its JSON embedded."""
    facts, proof = document["receipt"], document["proof"]
    pdf = FPDF(format="A4", unit="mm")
    set_up(pdf, f"Receipt {facts['confirmation_number']}", datetime.now(UTC))
    pdf.add_page()
    _heading(pdf, facts)
    for label, value in _rows(facts):
        _row(pdf, label, value)
    pdf.ln(6)
    _proof(pdf, proof)
    pdf.embed_file(
        bytes=orjson.dumps(document, option=orjson.OPT_INDENT_2),
        basename=ATTACHMENT,
        mime_type="application/json",
        desc="The verifiable receipt: billing-center audit verify-receipt receipt.json",
    )
    return bytes(pdf.output())


def _heading(pdf: FPDF, facts: dict[str, Any]) -> None:
    pdf.set_font(FONT, "B", 18)
    pdf.set_text_color(*BRAND)
    title = "Payment receipt" if facts["status"] == "PAID" else "Scheduled payment receipt"
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 6, f"{CARRIER} · confirmation {facts['confirmation_number']}",
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.ln(4)


def _rows(facts: dict[str, Any]) -> list[tuple[str, str]]:
    method = facts["payment_method"]
    shown = method.get("account_number") or method["payment_method_id"]
    holder = f"{method['holder']} · " if method.get("holder") else ""
    return [
        ("Invoice", f"{facts['invoice_number']} (account {facts['account']})"),
        ("Amount", money(Decimal(facts["amount"]), facts["currency"])),
        ("Paid on" if facts["status"] == "PAID" else "Scheduled for", facts["date"]),
        ("Payment method", f"{holder}{shown}"),
        ("Confirmation number", facts["confirmation_number"]),
        ("Paid by", facts["paid_by"] + (" (automatic payment)" if facts["automatic"] else "")),
        ("Invoice id", facts["invoice_id"]),
        ("Payment id", facts["payment_id"]),
    ]


def _row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font(FONT, "B", 9)
    pdf.set_text_color(*MUTED)
    pdf.cell(48, 7, label)
    pdf.set_font(FONT, "", 10)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")


def _proof(pdf: FPDF, proof: dict[str, Any]) -> None:
    pdf.set_font(FONT, "B", 11)
    pdf.set_text_color(*BRAND)
    pdf.cell(0, 8, "Proof (I8)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 4.5, (
        "The invoice's issue and this payment are events of the store's hash chain, each "
        "at the position below, under a checkpoint signed with the carrier's export key "
        "(Ed25519). The attached receipt.json carries everything needed to check it offline: "
        "billing-center audit verify-receipt, or the procedure in the service's README."
    ), align="L", new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_font(FONT, "", 7)
    pdf.multi_cell(0, 4, f"public key SHA-256: {proof['public_key_sha256']}", align="L",
                   new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    for entry in proof["events"]:
        event = entry["event"]
        pdf.ln(2)
        pdf.set_font(FONT, "B", 8)
        kind = event["topic"].rpartition(".")[2]
        pdf.cell(0, 5, f"{kind} at position {event['position']}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 7)
        for label in ("row_hash", "head", "signature"):
            pdf.multi_cell(
                0, 4, f"{label}: {entry[label]}", align="L", new_x="LMARGIN", new_y="NEXT"
            )
