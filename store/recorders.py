"""A leaner PostgreSQL event recorder: the library's insert, in one round trip.

`eventsourcing` 9.5 inserts through a psycopg pipeline (BEGIN, SET LOCAL, LOCK TABLE,
NOTIFY, INSERT ... unnest(composite[]), an explicit sync, then COMMIT and a second sync)
and re-composes its SELECT statements on every call. On loopback, psycopg's pipeline
machinery costs more Python time than the round trip it saves (benchmarks/: about
1.1 ms per insert in psycopg's pipeline code, for a 0.1 ms round trip).

This recorder keeps the same transaction, in the same order, with the same table lock
(`LOCK TABLE ... IN EXCLUSIVE MODE`, which makes commit order equal notification order
for live readers) and the same NOTIFY, sent as ONE simple query:

    SET LOCAL lock_timeout ...; LOCK TABLE ... IN EXCLUSIVE MODE; NOTIFY ...;
    INSERT INTO ... VALUES (...), ... RETURNING notification_id

PostgreSQL runs a multi-statement query as one implicit transaction: it commits after the
INSERT, or rolls everything back if a statement fails (a lost optimistic-concurrency race
is a unique violation, raised as the library's `IntegrityError`). The query goes straight
to libpq (`PQexec`, which waits without the GIL), with values escaped by libpq for this
connection: psycopg's cursor machinery cost twice the CPU of the round trip itself.
`select_events` uses statements built once, with plain tuple rows, and `notification_rows`
reads the notification log the same way for the projections.
Concurrent inserts are group-committed (store/group_commit.py, issue 21): the commands that
arrive while a transaction is in flight share the next one, their rows in one INSERT; a
batch that one command spoils is written again command by command, so each command gets its
own positions or its own conflict. Every batch is written on the process's one writer
connection (store/writer.py), never on the pool's connections in turn.
It is selected with `APPLICATION_RECORDER_TOPIC` (a public setting of the library).

It never stores a value other than the one it was given: libpq's escaping would end a
literal at a NUL, so a topic holding one is refused with the `DataError` the library's own
recorder raises. It stores uuid originator ids only: `ORIGINATOR_ID_TYPE=text` is refused
when the recorder is built, in one line. The library's own recorder conformance cases run
against it in tests/integration/test_lean_recorder_conformance.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Connection, errors, pq
from psycopg.pq import DiagnosticField, ExecStatus, TransactionStatus
from psycopg.pq.abc import Escaping, PGresult
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from store.errors import library_error
from store.group_commit import GroupCommit, answer_each
from store.pinning import Checkout, in_request, release
from store.writer import WriterConnection

_IN_TRANSACTION = {TransactionStatus.INTRANS, TransactionStatus.INERROR}
_COLUMNS = "originator_id, originator_version, topic, state"
NotificationRow = tuple[int, UUID, int, str, bytes]
Outcome = list[int] | BaseException
"""One command's answer in a batch: its notification ids, or its own failure."""
EventRow = tuple[int, str, int, str, bytes]
"""(position, originator id as text, originator version, topic, state)."""


class UnsupportedOriginatorIdType(ValueError):
    """The store is configured for ids Billing Center does not use (it needs `uuid`)."""


