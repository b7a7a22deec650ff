"""Time one invoice PDF of 1,000 lines of 500 characters (issue 17).

`.venv/bin/python -m benchmarks.pdf_render` prints the CPU seconds of
`api.documents.pdf.render`, the page count and the size (not part of `make bench`).
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from io import BytesIO

from pypdf import PdfReader

from api.documents.pdf import render
from api.documents.sheet import InvoiceSheet, SheetAdjustment, SheetLine

LINES = 1_000
CHARACTERS = 500


def big_sheet(lines: int = LINES, characters: int = CHARACTERS) -> InvoiceSheet:
    """An invoice of `lines` lines, each described in `characters` characters, with an
    adjustment naming 60 of them."""
    words = ("Ground parcel Hamburg to Lyon, signed on delivery " * 20)[:characters]
    rows = tuple(SheetLine(f"1Z{n:016d}", words, Decimal("1.00")) for n in range(lines))
    adjustment = SheetAdjustment(
        "Delivered late",
        tuple(r.tracking_number for r in rows[:60]),
        Decimal(60),
        "OPEN",
        Decimal(0),
    )
    return InvoiceSheet(
        company="Acme",
        address="1 Road",
        account="US-A00001",
        invoice_number="INV-1",
        control_id="C",
        issue_date=date(2025, 1, 1),
        due_date=date(2025, 2, 1),
        currency="USD",
        amount=Decimal(lines),
        balance=Decimal(lines),
        status="OPEN",
        archive=False,
        lines=rows,
        adjustments=(adjustment,),
    )


def main() -> None:
    sheet = big_sheet()
    started = time.process_time()
    pdf = render(sheet)
    seconds = time.process_time() - started
    pages = len(PdfReader(BytesIO(pdf)).pages)
    print(
        f"{LINES} lines x {CHARACTERS} chars: {seconds:.2f} s CPU, {pages} pages, {len(pdf)} bytes"
    )


if __name__ == "__main__":
    main()
