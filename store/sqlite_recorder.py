"""The SQLite event recorder: one writer connection per process, commands group-committed.

The library's SQLite recorder writes from whichever pooled connection a thread gets, with a
deferred `BEGIN`: concurrent writers of one process then wait on SQLite's file lock in its
busy handler (sleeps that grow) and 8 clients wrote fewer commands than one (issue 21).
Here every insert of the process goes through ONE writer connection, queued
(store/group_commit.py): the commands that arrive while a transaction is in flight are
written together in the next `BEGIN IMMEDIATE ... COMMIT` (one lock, one fsync). Each
command of a batch runs inside its own SAVEPOINT, so a conflict (its version taken) rolls
back that command's events only and is answered to it alone: all-or-nothing per command,
never per batch; a command alone needs none (its transaction is its all-or-nothing: three
statements, as the raw `BEGIN IMMEDIATE` reference). Reads keep the library's pooled
connections (WAL: readers never wait for the writer).

Durability: the writer runs in WAL mode with `synchronous=FULL`, so a command is
acknowledged only once its commit is on disk (NORMAL would make a power cut able to drop
the last acknowledged commits; a process crash loses nothing in either mode).
It is selected with `APPLICATION_RECORDER_TOPIC` (store/url.py).
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

from store.errors import library_error
from store.group_commit import GroupCommit

Outcome = list[int] | BaseException
_REFUSED = (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.InterfaceError)
"""What refuses one command (its version taken, a value SQLite cannot bind): its own answer."""


class QueuedSqliteApplicationRecorder(SQLiteApplicationRecorder):
    """The library's SQLite application recorder, its inserts on one queued writer."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        self._conn: sqlite3.Connection | None = None
        self._writer: sqlite3.Cursor | None = None
        self._connecting = threading.Lock()
        self._group: GroupCommit[Sequence[StoredEvent], list[int]] = GroupCommit(self._write_batch)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert in the next transaction of the process's writer; answer this command's
        notification ids (or raise its own conflict)."""
        if self.datastore.pool.is_sqlite_memory_mode or not stored_events:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        return self._group.submit(stored_events)

    def _write_batch(self, commands: Sequence[Sequence[StoredEvent]]) -> list[Outcome]:
        cursor = self._cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
            try:
                if len(commands) == 1:  # alone: its transaction is its all-or-nothing
                    outcomes = [self._insert_alone(cursor, commands[0])]
                else:
                    outcomes = [self._insert_command(cursor, events) for events in commands]
                if cursor.connection.in_transaction:  # a lone command refused rolled it back
                    cursor.execute("COMMIT")
            except BaseException:
                if cursor.connection.in_transaction:
                    cursor.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            raise library_error(error) from error
        return outcomes

    def _insert_alone(self, cursor: sqlite3.Cursor, events: Sequence[StoredEvent]) -> Outcome:
        """A lone command's events, all or none: a conflict rolls its transaction back (three
        statements, as the raw reference: no SAVEPOINT and RELEASE around one command)."""
        try:
            return self._insert(cursor, events)
        except _REFUSED as error:
            if cursor.connection.in_transaction:  # SQLite may have ended it already
                cursor.execute("ROLLBACK")
            return library_error(error)

    def _insert_command(self, cursor: sqlite3.Cursor, events: Sequence[StoredEvent]) -> Outcome:
        """One command's events, all or none (a SAVEPOINT of the batch's transaction)."""
        cursor.execute("SAVEPOINT command")
        try:
            ids = self._insert(cursor, events)
        except _REFUSED as error:
            cursor.execute("ROLLBACK TO command")
            cursor.execute("RELEASE command")
            return library_error(error)
        cursor.execute("RELEASE command")
        return ids

    def _insert(self, cursor: sqlite3.Cursor, events: Sequence[StoredEvent]) -> list[int]:
        ids: list[int] = []
        statement = self.insert_events_statement
        for event in events:
            cursor.execute(statement, _params(event))
            ids.append(int(cursor.lastrowid or 0))
        return ids

    def _cursor(self) -> sqlite3.Cursor:
        """The process's one writer connection's cursor (made on the first insert); only the
        batch's leader uses it, one transaction at a time."""
        writer = self._writer
        if writer is None:
            writer = self._writer = self._connection().cursor()
        return writer

    def _connection(self) -> sqlite3.Connection:
        """The process's one writer connection."""
        with self._connecting:
            if self._conn is None:
                pool = self.datastore.pool
                conn = sqlite3.connect(
                    pool.db_name,
                    uri=True,
                    check_same_thread=False,
                    isolation_level=None,
                    timeout=pool.lock_timeout or 5,
                )
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                weakref.finalize(self, conn.close)
                self._conn = conn
            return self._conn


def _params(event: StoredEvent) -> tuple[Any, ...]:
    originator = event.originator_id
    key = originator.hex if isinstance(originator, UUID) else originator
    return (key, event.originator_version, event.topic, event.state)