class LeanPostgresApplicationRecorder(PostgresApplicationRecorder):
    """The library's application recorder with its locked insert in one round trip."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        _refuse_other_originator_id_types(datastore)
        super().__init__(datastore, events_table_name=events_table_name)
        table = SQL("{}.{}").format(Identifier(datastore.schema), Identifier(events_table_name))
        self._lock = (
            SQL(
                "SET LOCAL lock_timeout = '{timeout}s'; "
                "LOCK TABLE {table} IN EXCLUSIVE MODE; NOTIFY {channel}; "
            )
            .format(
                timeout=datastore.lock_timeout, table=table, channel=Identifier(self.channel_name)
            )
            .as_string()
            .encode()
        )
        insert = SQL("INSERT INTO {table} (" + _COLUMNS + ") VALUES ").format(table=table)
        self._insert = insert.as_string().encode()
        self._select_events: dict[tuple[bool, bool, bool, bool], str] = {}
        self._table = table
        self._group: GroupCommit[Sequence[StoredEvent], list[int]] = GroupCommit(
            self._write_batch, self._write_alone
        )
        self.writer = WriterConnection(datastore)
        """The one connection every batch is written on (store/writer.py); reads use the pool."""
        self._reads: Checkout | None = None
        self._select_notifications = SQL(
            "SELECT notification_id, " + _COLUMNS + " FROM {table} WHERE notification_id > %s "
            "ORDER BY notification_id LIMIT %s"
        ).format(table=table)
        # The event type is the topic's last name (`domain.company:Company.RoleChanged`).
        self._select_followed = SQL(
            "SELECT notification_id, " + _COLUMNS + " FROM {table} WHERE notification_id > %s "
            "AND notification_id <= %s AND substring(topic from '[^.:]*$') <> ALL(%s) "
            "ORDER BY notification_id LIMIT %s"
        ).format(table=table)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert under the table lock, in one transaction shared with the commands that
        arrived while the previous one was in flight (store/group_commit.py); return this
        command's notification ids."""
        if not stored_events and not self.datastore.enable_db_functions:
            return None  # the library's answer without its empty transaction (issue 20)
        release()  # a request's read connections wait for no commit (store/pinning.py)
        if self.datastore.enable_db_functions:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        return self._group.submit(stored_events)

    def max_notification_id(self) -> int | None:
        """The store's head, on a request's one connection (issue 20) if it has one."""
        with self._reading() as conn, conn.cursor(row_factory=tuple_row) as curs:
            row = curs.execute(self.max_notification_id_statement).fetchone()
        return None if row is None else row[0]

    def read_on(self, connection: Checkout) -> None:
        """Read aggregates' events on `connection`'s connections (the read models' primary,
        issue 20) within a request: its aggregate and read-model queries then share ONE
        connection (store/pinning.py). The same database: the events table is named with its
        schema. Outside a request (the runner, the senders, the CLI, shutdown) reads stay on
        the datastore's own pool, which is not closed before the application is."""
        self._reads = connection

    def _reading(self) -> AbstractContextManager[Connection[Any]]:
        if self._reads is None or not in_request():
            return self.datastore.get_connection()
        return _as_library_errors(self._reads())

    def _write_batch(self, commands: Sequence[Sequence[StoredEvent]]) -> list[Outcome]:
        """Every command's events in ONE locked insert; if one command spoils it (its
        version is taken, its text refused), each is written again on its own, so that
        the conflict is that command's alone and its batch-mates are still written."""
        if len(commands) == 1:
            return answer_each(commands, self._write_alone)
        try:
            ids = self._write_alone([event for events in commands for event in events])
        except (IntegrityError, DataError):
            return answer_each(commands, self._write_alone)
        outcomes: list[Outcome] = []
        for events in commands:
            outcomes.append(ids[: len(events)])
            ids = ids[len(events) :]
        return outcomes

    def _write_alone(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        try:
            conn = self.writer.usable()
            try:
                return self._locked_insert(conn, stored_events)
            except BaseException:
                _roll_back(conn)
                raise
        except psycopg.Error as error:  # as the datastore's `get_connection` raises them
            raise library_error(error) from error

    def _locked_insert(
        self, conn: Connection[Any], stored_events: Sequence[StoredEvent]
    ) -> list[int]:
        escaping, encoding = pq.Escaping(conn.pgconn), conn.info.encoding
        rows = b", ".join(_row(escaping, encoding, event) for event in stored_events)
        script = b"%s%s%s RETURNING notification_id" % (self._lock, self._insert, rows)
        with conn.lock:
            result = conn.pgconn.exec_(script)
        if result.status != ExecStatus.TUPLES_OK:
            raise _error(result, encoding)
        return [int(result.get_value(i, 0) or b"") for i in range(result.ntuples)]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """One aggregate's events, with a statement built once per shape of the query."""
        shape = (gt is not None, lte is not None, desc, limit is not None)
        statement = self._select_events.get(shape) or self._select_statement(shape)
        params = [p for p in (originator_id, gt, lte, limit) if p is not None]
        with (
            self._reading() as conn,
            conn.cursor(row_factory=tuple_row) as curs,
        ):
            curs.execute(statement, params, prepare=True)
            return [StoredEvent(i, v, t, bytes(s)) for i, v, t, s in curs.fetchall()]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def notification_rows(
        self, after: int, limit: int, *, skip: Sequence[str] = (), upto: int = 0
    ) -> list[NotificationRow]:
        """The notification log after `after`, as plain tuples (position, originator id,
        version, topic, state): what the projections read, without building a dict and a
        frozen dataclass per row (a tenth of a projection's catch-up; issue 4). Given event
        types to `skip`, only the others up to position `upto` (issue 20: a worker reads
        what its projections apply, not every event)."""
        statement = self._select_notifications
        params: tuple[Any, ...] = (after, limit)
        if skip:
            statement, params = self._select_followed, (after, upto, list(skip), limit)
        with (
            self.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row) as curs,
        ):
            curs.execute(statement, params, prepare=True)
            return [(n, i, v, t, bytes(s)) for n, i, v, t, s in curs.fetchall()]

    def _select_statement(self, shape: tuple[bool, bool, bool, bool]) -> str:
        has_gt, has_lte, desc, has_limit = shape
        text = "SELECT " + _COLUMNS + " FROM {table} WHERE originator_id = %s"
        text += " AND originator_version > %s" if has_gt else ""
        text += " AND originator_version <= %s" if has_lte else ""
        text += " ORDER BY originator_version " + ("DESC" if desc else "ASC")
        text += " LIMIT %s" if has_limit else ""
        statement = SQL(text).format(table=self._table).as_string()
        self._select_events[shape] = statement
        return statement


