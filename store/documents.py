"""Attached documents' bytes (I7), content-addressed by SHA-256 in the events' own database.

The event `DocumentAttached` records only the hash; the bytes live in a `documents` table
beside the events (SQLite file or PostgreSQL database, the same `BILLING_DATABASE_URL`), so
one backup holds both. Bytes are written before the event: a crash in between leaves an
unreferenced row, never an event whose bytes are missing. Rows are never updated or
deleted (C4); storing the same bytes twice stores them once.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Protocol

import psycopg
from psycopg import sql

from store.url import (
    POSTGRES_CONNECT_TIMEOUT_SECONDS,
    eventsourcing_env,
    is_postgres,
    postgres_conninfo,
)

SQLITE_TIMEOUT_SECONDS = 10.0


def sha256_of(content: bytes) -> str:
    """The hex SHA-256 digest that names `content`."""
    return hashlib.sha256(content).hexdigest()


class DocumentStore(Protocol):
    """Bytes by their SHA-256."""

    def put(self, content: bytes) -> str:
        """Keep `content` (once, whatever how often it is put); its SHA-256."""
        ...

    def get(self, sha256: str) -> bytes | None:
        """The bytes named `sha256`, or None."""
        ...


class MemoryDocuments:
    """For `memory://` stores: the bytes live as long as the process."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, content: bytes) -> str:
        digest = sha256_of(content)
        with self._lock:
            self._blobs.setdefault(digest, bytes(content))
        return digest

    def get(self, sha256: str) -> bytes | None:
        with self._lock:
            return self._blobs.get(sha256)


class SqliteDocuments:
    """A `documents` table in the events' SQLite file."""

    def __init__(self, path: str) -> None:
        self._path = path
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS documents ("
                " sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, content BLOB NOT NULL,"
                " stored_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self._path, timeout=SQLITE_TIMEOUT_SECONDS)) as db, db:
            yield db

    def put(self, content: bytes) -> str:
        digest = sha256_of(content)
        with self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO documents (sha256, size, content) VALUES (?, ?, ?)",
                (digest, len(content), content),
            )
        return digest

    def get(self, sha256: str) -> bytes | None:
        with self._connect() as db:
            row = db.execute("SELECT content FROM documents WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else bytes(row[0])


class PostgresDocuments:
    """A `documents` table (bytea) in the events' PostgreSQL database and schema."""

    def __init__(self, conninfo: str, schema: str | None = None) -> None:
        self._conninfo = conninfo
        self._table = sql.Identifier(schema, "documents") if schema else sql.Identifier("documents")
        create = sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (sha256 text PRIMARY KEY, size integer NOT NULL,"
            " content bytea NOT NULL, stored_at timestamptz NOT NULL DEFAULT now())"
        ).format(self._table)
        with psycopg.connect(self._conninfo, autocommit=True) as db:
            if schema:
                db.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            db.execute(create)

    def put(self, content: bytes) -> str:
        digest = sha256_of(content)
        insert = sql.SQL(
            "INSERT INTO {} (sha256, size, content) VALUES (%s, %s, %s) "
            "ON CONFLICT (sha256) DO NOTHING"
        ).format(self._table)
        with psycopg.connect(self._conninfo, autocommit=True) as db:
            db.execute(insert, (digest, len(content), content))
        return digest

    def get(self, sha256: str) -> bytes | None:
        select = sql.SQL("SELECT content FROM {} WHERE sha256 = %s").format(self._table)
        with psycopg.connect(self._conninfo, autocommit=True) as db:
            row = db.execute(select, (sha256,)).fetchone()
        return None if row is None else bytes(row[0])


def document_store(database_url: str) -> DocumentStore:
    """The document store beside the events named by `BILLING_DATABASE_URL`."""
    env = eventsourcing_env(database_url)  # checks the URL; creates a SQLite file privately
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        return SqliteDocuments(env["SQLITE_DBNAME"])
    if is_postgres(database_url):
        conninfo, schema = postgres_conninfo(
            database_url, connect_timeout=POSTGRES_CONNECT_TIMEOUT_SECONDS
        )
        return PostgresDocuments(conninfo, schema)
    return MemoryDocuments()
