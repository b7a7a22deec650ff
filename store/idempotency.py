"""`Idempotency-Key` on every write (API.md, Status codes), kept in the events' database.

The same key (per caller) with the same request replays the first answer (status, body,
headers) and changes nothing; the same key with another request is 422; a key whose
first request is still running is 409. The answers live in a small table beside the
events (SQLite or PostgreSQL), so a retry after a timeout or a restart still replays.
`memory://` stores keep them in a dict, like their events.

An answer that shows a secret once (an API key, a webhook endpoint's signing secret; the
route says so) is kept sealed with the service's data key (AES-256-GCM, `sealed`) and opened
only to be replayed (`opened`), so a retry gets the same secret and the table never holds
it in clear (issue 22).

A key lives 24 hours from its first request, as Stripe's do: a retry after that is a new
request (it runs again), and expired keys are purged, at most once a minute, by the next
request that brings a key (issue 18: answers must not be kept, nor replayed, for ever).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import Protocol

import orjson
from psycopg import Connection
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool

from domain.ports import SecretBox
from store.database import connection_pool
from store.url import (
    POSTGRES_CONNECT_TIMEOUT_SECONDS,
    eventsourcing_env,
    is_postgres,
    postgres_conninfo,
)

PENDING_TAKEOVER_SECONDS = 60
"""A reservation left by a crashed request is taken over after this long."""
KEY_LIFETIME_SECONDS = 24 * 3600
"""A key is forgotten this long after its first request."""
PURGE_EVERY_SECONDS = 60
"""Expired keys are deleted at most this often (by a request that brings a key)."""

Clock = Callable[[], float]


class Purging:
    """Says when expired keys are due for deletion: at most once per PURGE_EVERY_SECONDS."""

    def __init__(self) -> None:
        self._last = float("-inf")
        self._lock = threading.Lock()

    def due(self, now: float) -> bool:
        with self._lock:
            if now - self._last < PURGE_EVERY_SECONDS:
                return False
            self._last = now
            return True


@dataclass(frozen=True)
class Answer:
    """A stored answer: what the first request was told."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


SEALED = b"sealed:"
"""How a kept body that holds a secret starts."""


def sealed(answer: Answer, box: SecretBox) -> Answer:
    """The answer with its body sealed by `box`."""
    return replace(answer, body=SEALED + box.seal(answer.body.decode("latin-1")).encode())


def opened(answer: Answer, box: SecretBox) -> Answer:
    """The answer as it was first given (SecretBoxError if `box` is another key's)."""
    if not answer.body.startswith(SEALED):
        return answer
    return replace(answer, body=box.open(answer.body[len(SEALED) :].decode()).encode("latin-1"))


@dataclass(frozen=True)
class Reserved:
    """The key is new: run the request, then `complete` or `release`."""


@dataclass(frozen=True)
class InProgress:
    """The first request with this key has not answered yet."""


@dataclass(frozen=True)
class Mismatch:
    """The key was used with another request."""


Outcome = Answer | Reserved | InProgress | Mismatch


def fingerprint(method: str, path: str, query: str, body: bytes, content_type: str = "") -> str:
    """What makes two requests "the same" for a key: a JSON body counts by its parsed value."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), canonical(body, content_type)):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def canonical(body: bytes, content_type: str) -> bytes:
    """A JSON body with sorted keys and no whitespace, so a client's re-serialised retry
    (other key order, other spacing) is the same request; anything else as sent."""
    if not content_type.lower().startswith("application/json"):
        return body
    try:
        return orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return body  # the route refuses it; the bytes still tell two attempts apart


class IdempotencyStore(Protocol):
    """Where keys and their first answers are kept."""

    def reserve(self, scope: str, key: str, print_: str) -> Outcome:
        """Claim `key` for a request with fingerprint `print_`, or say what it already is."""
        ...

    def complete(self, scope: str, key: str, answer: Answer) -> None:
        """Keep the answer of the request that reserved `key`."""
        ...

    def release(self, scope: str, key: str) -> None:
        """Forget a reservation whose answer is not to be replayed (e.g. a 5xx)."""
        ...

    def count(self) -> int:
        """How many keys are kept (expired ones until the next purge)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...

    def redact(self, values: Collection[str], mark: str) -> int:
        """C4: replace `values` (an erased person's names and e-mails) by `mark` wherever a
        kept answer holds them, so a replay never shows them again; how many changed."""
        ...


def redacted(body: bytes, values: Collection[str], mark: str) -> bytes:
    """`body` with every occurrence of `values` replaced by `mark`: as UTF-8 text, and as a
    JSON string holds it (escaped quotes, `\\uXXXX`), so a JSON answer stays valid JSON."""
    for value in sorted(values, key=len, reverse=True):  # "Bob Smith" before "Bob"
        forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
        for form in forms:
            body = body.replace(form.encode(), mark.encode())
    return body


