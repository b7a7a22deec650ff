"""Where one stored event stands in the store's total order (its notification id).

A receipt (I8) proves that a payment's event is in the hash chain, and the chain is
indexed by position; the aggregate knows its events by version only. One indexed lookup
on the events table's (originator_id, originator_version) key answers it.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier


def event_position(recorder: ApplicationRecorder, originator_id: UUID, version: int) -> int | None:
    """The position of the event `version` of aggregate `originator_id`; None if not stored."""
    if isinstance(recorder, PostgresApplicationRecorder):
        statement = SQL(
            "SELECT notification_id FROM {}.{} WHERE originator_id = %s AND originator_version = %s"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        with (
            recorder.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row) as cursor,
        ):
            row = cursor.execute(statement, (originator_id, version)).fetchone()
        return None if row is None else int(row[0])
    if isinstance(recorder, SQLiteApplicationRecorder):
        query = (
            f"SELECT rowid FROM {recorder.events_table_name}"
            " WHERE originator_id = ? AND originator_version = ?"
        )
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(query, (originator_id.hex, version))  # as the library stores it
            found = cursor.fetchone()
        return None if found is None else int(found[0])
    return _scanned(recorder, originator_id, version)


def _scanned(recorder: ApplicationRecorder, originator_id: UUID, version: int) -> int | None:
    """The in-memory store has no index: read the log (tests and demos only)."""
    after = 0
    while batch := recorder.select_notifications(after, 1000, inclusive_of_start=False):
        for n in batch:
            if str(n.originator_id) == str(originator_id) and n.originator_version == version:
                return n.id
        after = batch[-1].id
    return None
