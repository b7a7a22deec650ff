"""The database's schema version, recorded beside the events and checked before serving.

One row in `billing_schema_version` says which shape of the whole database (the events,
the read models' tracking and generations, the outbox, the idempotency keys, the document
store) the service that last started on it wrote. A service meets a database of a newer
version (a newer release ran on it, or was rolled back from): it refuses to start rather
than misread it. A database of this or an older version is marked with this version.
Bump `SCHEMA_VERSION` with any change to a table's shape that an older release would misread.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg

from store.database import search_path
from store.locks import AdvisoryLock, transaction_lock
from store.url import address, postgres_conninfo, scheme_of, sqlite_path

SCHEMA_VERSION = 1
TABLE = "billing_schema_version"
CONNECT_TIMEOUT_SECONDS = 5
_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)"
)


class StoreStartupError(RuntimeError):
    """The service cannot start on this database (the message says why, in one line)."""


class StoreUnreachable(StoreStartupError):
    """The database does not answer (down, wrong address, no such database)."""


class SchemaTooNew(StoreStartupError):
    """The database was written by a newer release."""


def check_store(database_url: str, version: int = SCHEMA_VERSION) -> int:
    """Reach the database and check its schema version; the version found (0 if new)."""
    scheme = scheme_of(database_url)
    if scheme == "postgres":
        return _check_postgres(database_url, version)
    if scheme == "sqlite":
        return _check_sqlite(database_url, version)
    return 0  # memory:// lives and dies with the process


def _check_postgres(url: str, version: int) -> int:
    conninfo, schema = postgres_conninfo(url)
    try:
        conn = psycopg.connect(conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS)
    except psycopg.OperationalError as error:
        raise StoreUnreachable(_unreachable(url, error)) from None
    with conn, conn.cursor() as cursor:
        if schema:
            cursor.execute(search_path(schema))
        cursor.execute(transaction_lock(AdvisoryLock.SCHEMA_VERSION))
        return _settle(cursor, version, "%s")


def _check_sqlite(url: str, version: int) -> int:
    path = sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=CONNECT_TIMEOUT_SECONDS, isolation_level=None)
    except sqlite3.Error as error:
        raise StoreUnreachable(_unreachable(url, error)) from None
    try:
        cursor = conn.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        found = _settle(cursor, version, "?")
        cursor.execute("COMMIT")
        return found
    finally:
        conn.close()


def _settle(cursor: Any, version: int, param: str) -> int:
    cursor.execute(_CREATE)
    cursor.execute(f"SELECT version FROM {TABLE} WHERE id = 1")
    row = cursor.fetchone()
    found = int(row[0]) if row else 0
    if found > version:
        raise SchemaTooNew(
            f"the database has schema version {found}, newer than this release's {version}: "
            "run the release that wrote it, or restore a backup of this version"
        )
    if found < version:
        cursor.execute(
            f"INSERT INTO {TABLE} (id, version) VALUES (1, {param}) "
            f"ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            (version,),
        )
    return found


def _unreachable(url: str, error: Exception) -> str:
    where = address(url)
    reason = " ".join(line.strip() for line in str(error).splitlines()) or type(error).__name__
    return f"the database at {where} is unreachable: {reason}"
