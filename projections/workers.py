"""Projection workers that share the projections through leases (issue 20).

Any number of processes (`billing-center projections run`, and on PostgreSQL each
`serve` that runs its projections in-process) follow the store together. Each projection
is a unit of work claimed with a lease: a session advisory lock (`store.locks.Leases`),
held as long as the worker's lease connection lives. Every second a worker counts the
lease sessions connected, takes up to its fair share (ceil(units / workers)) of the
unclaimed units and gives back what it holds beyond it, so a worker added (or one that
died) rebalances the units without a restart. A worker killed with kill -9 loses its
leases as soon as PostgreSQL ends its session (at once on a live machine, within 10 s of
TCP keepalives when the machine is gone) and another takes them over at its next
rebalance, from the position the dead one recorded.

The lease divides the work; it is not what makes it exactly once. That is the runner's:
each page is applied in one transaction that locks the projection's live row and skips
what the recorded position covers, and records the new position with the read model. So
two workers briefly holding the same unit (a lease connection lost while its worker
lives on) serialise on the row, and neither applies an event twice.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from uuid import UUID

from eventsourcing.application import Application

from projections.runner import PAGE_SIZE, PROJECTIONS, Runner, waiter_for
from projections.tracking import units_of
from store.database import Database, PostgresDatabase
from store.locks import Leases

REBALANCE_SECONDS = 1.0
"""How often a worker counts the workers and takes or gives back leases."""
log = logging.getLogger(__name__)


def worker_name() -> str:
    """This process as `projections status` names a lease's owner: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


class LeasedWorker:
    """Runs the projections whose leases it holds, a page per transaction (see `Runner`)."""

    def __init__(
        self,
        db: PostgresDatabase,
        store: Application[UUID],
        names: Iterable[str] = (),
        *,
        owner: str | None = None,
        page_size: int = PAGE_SIZE,
        rebalance_seconds: float = REBALANCE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db, self.store = db, store
        self.units = [u.name for u in units_of(names or PROJECTIONS)]
        self.leases = Leases(db.conninfo, db.schema, owner or worker_name())
        self.runner = Runner(db, store, self.units, page_size=page_size)
        self.runner.projections = []
        self.rebalance_seconds, self.clock = rebalance_seconds, clock
        self.next_rebalance = 0.0

    @property
    def held(self) -> list[str]:
        return [u for u in self.units if u in self.leases.held]

    def rebalance(self) -> None:
        """Take up to a fair share of the unclaimed units; give back what is beyond it."""
        before = self.held
        self.leases.alive()
        share = math.ceil(len(self.units) / self.leases.workers())
        held = self.held  # give back every other one first: the heavy ones (audit, outbox)
        for unit in (held[1::2] + held[::2])[: max(0, len(held) - share)]:  # do not sit together
            self.leases.release(unit)
        for unit in self.units:
            if len(self.leases.held) >= share:
                break
            self.leases.claim(unit)
        if self.held != before:
            log.info("projection worker %s runs %s", self.leases.owner, self.held or "nothing")
            self.runner.projections = units_of(self.held)
            self.runner.failing = None  # read again: another worker may have recorded one

    def step(self) -> int:
        """Rebalance when due, then apply the next page to the units held."""
        if self.clock() >= self.next_rebalance:
            self.rebalance()
            self.next_rebalance = self.clock() + self.rebalance_seconds
        return self.runner.step()

    def run(self, stop: threading.Event) -> None:
        """Follow the store until `stop` is set; the leases end with the worker."""
        waiter = waiter_for(self.db, self.store)
        try:
            while not stop.is_set():
                if self.step() < self.runner.page_size:
                    waiter(stop)
        finally:
            waiter.close()
            self.leases.close()


def follower(
    db: Database, store: Application[UUID], names: Iterable[str] = (), *, page_size: int = PAGE_SIZE
) -> Runner | LeasedWorker:
    """What follows the store in this process: on PostgreSQL a worker sharing the units
    with the others through leases; elsewhere (SQLite, memory: one process) a runner of
    them all."""
    if isinstance(db, PostgresDatabase):
        return LeasedWorker(db, store, names, page_size=page_size)
    return Runner(db, store, names, page_size=page_size)
