"""Issue 20: workers on PostgreSQL share the projections by the plan (by cost), and every
unit finds an owner even when a worker runs only some projections. In-process workers,
rebalanced by hand: no timing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.application import BillingCenter
from projections.tracking import UNITS
from projections.workers import ORPHAN_ROUNDS, LeasedWorker, plan
from store.database import Database, PostgresDatabase


@pytest.fixture
def durable_store_url(postgres_url: str) -> str:
    """Leases are PostgreSQL's: this module runs on PostgreSQL only."""
    return postgres_url


@pytest.fixture
def started(app: BillingCenter, db: Database) -> Iterator[list[LeasedWorker]]:
    """The workers a test starts, their leases closed before the store and its database."""
    del app, db  # (asked for only to be closed after the workers)
    workers: list[LeasedWorker] = []
    yield workers
    for worker in workers:
        worker.leases.close()


def _worker(db: Database, app: BillingCenter, *names: str) -> LeasedWorker:
    assert isinstance(db, PostgresDatabase)
    return LeasedWorker(db, app, names, owner=f"w{len(names)}")


def test_two_workers_hold_the_plan_s_shares(
    app: BillingCenter, db: Database, started: list[LeasedWorker]
) -> None:
    started += [_worker(db, app), _worker(db, app)]
    for _ in range(2):  # the first rebalance may find the other's units not given back yet
        for worker in started:
            worker.rebalance()
    held = sorted(sorted(worker.held) for worker in started)
    assert held == sorted(sorted(share) for share in plan(list(UNITS.values()), 2))


def test_a_unit_planned_for_a_worker_that_does_not_run_it_is_adopted(
    app: BillingCenter, db: Database, started: list[LeasedWorker]
) -> None:
    started += [_worker(db, app), _worker(db, app, "cases")]
    for _ in range(ORPHAN_ROUNDS + 2):
        for worker in started:
            worker.rebalance()
    assert sorted(u for worker in started for u in worker.held) == sorted(UNITS)
