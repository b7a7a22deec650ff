"""Sample files for the tests that upload documents and evidence (I7, I9)."""

from __future__ import annotations

from fpdf import FPDF


def a_pdf(text: str = "Brokerage form") -> bytes:
    """A real one-page PDF that says `text` (pypdf opens it, its text extracts)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(0, 10, text)
    return bytes(pdf.output())