def _changes(
    rows: list[tuple[str, str, bytes]], values: Collection[str], mark: str
) -> list[tuple[bytes, str, str]]:
    """(new body, scope, key) of each kept answer that holds one of `values`."""
    changes = []
    for scope, key, body in rows:
        new = redacted(bytes(body), values, mark)
        if new != bytes(body):
            changes.append((new, scope, key))
    return changes


def _outcome(row: tuple[str, int | None, str | None, bytes | None], print_: str) -> Outcome:
    stored_print, status, headers, body = row
    if stored_print != print_:
        return Mismatch()
    if status is None:
        return InProgress()
    pairs = [(str(k), str(v)) for k, v in json.loads(headers or "[]")]
    return Answer(status, pairs, bytes(body or b""))


class MemoryIdempotencyStore:
    """Keys in a dict, for `memory://` stores (their events do not survive either)."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._rows: dict[tuple[str, str], tuple[str, int | None, str | None, bytes | None]] = {}
        self._reserved_at: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def reserve(self, scope: str, key: str, print_: str) -> Outcome:
        now = self._clock()
        with self._lock:
            self._purge(now)
            row = self._rows.get((scope, key))
            if row is None:
                self._rows[(scope, key)] = (print_, None, None, None)
                self._reserved_at[(scope, key)] = now
                return Reserved()
            return _outcome(row, print_)

    def _purge(self, now: float) -> None:
        expired = [k for k, at in self._reserved_at.items() if at < now - KEY_LIFETIME_SECONDS]
        for k in expired:
            del self._rows[k], self._reserved_at[k]

    def complete(self, scope: str, key: str, answer: Answer) -> None:
        with self._lock:
            print_ = self._rows[(scope, key)][0]
            headers = json.dumps(answer.headers)
            self._rows[(scope, key)] = (print_, answer.status, headers, answer.body)

    def release(self, scope: str, key: str) -> None:
        with self._lock:
            self._rows.pop((scope, key), None)
            self._reserved_at.pop((scope, key), None)

    def count(self) -> int:
        with self._lock:
            return len(self._rows)

    def close(self) -> None:
        """Nothing to release."""

    def redact(self, values: Collection[str], mark: str) -> int:
        with self._lock:
            kept = [(scope, key, row[3]) for (scope, key), row in self._rows.items() if row[3]]
            changes = _changes(kept, values, mark)
            for body, scope, key in changes:
                self._rows[(scope, key)] = (*self._rows[(scope, key)][:3], body)
        return len(changes)


_RENEWED = "fingerprint = %s, status = NULL, headers = NULL, body = NULL, reserved_at = %s"
_STALE = "((fingerprint = %s AND status IS NULL AND reserved_at < %s) OR reserved_at < %s)"
"""A row to take over: its request crashed before answering, or the key has expired (then
the retry is a new request, whatever its fingerprint)."""

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    headers TEXT,
    body BLOB,
    reserved_at REAL NOT NULL,
    PRIMARY KEY (scope, key)
)
"""


class SqliteIdempotencyStore:
    """Keys in the SQLite file of the events."""

    def __init__(self, path: str, clock: Clock = time.time) -> None:
        self._db = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._clock, self._purging = clock, Purging()
        with self._lock:
            self._db.execute(SQLITE_SCHEMA)

    def reserve(self, scope: str, key: str, print_: str) -> Outcome:
        now = self._clock()
        with self._lock:
            if self._purging.due(now):
                self._db.execute(
                    "DELETE FROM idempotency_keys WHERE reserved_at < ?",
                    (now - KEY_LIFETIME_SECONDS,),
                )
            inserted = self._db.execute(
                "INSERT INTO idempotency_keys (scope, key, fingerprint, reserved_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (scope, key, print_, now),
            ).rowcount
            if inserted:
                return Reserved()
            if self._take_over(scope, key, print_, now):
                return Reserved()
            row = self._db.execute(
                "SELECT fingerprint, status, headers, body FROM idempotency_keys "
                "WHERE scope = ? AND key = ?",
                (scope, key),
            ).fetchone()
        return Reserved() if row is None else _outcome(row, print_)

    def _take_over(self, scope: str, key: str, print_: str, now: float) -> bool:
        return bool(
            self._db.execute(
                f"UPDATE idempotency_keys SET {_RENEWED.replace('%s', '?')} "
                f"WHERE scope = ? AND key = ? AND {_STALE.replace('%s', '?')}",
                (print_, now, scope, key, print_, now - PENDING_TAKEOVER_SECONDS,
                 now - KEY_LIFETIME_SECONDS),
            ).rowcount
        )  # fmt: skip

    def count(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM idempotency_keys").fetchone()
        return int(row[0])

    def complete(self, scope: str, key: str, answer: Answer) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE idempotency_keys SET status = ?, headers = ?, body = ? "
                "WHERE scope = ? AND key = ?",
                (answer.status, json.dumps(answer.headers), answer.body, scope, key),
            )

    def release(self, scope: str, key: str) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status IS NULL",
                (scope, key),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def redact(self, values: Collection[str], mark: str) -> int:
        with self._lock:
            rows = self._db.execute(
                "SELECT scope, key, body FROM idempotency_keys WHERE body IS NOT NULL"
            ).fetchall()
            changes = _changes(rows, values, mark)
            self._db.executemany(
                "UPDATE idempotency_keys SET body = ? WHERE scope = ? AND key = ?", changes
            )
        return len(changes)


