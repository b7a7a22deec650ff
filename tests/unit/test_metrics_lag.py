"""Issue 20: `billing_projection_lag_seconds` is the head event's time minus the last
applied event's time, 0 when caught up."""

from __future__ import annotations

import time

from eventsourcing.domain import DomainEvent

from api.metrics.collectors import EventTimes
from tests.builders import bill, billing_center, issue


def test_lag_in_seconds_is_the_time_between_the_last_applied_event_and_the_head() -> None:
    app = billing_center()
    try:
        issue(app, bill(number="INV-1", control_id="C-1"))
        time.sleep(0.05)  # distinct recorded times, not a timing assertion
        issue(app, bill(number="INV-2", control_id="C-2"))
        head = app.recorder.max_notification_id() or 0
        notes = app.recorder.select_notifications(1, head)
        events = {n.id: app.mapper.to_domain_event(n) for n in notes}
        stamps = {
            i: e.timestamp.timestamp() for i, e in events.items() if isinstance(e, DomainEvent)
        }
        times = EventTimes(app)
        assert times.lag(head, head) == 0.0
        assert times.lag(1, head) == stamps[head] - stamps[1] > 0
        assert times.lag(0, head) == times.lag(1, head)  # nothing applied: from the first
    finally:
        app.close()
