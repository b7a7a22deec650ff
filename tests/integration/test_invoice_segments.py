"""Issue 20: the invoices projection in segments by account hash. Each segment applies its
own accounts' events only, at its own position; together they equal the whole projection
as a rebuild makes it."""

from __future__ import annotations

from collections.abc import Sequence

from domain.application import BillingCenter
from projections.base import Projection
from projections.events import EventRecord
from projections.runner import PROJECTIONS, Runner, rebuild
from projections.segments import InvoiceSegment, segment_of
from projections.tracking import INVOICE_SEGMENTS, unit_positions
from store.database import Database, Params, Row, Tx
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


class Lookups:
    """A transaction that counts its single-row lookups (`one`: a handler's query of its own)."""

    def __init__(self, tx: Tx) -> None:
        self.tx, self.dialect, self.count = tx, tx.dialect, 0

    def one(self, sql: str, params: Params = ()) -> Row | None:
        self.count += 1
        return self.tx.one(sql, params)

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return self.tx.all(sql, params)

    def execute(self, sql: str, params: Params = ()) -> None:
        self.tx.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        self.tx.executemany(sql, rows)

    def copy(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> None:
        self.tx.copy(table, columns, rows)

    def batch(self, statements: Sequence[tuple[str, Params]]) -> None:
        self.tx.batch(statements)


def _lookups(db: Database, projection: Projection, events: Sequence[EventRecord]) -> int:
    """The single-row lookups `projection` sends to apply `events` as one page."""
    with db.write() as tx:
        projection.create(tx)
        counted = Lookups(tx)
        projection.prepare(counted, events)
        for event in events:
            projection.handle(counted, event)
        projection.finish_page(counted)
    return counted.count


def test_a_segment_looks_up_no_invoice_of_another_segment_one_by_one(
    app: BillingCenter, db: Database
) -> None:
    """A segment's page holding events on another segment's invoices costs it no query per
    event: no more single-row lookups than the whole projection sends for the same page
    (it looked each of them up: half a segment's catch-up)."""
    History(app).play(STEPS)
    events = Runner(db, app, page_size=100_000).read(0)
    paid = segment_of("US-A00001", INVOICE_SEGMENTS)  # the accounts STEPS pays and adjusts
    assert any(e.type == "PaymentMade" for e in events)
    other = next(i for i in range(INVOICE_SEGMENTS) if i != paid)
    whole = _lookups(db, PROJECTIONS["invoices"].projection(2), events)
    segment = _lookups(db, InvoiceSegment("invoices_g3_", other, INVOICE_SEGMENTS), events)
    assert segment <= whole
