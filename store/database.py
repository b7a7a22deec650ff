"""The read models' database: the same one as the events (BILLING_DATABASE_URL), whose
queries may run on a hot standby of it (BILLING_READ_DATABASE_URL, store/replica.py).

One small interface, `Database`, with a SQLite and a PostgreSQL implementation. The read
models' SQL is written once with `?` placeholders and the types both dialects accept
(TEXT, BIGINT, INTEGER for booleans, decimal amounts and ISO dates as TEXT, which sort
correctly); `Dialect` holds what differs (placeholders, JSON columns, locks).
`memory://` stores keep their read models in an in-process SQLite database.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from itertools import groupby
from operator import itemgetter
from typing import Any, Protocol

import psycopg
from psycopg_pool import ConnectionPool

from store.pinning import pinned
from store.recorders import LeanPostgresApplicationRecorder
from store.replica import Replica
from store.url import StorageUrlError, is_postgres, postgres_conninfo, scheme_of, sqlite_path

Params = Sequence[Any]
Row = tuple[Any, ...]


class Tx(Protocol):
    """A transaction: statements with `?` placeholders."""

    dialect: Dialect

    def execute(self, sql: str, params: Params = ()) -> None: ...

    def executemany(self, sql: str, rows: Sequence[Params]) -> None: ...

    def one(self, sql: str, params: Params = ()) -> Row | None: ...

    def all(self, sql: str, params: Params = ()) -> list[Row]: ...

    def copy(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> None:
        """Append rows to a table in bulk (COPY on PostgreSQL)."""
        ...

    def batch(self, statements: Sequence[tuple[str, Params]]) -> None:
        """Run writes in order, without waiting for each (one pipeline on PostgreSQL)."""
        ...


class Dialect:
    """What the SQLite and PostgreSQL SQL of the read models does not share."""

    name = "sqlite"
    json_type = "TEXT"
    json_param = "?"
    unholdable = ""
    """Characters its text and JSON columns refuse: the read models get U+FFFD instead."""

    def sql(self, text: str) -> str:
        """The statement in this driver's placeholder style."""
        return text


class PostgresDialect(Dialect):
    """PostgreSQL: `%s` placeholders, JSONB payloads, no NUL in text."""

    name = "postgres"
    json_type = "JSONB"
    json_param = "CAST(? AS JSONB)"
    unholdable = "\x00"  # TEXT refuses the byte, JSONB the escape `\u0000` (issue 17)

    def sql(self, text: str) -> str:
        return text.replace("?", "%s")


