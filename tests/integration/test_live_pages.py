"""Issue 20: a live page costs a few statements whatever the number of units it moves, and
the positions a runner remembers between pages never make it skip an event."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from domain.application import BillingCenter
from projections import runner as runner_module
from projections.runner import PROJECTIONS, Runner, rebuild
from projections.tracking import Unit, claim_units
from store.database import Database, Params, Tx
from tests.integration.projections_support import dump
from tests.property.projections_history import History

STEPS = [(i % 13, i % 3, i % 5, i % 7) for i in range(60)]


def test_remembered_positions_ahead_of_the_recorded_ones_skip_no_event(
    app: BillingCenter, db: Database
) -> None:
    History(app).play(STEPS)
    runner = Runner(db, app, page_size=5)
    assert runner.step() == 5
    runner.known = {name: position + 3 for name, position in runner.known.items()}
    runner.catch_up()
    survived = dump(db)
    for name in PROJECTIONS:
        rebuild(db, app, name)
    assert dump(db) == survived


def test_a_unit_the_one_statement_misses_is_claimed_alone(
    app: BillingCenter, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild's switch moving a live row between the statement's snapshot and its lock
    drops that unit's row from the answer (the new generation's row was not the one joined):
    the runner claims it alone and applies its page all the same."""

    def missing_audit(tx: Tx, units: list[Unit]) -> dict[str, tuple[int, int]]:
        return {k: v for k, v in claim_units(tx, units).items() if k != "audit"}

    History(app).play(STEPS)
    monkeypatch.setattr(runner_module, "claim_units", missing_audit)
    Runner(db, app, page_size=7).catch_up()
    survived = dump(db)
    for name in PROJECTIONS:
        rebuild(db, app, name)
    assert dump(db) == survived
    with db.read() as tx:
        assert tx.one("SELECT COUNT(*) FROM audit_events") == (app.head(),)


class Counting:
    """A transaction that counts the statements naming `projection_tracking`."""

    def __init__(self, tx: Tx, seen: list[str]) -> None:
        self.tx, self.seen, self.dialect = tx, seen, tx.dialect

    def _count(self, sql: str) -> None:
        if "projection_tracking" in sql:
            self.seen.append(sql)

    def execute(self, sql: str, params: Params = ()) -> None:
        self._count(sql)
        self.tx.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> None:
        self.seen.extend(sql for _ in rows if "projection_tracking" in sql)
        self.tx.executemany(sql, rows)

    def one(self, sql: str, params: Params = ()) -> Any:
        self._count(sql)
        return self.tx.one(sql, params)

    def all(self, sql: str, params: Params = ()) -> Any:
        self._count(sql)
        return self.tx.all(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tx, name)


def test_a_live_page_locks_and_records_its_units_in_two_statements(
    app: BillingCenter, db: Database
) -> None:
    history = History(app)
    history.play(STEPS[:20])
    runner = Runner(db, app)
    runner.catch_up()
    history.play(STEPS[20:24])
    seen: list[str] = []
    write = db.write

    @contextmanager
    def counted() -> Iterator[Counting]:
        with write() as tx:
            yield Counting(tx, seen)

    db.write = counted  # type: ignore[method-assign]
    try:
        assert runner.step() > 0
    finally:
        del db.write
    # one statement locking every unit's row, one recording their positions (SQLite: one
    # UPDATE per unit, the same statement); no position read per unit
    assert len(runner.projections) > 2
    assert len(set(seen)) == 2, seen
    assert not any(sql.startswith("SELECT position") for sql in seen), seen