def _refuse_other_originator_id_types(datastore: PostgresDatastore) -> None:
    """Every aggregate is identified by a UUID: the library's `text` ids would come back as
    `str` and match nothing the domain looks up, so the store refuses them at start."""
    if datastore.originator_id_type != "uuid":
        raise UnsupportedOriginatorIdType(
            f"ORIGINATOR_ID_TYPE={datastore.originator_id_type} is not supported: Billing "
            "Center stores its aggregate ids as uuid (unset ORIGINATOR_ID_TYPE or set it to uuid)"
        )


@contextlib.contextmanager
def _as_library_errors(
    connection: AbstractContextManager[Connection[Any]],
) -> Iterator[Connection[Any]]:
    """psycopg's errors as the library's, as the datastore's `get_connection` raises them."""
    try:
        with connection as conn:
            yield conn
    except psycopg.Error as error:
        raise library_error(error) from error


def _roll_back(conn: Connection[Any]) -> None:
    """Leave the writer connection idle after a failed insert (if it is still alive)."""
    if conn.info.transaction_status in _IN_TRANSACTION:
        with contextlib.suppress(psycopg.Error):
            conn.execute("ROLLBACK")


def _row(escaping: Escaping, encoding: str, event: StoredEvent) -> bytes:
    """One VALUES row, every value escaped by libpq (or formatted from a UUID or int)."""
    originator = escaping.escape_literal(str(event.originator_id).encode(encoding))
    topic = escaping.escape_literal(_text(event.topic).encode(encoding))
    state = escaping.escape_bytea(event.state)
    return b"(%s::uuid, %d, %s, '%s'::bytea)" % (
        originator, int(event.originator_version), topic, state)  # fmt: skip


def _text(value: str) -> str:
    """A text value as it may be escaped: libpq's escaping ends the literal at a NUL, so the
    value stored would be shorter than the one given. Refused as psycopg refuses it for the
    library's own recorder (a `DataError`, mapped to the library's by the datastore)."""
    if "\x00" in value:
        raise psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    return value


def _error(result: PGresult, encoding: str) -> psycopg.Error:
    """The psycopg error of a failed query (its class from the SQLSTATE), as a cursor raises."""
    message = (result.error_message or b"").decode(encoding, "replace").strip()
    sqlstate = (result.error_field(DiagnosticField.SQLSTATE) or b"").decode()
    error_class: type[psycopg.Error] = psycopg.OperationalError  # no SQLSTATE: connection lost
    if sqlstate:
        try:
            error_class = errors.lookup(sqlstate)
        except KeyError:
            error_class = psycopg.DatabaseError
    error: psycopg.Error = error_class(message)
    return error


def event_rows(
    recorder: PostgresApplicationRecorder, after: int, until: int | None, page: int
) -> Iterator[EventRow]:
    """Every stored event after position `after` (up to `until`), in order, read straight
    from the events table in pages of `page` binary rows (no UUID, dict or Notification
    objects per row): the audit log's full scans."""
    statement = SQL(
        "SELECT notification_id, originator_id::text, originator_version, topic, state"
        " FROM {}.{} WHERE notification_id > %s AND notification_id <= %s"
        " ORDER BY notification_id LIMIT %s"
    ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
    stop = 2**63 - 1 if until is None else until
    while True:
        with (
            recorder.datastore.get_connection() as conn,
            conn.cursor(binary=True, row_factory=tuple_row) as cursor,
        ):
            batch: list[EventRow] = cursor.execute(statement, (after, stop, page)).fetchall()
        yield from batch
        if len(batch) < page:
            return
        after = batch[-1][0]
