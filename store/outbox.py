"""The outbox in the read models' database: the projection's `outbox_messages` rows, and
our own `mail_deliveries` beside them.

The rows and their schema belong to the outbox projection (projections/outbox.py), which
keeps a `sent_at` column for delivery: we set it when a row is settled, so the unsent
index stays small. Everything else of delivery — the lease that keeps two senders apart,
the Message-ID used, the outcome (SENT, FAILED, SKIPPED) — lives in `mail_deliveries`,
keyed by the outbox's own key (event position, recipient, kind).

The store does not know the read model's row type: whoever opens it names the class a
claimed row becomes (`projections.queries.OutboxMessage`), built from
(position, recipient, kind, subject id, created at).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Generic, Protocol, TypeVar

from store.database import Database, Tx

OUTBOX = "outbox_messages"
DELIVERIES = (
    "CREATE TABLE IF NOT EXISTS mail_deliveries ("
    " position BIGINT NOT NULL, recipient TEXT NOT NULL, kind TEXT NOT NULL,"
    " lease_until TEXT, message_id TEXT, outcome TEXT, settled_at TEXT,"
    " PRIMARY KEY (position, recipient, kind))"
)


class Keyed(Protocol):
    """An outbox row as delivery knows it: its key (event position, recipient, kind)."""

    @property
    def position(self) -> int: ...
    @property
    def recipient(self) -> str: ...
    @property
    def kind(self) -> str: ...


Message = TypeVar("Message", bound=Keyed)


def _key(message: Keyed) -> tuple[int, str, str]:
    return (message.position, message.recipient, message.kind)


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


class SqlOutbox(Generic[Message]):
    """`api.mail.outbox.Outbox` on SQLite or PostgreSQL (the events' database); a claimed
    row becomes `row(position, recipient, kind, subject_id, created_at)`."""

    def __init__(
        self, db: Database, row: Callable[[int, str, str, str, datetime], Message]
    ) -> None:
        self.db = db
        self._row = row
        with db.write() as tx:
            tx.execute(DELIVERIES)

    def claim(self, owner: str, limit: int, now: datetime, lease: timedelta) -> list[Message]:
        del owner  # the lease row is the claim; who holds it does not matter
        with self.db.write() as tx:
            rows = tx.all(self._free_rows(tx), (_instant(now), limit))
            claimed = [
                self._row(int(p), r, k, s, datetime.fromisoformat(c)) for p, r, k, s, c in rows
            ]
            until = _instant(now + lease)
            tx.executemany(
                "INSERT INTO mail_deliveries (position, recipient, kind, lease_until) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (position, recipient, kind) "
                "DO UPDATE SET lease_until = excluded.lease_until",
                [(*_key(m), until) for m in claimed],
            )
        return claimed

    @staticmethod
    def _free_rows(tx: Tx) -> str:
        lock = " FOR UPDATE OF m SKIP LOCKED" if tx.dialect.name == "postgres" else ""
        return (
            "SELECT m.position, m.recipient, m.kind, m.subject_id, m.created_at "
            f"FROM {OUTBOX} m LEFT JOIN mail_deliveries d ON d.position = m.position "
            "AND d.recipient = m.recipient AND d.kind = m.kind "
            "WHERE m.sent_at IS NULL AND (d.lease_until IS NULL OR d.lease_until <= ?) "
            f"ORDER BY m.position, m.recipient, m.kind LIMIT ?{lock}"
        )

    def settle(self, message: Message, message_id: str, outcome: str, now: datetime) -> None:
        at = _instant(now)
        with self.db.write() as tx:
            tx.execute(
                f"UPDATE {OUTBOX} SET sent_at = ? "
                "WHERE position = ? AND recipient = ? AND kind = ?",
                (at, *_key(message)),
            )
            tx.execute(
                "INSERT INTO mail_deliveries (position, recipient, kind, message_id, outcome,"
                " settled_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (position, recipient, kind)"
                " DO UPDATE SET lease_until = NULL, message_id = excluded.message_id,"
                " outcome = excluded.outcome, settled_at = excluded.settled_at",
                (*_key(message), message_id, outcome, at),
            )

    def release(self, messages: Iterable[Message]) -> None:
        with self.db.write() as tx:
            tx.executemany(
                "UPDATE mail_deliveries SET lease_until = NULL "
                "WHERE position = ? AND recipient = ? AND kind = ?",
                [_key(m) for m in messages],
            )
