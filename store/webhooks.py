"""Webhook delivery in the read models' database: a schedule row per message and the log
of every attempt, beside the projection's `webhook_messages` and `webhook_endpoints`.

The messages and endpoints belong to the webhooks projection (projections/webhooks.py);
delivery is ours: `webhook_schedule` keeps, per (event position, endpoint), the attempts
so far, when the next is due, the lease of the sender that holds it and the outcome;
`webhook_attempts` is the delivery log the API and the console show. A claim takes at
most one message per endpoint — the oldest due — so a slow endpoint holds one sender
thread and never the others' messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from store.database import Database, Tx
from store.locks import AdvisoryLock, transaction_lock

TABLES = (
    "CREATE TABLE IF NOT EXISTS webhook_schedule ("
    " position BIGINT NOT NULL, endpoint_id TEXT NOT NULL, attempts INTEGER NOT NULL,"
    " first_attempt_at TEXT, next_attempt_at TEXT, lease_until TEXT, outcome TEXT,"
    " settled_at TEXT, PRIMARY KEY (position, endpoint_id))",
    "CREATE TABLE IF NOT EXISTS webhook_attempts ("
    " position BIGINT NOT NULL, endpoint_id TEXT NOT NULL, attempt INTEGER NOT NULL,"
    " status_code INTEGER, error TEXT, at TEXT NOT NULL, next_attempt_at TEXT,"
    " PRIMARY KEY (position, endpoint_id, attempt))",
)


@dataclass(frozen=True)
class DueMessage:
    """A message to send now, with where and what was tried before."""

    position: int
    endpoint_id: str
    type: str
    body: str
    url: str
    sealed_secret: str
    attempts: int
    first_attempt_at: datetime | None


@dataclass(frozen=True)
class Attempt:
    """One line of the delivery log."""

    position: int
    type: str
    attempt: int
    status_code: int | None
    error: str
    at: datetime
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class Endpoint:
    """An endpoint as listed (without its secret)."""

    endpoint_id: str
    company_id: str
    url: str
    events: str  # JSON list
    status: str
    created_by: str
    created_at: str


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


_DUE = (
    "SELECT position, endpoint_id, type, body, url, sealed_secret, attempts, first_attempt_at "
    "FROM (SELECT m.position, m.endpoint_id, m.type, m.body, e.url, e.sealed_secret,"
    " COALESCE(s.attempts, 0) AS attempts, s.first_attempt_at, ROW_NUMBER() OVER"
    " (PARTITION BY m.endpoint_id ORDER BY CASE WHEN s.next_attempt_at IS NULL THEN 1 ELSE 0"
    " END, m.position) AS n"
    " FROM webhook_messages m JOIN webhook_endpoints e ON e.endpoint_id = m.endpoint_id"
    " LEFT JOIN webhook_schedule s ON s.position = m.position AND s.endpoint_id = m.endpoint_id"
    " WHERE e.status = 'ACTIVE' AND s.outcome IS NULL"
    " AND (s.next_attempt_at IS NULL OR s.next_attempt_at <= ?)"
    " AND (s.lease_until IS NULL OR s.lease_until <= ?)"
    " AND NOT EXISTS (SELECT 1 FROM webhook_schedule r WHERE r.endpoint_id = m.endpoint_id"
    " AND r.outcome IS NULL AND r.next_attempt_at > ?)) due "
    "WHERE n = 1 ORDER BY position LIMIT ?"
)
"""The oldest due message of each endpoint, a retry before a first attempt. An endpoint
with a message waiting out its backoff rests: its other messages wait too, so a dead
endpoint is called on the backoff's schedule, not once per message."""


