"""Issue 21: the audit's scan on PostgreSQL (one binary COPY, rows cut by `store.scan`)
reads every stored event row exactly as the recorder stores it, and an abandoned scan gives
its connection back in a usable state."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Composed, Identifier

from store.recorders import EventRow
from store.scan import IN_INDEX_ORDER, ScanFormatError, event_pages, scan_query
from store.url import eventsourcing_env

pytestmark = pytest.mark.postgres

STATES = (
    b'{"x":1}',
    b"",
    bytes(range(256)) + b"\\\x00\xff\xff",  # the COPY trailer's bytes inside a row
    'Carol "C" Ünal\\ 🧾'.encode(),
    b"x" * 300_000,  # more than one socket read
)


@pytest.fixture
def recorder(postgres_url: str) -> Iterator[PostgresApplicationRecorder]:
    """A store of events with states of every shape, topics of every width, two aggregates."""
    application = Application[UUID](env=eventsourcing_env(postgres_url))
    assert isinstance(application.recorder, PostgresApplicationRecorder)
    one, two = uuid4(), uuid4()
    for version, state in enumerate(STATES, start=1):
        topic = f"tests.ü:{'E' * version * 40}"
        application.recorder.insert_events(
            [StoredEvent(one, version, topic, state), StoredEvent(two, version, "t:x", state)]
        )
    yield application.recorder
    application.close()


def _stored(recorder: PostgresApplicationRecorder, after: int, until: int) -> list[EventRow]:
    return [
        (n.id, str(n.originator_id), n.originator_version, n.topic, n.state)
        for n in recorder.select_notifications(after, 100, stop=until, inclusive_of_start=False)
    ]


@pytest.mark.parametrize(("after", "until"), [(0, None), (3, 8), (0, 1), (9, None), (10, None)])
def test_the_scan_reads_the_rows_the_recorder_stores(
    recorder: PostgresApplicationRecorder, after: int, until: int | None
) -> None:
    pages = list(event_pages(recorder, after, until, 3))
    assert [row for page in pages for row in page] == _stored(recorder, after, until or 10)
    assert all(0 < len(page) <= 3 for page in pages)


def test_an_abandoned_scan_leaves_its_connection_usable(
    recorder: PostgresApplicationRecorder,
) -> None:
    for _ in range(3):  # more times than the pool holds idle connections
        scan = event_pages(recorder, 0, None, 1)
        assert len(next(scan)) == 1
        scan.close()
    assert recorder.max_notification_id() == 10
    assert len([row for page in event_pages(recorder, 0, None, 4) for row in page]) == 10


def test_a_scan_cut_off_by_the_server_fails_instead_of_ending_early(
    recorder: PostgresApplicationRecorder, postgres_url: str
) -> None:
    big = uuid4()  # 40 MB of rows: more than the sockets hold while the scan waits
    recorder.insert_events([StoredEvent(big, n, "t:x", b"y" * 1_000_000) for n in range(1, 41)])
    scan = event_pages(recorder, 0, None, 1)
    next(scan)
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'COPY%'"
        )
    with pytest.raises((ScanFormatError, OperationalError), match=r"terminat|closed the conn"):
        list(scan)  # the server's reason, or libpq's when the socket closed first
    assert recorder.max_notification_id() == 50  # the pool's other connections still serve


def test_the_scan_waits_on_a_socket_numbered_past_1024(postgres_url: str) -> None:
    """select() refuses descriptors past FD_SETSIZE: a long-running service has them."""
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        application = Application[UUID](env=eventsourcing_env(postgres_url))
        assert isinstance(application.recorder, PostgresApplicationRecorder)
        big = uuid4()  # 40 MB: the scan waits for the socket many times
        application.recorder.insert_events(
            [StoredEvent(big, n, "t:x", b"y" * 1_000_000) for n in range(1, 41)]
        )
        assert sum(len(page) for page in event_pages(application.recorder, 0, None, 7)) == 40
        application.close()
    finally:
        for descriptor in held:
            os.close(descriptor)


def _plan(connection: psycopg.Connection[tuple[str]], query: Composed) -> str:
    return "\n".join(line for (line,) in connection.execute(SQL("EXPLAIN ") + query))


def test_the_scan_streams_the_ordered_index_before_any_statistics(postgres_url: str) -> None:
    """Issue 21: right after a bulk load (no ANALYZE yet) the planner took the COPY's query
    for a bitmap scan and a sort of the whole range, so no row left the server before it had
    sorted everything; in the scan's transaction the plan is the ordered index scan."""
    application = Application[UUID](env=eventsourcing_env(postgres_url))
    recorder = application.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    table = Identifier(recorder.datastore.schema, recorder.events_table_name)
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(SQL("ALTER TABLE {} SET (autovacuum_enabled = false)").format(table))
        one = uuid4()
        recorder.insert_events([StoredEvent(one, n, "t:x", b"y" * 300) for n in range(1, 5001)])
        query = scan_query(recorder, 0, None)
        assert "Sort" in _plan(admin, query)  # what the planner chooses on its own
        with admin.transaction():
            admin.execute(IN_INDEX_ORDER)
            plan = _plan(admin, query)
    assert plan.startswith("Index Scan")
    assert "Sort" not in plan
    application.close()


def test_the_scan_turns_sorts_off_in_its_own_transaction(
    recorder: PostgresApplicationRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The setting above only helps if `event_pages` sends it in the COPY's transaction."""
    sent: list[tuple[object, psycopg.pq.TransactionStatus]] = []

    def spy(original: Any) -> Any:
        def recorded(cursor: psycopg.Cursor[Any], statement: Any, *args: Any, **kw: Any) -> Any:
            status = cursor.connection.info.transaction_status
            sent.append((statement, status))
            return original(cursor, statement, *args, **kw)

        return recorded

    monkeypatch.setattr(psycopg.Cursor, "execute", spy(psycopg.Cursor.execute))
    monkeypatch.setattr(psycopg.Cursor, "copy", spy(psycopg.Cursor.copy))
    assert sum(len(page) for page in event_pages(recorder, 0, None, 4)) == 10
    statements = [statement for statement, _ in sent]
    assert IN_INDEX_ORDER in statements
    turned_off = statements.index(IN_INDEX_ORDER)
    copy_statement, in_transaction = sent[turned_off + 1]
    assert "COPY" in str(copy_statement)
    assert in_transaction == psycopg.pq.TransactionStatus.INTRANS
