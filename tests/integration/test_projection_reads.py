"""Issue 20: a runner of a few projections (a worker's share) reads the events they apply
and leaves the others unread, on PostgreSQL, where the recorder filters by event type in
SQL; it still reaches the head and builds what a runner of every event builds."""

from __future__ import annotations

import random

import pytest

from domain.application import BillingCenter
from projections.events import EventRecord, Row
from projections.runner import PROJECTIONS, Runner, rebuild
from projections.tracking import unit_positions
from store.database import Database
from tests.integration.projections_support import dump
from tests.property.projections_history import History

FEW = ("directory", "accounts", "cases")


@pytest.fixture
def durable_store_url(postgres_url: str) -> str:
    """The filter is the PostgreSQL recorder's: this module runs on PostgreSQL only."""
    return postgres_url


def _business(app: BillingCenter) -> None:
    draw, history = random.Random(7), History(app)
    history.play([tuple(draw.randrange(n) for n in (13, 3, 8, 6)) for _ in range(40)])  # type: ignore[misc]


def _decoding(runner: Runner) -> list[EventRecord]:
    """The events the runner decodes, kept as it decodes them."""
    decoded: list[EventRecord] = []
    decode = runner.decoder

    def keeping(row: Row) -> EventRecord:
        decoded.append(decode(row))
        return decoded[-1]

    runner.decoder = keeping  # type: ignore[assignment]
    return decoded


def test_a_runner_of_a_few_projections_decodes_only_the_events_they_apply(
    app: BillingCenter, db: Database
) -> None:
    _business(app)
    runner = Runner(db, app, FEW, page_size=7)
    decoded = _decoding(runner)
    runner.catch_up()
    applied = set().union(*(PROJECTIONS[n].projection(1).event_types() or () for n in FEW))
    assert {e.type for e in decoded} <= applied
    assert len(decoded) < app.head()
    with db.read() as tx:
        positions = unit_positions(tx)
    assert {positions[name][0] for name in FEW} == {app.head()}


def test_a_runner_of_a_few_projections_builds_what_a_runner_of_every_event_builds(
    app: BillingCenter, db: Database
) -> None:
    _business(app)
    Runner(db, app, FEW, page_size=7).catch_up()
    built = dump(db, FEW)
    for name in FEW:
        rebuild(db, app, name)  # reads every event
    assert dump(db, FEW) == built
