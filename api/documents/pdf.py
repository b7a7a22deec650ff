"""The invoice as a PDF (fpdf2): header band, parties, lines, adjustments, totals, payments.

DejaVu Sans is embedded (shipped beside this module) so any name or description prints,
whatever its script. An archive invoice (A6) carries an ARCHIVE stamp on every page.

Any number of lines, adjustments, payments and documents is laid out: tables run over as
many pages as they need, their heading repeated on each. No row may be taller than a page,
so every printed text is cut to `MAX_TEXT` characters (an ellipsis marks the cut; the API
and the CSV export carry the full text) and an adjustment's tracking numbers are printed
`NUMBERS_PER_ROW` to a row, over as many rows as it names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

from api.documents.pdf_table import Column, Style, draw_table
from api.documents.sheet import InvoiceSheet

FONTS = Path(__file__).parent / "fonts"
FONT = "DejaVu"
CARRIER = "Billing Center"
TAGLINE = "Online billing for shipper accounts"
INK = (33, 37, 41)
BRAND = (18, 52, 86)
MUTED = (108, 117, 125)
PALE = (241, 244, 248)
STAMP = (200, 35, 35)
TOTALS_HEIGHT = 36
MAX_TEXT = 160
"""Characters printed of one text (a description, a reason, a name): at most four lines of
its column, so a 1,000-line invoice of long descriptions stays a few seconds' work."""
NUMBERS_PER_ROW = 6
ELLIPSIS = "…"
AMOUNT = Column("Amount", 20, right=True)


def capped(text: str, limit: int = MAX_TEXT) -> str:
    """`text`, cut to `limit` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def money(amount: Decimal, currency: str) -> str:
    """`1,234.50 USD`: grouped, two decimals, the code after."""
    return f"{amount:,.2f} {currency}"


def set_up(pdf: FPDF, title: str, created: datetime, *, bottom: float | None = None) -> None:
    """The carrier's A4 documents: margins (`bottom`: where a page breaks), the embedded
    fonts, and the file's title, author and creation date."""
    pdf.set_margins(18, 16, 18)
    if bottom is not None:
        pdf.set_auto_page_break(auto=True, margin=bottom)
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(title)
    pdf.set_author(CARRIER)
    pdf.set_creation_date(created)


class _Page(FPDF):
    """A4 pages with the carrier's band on top and a page count at the bottom."""

    def __init__(self, sheet: InvoiceSheet) -> None:
        super().__init__(format="A4", unit="mm")
        self.sheet = sheet
        issued = datetime.combine(sheet.issue_date, datetime.min.time(), UTC)
        set_up(self, f"Invoice {sheet.invoice_number}", issued, bottom=22)

    def header(self) -> None:
        self.set_fill_color(*BRAND)
        self.rect(0, 0, self.w, 30, style="F")
        self.set_text_color(255, 255, 255)
        self.set_xy(self.l_margin, 8)
        self.set_font(FONT, "B", 18)
        self.cell(0, 8, CARRIER)
        self.set_xy(self.l_margin, 17)
        self.set_font(FONT, "", 9)
        self.cell(0, 5, TAGLINE)
        self.set_xy(self.l_margin, 9)
        self.set_font(FONT, "B", 20)
        self.cell(0, 10, "INVOICE", align="R")
        if self.sheet.archive:
            self._archive_label()
        self.set_text_color(*INK)
        self.set_y(38)

    def _archive_label(self) -> None:
        """A6: archive invoices are for viewing and downloading only."""
        self.set_xy(self.l_margin, 22)
        self.set_font(FONT, "B", 9)
        self.set_text_color(255, 205, 205)
        self.cell(0, 5, "ARCHIVE · view and download only", align="R")

    def _stamp(self) -> None:
        """Drawn last on each page, so no table fill hides it."""
        with self.local_context(fill_opacity=0.16, text_color=STAMP):
            self.set_font(FONT, "B", 96)
            with self.rotation(35, self.w / 2, self.h / 2):
                self.set_xy(0, self.h / 2 - 20)
                self.cell(self.w, 40, "ARCHIVE", align="C")

    def footer(self) -> None:
        if self.sheet.archive:
            self._stamp()
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        left = f"Invoice {self.sheet.invoice_number} · account {self.sheet.account}"
        self.cell(0, 5, left)
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def render(sheet: InvoiceSheet) -> bytes:
    """The invoice PDF."""
    pdf = _Page(sheet)
    pdf.add_page()
    _parties(pdf, sheet)
    _lines(pdf, sheet)
    if sheet.adjustments:
        _adjustments(pdf, sheet)
    _totals(pdf, sheet)
    if sheet.payments:
        _payments(pdf, sheet)
    if sheet.documents:
        _documents(pdf, sheet)
    return bytes(pdf.output())


def _label(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT, "B", 8)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 5, text.upper(), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)


def _parties(pdf: FPDF, sheet: InvoiceSheet) -> None:
    top, half = pdf.get_y(), pdf.epw / 2
    _label(pdf, "Billed to")
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(half - 6, 6, capped(sheet.company), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    if sheet.address:
        address = capped(sheet.address, MAX_TEXT * 2)
        pdf.multi_cell(half - 6, 4.5, address, new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"Account {sheet.account}", new_x="LMARGIN", new_y="NEXT")
    bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + half, top)
    _facts(pdf, sheet, half)
    pdf.set_y(max(bottom, pdf.get_y()) + 6)


