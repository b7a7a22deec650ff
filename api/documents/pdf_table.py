"""A table drawn row by row over as many pages as it needs, its heading on top of each.

fpdf2's own `table()` measures every text character by character twice (once to size the
row, once to draw it), in pure Python: 1,000 invoice lines of long descriptions took 8 s of
CPU (issue 17). Here each text is wrapped once, at word boundaries, from a per-character
width table (the embedded font has no kerning, so a text's width is the sum of its
characters'), and drawn line by line with `FPDF.text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

LINE = 4.2  # mm between baselines, for a 9 pt font
PAD_X, PAD_Y = 2.0, 1.4
BASELINE = 3.1  # mm from a line's top to its baseline, for a 9 pt font
FONT_SIZE = 9
WHITE = (255, 255, 255)


@dataclass(frozen=True)
class Column:
    """A column: its heading, its share of the page's width, right-aligned or not."""

    heading: str
    share: int
    right: bool = False


@dataclass(frozen=True)
class Style:
    """The font family and colours a table is drawn in."""

    font: str
    ink: tuple[int, int, int]
    heading_fill: tuple[int, int, int]
    row_fill: tuple[int, int, int]


class Widths:
    """Text widths in the current font, from each character's width measured once."""

    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self.known: dict[str, float] = {}

    def of(self, text: str) -> float:
        known, total = self.known, 0.0
        for char in text:
            width = known.get(char)
            if width is None:
                width = known[char] = self.pdf.get_string_width(char)
            total += width
        return total

    def wrapped(self, text: str, width: float) -> list[str]:
        """`text` in lines no wider than `width`: at spaces, or inside a word too long."""
        lines: list[str] = []
        for paragraph in text.split("\n"):
            lines += self._paragraph(paragraph, width)
        return lines or [""]

    def _paragraph(self, paragraph: str, width: float) -> list[str]:
        lines, line, space = [], "", self.of(" ")
        used = 0.0
        for word in paragraph.split(" "):
            size = self.of(word)
            if line and used + space + size <= width:
                line, used = f"{line} {word}", used + space + size
                continue
            if line:
                lines.append(line)
            pieces = self._cut(word, width) if size > width else [word]
            lines += pieces[:-1]
            line, used = pieces[-1], self.of(pieces[-1])
        return [*lines, line]

    def _cut(self, word: str, width: float) -> list[str]:
        pieces, piece, used = [], "", 0.0
        for char in word:
            size = self.of(char)
            if piece and used + size > width:
                pieces.append(piece)
                piece, used = "", 0.0
            piece, used = piece + char, used + size
        return [*pieces, piece]


def draw_table(
    pdf: FPDF, style: Style, columns: Sequence[Column], rows: Sequence[Sequence[str]]
) -> None:
    """Draw `rows` under `columns`, breaking pages between rows (never inside one)."""
    pdf.set_font(style.font, "", FONT_SIZE)
    widths = [pdf.epw * c.share / sum(c.share for c in columns) for c in columns]
    measure = Widths(pdf)
    _heading(pdf, style, columns, widths)
    for index, values in enumerate(rows):
        cells = [measure.wrapped(v, w - 2 * PAD_X) for v, w in zip(values, widths, strict=True)]
        height = max(len(c) for c in cells) * LINE + 2 * PAD_Y
        if pdf.will_page_break(height):
            pdf.add_page()
            _heading(pdf, style, columns, widths)
        _row(pdf, style, (columns, widths, cells), height, filled=index % 2 == 1, measure=measure)
    pdf.ln(4)


def _heading(pdf: FPDF, style: Style, columns: Sequence[Column], widths: Sequence[float]) -> None:
    pdf.set_font(style.font, "B", FONT_SIZE)
    height = LINE + 2 * PAD_Y
    pdf.set_fill_color(*style.heading_fill)
    pdf.rect(pdf.l_margin, pdf.get_y(), pdf.epw, height, style="F")
    pdf.set_text_color(*WHITE)
    cells = [[c.heading] for c in columns]
    _texts(pdf, (columns, widths, cells), Widths(pdf))
    pdf.set_text_color(*style.ink)
    pdf.set_font(style.font, "", FONT_SIZE)
    pdf.set_y(pdf.get_y() + height)


Layout = tuple[Sequence[Column], Sequence[float], Sequence[Sequence[str]]]


def _row(
    pdf: FPDF, style: Style, layout: Layout, height: float, *, filled: bool, measure: Widths
) -> None:
    top = pdf.get_y()
    if filled:
        pdf.set_fill_color(*style.row_fill)
        pdf.rect(pdf.l_margin, top, pdf.epw, height, style="F")
    _texts(pdf, layout, measure)
    pdf.set_draw_color(*style.heading_fill)
    pdf.set_line_width(0.1)
    pdf.line(pdf.l_margin, top + height, pdf.l_margin + pdf.epw, top + height)
    pdf.set_y(top + height)


def _texts(pdf: FPDF, layout: Layout, measure: Widths) -> None:
    columns, widths, cells = layout
    x, top = pdf.l_margin, pdf.get_y() + PAD_Y
    for column, width, lines in zip(columns, widths, cells, strict=True):
        for number, line in enumerate(lines):
            left = x + width - PAD_X - measure.of(line) if column.right else x + PAD_X
            pdf.text(left, top + number * LINE + BASELINE, line)
        x += width