class _CursorTx:
    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        self.cursor = cursor
        self.dialect = dialect

    def execute(self, sql: str, params: Params = ()) -> None:
        self.cursor.execute(self.dialect.sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        if rows:
            self.cursor.executemany(self.dialect.sql(sql), [tuple(r) for r in rows])

    def _query(self, sql: str, params: Params) -> Any:
        self.execute(sql, params)
        return self.cursor

    def one(self, sql: str, params: Params = ()) -> Row | None:
        row = self._query(sql, params).fetchone()
        return tuple(row) if row is not None else None

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return [tuple(r) for r in self._query(sql, params).fetchall()]

    def copy(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> None:
        marks = ", ".join("?" for _ in columns)
        self.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def batch(self, statements: Sequence[tuple[str, Params]]) -> None:
        for sql, run in groupby(statements, key=itemgetter(0)):
            self.executemany(sql, [params for _, params in run])


class _PostgresTx(_CursorTx):
    """COPY for wide batches (the audit trail); executemany rides psycopg's own pipeline."""

    def copy(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        with self.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def batch(self, statements: Sequence[tuple[str, Params]]) -> None:
        with self.cursor.connection.pipeline():
            super().batch(statements)


class Database(Protocol):
    """Transactions on the read models' database."""

    dialect: Dialect

    def write(self) -> Any:
        """A context manager: a write transaction (serialised with other writers)."""
        ...

    def read(self) -> Any:
        """A context manager: read-only statements (a snapshot on SQLite; on PostgreSQL,
        READ COMMITTED, each statement sees what was committed when it began)."""
        ...

    def close(self) -> None: ...


class SqliteDatabase:
    """A SQLite file (one connection per thread, WAL) or an in-process database."""

    dialect: Dialect = Dialect()

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.RLock()
        self._shared = self._connect() if path is None else None
        self._all: list[sqlite3.Connection] = []

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path or ":memory:", isolation_level=None, check_same_thread=False, timeout=30
        )
        conn.execute("PRAGMA busy_timeout = 30000")
        if self.path:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def _connection(self) -> sqlite3.Connection:
        if self._shared is not None:
            return self._shared
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def _tx(self, begin: str) -> Iterator[Tx]:
        with self._lock if self._shared is not None else _NOLOCK:
            conn = self._connection()
            cursor = conn.cursor()
            cursor.execute(begin)
            try:
                yield _CursorTx(cursor, self.dialect)
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def write(self) -> Any:
        return self._tx("BEGIN IMMEDIATE")

    def read(self) -> Any:
        return self._tx("BEGIN")

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
            if self._shared is not None:
                self._shared.close()


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exc: object) -> None:
        return None


_NOLOCK = _NoLock()


class PostgresDatabase:
    """A PostgreSQL database through a small connection pool."""

    dialect: Dialect = PostgresDialect()

    def __init__(self, url: str, *, max_size: int = 4, read_url: str | None = None) -> None:
        self.conninfo, self.schema = postgres_conninfo(url)
        self.pool = self._pool(max_size, reader=False)
        # Reads run each statement on its own (autocommit), on connections that refuse
        # writes: under READ COMMITTED a transaction made them no more consistent, only
        # three round trips longer (BEGIN, SET TRANSACTION READ ONLY, COMMIT; issue 5).
        # A read request holds one for its whole length (store/pinning.py): room for every
        # request thread and a few more (the `min_position` waits, the metrics, the senders).
        readers = max_size + READ_CONNECTIONS
        self.readers = self._pool(readers, reader=True)
        self.replica = None if read_url is None else self._replica(read_url, readers)

    def _replica(self, read_url: str, max_size: int) -> Replica:
        conninfo, _ = postgres_conninfo(read_url, connect_timeout=REPLICA_CONNECT_SECONDS)
        configure = partial(self._configure, reader=True)
        return Replica(connection_pool(conninfo, max_size, autocommit=True, configure=configure))

    def _pool(self, max_size: int, *, reader: bool) -> ConnectionPool[Any]:
        configure = partial(self._configure, reader=reader)
        return connection_pool(self.conninfo, max_size, autocommit=reader, configure=configure)

    def _configure(self, conn: psycopg.Connection[Any], *, reader: bool) -> None:
        if reader:
            conn.execute("SET default_transaction_read_only = on")
        self._use_schema(conn)
        if not reader:
            conn.commit()

    def _use_schema(self, conn: psycopg.Connection[Any]) -> None:
        if self.schema:
            conn.execute(search_path(self.schema))

    @contextmanager
    def _read(self) -> Iterator[Tx]:
        source = self.readers if self.replica is None else self.replica
        with pinned(source, source.connection) as conn, conn.cursor() as cursor:
            yield _PostgresTx(cursor, self.dialect)

    @contextmanager
    def _tx(self) -> Iterator[Tx]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            # No pipeline around the whole transaction: its per-statement bookkeeping cost
            # more than the round trips it saved, and it forbids COPY. Components batch a
            # page's writes instead (executemany pipelines them; the audit trail is COPYed).
            yield _PostgresTx(cursor, self.dialect)

    def write(self) -> Any:
        return self._tx()

    def read(self) -> Any:
        return self._read()

    @contextmanager
    def primary(self) -> Iterator[Tx]:
        """Read-only statements on the primary even when reads go to a standby: for what
        only the primary has (its sessions' advisory locks, the projection leases)."""
        with self.primary_connection() as conn, conn.cursor() as cursor:
            yield _PostgresTx(cursor, self.dialect)

    def primary_connection(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        """A read-only connection to the primary: the request's own inside
        `one_connection_per_request` (store/pinning.py), which the event store's reads share
        (`LeanPostgresApplicationRecorder.read_on`)."""
        return pinned(self.readers, self.readers.connection)

    def listen_connection(self) -> psycopg.Connection[Any]:
        """A separate autocommit connection for LISTEN."""
        conn = psycopg.connect(self.conninfo, autocommit=True)
        self._use_schema(conn)
        return conn

    def pools(self) -> dict[str, ConnectionPool[Any]]:
        """Its connection pools by role (the metrics' pool saturation)."""
        pools = {"write": self.pool, "read": self.readers}
        return pools | ({"replica": self.replica.pool} if self.replica else {})

    def close(self) -> None:
        if self.replica is not None:
            self.replica.close()
        self.readers.close()
        self.pool.close()


def connection_pool(
    conninfo: str,
    max_size: int,
    *,
    autocommit: bool,
    configure: Callable[[psycopg.Connection[Any]], None] | None = None,
) -> ConnectionPool[Any]:
    """The store's PostgreSQL connection pools are all made here: one connection kept open,
    up to `max_size`, each `configure`d once when it connects."""
    return ConnectionPool(
        conninfo,
        min_size=1,
        max_size=max_size,
        open=True,
        configure=configure,
        kwargs={"autocommit": autocommit},
    )


REPLICA_CONNECT_SECONDS = 2
READ_CONNECTIONS = 8
"""The read pools' connections beyond the write pool's: more than one per request thread
(api/http/app.py: REQUEST_THREADS), each held for a whole read request (store/pinning.py),
with room for the `min_position` waits, the metrics and the senders."""


def read_events_on(recorder: object, db: Database) -> None:
    """Have the event store's reads share the read models' connections to the primary (issue
    20: a read request then asks ONE connection for its aggregates and read models), when both
    are on the same PostgreSQL database, as `start_projections` opens them."""
    if isinstance(recorder, LeanPostgresApplicationRecorder) and isinstance(db, PostgresDatabase):
        recorder.read_on(db.primary_connection)


def _with_replica(url: str, read_url: str) -> PostgresDatabase:
    if not (is_postgres(url) and is_postgres(read_url)):
        raise StorageUrlError(
            "BILLING_READ_DATABASE_URL names a PostgreSQL hot standby of a PostgreSQL "
            "BILLING_DATABASE_URL (postgresql://user:pass@host:port/db)"
        )
    return PostgresDatabase(url, read_url=read_url)


def search_path(schema: str) -> str:
    """The statement that puts a connection in the URL's `?schema=` (every PostgreSQL
    connection of the store that names tables unqualified runs it first)."""
    return f'SET search_path TO "{schema}"'


def open_database(url: str, read_url: str | None = None) -> Database:
    """The read models' database for a BILLING_DATABASE_URL; with `read_url` (a hot standby
    of it, BILLING_READ_DATABASE_URL) its reads run there, its writes on `url`."""
    if read_url:
        return _with_replica(url, read_url)
    scheme = scheme_of(url)
    if scheme == "memory":
        return SqliteDatabase(None)
    if scheme == "sqlite":
        return SqliteDatabase(str(sqlite_path(url)))
    if scheme == "postgres":
        return PostgresDatabase(url)
    raise ValueError(f"unsupported database URL {scheme!r}")
