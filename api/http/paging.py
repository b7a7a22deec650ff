"""Paging of lists: `limit`, and cursors sealed to the list and caller that got them.

A read side's cursor is a plain key (a JSON keyset, an offset). Handed to a client as is,
any forged one reaches SQL with whatever types it holds (issue 17: 500s on both stores)
and another company's cursor pages this company's list. So the API hands out each
cursor sealed: the read side's key and an HMAC over it and the list it belongs to (the
path, with its company id and section, and the caller's login). A cursor whose seal does
not hold is malformed input (422) before any query runs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TypeVar

from domain.errors import InvalidInput
from projections.queries import DEFAULT_LIMIT, RowsPage

T = TypeVar("T")
MAC_BYTES = 16
MAX_OFFSET_DIGITS = 9
EXPECTED = "a cursor this list handed out"


@lru_cache(maxsize=4)
def cursor_key(secret: str) -> bytes:
    """The cursors' own key, derived from the service secret (every worker shares it)."""
    return hmac.new(secret.encode(), b"billing-center list cursor v1", hashlib.sha256).digest()


class CursorSeal:
    """Seals the read side's cursors to one list (path) and one caller (login)."""

    def __init__(self, secret: str, path: str, login: str) -> None:
        self._key = cursor_key(secret)
        self._list = f"{path}\n{login}\n".encode()

    def _mac(self, key: bytes) -> bytes:
        return hmac.new(self._key, self._list + key, hashlib.sha256).digest()[:MAC_BYTES]

    def seal(self, cursor: str) -> str:
        """The cursor as handed to the client."""
        key = cursor.encode()
        return base64.urlsafe_b64encode(self._mac(key) + key).decode().rstrip("=")

    def open(self, sealed: str) -> str:
        """The read side's cursor inside `sealed`; 422 unless this seal made exactly it
        (sealing again must give the same text: no other spelling of it passes either)."""
        try:
            raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
            key = raw[MAC_BYTES:].decode()
        except (ValueError, binascii.Error):  # UnicodeError is a ValueError
            raise InvalidInput("cursor", EXPECTED) from None
        if not hmac.compare_digest(self.seal(key), sealed):
            raise InvalidInput("cursor", EXPECTED)
        return key


class Paging:
    """`limit` (1..500, default 50) and `cursor` of a list.

    Without a seal (the console calling a route in-process) cursors pass through as the
    read side made them; with one, they are sealed on the way out and opened on the way in.
    """

    def __init__(
        self, limit: int = DEFAULT_LIMIT, cursor: str | None = None, seal: CursorSeal | None = None
    ) -> None:
        self.limit = limit
        self.cursor = cursor
        self.seal = seal

    def sealed_by(self, seal: CursorSeal) -> Paging:
        """The same page, its cursors sealed by `seal`."""
        return Paging(self.limit, self.cursor, seal)

    def opened(self) -> str | None:
        """The read side's cursor the client passed back (422 if it is not one we sealed)."""
        if self.cursor is None or self.seal is None:
            return self.cursor
        return self.seal.open(self.cursor)

    def sealed(self, cursor: str | None) -> str | None:
        """The read side's next cursor, as handed to the client."""
        if cursor is None or self.seal is None:
            return cursor
        return self.seal.seal(cursor)

    def read(self, query: Callable[[str | None], RowsPage[T]]) -> RowsPage[T]:
        """Run a keyset-paged query from the opened cursor; seal the next one."""
        found = query(self.opened())
        return replace(found, next=self.sealed(found.next))


def in_pages(items: Sequence[T], page: Paging) -> tuple[list[T], str | None]:
    """The page `page` asks for of a short list held in memory (the cursor is an offset)."""
    cursor = page.opened()
    start = 0
    if cursor is not None:
        if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > MAX_OFFSET_DIGITS:
            raise InvalidInput("cursor", EXPECTED)
        start = int(cursor)
    end = start + page.limit
    return list(items[start:end]), page.sealed(str(end)) if end < len(items) else None
