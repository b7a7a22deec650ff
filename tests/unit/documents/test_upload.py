"""I7: an attached document is a PDF by its content, of at most 10 MB."""

from __future__ import annotations

from io import BytesIO

import pytest

from api.documents.upload import DocumentTooLarge, check_pdf, read_limited
from domain.errors import InvalidInput
from tests.samples import a_pdf


def test_i7_a_real_pdf_is_accepted() -> None:
    check_pdf(a_pdf())


def test_i7_a_file_that_does_not_start_like_a_pdf_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_pdf(b"GIF89a this is no PDF")
    assert refused.value.rule_id == "I7"


def test_i7_a_file_that_starts_like_a_pdf_but_does_not_parse_is_refused() -> None:
    with pytest.raises(InvalidInput):
        check_pdf(b"%PDF-1.7\nnot really a pdf at all")


def test_i7_the_limit_lets_a_file_of_exactly_the_limit_through() -> None:
    assert read_limited(BytesIO(b"x" * 100), limit=100) == b"x" * 100


def test_i7_one_byte_over_the_limit_is_too_large() -> None:
    with pytest.raises(DocumentTooLarge):
        read_limited(BytesIO(b"x" * 101), limit=100)