class PostgresIdempotencyStore:
    """Keys in the PostgreSQL database (and schema) of the events."""

    def __init__(self, conninfo: str, schema: str | None = None, clock: Clock = time.time) -> None:
        self._clock, self._purging = clock, Purging()
        self._table = f'"{schema}".idempotency_keys' if schema else "idempotency_keys"
        self._pool: ConnectionPool[Connection[TupleRow]] = connection_pool(
            conninfo, 4, autocommit=True
        )
        with self._pool.connection() as db:
            if schema:
                db.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {self._table} (scope TEXT NOT NULL, "
                "key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER, headers TEXT, "
                "body BYTEA, reserved_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (scope, key))"
            )

    def reserve(self, scope: str, key: str, print_: str) -> Outcome:
        now = self._clock()
        with self._pool.connection() as db:
            if self._purging.due(now):
                db.execute(
                    f"DELETE FROM {self._table} WHERE reserved_at < %s",
                    (now - KEY_LIFETIME_SECONDS,),
                )
            inserted = db.execute(
                f"INSERT INTO {self._table} (scope, key, fingerprint, reserved_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (scope, key, print_, now),
            ).rowcount
            taken = (
                inserted
                or db.execute(
                    f"UPDATE {self._table} SET {_RENEWED} WHERE scope = %s AND key = %s "
                    f"AND {_STALE}",
                    (print_, now, scope, key, print_, now - PENDING_TAKEOVER_SECONDS,
                     now - KEY_LIFETIME_SECONDS),
                ).rowcount
            )  # fmt: skip
            if taken:
                return Reserved()
            row = db.execute(
                f"SELECT fingerprint, status, headers, body FROM {self._table} "
                "WHERE scope = %s AND key = %s",
                (scope, key),
            ).fetchone()
        return Reserved() if row is None else _outcome(row, print_)

    def complete(self, scope: str, key: str, answer: Answer) -> None:
        with self._pool.connection() as db:
            db.execute(
                f"UPDATE {self._table} SET status = %s, headers = %s, body = %s "
                "WHERE scope = %s AND key = %s",
                (answer.status, json.dumps(answer.headers), answer.body, scope, key),
            )

    def release(self, scope: str, key: str) -> None:
        with self._pool.connection() as db:
            db.execute(
                f"DELETE FROM {self._table} WHERE scope = %s AND key = %s AND status IS NULL",
                (scope, key),
            )

    def count(self) -> int:
        with self._pool.connection() as db:
            row = db.execute(f"SELECT count(*) FROM {self._table}").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self._pool.close()

    def redact(self, values: Collection[str], mark: str) -> int:
        with self._pool.connection() as db, db.transaction():
            rows = db.execute(
                f"SELECT scope, key, body FROM {self._table} WHERE body IS NOT NULL FOR UPDATE"
            ).fetchall()
            changes = _changes(rows, values, mark)
            with db.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {self._table} SET body = %s WHERE scope = %s AND key = %s", changes
                )
        return len(changes)


def idempotency_store(database_url: str, clock: Clock = time.time) -> IdempotencyStore:
    """The store beside the events named by `database_url` (`clock`: for tests)."""
    env = eventsourcing_env(database_url)  # checks the URL; creates a SQLite file privately
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        return SqliteIdempotencyStore(env["SQLITE_DBNAME"], clock)
    if is_postgres(database_url):
        conninfo, schema = postgres_conninfo(
            database_url, connect_timeout=POSTGRES_CONNECT_TIMEOUT_SECONDS
        )
        return PostgresIdempotencyStore(conninfo, schema, clock)
    return MemoryIdempotencyStore(clock)
