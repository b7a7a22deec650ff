"""I7: an attached document is a PDF of at most 10 MB, judged by its content, not its name."""

from __future__ import annotations

from io import BytesIO
from typing import BinaryIO

from pypdf import PdfReader

from domain.errors import InvalidInput

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
CHUNK = 1024 * 1024


class DocumentTooLarge(Exception):
    """The upload is over MAX_DOCUMENT_BYTES (HTTP 413)."""

    def __init__(self) -> None:
        super().__init__(f"a document is at most {MAX_DOCUMENT_BYTES} bytes")
        self.detail = str(self)


def read_limited(source: BinaryIO, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """All of `source`, refused as soon as it passes `limit` bytes."""
    parts, total = [], 0
    while chunk := source.read(CHUNK):
        total += len(chunk)
        if total > limit:
            raise DocumentTooLarge
        parts.append(chunk)
    return b"".join(parts)


def check_pdf(content: bytes) -> None:
    """Refuse anything that does not start like a PDF and parse as one, with its pages."""
    if not content.startswith(PDF_MAGIC):
        raise InvalidInput("file", "a PDF document (it does not start with %PDF-)", rule="I7")
    try:
        pages = len(PdfReader(BytesIO(content)).pages)
    except Exception as error:  # pypdf raises many kinds on broken input
        raise InvalidInput("file", "a readable PDF document", rule="I7") from error
    if pages < 1:
        raise InvalidInput("file", "a PDF document with at least one page", rule="I7")
