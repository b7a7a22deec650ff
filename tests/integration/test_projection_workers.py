"""Issue 20 item 2: `projections run` processes share the projections through leases on
PostgreSQL. Real processes on the suite's own server, no mocks: a second worker takes its
share without a restart; a worker killed with SIGKILL mid-stream, under continuous writes,
loses its leases within 10 s and the survivor resumes them from the recorded positions;
a blue/green rebuild runs meanwhile; and every read model then equals a fresh rebuild."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from domain.application import BillingCenter
from projections.queries import ProjectionStatus
from projections.runner import PROJECTIONS, rebuild
from projections.status import report
from store.database import Database
from tests.integration.projections_support import dump
from tests.property.projections_history import History

LOST_WITHIN_SECONDS = 10.0
WAIT_SECONDS = 60.0


@pytest.fixture
def durable_store_url(postgres_url: str) -> str:
    """Leases are PostgreSQL's: this module runs on PostgreSQL only."""
    return postgres_url


def _worker() -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "api.projections_cli", "run", "--page-size", "3"]
    return subprocess.Popen(command, env=dict(os.environ), stderr=subprocess.DEVNULL)


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


class Writer(threading.Thread):
    """Writes histories into the store until stopped (the business keeps going)."""

    def __init__(self, app: BillingCenter) -> None:
        super().__init__(daemon=True)
        self.history, self.stop, self.rounds = History(app), threading.Event(), 0
        self.failure: BaseException | None = None

    def run(self) -> None:
        draw = random.Random(20)
        try:
            while not self.stop.is_set():
                steps = [tuple(draw.randrange(n) for n in (13, 3, 8, 6)) for _ in range(5)]
                self.history.play(steps)  # type: ignore[arg-type]
                self.rounds += 1
        except BaseException as error:  # the test fails with it
            self.failure = error


def _until(what: Callable[[], bool], seconds: float = WAIT_SECONDS) -> float:
    started = time.monotonic()
    while not what():
        assert time.monotonic() - started < seconds, "waited too long"
        time.sleep(0.02)
    return time.monotonic() - started


def _owners(db: Database, app: BillingCenter) -> dict[str, str | None]:
    return {s.name: s.owner for s in report(db, app)}


def _shares(db: Database, app: BillingCenter) -> dict[str | None, set[str]]:
    shares: dict[str | None, set[str]] = {}
    for name, owner in _owners(db, app).items():
        shares.setdefault(owner, set()).add(name)
    return shares


def _status(db: Database, app: BillingCenter) -> dict[str, ProjectionStatus]:
    return {s.name: s for s in report(db, app)}


def test_a_killed_worker_s_projections_resume_elsewhere_exactly_once(
    app: BillingCenter, db: Database, workers: list[subprocess.Popen[bytes]]
) -> None:
    writer = Writer(app)
    writer.start()
    workers.append(first := _worker())
    _until(lambda: set(_owners(db, app).values()) == {f"{os.uname().nodename}:{first.pid}"})
    workers.append(second := _worker())  # rebalanced without a restart: each takes a share
    victim = f"{os.uname().nodename}:{second.pid}"
    _until(lambda: all(len(_shares(db, app).get(w, ())) >= 2 for w in (victim,)))
    assert None not in _shares(db, app), "every projection has an owner"
    victims = _shares(db, app)[victim]
    before = {n: s.position for n, s in _status(db, app).items()}
    _until(lambda: all(_status(db, app)[n].position > before[n] for n in victims))
    second.send_signal(signal.SIGKILL)
    second.wait()
    took = _until(lambda: victim not in _shares(db, app), LOST_WITHIN_SECONDS)
    _until(lambda: set(_owners(db, app).values()) == {f"{os.uname().nodename}:{first.pid}"})
    rebuild(db, app, "invoices", page_size=50)  # blue/green while the survivor runs
    writer.stop.set()
    writer.join()
    assert writer.failure is None, writer.failure
    assert writer.rounds > 0
    head = app.head()
    _until(lambda: all(s.position == head for s in report(db, app)))
    survived = dump(db)
    for name in PROJECTIONS:
        rebuild(db, app, name)
    assert dump(db) == survived, f"the leases moved {took:.1f} s after the kill"
