"""Issue 17: a projection that cannot apply an event stops alone. The others go on; the
failure (projection, position, event, error) is recorded where `/health` and
`projections status` read it; it retries with backoff and resumes by itself once the
cause is gone; the event is never skipped."""

from __future__ import annotations

import subprocess
import sys
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from domain.application import BillingCenter
from domain.values import Role
from projections.base import Projection
from projections.failures import Backoff
from projections.readmodels import SqlReadModels
from projections.runner import PROJECTIONS, Runner, rebuild
from store.database import Database, Tx
from tests.builders import add_user, enrolled_company, person
from tests.integration.projections_support import poison_directory_renames


class Clock:
    """A clock for the backoff that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _poisoned_write(app: BillingCenter, monkeypatch: pytest.MonkeyPatch) -> int:
    """Acme renamed while the directory cannot apply a rename; the rename's position."""
    company = enrolled_company(app)
    poison_directory_renames(monkeypatch)
    position = app.change_company_details(person("alice"), company, "Acme 2", "1 Road").position
    add_user(app, company, "bob", Role.VIEW_ONLY)
    return position


def _positions(db: Database) -> dict[str, int]:
    return {s.name: s.position for s in SqlReadModels(db, lambda: 0).status()}


def test_the_other_projections_go_on_past_an_event_one_cannot_apply(
    app: BillingCenter, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    poison = _poisoned_write(app, monkeypatch)
    Runner(db, app, page_size=4, backoff=Backoff(clock=Clock())).catch_up()
    positions = _positions(db)
    assert positions.pop("directory") == poison - 1, "stops just before the event, not past it"
    assert set(positions.values()) == {app.head()}


def test_the_failure_names_the_projection_its_position_the_event_and_the_error(
    app: BillingCenter, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    poison = _poisoned_write(app, monkeypatch)
    Runner(db, app, backoff=Backoff(clock=Clock())).catch_up()
    status = {s.name: s for s in SqlReadModels(db, app.head).status()}
    failure = status["directory"].failure
    assert failure is not None
    assert (status["directory"].position, failure.event_position) == (poison - 1, poison)
    assert failure.error == f"Poisoned: cannot apply event {poison}"
    assert failure.attempts == 1
    assert [n for n, s in status.items() if s.failure] == ["directory"]


def test_a_stalled_projection_retries_only_when_its_backoff_has_passed(
    app: BillingCenter, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    poison = _poisoned_write(app, monkeypatch)
    clock = Clock()
    runner = Runner(db, app, backoff=Backoff(first=1.0, cap=30.0, clock=clock))
    runner.catch_up()
    monkeypatch.undo()
    runner.catch_up()
    assert _positions(db)["directory"] == poison - 1, "waits out its backoff"
    clock.now += 1.0
    runner.catch_up()
    assert set(_positions(db).values()) == {app.head()}
    assert all(s.failure is None for s in SqlReadModels(db, app.head).status())


def test_the_backoff_doubles_up_to_its_cap() -> None:
    clock = Clock()
    backoff = Backoff(first=1.0, cap=30.0, clock=clock)
    waits = []
    for _ in range(7):
        backoff.failed("audit")
        waits.append(backoff.until["audit"] - clock.now)
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert not backoff.due("audit")
    backoff.cleared("audit")
    assert backoff.due("audit")


def test_a_rebuild_clears_the_failure_of_the_copy_it_replaces(
    app: BillingCenter, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _poisoned_write(app, monkeypatch)
    runner = Runner(db, app, backoff=Backoff(clock=Clock()))
    runner.catch_up()
    monkeypatch.undo()
    rebuild(db, app, "directory")
    status = SqlReadModels(db, app.head).status()
    assert all(s.failure is None and s.position == app.head() for s in status)


def _refused_by_the_database(name: str, projection: type[Projection]) -> Any:
    """`projection`'s page end, then a write the database refuses (the outbox embeds a
    directory and invoices of its own: those stay as they are)."""
    original = projection.finish_page

    def finish_page(self: Projection, tx: Tx) -> None:
        original(self, tx)
        if self.prefix.startswith(f"{name}_"):
            tx.execute("INSERT INTO projection_live VALUES (NULL, NULL)")  # NOT NULL: refused

    return finish_page


@pytest.mark.parametrize("name", list(PROJECTIONS))
def test_a_write_the_database_refuses_stops_that_projection_alone(
    app: BillingCenter, db: Database, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Its page's writes roll back alone (on PostgreSQL the transaction stays usable)."""
    enrolled_company(app)
    projection = type(PROJECTIONS[name].projection(1))
    monkeypatch.setattr(projection, "finish_page", _refused_by_the_database(name, projection))
    Runner(db, app, backoff=Backoff(clock=Clock())).catch_up()
    status = {s.name: s for s in SqlReadModels(db, app.head).status()}
    assert (status[name].position, status[name].failure is not None) == (0, True)
    assert all(s.position == app.head() for n, s in status.items() if n != name)


def test_projections_status_in_another_process_shows_the_stalled_projection(
    app: BillingCenter, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    poison = _poisoned_write(app, monkeypatch)
    Runner(db, app, backoff=Backoff(clock=Clock())).catch_up()
    command = [sys.executable, "-m", "api.projections_cli", "status"]
    shown = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert shown.returncode == 1, shown.stderr
    line = f"directory: stalled at position {poison - 1}, cannot apply event {poison}"
    assert line in shown.stdout
    assert f"Poisoned: cannot apply event {poison}" in shown.stdout
    assert shown.stdout.count("stalled") == 2, "in the table and in the line, once"


def test_an_event_no_class_decodes_stops_every_projection_before_it_and_says_why(
    app: BillingCenter, db: Database
) -> None:
    """A topic this version does not know (written by a newer one, or a class removed):
    nothing can apply it, so each projection stops there, visibly, and none skips it."""
    enrolled_company(app)
    vanished = StoredEvent(uuid4(), 1, "domain.company:Company.Vanished", b"{}")
    app.recorder.insert_events([vanished])
    poison = app.head()
    Runner(db, app, backoff=Backoff(clock=Clock())).catch_up()
    status = SqlReadModels(db, app.head).status()
    assert {(s.position, s.failure and s.failure.event_position) for s in status} == {
        (poison - 1, poison)
    }
    assert all(s.failure and s.failure.error.startswith("TopicError") for s in status)
