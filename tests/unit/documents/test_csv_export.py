"""The history as CSV: BOM, header, ISO dates, plain decimals, every page, in order."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import UUID

from api.documents.csv_export import COLUMNS, PageReader, all_pages, csv_chunks
from projections.queries import InvoiceView, RowsPage


def invoice(number: int) -> InvoiceView:
    return InvoiceView(
        invoice_id=UUID(int=number),
        invoice_number=f"INV-{number}",
        account="US-A00001",
        issue_date=date(2025, 6, number % 28 + 1),
        due_date=date(2025, 7, number % 28 + 1),
        currency="USD",
        amount=Decimal("1234.5"),
        balance=Decimal(0),
        status="PAID",
        section="HISTORY",
    )


def plain(invoice_ids: Sequence[UUID]) -> dict[UUID, tuple[str, ...]]:
    """No invoice is a plan's: no line names an account."""
    del invoice_ids
    return {}


def pages_of(invoices: list[InvoiceView], size: int) -> PageReader:
    def read(cursor: str | None) -> RowsPage[InvoiceView]:
        start = int(cursor or 0)
        end = start + size
        return RowsPage(invoices[start:end], str(end) if end < len(invoices) else None)

    return read


def parsed(chunks: list[bytes]) -> list[list[str]]:
    data = b"".join(chunks)
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_csv_starts_with_a_bom_and_a_header_row() -> None:
    assert parsed(list(csv_chunks([], plain))) == [list(COLUMNS)]


def test_dates_are_iso_and_amounts_plain_decimals_with_two_places() -> None:
    rows = parsed(list(csv_chunks([invoice(1)], plain)))
    assert rows[1][3:8] == ["2025-06-02", "2025-07-02", "USD", "1234.50", "0.00"]


def test_every_page_is_read_in_order() -> None:
    invoices = [invoice(n) for n in range(1, 8)]
    read = all_pages(pages_of(invoices, size=3))
    rows = parsed(list(csv_chunks(read, plain, rows_per_chunk=2)))
    assert [r[1] for r in rows[1:]] == [f"INV-{n}" for n in range(1, 8)]


def test_rows_are_streamed_in_chunks_not_all_at_once() -> None:
    chunks = list(csv_chunks([invoice(n) for n in range(1, 8)], plain, rows_per_chunk=2))
    assert len(chunks) == 4


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_prefixed_with_a_quote() -> None:
    """OWASP CSV injection (issue 18): text starting with = + - @ tab CR is shown as text."""
    hostile = replace(invoice(1), invoice_number='=HYPERLINK("http://evil.test")',
                      balance=Decimal("-12.5"))  # fmt: skip
    row = parsed(list(csv_chunks([hostile], plain)))[1]
    assert row[COLUMNS.index("invoice_number")] == '\'=HYPERLINK("http://evil.test")'
    assert row[COLUMNS.index("balance")] == "-12.50"  # a plain number stays a number


def test_a8_the_columns_of_api_md_come_first_and_in_order_then_line_accounts() -> None:
    assert (
        *("invoice_id", "invoice_number", "account", "issue_date", "due_date", "currency"),
        *("amount", "balance", "status", "section", "line_accounts"),
    ) == COLUMNS


def test_a8_a_plans_invoice_lists_the_accounts_its_lines_bill_once_per_chunk() -> None:
    """A8: one row per invoice; the plan's lists its lines' accounts, a plain one none."""
    asked: list[list[UUID]] = []

    def billed(invoice_ids: Sequence[UUID]) -> dict[UUID, tuple[str, ...]]:
        asked.append(list(invoice_ids))
        return {UUID(int=2): ("US-A00001", "US-A00002")}

    rows = parsed(list(csv_chunks([invoice(n) for n in (1, 2, 3)], billed, rows_per_chunk=2)))
    cells = [r[COLUMNS.index("line_accounts")] for r in rows[1:]]
    assert cells == ["", "US-A00001;US-A00002", ""]
    assert asked == [[UUID(int=1), UUID(int=2)], [UUID(int=3)]]
