"""Pages of short lists held in memory (accounts, payment methods): the cursor is an offset."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from api.http.deps import Paging
from domain.errors import InvalidInput

T = TypeVar("T")
MAX_CURSOR_DIGITS = 9


def in_pages(items: Sequence[T], page: Paging) -> tuple[list[T], str | None]:
    """The page `page` asks for, and the cursor of the next one."""
    start = 0
    if page.cursor is not None:
        if not page.cursor.isdigit() or len(page.cursor) > MAX_CURSOR_DIGITS:
            raise InvalidInput("cursor", "a cursor this list handed out")
        start = int(page.cursor)
    end = start + page.limit
    return list(items[start:end]), str(end) if end < len(items) else None
