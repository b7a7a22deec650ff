"""I7: an attached document is a PDF of at most 10 MB, judged by its content, not its name."""

from __future__ import annotations

from io import BytesIO
from typing import BinaryIO

from PIL import Image
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


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


def check_evidence(content: bytes) -> str:
    """I9: a case's evidence is a PDF, a PNG or a JPEG, judged by its content (the magic bytes,
    then a real parse or decode), never by its name; its media type."""
    if content.startswith(PDF_MAGIC):
        try:
            check_pdf(content)
        except InvalidInput:
            raise InvalidInput("file", "a readable PDF document", rule="I9") from None
        return "application/pdf"
    kind = "image/png" if content.startswith(PNG_MAGIC) else None
    kind = "image/jpeg" if content.startswith(JPEG_MAGIC) else kind
    if kind is None:
        raise InvalidInput("file", "a PDF, PNG or JPEG file", rule="I9")
    try:
        with Image.open(BytesIO(content)) as image:
            image.load()  # decodes every pixel: a truncated or forged image fails here
    except Exception as error:  # Pillow raises many kinds on broken input (and bombs)
        raise InvalidInput("file", "an image that decodes", rule="I9") from error
    return kind
