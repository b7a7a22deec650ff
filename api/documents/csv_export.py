"""The billing history as CSV for spreadsheets: UTF-8 with a BOM, a header row, ISO dates,
plain decimal amounts (a dot, two decimals, no grouping), one invoice per row. Text a
spreadsheet would run as a formula is prefixed with `'` (`projections.spreadsheet`).

A8: a plan's invoice bills several shipper accounts, one per line. The row stays one per
invoice (API.md), its `account` the plan's; the trailing `line_accounts` column lists the
distinct accounts its lines bill, `;`-separated in line order, empty for a plain invoice:
a spreadsheet can filter on it without a row per line changing what the sums add up.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from uuid import UUID

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
    "line_accounts",
)

PageReader = Callable[[str | None], RowsPage[InvoiceView]]
"""Reads one page of invoices after a cursor (None: the first page)."""

LineAccounts = Callable[[Sequence[UUID]], Mapping[UUID, Sequence[str]]]
"""A8: the accounts the lines of each of these invoices bill (`ReadModels.line_accounts`)."""


def all_pages(read: PageReader) -> Iterator[InvoiceView]:
    """Every invoice of every page, one page in memory at a time."""
    cursor: str | None = None
    while True:
        page = read(cursor)
        yield from page.items
        if page.next is None:
            return
        cursor = page.next


def row(invoice: InvoiceView, line_accounts: Sequence[str] = ()) -> tuple[str, ...]:
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
        ";".join(line_accounts),
    )
    return tuple(neutralised(cell) for cell in cells)


def csv_chunks(
    invoices: Iterable[InvoiceView], line_accounts: LineAccounts, rows_per_chunk: int = 200
) -> Iterator[bytes]:
    """The CSV file as UTF-8 chunks: BOM and header first, then rows as they come, the
    accounts their lines bill asked once per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(COLUMNS)
    rows = iter(invoices)
    while chunk := list(islice(rows, rows_per_chunk)):
        billed = line_accounts([invoice.invoice_id for invoice in chunk])
        writer.writerows(row(i, billed.get(i.invoice_id, ())) for i in chunk)
        yield _drain(buffer)
    if tail := _drain(buffer):  # the header alone, when there is no invoice
        yield tail


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")
