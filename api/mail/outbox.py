"""What the sender needs of the notification outbox: claim undelivered rows, settle them.

The outbox rows are the read side's (projections/outbox.py decides who gets what, R8, I4,
I5); delivery is ours. A claim is a lease: rows claimed by a sender that died come back
to any sender once the lease runs out, so one crash delays an e-mail and never loses it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

from projections.queries import OutboxMessage

Outcome = Literal["SENT", "FAILED", "SKIPPED"]
"""SENT: the server accepted it; FAILED: refused for good (5xx); SKIPPED: nobody to mail."""

Key = tuple[int, str, str]


def key_of(message: OutboxMessage) -> Key:
    """The outbox's key: (event position, recipient login, kind)."""
    return (message.position, message.recipient, message.kind)


class DeliveryQueue(Protocol):
    """The notification outbox as the mail sender drains it: claim rows under a lease, settle
    them, or give them back (issue 19: `projections.outbox.Notifications` writes the rows)."""

    def claim(self, owner: str, limit: int, now: datetime, lease: timedelta) -> list[OutboxMessage]:
        """Up to `limit` unsettled rows nobody holds at `now`, in event order, held for `lease`."""
        ...

    def settle(
        self, message: OutboxMessage, message_id: str, outcome: Outcome, now: datetime
    ) -> None:
        """The row is done with (sent, refused for good, or nobody to mail)."""
        ...

    def release(self, messages: Iterable[OutboxMessage]) -> None:
        """Give claimed rows back at once (the server is down; retry them later)."""
        ...


@dataclass
class _Row:
    message: OutboxMessage
    until: datetime | None = None
    outcome: Outcome | None = None
    message_id: str = ""

    def free(self, now: datetime) -> bool:
        return self.outcome is None and (self.until is None or self.until <= now)


class MemoryOutbox:
    """An outbox in a dict: for tests, and for sender logic that needs no database."""

    def __init__(self) -> None:
        self._rows: dict[Key, _Row] = {}
        self._lock = threading.Lock()

    def add(self, message: OutboxMessage) -> None:
        """A row the projection would have written (ignored if already there)."""
        with self._lock:
            self._rows.setdefault(key_of(message), _Row(message))

    def claim(self, owner: str, limit: int, now: datetime, lease: timedelta) -> list[OutboxMessage]:
        del owner  # one process: the lease alone keeps two senders apart
        with self._lock:
            free = [r for _, r in sorted(self._rows.items()) if r.free(now)][:limit]
            for row in free:
                row.until = now + lease
            return [r.message for r in free]

    def settle(
        self, message: OutboxMessage, message_id: str, outcome: Outcome, now: datetime
    ) -> None:
        with self._lock:
            row = self._rows[key_of(message)]
            row.outcome, row.message_id, row.until = outcome, message_id, None
            row.message = replace(row.message, sent_at=now)

    def release(self, messages: Iterable[OutboxMessage]) -> None:
        with self._lock:
            for message in messages:
                self._rows[key_of(message)].until = None

    def outcomes(self) -> dict[Key, Outcome | None]:
        """Each row's outcome so far (None: not settled)."""
        with self._lock:
            return {k: r.outcome for k, r in self._rows.items()}
