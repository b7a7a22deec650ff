"""One PostgreSQL connection per process for the event inserts (issue 21, item 2).

The library's pool hands its idle connections out in turn (first in, first out): with five
of them, each command woke a different server backend, the one that had slept longest, and
a command's round trip measured 2-4 ms against 0.4 ms on one held connection. Every insert
of the process goes through group commit (store/group_commit.py), one transaction at a time:
its leader writes every batch on this one connection, which stays warm. Reads keep the pool.

The connection is made on the first insert, configured as the pool configures its own
(autocommit, the idle-in-transaction timeout), and replaced when it is lost (server
restarted, backend terminated: the failed insert's error is the library's
`OperationalError`, which the recorder's `@retry` answers by writing again, on a new
connection) or older than the pool's `max_lifetime`. Nothing is acknowledged before its
commit, so a dead writer never loses an answered command. It lives as long as the
datastore's pool (once the pool is closed, the next insert closes it and is refused as the
pool refuses reads) and is closed when its owner is collected.
"""

from __future__ import annotations

import contextlib
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresDatastore
from psycopg import Connection

from store.errors import library_error


class WriterConnection:
    """The process's writer connection to the datastore's database, made when first needed."""

    def __init__(self, datastore: PostgresDatastore) -> None:
        self._datastore = datastore
        self._conn: Connection[Any] | None = None
        self._expires = 0.0
        self.connections = 0
        """How many connections were made (one, unless one was found broken or too old)."""

    @contextmanager
    def connection(self) -> Iterator[Connection[Any]]:
        """The writer connection (a new one if the last was lost: psycopg's `closed` is true
        of a connection whose server went away); psycopg's errors come out as the library's,
        as from the datastore's `get_connection`."""
        try:
            yield self.usable()
        except psycopg.Error as error:
            raise library_error(error) from error

    def close(self) -> None:
        """Close the connection, if any (the next use makes a new one)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()

    def usable(self) -> Connection[Any]:
        """The writer connection, made anew if the last was lost or is too old (psycopg's
        errors as they are: the recorder maps them with its own)."""
        pool = self._datastore.pool
        if pool.closed:
            try:
                pool.open()  # refused once closed, as the pool refuses reads
            except psycopg.Error:
                self.close()
                raise
        conn = self._conn
        if conn is None or conn.closed or time.monotonic() > self._expires:
            self.close()
            conn = self._conn = self._connect()
        return conn

    def _connect(self) -> Connection[Any]:
        pool = self._datastore.pool
        kwargs = dict((pool.kwargs() if callable(pool.kwargs) else pool.kwargs) or {})
        if pool.get_password_func:
            kwargs["password"] = pool.get_password_func()
        conn: Connection[Any] = psycopg.connect(connect_timeout=max(1, int(pool.timeout)), **kwargs)
        self._datastore.after_connect_func()(conn)  # autocommit, as the pool's connections
        self._expires = time.monotonic() + pool.max_lifetime
        self.connections += 1
        weakref.finalize(self, _close_quietly, conn)
        return conn


def _close_quietly(conn: Connection[Any]) -> None:
    with contextlib.suppress(psycopg.Error):
        conn.close()
