"""Issue 21, item 3: the batched writer on SQLite and PostgreSQL.

Commands queued behind a transaction in flight are written in the next one; each is checked
against its own aggregate versions and answered with its own positions or its own conflict:
a conflict (with the store or with a batch-mate) never fails the others, and a command is
written all or nothing. Through `BillingCenter`, the retries of `@command` resolve races
between batch-mates without failing anyone.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from domain.application import BillingCenter
from domain.user import login_id
from domain.values import Notification, Role
from store.group_commit import GroupCommit
from store.url import eventsourcing_env, is_postgres, sqlite_path
from tests.builders import add_user, billing_center, enrolled_company, person

WAIT_SECONDS = 30
TOPIC = "tests:Happened"
CLIENTS = 8
TOGGLES = 15


def event(originator: UUID, version: int = 1) -> StoredEvent:
    return StoredEvent(originator, version, TOPIC, b'{"n":1}')


def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "the writer never got there"
        time.sleep(0.002)


def queued(group: GroupCommit[Sequence[StoredEvent], list[int]], count: int) -> bool:
    return group.waiting == count


@contextmanager
def writer_held(url: str, table: str) -> Iterator[Callable[[], None]]:
    """Another connection holds the write lock until the yielded function is called."""
    if is_postgres(url):
        with psycopg.connect(url) as pg:
            pg.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
            yield pg.commit
        return
    conn = sqlite3.connect(sqlite_path(url), isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn.commit
    finally:
        conn.close()


@pytest.fixture
def app(durable_store_url: str) -> Iterator[BillingCenter]:
    center = billing_center(eventsourcing_env(durable_store_url))
    yield center
    center.close()


def group_of(app: BillingCenter) -> GroupCommit[Sequence[StoredEvent], list[int]]:
    group = getattr(app.recorder, "_group", None)
    assert isinstance(group, GroupCommit), "the service's recorder is not the batched writer"
    return group


def test_a_conflict_in_a_batch_is_its_commands_own(
    app: BillingCenter, durable_store_url: str
) -> None:
    recorder, group = app.recorder, group_of(app)
    taken, shared, lone = uuid4(), uuid4(), uuid4()
    recorder.insert_events([event(taken)])
    commands = {
        "two events": [event(a := uuid4()), event(a, 2)],
        "version taken in the store": [event(taken)],
        "first of two batch-mates": [event(shared)],
        "second of two batch-mates": [event(shared)],
        "half taken": [event(lone), event(taken)],
        "last": [event(uuid4())],
    }
    table = getattr(recorder, "events_table_name", "stored_events")
    with writer_held(durable_store_url, table) as release, ThreadPoolExecutor(8) as pool:
        first = pool.submit(recorder.insert_events, [event(uuid4())])
        until(lambda: group.in_flight)
        answers: dict[str, Future[object]] = {}
        for name, events in commands.items():
            answers[name] = pool.submit(recorder.insert_events, events)
            until(partial(queued, group, len(answers)))
        batches = group.transactions
        release()
        first.result()
        outcomes = {name: _outcome(future) for name, future in answers.items()}
    assert group.transactions == batches + 2, "the queued commands were not one batch"
    refused = {name for name, outcome in outcomes.items() if outcome == "conflict"}
    assert refused == {"version taken in the store", "second of two batch-mates", "half taken"}
    written = [outcomes[n] for n in ("two events", "first of two batch-mates", "last")]
    assert all(isinstance(ids, list) for ids in written)
    assert [len(ids) for ids in written] == [2, 1, 1]  # type: ignore[arg-type]
    positions = [p for ids in written for p in ids]  # type: ignore[attr-defined]
    assert positions == sorted(positions), "answered out of the order they were written"
    for name, ids in zip(("two events", "first of two batch-mates", "last"), written, strict=True):
        stored = recorder.select_notifications(ids[0], len(ids))  # type: ignore[index,arg-type]
        assert [n.originator_id for n in stored] == [e.originator_id for e in commands[name]]
    assert recorder.select_events(lone) == [], "a refused command was written in part"
    assert len(recorder.select_events(shared)) == 1


def _outcome(future: Future[object]) -> object:
    try:
        return future.result()
    except IntegrityError:
        return "conflict"


def test_racing_batch_mates_are_all_applied_by_the_retries(
    app: BillingCenter, durable_store_url: str
) -> None:
    """Eight clients, half of them toggling one shared user's preferences (they conflict,
    often in the same batch) and half their own: no command is refused (`@command` retries
    the losers from a fresh load), and each solo answer's position holds its own event.
    The write lock is held until their first commands queue behind one in flight, so at
    least one batch is shared whatever the machine's speed (left to timing, a loaded
    machine once wrote every command alone)."""
    company = enrolled_company(app, "alice")
    solos = [f"solo{i}" for i in range(CLIENTS // 2)]
    for login in solos:
        add_user(app, company, login, Role.VIEW_ONLY)
    logins = ["alice"] * (CLIENTS // 2) + solos
    for login in logins:
        app.set_notification_preferences(person(login), {Notification.INVOICE_AVAILABLE: True})
    group = group_of(app)
    batched_before = group.commands - group.transactions

    def toggle(login: str) -> list[int]:
        return [
            app.set_notification_preferences(
                person(login), {Notification.INVOICE_AVAILABLE: bool(i % 2)}
            ).position
            for i in range(TOGGLES)
        ]

    table = getattr(app.recorder, "events_table_name", "stored_events")
    with writer_held(durable_store_url, table) as release, ThreadPoolExecutor(CLIENTS) as pool:
        answers = [pool.submit(toggle, login) for login in logins]
        until(lambda: group.waiting >= 2)  # behind the one in flight: the next batch is shared
        release()
        answered = dict(zip(logins, (answer.result() for answer in answers), strict=True))
    assert group.commands - group.transactions > batched_before, "no batch was ever shared"
    for login in solos:
        positions = answered[login]
        assert len(set(positions)) == TOGGLES
        for position in positions:
            (stored,) = app.recorder.select_notifications(position, 1)
            assert stored.originator_id == login_id(login)
            assert stored.topic.endswith("NotificationPreferencesChanged")


KILLS = 3


@pytest.mark.postgres
def test_commands_outlive_their_writer_being_killed_and_each_is_stored_once(
    postgres_url: str,
) -> None:
    """The writer connection's backend is terminated again and again while four clients
    toggle their own preferences: no command fails, and each one's change is stored exactly
    once (an insert cut off before its answer is written again on a new connection)."""
    center = billing_center(eventsourcing_env(postgres_url))
    on = Notification.INVOICE_AVAILABLE
    try:
        company = enrolled_company(center, "alice")
        solos = [f"solo{i}" for i in range(4)]
        for login in solos:
            add_user(center, company, login, Role.VIEW_ONLY)
            center.set_notification_preferences(person(login), {on: True})
        before = {login: center.user(login).version for login in solos}
        killer = _Killer(postgres_url)

        def toggle(login: str) -> int:
            done = 0
            while done < TOGGLES or not killer.enough():
                center.set_notification_preferences(person(login), {on: bool(done % 2)})
                done += 1
            return done

        with ThreadPoolExecutor(len(solos) + 1) as pool:
            pool.submit(killer.run)
            try:
                made = dict(zip(solos, pool.map(toggle, solos), strict=True))
            finally:
                killer.stop.set()
        assert killer.kills >= KILLS, "the writer was not killed often enough"
        for login in solos:
            after = center.recorder.select_events(login_id(login), gt=before[login])
            changes = [e.topic.rsplit(".", 1)[1] for e in after]
            assert changes == ["NotificationPreferencesChanged"] * made[login]
    finally:
        center.close()


class _Killer:
    """Terminates the writer connection's backend every few milliseconds until stopped."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.kills = 0
        self.stop = threading.Event()
        self.deadline = time.monotonic() + WAIT_SECONDS

    def enough(self) -> bool:
        """Whether the clients may stop: killed often enough (or given up)."""
        return self.kills >= KILLS or time.monotonic() > self.deadline

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as admin:
            while not self.stop.wait(0.02):
                row = admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND query LIKE 'SET LOCAL lock_timeout%'"
                ).fetchone()
                self.kills += int(row[0]) if row else 0


def test_a_lone_command_refused_in_part_writes_none_of_its_events(
    app: BillingCenter, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder, group = app.recorder, group_of(app)
    taken, lone = uuid4(), uuid4()
    recorder.insert_events([event(taken)])
    monkeypatch.setattr(group, "_write", lambda _works: pytest.fail("written as a batch"))
    with pytest.raises(IntegrityError):
        recorder.insert_events([event(lone), event(taken)])
    assert recorder.select_events(lone) == [], "a refused command was written in part"
    ids = recorder.insert_events([event(lone)])  # the writer is usable again
    assert ids is not None
    assert len(ids) == 1
