"""Issue 20: the invoices projection in segments by account hash. Each segment applies its
own accounts' events only, at its own position; together they equal the whole projection
as a rebuild makes it."""

from __future__ import annotations

from domain.application import BillingCenter
from projections.runner import Runner, rebuild
from projections.segments import segment_of
from projections.tracking import INVOICE_SEGMENTS, unit_positions
from store.database import Database
from tests.integration.projections_support import dump
from tests.property.projections_history import ACCOUNTS, History

STEPS = [(i % 13, i % 3, i % 5, i % 7) for i in range(90)]


def _accounts(db: Database) -> set[str]:
    with db.read() as tx:
        return {str(r[0]) for r in tx.all("SELECT account FROM invoices_account_state")}


def test_each_segment_applies_its_own_accounts_and_together_they_equal_a_rebuild(
    app: BillingCenter, db: Database
) -> None:
    keys = {f"{a.country}-{a.number}" for a in ACCOUNTS}
    assert {segment_of(k, INVOICE_SEGMENTS) for k in keys} == set(range(INVOICE_SEGMENTS))
    History(app).play(STEPS)
    head = app.head()
    Runner(db, app, ["invoices/0"], page_size=7).catch_up()
    with db.read() as tx:
        positions = unit_positions(tx)
    assert positions["invoices/0"][0] == head
    assert positions["invoices/1"][0] == 0, "the other segment has not moved"
    assert _accounts(db) == {k for k in keys if segment_of(k, INVOICE_SEGMENTS) == 0}
    Runner(db, app, ["invoices/1"], page_size=11).catch_up()
    Runner(db, app).catch_up()
    assert _accounts(db) == keys
    segmented = dump(db)
    rebuild(db, app, "invoices")
    assert dump(db) == segmented
