"""The invoice PDF: read back with pypdf, it says what the invoice says (I1, I3, I4, A6)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from io import BytesIO

from pypdf import PdfReader

from api.documents.pdf import ELLIPSIS, MAX_TEXT, capped, money, render
from api.documents.sheet import InvoiceSheet, SheetAdjustment, SheetLine, SheetPayment

SHEET = InvoiceSheet(
    company="Acme Überseehandel GmbH",
    address="12 Harbour Road\n20457 Hamburg",
    account="US-A00001",
    invoice_number="INV-2025-0042",
    control_id="CTRL-77",
    issue_date=date(2025, 6, 5),
    due_date=date(2025, 7, 5),
    currency="USD",
    amount=Decimal("1250.00"),
    balance=Decimal("1200.00"),
    status="PAYMENT_SCHEDULED",
    archive=False,
    lines=(
        SheetLine("1Z999AA10123456784", "Ground parcel, Hamburg → Lyon", Decimal("750.00")),
        SheetLine("1Z999AA10123456785", "Express parcel", Decimal("500.00")),
    ),
    adjustments=(
        SheetAdjustment(
            "Delivered late",
            ("1Z999AA10123456785",),
            Decimal("50.00"),
            "APPROVED",
            Decimal("50.00"),
        ),
    ),
    payments=(SheetPayment("BC12AB34CD56", date(2025, 7, 1), Decimal("1200.00"), made=False),),
    documents=("brokerage-form.pdf",),
)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_the_pdf_is_a_pdf_that_pypdf_reads() -> None:
    pdf = render(SHEET)
    assert pdf.startswith(b"%PDF-")
    assert len(PdfReader(BytesIO(pdf)).pages) >= 1


def test_the_pdf_names_carrier_company_account_number_and_dates() -> None:
    text = text_of(render(SHEET))
    for expected in (
        "Billing Center",
        "INVOICE",
        "Acme Überseehandel GmbH",
        "US-A00001",
        "INV-2025-0042",
        "CTRL-77",
        "2025-06-05",
        "2025-07-05",
    ):
        assert expected in text


def test_the_pdf_lists_each_line_with_its_tracking_number_and_amount() -> None:
    text = text_of(render(SHEET))
    assert "1Z999AA10123456784" in text
    assert "Hamburg → Lyon" in text
    assert "750.00 USD" in text
    assert "500.00 USD" in text


def test_i4_the_pdf_shows_adjustments_and_the_balance_after_them() -> None:
    text = text_of(render(SHEET))
    assert "Delivered late" in text
    assert "-50.00 USD" in text
    assert "Balance due" in text
    assert "1,200.00 USD" in text


def test_i3_the_pdf_shows_a_scheduled_payment_without_naming_the_payer() -> None:
    text = text_of(render(SHEET))
    assert "BC12AB34CD56" in text
    assert "Scheduled" in text


def test_a6_an_archive_invoice_is_stamped_archive() -> None:
    archived = dataclasses.replace(SHEET, archive=True)
    assert "ARCHIVE" in text_of(render(archived))


def test_a_history_invoice_carries_no_archive_stamp() -> None:
    assert "ARCHIVE" not in text_of(render(SHEET))


def test_a_long_invoice_runs_over_several_numbered_pages() -> None:
    lines = tuple(SheetLine(f"TRK-{i:04}", "Ground parcel", Decimal("10.00")) for i in range(80))
    long = dataclasses.replace(SHEET, lines=lines, amount=Decimal("800.00"))
    reader = PdfReader(BytesIO(render(long)))
    assert len(reader.pages) > 1
    assert f"Page 2 of {len(reader.pages)}" in reader.pages[1].extract_text()


def test_amounts_are_grouped_with_two_decimals_and_the_currency() -> None:
    assert money(Decimal("1234.5"), "EUR") == "1,234.50 EUR"


def _lines(count: int, description: str = "Ground parcel") -> tuple[SheetLine, ...]:
    return tuple(SheetLine(f"1Z{i:016}", description, Decimal("1.00")) for i in range(count))


def test_an_adjustment_naming_60_lines_prints_every_tracking_number() -> None:
    """Issue 17: one table row held all 60 numbers, taller than a page: the PDF failed."""
    lines = _lines(60)
    named = tuple(x.tracking_number for x in lines)
    adjustment = SheetAdjustment("Late", named, Decimal("60.00"), "OPEN", Decimal(0))
    sheet = dataclasses.replace(SHEET, lines=lines, adjustments=(adjustment,))
    text = text_of(render(sheet))
    assert all(text.count(number) == 2 for number in named)  # its line, its adjustment


def test_1000_lines_of_500_characters_print_over_pages_with_the_heading_on_each() -> None:
    """Issue 17: any number of lines, each page of the table under its own heading."""
    sheet = dataclasses.replace(SHEET, lines=_lines(1000, "x" * 250 + " " + "y" * 249))
    reader = PdfReader(BytesIO(render(sheet)))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) > 1
    assert all(f"1Z{i:016}" in "".join(pages) for i in range(1000))
    assert sum("Tracking number" in page for page in pages) >= len(pages) - 1


def test_a_line_description_is_cut_at_max_text_with_an_ellipsis() -> None:
    """Issue 17: a row never outgrows a page; the API and the CSV keep the full text."""
    sheet = dataclasses.replace(SHEET, lines=_lines(1, "word " * 100))
    text = text_of(render(sheet))
    assert f"word{ELLIPSIS}" in text
    assert text.count("word") == len(capped("word " * 100).split())


def test_capped_keeps_short_text_and_cuts_long_text_to_the_limit() -> None:
    assert capped("short") == "short"
    assert capped("x" * 500) == "x" * (MAX_TEXT - 1) + ELLIPSIS
    assert len(capped("x" * 500)) == MAX_TEXT


def test_hundreds_of_payments_and_documents_print_over_pages() -> None:
    """Issue 17: any number of payments and documents (names cut, never overflowing)."""
    payments = tuple(
        SheetPayment(f"BC{i:010}", date(2025, 7, 1), Decimal("1.00"), made=True) for i in range(300)
    )
    documents = tuple(f"{i:03}-{'form' * 60}.pdf" for i in range(300))
    sheet = dataclasses.replace(SHEET, payments=payments, documents=documents)
    text = text_of(render(sheet))
    assert "BC0000000299" in text
    assert "299-form" in text


def test_i10_the_pdf_shows_the_account_credit_used_and_given() -> None:
    sheet = dataclasses.replace(
        SHEET, credit_applied=Decimal("30.00"), credit_to_account=Decimal("20.00")
    )
    text = text_of(render(sheet))
    assert "Account credit applied" in text
    assert "-30.00" in text
    assert "Credited to the account" in text


def test_i10_the_pdf_prints_no_credit_rows_without_credit() -> None:
    assert "Account credit applied" not in text_of(render(SHEET))


def test_a8_each_line_of_a_plans_invoice_shows_the_account_it_bills() -> None:
    lines = tuple(
        dataclasses.replace(line, account=account)
        for line, account in zip(SHEET.lines, ("US-A00007", "FR-B00008"), strict=True)
    )
    text = text_of(render(dataclasses.replace(SHEET, lines=lines)))
    assert "Account" in text
    assert "US-A00007" in text
    assert "FR-B00008" in text
