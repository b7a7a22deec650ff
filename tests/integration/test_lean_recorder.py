"""The lean PostgreSQL recorder (store/recorders.py) keeps the library's insert contract."""

from __future__ import annotations

import time
from collections.abc import Iterator
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import DataError, IntegrityError, StoredEvent
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from psycopg.pq import TransactionStatus

from store.recorders import LeanPostgresApplicationRecorder, UnsupportedOriginatorIdType
from store.url import eventsourcing_env

pytestmark = pytest.mark.postgres


def _event(originator: UUID, version: int, state: bytes = b'{"x":1}') -> StoredEvent:
    return StoredEvent(originator, version, "tests:Event", state)


@pytest.fixture
def app(postgres_url: str) -> Iterator[Application[UUID]]:
    application = Application[UUID](env=eventsourcing_env(postgres_url))
    yield application
    application.close()


def test_postgres_urls_select_the_lean_recorder(app: Application[UUID]) -> None:
    assert isinstance(app.recorder, LeanPostgresApplicationRecorder)


def test_inserts_return_consecutive_notification_ids(app: Application[UUID]) -> None:
    originator = uuid4()
    first = app.recorder.insert_events([_event(originator, 1)])
    rest = app.recorder.insert_events([_event(originator, 2), _event(originator, 3)])
    assert first is not None
    assert rest is not None
    assert [*first, *rest] == [first[0], first[0] + 1, first[0] + 2]


def test_binary_state_reads_back_byte_for_byte(app: Application[UUID]) -> None:
    originator, state = uuid4(), bytes(range(256)) + b"'\\\x00"
    app.recorder.insert_events([_event(originator, 1, state)])
    (stored,) = app.recorder.select_events(originator)
    assert (stored.originator_id, stored.originator_version, stored.state) == (
        originator, 1, state)  # fmt: skip


def test_a_lost_race_is_an_integrity_error_and_writes_nothing(app: Application[UUID]) -> None:
    originator = uuid4()
    app.recorder.insert_events([_event(originator, 1)])
    with pytest.raises(IntegrityError):
        app.recorder.insert_events([_event(uuid4(), 1), _event(originator, 1)])
    assert app.recorder.max_notification_id() == 1


def test_a_failed_insert_leaves_the_writer_connection_idle(app: Application[UUID]) -> None:
    originator = uuid4()
    app.recorder.insert_events([_event(originator, 1)])
    with pytest.raises(IntegrityError):
        app.recorder.insert_events([_event(originator, 1)])
    with _lean(app).writer.connection() as conn:
        assert conn.info.transaction_status == TransactionStatus.IDLE


def _lean(app: Application[UUID]) -> LeanPostgresApplicationRecorder:
    assert isinstance(app.recorder, LeanPostgresApplicationRecorder)
    return app.recorder


def test_every_insert_goes_over_the_one_writer_connection(app: Application[UUID]) -> None:
    """Issue 21: the pool hands its connections out in turn (a cold backend per command)."""
    recorder = _lean(app)
    recorder.max_notification_id()  # the pool is open
    taken = recorder.datastore.pool.get_stats().get("requests_num", 0)
    for version in range(1, 21):
        recorder.insert_events([_event(uuid4(), version)])
    assert recorder.datastore.pool.get_stats().get("requests_num", 0) == taken
    assert recorder.writer.connections == 1


def test_a_terminated_writer_is_replaced_and_no_answered_insert_is_lost(
    app: Application[UUID], postgres_url: str
) -> None:
    """A killed backend (`pg_terminate_backend`) costs no command: the next insert is written
    on a new connection, and every insert answered before or after is stored as answered."""
    recorder, answered = _lean(app), {}
    for round_ in range(3):
        for _ in range(5):
            originator = uuid4()
            (answered[originator],) = recorder.insert_events([_event(originator, 1)]) or []
        _terminate(recorder, postgres_url)
        assert round_ + 1 == recorder.writer.connections
    (last,) = recorder.insert_events([_event(originator := uuid4(), 1)]) or []
    answered[originator] = last
    stored = recorder.select_notifications(1, len(answered) + 1)
    assert {n.originator_id: n.id for n in stored} == answered
    assert recorder.writer.connections == 4


def _terminate(recorder: LeanPostgresApplicationRecorder, url: str) -> None:
    """Terminate the writer's backend and wait until the server has let it go."""
    with recorder.writer.connection() as conn:
        pid = conn.info.backend_pid
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 30
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            assert time.monotonic() < deadline, "the backend was never terminated"
            time.sleep(0.01)


def test_select_events_honours_bounds_order_and_limit(app: Application[UUID]) -> None:
    originator = uuid4()
    app.recorder.insert_events([_event(originator, v) for v in range(1, 6)])
    versions = [
        e.originator_version
        for e in app.recorder.select_events(originator, gt=1, lte=4, desc=True, limit=2)
    ]
    assert versions == [4, 3]


def test_a_nul_in_a_topic_is_refused_and_nothing_is_stored(app: Application[UUID]) -> None:
    """libpq's escaping stops at a NUL: the topic would be stored cut short (issue 17)."""
    originator = uuid4()
    evil = StoredEvent(originator, 1, "tests:Ev\x00il", b"{}")
    with pytest.raises(DataError, match="NUL"):
        app.recorder.insert_events([_event(uuid4(), 1), evil])
    assert app.recorder.select_events(originator) == []
    assert app.recorder.max_notification_id() is None


def test_text_originator_ids_are_refused_at_start_in_one_line(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library's ORIGINATOR_ID_TYPE=text would give aggregates str ids: refused (issue 17)."""
    monkeypatch.setenv("ORIGINATOR_ID_TYPE", "text")
    with pytest.raises(UnsupportedOriginatorIdType) as refused:
        Application[UUID](env=eventsourcing_env(postgres_url))
    assert "ORIGINATOR_ID_TYPE" in str(refused.value)
    assert "\n" not in str(refused.value)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(topic=st.text(max_size=40))
@example(topic="tests:Ev\x00il")  # libpq's escaping ends a literal at a NUL
@example(topic="tests:\udc80")  # an unpaired surrogate has no UTF-8
@example(topic="it's a \\ 'quote'")
def test_any_topic_reads_back_exactly_or_is_refused_with_nothing_stored(
    app: Application[UUID], topic: str
) -> None:
    """Issue 17: the recorder never stores a value other than the one it was given."""
    originator = uuid4()
    try:
        app.recorder.insert_events([StoredEvent(originator, 1, topic, b"{}")])
    except (DataError, UnicodeEncodeError):  # as the library's recorder refuses them
        assert app.recorder.select_events(originator) == []
    else:
        assert [e.topic for e in app.recorder.select_events(originator)] == [topic]
