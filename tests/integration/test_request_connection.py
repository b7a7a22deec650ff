"""Issue 20: the event store's reads share a read request's one connection to the primary,
and a write in a request waits for its group commit holding none of the request's
connections (store/pinning.py, `LeanPostgresApplicationRecorder.read_on`)."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from domain.application import BillingCenter
from store.database import PostgresDatabase, read_events_on
from store.pinning import one_connection_per_request
from store.url import eventsourcing_env
from tests.builders import ADMIN, billing_center, enrolled_company, person


@pytest.fixture
def wired(postgres_url: str) -> Iterator[tuple[BillingCenter, PostgresDatabase]]:
    """A BillingCenter whose aggregates are read on the read models' primary connections."""
    app = billing_center(eventsourcing_env(postgres_url))
    db = PostgresDatabase(postgres_url)
    read_events_on(app.recorder, db)
    try:
        yield app, db
    finally:
        app.close()
        db.close()


def _checked_out(db: PostgresDatabase) -> int:
    stats = db.readers.get_stats()
    return stats["pool_size"] - stats["pool_available"]


Enrolled = tuple[BillingCenter, PostgresDatabase, UUID]


@pytest.fixture
def enrolled(wired: tuple[BillingCenter, PostgresDatabase]) -> Enrolled:
    """The wired store with one company enrolled."""
    app, db = wired
    return app, db, enrolled_company(app)


def _asked(db: PostgresDatabase) -> int:
    """How many connections the read models' pool has been asked for."""
    return db.readers.get_stats().get("requests_num", 0)


@pytest.mark.postgres
def test_a_request_reads_aggregates_and_read_models_on_one_connection(
    enrolled: Enrolled,
) -> None:
    app, db, cid = enrolled
    with one_connection_per_request():
        app.read_company(cid)
        with db.read() as tx:
            assert tx.one("SELECT 1") == (1,)
        app.user(ADMIN)
        assert _checked_out(db) == 1
    assert _checked_out(db) == 0


@pytest.mark.postgres
def test_a_write_waits_for_its_commit_holding_no_request_connection(
    enrolled: Enrolled, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, db, cid = enrolled
    writer = app.recorder.writer  # type: ignore[attr-defined]
    held_while_writing: list[int] = []
    usable = writer.usable

    def watched() -> object:
        held_while_writing.append(_checked_out(db))
        return usable()

    monkeypatch.setattr(writer, "usable", watched)
    with one_connection_per_request():
        app.read_company(cid)
        assert _checked_out(db) == 1
        app.change_company_details(person(ADMIN), cid, "Acme 2", "2 Main")
    assert held_while_writing == [0]
    assert app.read_company(cid).name == "Acme 2"


@pytest.mark.postgres
def test_an_aggregate_read_outside_a_request_takes_no_read_model_connection(
    enrolled: Enrolled,
) -> None:
    app, db, cid = enrolled
    asked = _asked(db)
    assert app.read_company(cid).id == cid
    assert _asked(db) == asked, "an aggregate read outside a request took a read connection"


@pytest.mark.postgres
def test_a_sender_stopping_after_the_read_side_closed_still_reads_aggregates(
    enrolled: Enrolled,
) -> None:
    """The API's shutdown closes the read models' pool before the application: a mail sender
    or key check still finishing then reads a user on the recorder's own connections."""
    app, db, cid = enrolled
    db.close()
    assert app.read_company(cid).id == cid
    assert app.user(ADMIN).login == ADMIN
