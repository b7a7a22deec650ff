"""The audit package's own tables, in the same database as the event store.

SQLite and PostgreSQL get the same three tables (person keys, the store's hash chain and
its signed checkpoints); an in-memory event store gets an in-memory SQLite database.
Statements are written with `?` placeholders and adapted for psycopg.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import psycopg

from store.database import search_path

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS audit_person_keys (
        key_id TEXT PRIMARY KEY, subject TEXT NOT NULL, secret TEXT,
        created_at TEXT NOT NULL, destroyed_at TEXT)""",
    "CREATE INDEX IF NOT EXISTS audit_person_keys_subject ON audit_person_keys (subject)",
    "CREATE INDEX IF NOT EXISTS audit_person_keys_destroyed ON audit_person_keys (destroyed_at)",
    """CREATE TABLE IF NOT EXISTS audit_chain (
        position BIGINT PRIMARY KEY, row_hash TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS audit_checkpoints (
        position BIGINT PRIMARY KEY, head TEXT NOT NULL, signature TEXT NOT NULL,
        public_key TEXT NOT NULL, created_at TEXT NOT NULL)""",
)


class Cursor(Protocol):
    """The part of a DB-API cursor used here."""

    def execute(self, statement: Any, params: Sequence[Any] = ..., /) -> Any: ...
    def executemany(self, statement: Any, params: Any, /) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class SideStore:
    """One connection to the event store's database, serialised by a lock."""

    def __init__(self, connection: sqlite3.Connection | psycopg.Connection[Any]) -> None:
        self._connection = connection
        self._postgres = isinstance(connection, psycopg.Connection)
        self._lock = threading.RLock()
        with self.transaction() as cursor:
            for statement in SCHEMA:
                cursor.execute(statement)

    @classmethod
    def for_env(cls, env: Mapping[str, str]) -> SideStore:
        """The side store of the event store that an `eventsourcing` env selects."""
        module = env.get("PERSISTENCE_MODULE", "eventsourcing.popo")
        if module == "eventsourcing.sqlite":
            name = env["SQLITE_DBNAME"]
            timeout = float(env.get("SQLITE_LOCK_TIMEOUT", "10"))
            return cls(sqlite3.connect(name, timeout=timeout, check_same_thread=False))
        if module == "eventsourcing.postgres":
            return cls(_postgres(env))
        return cls(sqlite3.connect(":memory:", check_same_thread=False))

    @property
    def postgres(self) -> bool:
        """Whether the database is PostgreSQL (else SQLite)."""
        return self._postgres

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self._postgres else statement

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """A cursor whose statements commit together, or not at all."""
        with self._lock:
            cursor: Any = self._connection.cursor()
            try:
                yield _Adapted(cursor, self._sql)
                self._connection.commit()
            except BaseException:
                self._connection.rollback()
                raise
            finally:
                cursor.close()

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """All rows of one statement."""
        with self.transaction() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._connection.close()


class _Adapted:
    """A cursor that adapts `?` placeholders to the driver's."""

    def __init__(self, cursor: Any, sql: Any) -> None:
        self._cursor = cursor
        self._sql = sql

    def execute(self, statement: Any, params: Sequence[Any] = (), /) -> Any:
        return self._cursor.execute(self._sql(statement), tuple(params))

    def executemany(self, statement: Any, params: Any, /) -> Any:
        return self._cursor.executemany(self._sql(statement), params)

    def fetchall(self) -> list[Any]:
        if self._cursor.description is None:  # a statement without rows
            return []
        rows: list[Any] = self._cursor.fetchall()
        return rows


def _postgres(env: Mapping[str, str]) -> psycopg.Connection[Any]:
    connection = psycopg.connect(
        host=env["POSTGRES_HOST"],
        port=int(env.get("POSTGRES_PORT", "5432")),
        dbname=env["POSTGRES_DBNAME"],
        user=env["POSTGRES_USER"],
        password=env.get("POSTGRES_PASSWORD", ""),
        connect_timeout=int(env.get("POSTGRES_CONNECT_TIMEOUT", "10")),
    )
    if schema := env.get("POSTGRES_SCHEMA"):
        connection.execute(search_path(schema))
        connection.commit()
    return connection