class SqlWebhookDeliveries:
    """The schedule and the delivery log on SQLite or PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db
        with db.write() as tx:
            for table in TABLES:
                tx.execute(table)

    def claim(
        self, now: datetime, lease: timedelta, limit: int, busy: frozenset[str] = frozenset()
    ) -> list[DueMessage]:
        """The oldest due message of each endpoint not `busy` here, held for `lease`."""
        at = _instant(now)
        with self.db.read() as tx:  # an idle sender takes no write lock (SQLite has one)
            # one row per endpoint: of len(busy) + 1 rows, one is free if any endpoint is
            if all(row[1] in busy for row in tx.all(_DUE, (at, at, at, len(busy) + 1))):
                return []
        with self.db.write() as tx:
            if tx.dialect.name == "postgres":
                tx.execute(transaction_lock(AdvisoryLock.WEBHOOK_CLAIMS))
            rows = tx.all(_DUE, (at, at, at, limit + len(busy)))
            due = [
                DueMessage(int(p), str(e), t, b, u, s, int(n), _moment(f))
                for p, e, t, b, u, s, n, f in rows
                if e not in busy
            ][:limit]
            tx.executemany(
                "INSERT INTO webhook_schedule (position, endpoint_id, attempts, lease_until) "
                "VALUES (?, ?, 0, ?) ON CONFLICT (position, endpoint_id) "
                "DO UPDATE SET lease_until = excluded.lease_until",
                [(m.position, m.endpoint_id, _instant(now + lease)) for m in due],
            )
        return due

    def record(
        self,
        message: DueMessage,
        now: datetime,
        status_code: int | None,
        error: str,
        next_attempt: datetime | None,
    ) -> None:
        """Log an attempt; settle the message (DELIVERED, or FAILED when no next attempt)."""
        attempt = message.attempts + 1
        delivered = status_code is not None and 200 <= status_code < 300  # noqa: PLR2004 2xx
        outcome = "DELIVERED" if delivered else (None if next_attempt else "FAILED")
        at, following = _instant(now), _instant(next_attempt) if next_attempt else None
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO webhook_attempts VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (message.position, message.endpoint_id, attempt, status_code, error, at, following),
            )
            tx.execute(
                "UPDATE webhook_schedule SET attempts = ?, first_attempt_at ="
                " COALESCE(first_attempt_at, ?), next_attempt_at = ?, lease_until = NULL,"
                " outcome = ?, settled_at = ? WHERE position = ? AND endpoint_id = ?",
                (
                    attempt,
                    at,
                    following,
                    outcome,
                    at if outcome else None,
                    message.position,
                    message.endpoint_id,
                ),
            )

    def release(self, messages: list[DueMessage]) -> None:
        """Give claimed messages back at once (the sender stops)."""
        with self.db.write() as tx:
            tx.executemany(
                "UPDATE webhook_schedule SET lease_until = NULL "
                "WHERE position = ? AND endpoint_id = ? AND outcome IS NULL",
                [(m.position, m.endpoint_id) for m in messages],
            )

    def redeliver(self, endpoint_id: str, position: int | None, now: datetime) -> int:
        """Send the endpoint's failed messages (or its message at `position`, whatever its
        outcome) again from `now`: a new round of attempts under the same `webhook-id`.
        How many messages were scheduled."""
        which = ("outcome = 'FAILED'", ()) if position is None else ("position = ?", (position,))
        where = f"endpoint_id = ? AND {which[0]}"
        with self.db.write() as tx:
            if position is not None:  # a message never attempted has no schedule row yet
                tx.execute(
                    "INSERT INTO webhook_schedule (position, endpoint_id, attempts) "
                    f"SELECT position, endpoint_id, 0 FROM webhook_messages WHERE {where} "
                    "ON CONFLICT DO NOTHING",
                    (endpoint_id, *which[1]),
                )
            found = tx.one(
                f"SELECT COUNT(*) FROM webhook_schedule WHERE {where}", (endpoint_id, *which[1])
            )
            tx.execute(
                "UPDATE webhook_schedule SET outcome = NULL, settled_at = NULL, lease_until = NULL,"
                f" first_attempt_at = NULL, next_attempt_at = ? WHERE {where}",
                (_instant(now), endpoint_id, *which[1]),
            )
        return int(found[0]) if found else 0

    def attempts(self, endpoint_id: str, limit: int) -> list[Attempt]:
        """The endpoint's delivery log, newest first."""
        with self.db.read() as tx:
            return _attempts(tx, endpoint_id, limit)

    def endpoints(self, company_id: str) -> list[Endpoint]:
        """The company's endpoints, deleted ones left out."""
        with self.db.read() as tx:
            rows = tx.all(
                "SELECT endpoint_id, company_id, url, events, status, created_by, created_at "
                "FROM webhook_endpoints WHERE company_id = ? AND status <> 'DELETED' "
                "ORDER BY created_at, endpoint_id",
                (company_id,),
            )
        return [Endpoint(*(str(v) for v in row)) for row in rows]


def _attempts(tx: Tx, endpoint_id: str, limit: int) -> list[Attempt]:
    rows = tx.all(
        "SELECT a.position, m.type, a.attempt, a.status_code, a.error, a.at, a.next_attempt_at "
        "FROM webhook_attempts a JOIN webhook_messages m ON m.position = a.position "
        "AND m.endpoint_id = a.endpoint_id WHERE a.endpoint_id = ? "
        "ORDER BY a.at DESC, a.position DESC, a.attempt DESC LIMIT ?",
        (endpoint_id, limit),
    )
    return [
        Attempt(
            int(p),
            t,
            int(n),
            None if c is None else int(c),
            e or "",
            datetime.fromisoformat(a),
            _moment(x),
        )
        for p, t, n, c, e, a, x in rows
    ]
