"""What the domain needs from outside, as protocols the composition root fills in, and
`utc_now`, the real clock it fills `Clock` with."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

Clock = Callable[[], datetime]
"""The current instant, timezone-aware (tests pass a fixed one)."""


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


class SecretBox(Protocol):
    """Seals secrets (R11: bank account numbers) so no event holds them in clear."""

    def seal(self, plaintext: str) -> str:
        """An opaque ASCII token that only `open` turns back into `plaintext`."""
        ...

    def open(self, sealed: str) -> str:
        """The plaintext a token of `seal` stands for."""
        ...
