"""Issue 19: a rebuild reads only the event types its projection applies (where the store
can leave the others unread), yet its copy equals a live build and stands at the head."""

from __future__ import annotations

from domain.application import BillingCenter
from projections.runner import WINDOW_PAGES, Runner, rebuild
from projections.tracking import unit_positions
from store.database import Database
from tests.builders import bill, issue
from tests.integration.projections_support import dump
from tests.property.projections_history import History

STEPS = [(i % 13, i % 3, i % 5, i % 7) for i in range(40)]


def test_a_rebuild_stands_at_the_head_past_events_its_projection_does_not_apply(
    app: BillingCenter, db: Database
) -> None:
    History(app).play(STEPS)
    for number in range(5):  # the store ends with invoice events, which the directory ignores
        issue(app, bill(number=f"LAST-{number}"))
    rebuild(db, app, "directory", page_size=3)
    with db.read() as tx:
        assert unit_positions(tx)["directory"][0] == app.head()


def test_a_rebuild_in_small_pages_equals_a_live_build(app: BillingCenter, db: Database) -> None:
    History(app).play(STEPS)
    Runner(db, app).catch_up()
    live = dump(db)
    for name in ("directory", "accounts", "invoices", "cases", "webhooks"):
        rebuild(db, app, name, page_size=4)
    assert dump(db) == live


def test_a_page_that_leaves_types_unread_scans_a_window_of_positions_at_most(
    app: BillingCenter, db: Database
) -> None:
    """Issue 20: a page filtered by type reaches at most WINDOW_PAGES pages past where it
    starts (with a page's end open up to the head, right after a bulk load the server's
    stale statistics made each page scan and sort every event up to the head); it says
    whether more may follow, reads every event its projection applies once, and ends at
    the head."""
    History(app).play(STEPS)
    page = 2
    runner = Runner(db, app, ["directory"], page_size=page)
    read: list[int] = []
    after, more = 0, True
    while more:
        events, end, more = runner.read_followed(after)
        assert after <= end <= after + WINDOW_PAGES * page
        assert all(after < e.position <= end for e in events)
        read += [e.position for e in events]
        after = end
    assert after == app.head()
    applied = runner.projections[0].projection(0).event_types() or frozenset()
    wanted = [e.position for e in Runner(db, app, page_size=10_000).read(0) if e.type in applied]
    assert sorted(set(read)) == read
    assert set(wanted) <= set(read)
