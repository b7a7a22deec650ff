"""Issue 20 item 4: each projection's lag in events and in seconds, and `stalled` when its
position has not moved for the threshold while behind. The clock and the threshold are
injected: no test sleeps 30 s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.application import BillingCenter
from projections.runner import Runner
from projections.status import STALL_SECONDS, report
from projections.tracking import UNITS
from store.database import Database
from tests.builders import bill, enrolled_company, issue


def _later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _history(app: BillingCenter) -> None:
    enrolled_company(app)
    for number in range(3):
        issue(app, bill(number=f"LAG-{number}"))


def _event_time(app: BillingCenter, position: int) -> datetime:
    """An event's own timestamp, read from the store through the library's mapper."""
    (note,) = app.recorder.select_notifications(position, 1)
    timestamp = getattr(app.mapper.to_domain_event(note), "timestamp", None)
    assert isinstance(timestamp, datetime)
    return timestamp


def test_lag_in_events_and_seconds_is_the_head_minus_the_last_applied_event(
    app: BillingCenter, db: Database
) -> None:
    _history(app)
    head = app.head()
    Runner(db, app, ["audit"], page_size=1).step()  # (the trail applies every event)
    shown = {s.name: s for s in report(db, app)}
    audit = shown["audit"]
    assert audit.position == 1
    assert audit.head == head
    assert audit.lag == head - 1
    expected = (_event_time(app, head) - _event_time(app, 1)).total_seconds()
    assert audit.lag_seconds == expected > 0
    assert shown["directory"].position == 0
    assert shown["directory"].lag == head
    Runner(db, app).catch_up()
    assert all(s.lag == 0 and s.lag_seconds == 0 for s in report(db, app))


def test_behind_and_not_moving_for_the_threshold_is_stalled(
    app: BillingCenter, db: Database
) -> None:
    _history(app)
    Runner(db, app, page_size=2).step()  # every projection moved just now, then stopped
    assert not any(s.stalled for s in report(db, app)), "it just moved"
    assert not any(s.degraded for s in report(db, app, now=lambda: _later(STALL_SECONDS - 5)))
    stalled = report(db, app, now=lambda: _later(STALL_SECONDS + 1))
    assert all(s.stalled and s.degraded and s.failure is None for s in stalled)
    assert all(s.waiting_seconds >= STALL_SECONDS for s in stalled)
    at_once = report(db, app, stall_seconds=0.0)  # the threshold is injected too
    assert [s.name for s in at_once if s.stalled] == list(UNITS)
    assert "invoices/1" in UNITS, "each segment of the invoices has its own row"


def test_a_projection_at_the_head_is_never_stalled_however_long_it_waits(
    app: BillingCenter, db: Database
) -> None:
    _history(app)
    Runner(db, app).catch_up()
    assert not any(s.stalled for s in report(db, app, now=lambda: _later(3600)))


def test_an_idle_projection_is_not_stalled_the_moment_a_new_event_arrives(
    app: BillingCenter, db: Database
) -> None:
    """Its last move was long ago; what counts is how long it has had work to do."""
    _history(app)
    Runner(db, app).catch_up()
    with db.write() as tx:  # the projections last moved an hour ago
        tx.execute("UPDATE projection_tracking SET moved_at = ?", (_later(-3600).isoformat(),))
    before = app.head()
    issue(app, bill(number="NEW"))
    arrived = _event_time(app, before + 1)
    assert not any(s.stalled for s in report(db, app, now=lambda: arrived + timedelta(seconds=5)))
    stalled = report(db, app, now=lambda: arrived + timedelta(seconds=STALL_SECONDS))
    assert all(s.stalled and s.position == before for s in stalled)
