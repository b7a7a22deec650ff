"""CSV cells a spreadsheet never runs as formulas (OWASP CSV injection, issue 18)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projections.spreadsheet import neutralised, restored


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "'=1"])
def test_a_cell_a_spreadsheet_would_evaluate_is_prefixed_with_a_quote(cell: str) -> None:
    assert neutralised(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["alice", "INV-1", "-12.50", "0", "US-A00001", ""])
def test_text_and_plain_numbers_are_left_as_they_are(cell: str) -> None:
    assert neutralised(cell) == cell


@given(st.text())
def test_the_prefix_is_reversible(cell: str) -> None:
    assert restored(neutralised(cell)) == cell
