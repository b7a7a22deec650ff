"""Projection workers that share the projections through leases (issue 20).

Any number of processes (`billing-center projections run`, and on PostgreSQL each
`serve` that runs its projections in-process) follow the store together. Each projection
is a unit of work claimed with a lease: a session advisory lock (`store.locks.Leases`),
held as long as the worker's lease connection lives. Every second a worker lists the
lease sessions connected and computes the same `plan` as every other: the units shared
by their cost (their work per event, not their count: two heavy ones on one worker made
two workers slower than one), the costliest first, each to the least loaded worker. It
takes the units the plan gives it and gives back the others, so a worker added (or one
that died) rebalances the units without a restart. A unit the plan gives to a worker
that does not run it (`projections run NAMES...`) is taken, after `ORPHAN_ROUNDS`
rebalances without an owner, by one that does. A worker killed with kill -9 loses its
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
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from uuid import UUID

from eventsourcing.application import Application

from projections.following import follow, waiter_for
from projections.runner import PAGE_SIZE, PROJECTIONS, Runner
from projections.tracking import UNITS, Unit, units_of
from store.database import Database, PostgresDatabase
from store.locks import Leases

REBALANCE_SECONDS = 1.0
"""How often a worker counts the workers and takes or gives back leases."""
ORPHAN_ROUNDS = 3
"""Rebalances a unit another worker should run stays without an owner before one takes it."""
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
        self.peers: list[int] = []  # the lease sessions at the last rebalance
        self.orphans: dict[str, int] = {}  # units not planned here: rebalances seen unowned

    @property
    def held(self) -> list[str]:
        return [u for u in self.units if u in self.leases.held]

    def rebalance(self) -> None:
        """Take the units the plan gives this worker; give back the others."""
        before = self.held
        self.leases.alive()
        me, peers = self.leases.workers()
        if peers != self.peers:  # a worker came or went: a new plan, orphans counted again
            self.peers, self.orphans = peers, {}
        shares = plan(list(UNITS.values()), max(1, len(peers)))
        mine = set(shares[peers.index(me)] if me in peers else self.units)
        for unit in self.held:
            if unit not in mine and unit not in self.orphans:
                self.leases.release(unit)
        for unit in self.units:
            if unit in mine:
                self.leases.claim(unit)
            elif unit not in self.leases.held:
                self._adopt(unit)
        if self.held != before:
            log.info("projection worker %s runs %s", self.leases.owner, self.held or "nothing")
            self.runner.projections = units_of(self.held)
            self.runner.forget()  # read again: another worker may have moved them, or failed

    def _adopt(self, unit: str) -> None:
        """Take a unit planned for another worker once it has stayed without an owner
        for ORPHAN_ROUNDS rebalances (that worker does not run it); kept until the next
        plan."""
        self.orphans[unit] = self.orphans.get(unit, 0) + 1
        if self.orphans[unit] > ORPHAN_ROUNDS and not self.leases.claim(unit):
            self.orphans[unit] = 0  # it has an owner after all

    def step(self) -> int:
        """Rebalance when due, then apply the next page to the units held."""
        if self.clock() >= self.next_rebalance:
            self.rebalance()
            self.next_rebalance = self.clock() + self.rebalance_seconds
        return self.runner.step()

    def run(self, stop: threading.Event) -> None:
        """Follow the store until `stop` is set; the leases end with the worker."""
        try:
            follow(self.step, self.runner.page_size, waiter_for(self.db, self.store), stop)
        finally:
            self.leases.close()


def plan(units: Sequence[Unit], workers: int) -> list[list[str]]:
    """The units' names shared among `workers` by cost: the costliest first, each to the
    least loaded worker (the lower rank on a tie) that runs no other segment of its
    projection if there is one (segments on one worker would share its core, not split
    the projection). The same inputs give every worker the same plan."""
    loads = [0.0] * workers
    shares: list[list[str]] = [[] for _ in range(workers)]
    held: list[set[str]] = [set() for _ in range(workers)]  # the projections each runs
    for unit in sorted(units, key=lambda u: (-u.cost, u.name)):
        apart = [r for r in range(workers) if unit.model.name not in held[r]] or range(workers)
        rank = min(apart, key=lambda r: (loads[r], r))
        shares[rank].append(unit.name)
        held[rank].add(unit.model.name)
        loads[rank] += unit.cost
    return shares


def follower(
    db: Database, store: Application[UUID], names: Iterable[str] = (), *, page_size: int = PAGE_SIZE
) -> Runner | LeasedWorker:
    """What follows the store in this process: on PostgreSQL a worker sharing the units
    with the others through leases; elsewhere (SQLite, memory: one process) a runner of
    them all."""
    if isinstance(db, PostgresDatabase):
        return LeasedWorker(db, store, names, page_size=page_size)
    return Runner(db, store, names, page_size=page_size)