def _facts(pdf: FPDF, sheet: InvoiceSheet, width: float) -> None:
    facts = [
        ("Invoice number", sheet.invoice_number),
        ("Control id", sheet.control_id),
        ("Issue date", _day(sheet.issue_date)),
        ("Due date", _day(sheet.due_date)),
        ("Status", sheet.status.replace("_", " ").title()),
        ("Balance due", money(sheet.balance, sheet.currency)),
    ]
    x = pdf.get_x()
    for name, value in facts:
        pdf.set_x(x)
        pdf.set_font(FONT, "", 9)
        pdf.set_text_color(*MUTED)
        pdf.cell(width * 0.45, 6, name)
        pdf.set_font(FONT, "B", 9)
        pdf.set_text_color(*INK)
        pdf.cell(width * 0.55, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")


def _day(day: date) -> str:
    return day.isoformat()


TABLE = Style(FONT, ink=INK, heading_fill=BRAND, row_fill=PALE)


def _table(pdf: FPDF, columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> None:
    draw_table(pdf, TABLE, columns, [[capped(value) for value in row] for row in rows])


def _lines(pdf: FPDF, sheet: InvoiceSheet) -> None:
    _label(pdf, "Shipments")
    plan = any(x.account for x in sheet.lines)  # A8: a plan's lines name the account billed
    wide = (Column("Account", 22), Column("Description", 30)) if plan else ()
    columns = (Column("Tracking number", 28), *(wide or (Column("Description", 52),)), AMOUNT)
    rows = [
        (x.tracking_number, *([x.account] if plan else []), x.description,
         money(x.amount, sheet.currency))
        for x in sheet.lines
    ]  # fmt: skip
    _table(pdf, columns, rows)


def _adjustments(pdf: FPDF, sheet: InvoiceSheet) -> None:
    _label(pdf, "Adjustment requests")
    columns = (
        Column("Tracking numbers", 28),
        Column("Reason", 30),
        Column("Requested", 15, right=True),
        Column("Status", 14),
        Column("Credited", 13, right=True),
    )
    rows: list[tuple[str, ...]] = []
    for x in sheet.adjustments:
        numbers = _groups(x.tracking_numbers) or [""]
        requested, credited = money(x.requested, sheet.currency), money(x.credited, sheet.currency)
        rows.append((numbers[0], x.reason, requested, x.status.title(), credited))
        rows += [(more, "", "", "", "") for more in numbers[1:]]
    _table(pdf, columns, rows)


def _groups(numbers: Sequence[str]) -> list[str]:
    """Tracking numbers a few to a row, so that one adjustment of many lines spans rows."""
    return [
        "\n".join(numbers[i : i + NUMBERS_PER_ROW]) for i in range(0, len(numbers), NUMBERS_PER_ROW)
    ]


def _totals(pdf: FPDF, sheet: InvoiceSheet) -> None:
    totals = [
        ("Invoice amount", money(sheet.amount, sheet.currency)),
        ("Adjustments credited", money(-sheet.credited, sheet.currency)),
        ("Payments received", money(-sheet.paid, sheet.currency)),
        *_credit(sheet),
    ]
    if pdf.will_page_break(TOTALS_HEIGHT + 6 * (len(totals) - 3)):
        pdf.add_page()  # the totals and the balance read as one block
    pdf.ln(1)
    left, width = pdf.l_margin + pdf.epw * 0.5, pdf.epw * 0.5
    pdf.set_font(FONT, "", 9)
    for name, value in totals:
        pdf.set_x(left)
        pdf.cell(width * 0.55, 6, name)
        pdf.cell(width * 0.45, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")
    _balance(pdf, sheet, left, width)


def _credit(sheet: InvoiceSheet) -> list[tuple[str, str]]:
    """I10: the account credit this invoice used, and what its approvals gave the account
    beyond its balance (printed only when there is some)."""
    rows = []
    if sheet.credit_applied:
        rows.append(("Account credit applied", money(-sheet.credit_applied, sheet.currency)))
    if sheet.credit_to_account:
        rows.append(("Credited to the account", money(sheet.credit_to_account, sheet.currency)))
    return rows


def _balance(pdf: FPDF, sheet: InvoiceSheet, left: float, width: float) -> None:
    pdf.set_x(left)
    pdf.set_fill_color(*BRAND)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(width * 0.55, 9, " Balance due", fill=True)
    value = f"{money(sheet.balance, sheet.currency)} "
    pdf.cell(width * 0.45, 9, value, align="R", fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.ln(6)


def _payments(pdf: FPDF, sheet: InvoiceSheet) -> None:
    _label(pdf, "Payments")
    columns = (Column("Confirmation number", 30), Column("Date", 20), Column("State", 20))
    rows = [
        (
            x.confirmation_number,
            _day(x.on),
            "Paid" if x.made else "Scheduled",
            money(x.amount, sheet.currency),
        )
        for x in sheet.payments
    ]
    _table(pdf, (*columns, Column("Amount", 30, right=True)), rows)


def _documents(pdf: FPDF, sheet: InvoiceSheet) -> None:
    _label(pdf, "Attached documents")
    pdf.set_font(FONT, "", 9)
    for name in sheet.documents:
        pdf.cell(0, 5, f"•  {capped(name, MAX_TEXT // 2)}", new_x="LMARGIN", new_y="NEXT")
