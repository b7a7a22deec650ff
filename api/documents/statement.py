"""A statement (R12) printed: the aging of what is due per currency, then each open
invoice; and the same invoices as the billing history's CSV."""

from __future__ import annotations

from datetime import UTC, datetime

from fpdf import FPDF

from api.documents.aging import BUCKETS
from api.documents.csv_export import csv_chunks
from api.documents.pdf import BRAND, FONT, INK, MUTED, TABLE, capped, money, set_up
from api.documents.pdf_table import Column, draw_table
from api.statements import Statement

AGING_COLUMNS = (
    Column("Currency", 14),
    *(Column(label, 14, right=True) for label in
      ("Current", "1-30 days", "31-60", "61-90", "Over 90", "Total")),
)  # fmt: skip
INVOICE_COLUMNS = (
    Column("Invoice", 22), Column("Account", 20), Column("Issued", 14), Column("Due", 14),
    Column("Balance", 18, right=True), Column("Status", 16),
)  # fmt: skip


def render_statement(statement: Statement) -> bytes:
    """The statement PDF."""
    pdf = FPDF(format="A4", unit="mm")
    as_of = datetime.combine(statement.as_of, datetime.min.time(), UTC)
    set_up(pdf, f"Statement {statement.period.name}", as_of, bottom=18)
    pdf.add_page()
    _heading(pdf, statement)
    _label(pdf, "Aging of what is still due")
    rows = [
        (currency, *(money(sums[b], currency) for b in (*BUCKETS, "total")))
        for currency, sums in sorted(statement.aging.items())
    ]
    draw_table(pdf, TABLE, AGING_COLUMNS, rows or [("Nothing is due.", "", "", "", "", "", "")])
    pdf.ln(4)
    _label(pdf, f"Open invoices ({len(statement.invoices)})")
    lines = [
        (capped(i.invoice_number), i.account, i.issue_date.isoformat(), i.due_date.isoformat(),
         money(i.balance, i.currency), i.status.replace("_", " ").title())
        for i in statement.invoices
    ]  # fmt: skip
    draw_table(pdf, TABLE, INVOICE_COLUMNS, lines or [("None.", "", "", "", "", "")])
    return bytes(pdf.output())


def statement_csv(statement: Statement) -> bytes:
    """The statement's invoices as the billing history's CSV."""
    return b"".join(csv_chunks(statement.invoices, lambda _: statement.line_accounts))


def _heading(pdf: FPDF, statement: Statement) -> None:
    pdf.set_font(FONT, "B", 18)
    pdf.set_text_color(*BRAND)
    pdf.cell(0, 10, f"Statement {statement.period.name}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*MUTED)
    period = statement.period
    pdf.multi_cell(0, 5, (
        f"{capped(statement.company)} · for {statement.login} · {period.start.isoformat()} to "
        f"{period.end.isoformat()} · aged on {statement.as_of.isoformat()}.\n"
        "The open invoices of the accounts you may see, issued by the end of the period."
    ), align="L", new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.ln(3)


def _label(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT, "B", 10)
    pdf.set_text_color(*INK)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
