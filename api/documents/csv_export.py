"""The billing history as CSV for spreadsheets: UTF-8 with a BOM, a header row, ISO dates,
plain decimal amounts (a dot, two decimals, no grouping), one invoice per row. Text a
spreadsheet would run as a formula is prefixed with `'` (`projections.spreadsheet`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator

from projections.queries import InvoiceView, RowsPage
from projections.spreadsheet import neutralised

BOM = "\ufeff"
COLUMNS = (
    "invoice_id",
    "invoice_number",
    "account",
    "issue_date",
    "due_date",
    "currency",
    "amount",
    "balance",
    "status",
    "section",
)

PageReader = Callable[[str | None], RowsPage[InvoiceView]]
"""Reads one page of invoices after a cursor (None: the first page)."""


def all_pages(read: PageReader) -> Iterator[InvoiceView]:
    """Every invoice of every page, one page in memory at a time."""
    cursor: str | None = None
    while True:
        page = read(cursor)
        yield from page.items
        if page.next is None:
            return
        cursor = page.next


def row(invoice: InvoiceView) -> tuple[str, ...]:
    """One invoice as CSV cells, none of them a formula."""
    cells = (
        str(invoice.invoice_id),
        invoice.invoice_number,
        invoice.account,
        invoice.issue_date.isoformat(),
        invoice.due_date.isoformat(),
        invoice.currency,
        f"{invoice.amount:.2f}",
        f"{invoice.balance:.2f}",
        invoice.status,
        invoice.section,
    )
    return tuple(neutralised(cell) for cell in cells)


def csv_chunks(invoices: Iterable[InvoiceView], rows_per_chunk: int = 200) -> Iterator[bytes]:
    """The CSV file as UTF-8 chunks: BOM and header first, then rows as they come."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(COLUMNS)
    for count, invoice in enumerate(invoices, start=1):
        writer.writerow(row(invoice))
        if count % rows_per_chunk == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")
