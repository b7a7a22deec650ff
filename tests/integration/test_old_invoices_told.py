"""A7 in e-mails (R8, I5) and webhooks: an invoice printed more than twelve months before an
event on it stays in its users' views while it is outstanding, so the event is told; once it
is paid it has left the views, and a later event on it is told to nobody. A rebuild of the
outbox and of the webhooks writes the same messages again, and no new one.

Issue 24: an old invoice that the account's credit (I10) covers fully at its issue was never
outstanding in the users' views, so it is told to nobody; and the requester's e-mail about
an adjustment (I4, I9) keeps to the same window as the `adjustment.updated` webhook."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest

from domain.application import BillingCenter
from projections.runner import Runner, ensure_schema, rebuild
from store.database import Database, open_database
from store.url import eventsourcing_env
from tests import builders as given
from tests.builders import ACCOUNT, BILLING, FixedClock

KINDS = ["invoice.available", "payment.received", "adjustment.updated"]


def old_invoices(app: BillingCenter, clock: FixedClock) -> None:
    """Two invoices printed 400 days ago, each disputed: OLD-UNPAID's approval leaves a
    balance; OLD-PAID is paid before its dispute is decided, so its approval is a credit of 2
    (I10) that the next two old invoices use: all of OLD-COVERED's 1.00, half of OLD-HALF's."""
    alice = given.person("alice")
    company = given.enrolled_company(app, "alice")
    given.add_payment_method(app, company)
    app.create_webhook(alice, company, "https://hooks.example/x", KINDS)
    clock.now = datetime.now(UTC)  # events carry the real time: A7 counts from it
    printed = clock.now.date() - timedelta(days=400)
    for number in ("OLD-UNPAID", "OLD-PAID"):
        invoice = given.issue(app, given.bill(ACCOUNT, number, issued=printed))
        case = app.request_adjustment(alice, invoice, "weight", {"TRK-1": Decimal(2)})
        if number == "OLD-PAID":
            app.pay_invoice(alice, invoice)
        app.decide_adjustment(BILLING, invoice, case.result, approved=True)
    for number, amount in (("OLD-COVERED", "1.00"), ("OLD-HALF", "2.00")):
        given.issue(app, given.bill(ACCOUNT, number, issued=printed, amount=amount))


def told(db: Database) -> dict[str, set[str]]:
    """Invoice number -> the e-mail kinds and webhook types sent about it."""
    found: dict[str, set[str]] = defaultdict(set)
    with db.read() as tx:
        numbers = dict(tx.all("SELECT invoice_id, invoice_number FROM invoices_invoices"))
        for kind, subject in tx.all("SELECT kind, subject_id FROM outbox_messages"):
            found[numbers[subject]].add(kind)
        for kind, body in tx.all("SELECT type, body FROM webhook_messages"):
            data: dict[str, Any] = orjson.loads(body)["data"]
            found[numbers[data["invoice_id"]]].add(kind)
    return dict(found)


def every_message(db: Database) -> list[str]:
    with db.read() as tx:
        rows = tx.all("SELECT * FROM outbox_messages") + tx.all("SELECT * FROM webhook_messages")
    return sorted(map(repr, rows))


@pytest.mark.parametrize("page_size", [1, 500])
def test_a7_events_on_an_old_invoice_are_told_while_it_is_outstanding(
    durable_store_url: str, page_size: int
) -> None:
    clock = FixedClock()
    app = given.billing_center(eventsourcing_env(durable_store_url), clock)
    db = open_database(durable_store_url)
    try:
        old_invoices(app, clock)
        ensure_schema(db)
        names = ["invoices", "outbox", "webhooks"]
        Runner(db, app, names, page_size=page_size).catch_up()
        assert told(db) == {
            "OLD-UNPAID": {"INVOICE_AVAILABLE", "invoice.available"}
            | {"ADJUSTMENT_UPDATED", "adjustment.updated"},
            "OLD-PAID": {"INVOICE_AVAILABLE", "invoice.available"}
            | {"PAYMENT_RECEIVED", "payment.received"},
            "OLD-HALF": {"INVOICE_AVAILABLE", "invoice.available"},
        }  # OLD-PAID's decision came once it was paid and old: told to nobody, nor OLD-COVERED
        before = every_message(db)
        for name in ("outbox", "webhooks"):
            rebuild(db, app, name, page_size=3)
        Runner(db, app, names).catch_up()
        assert every_message(db) == before
    finally:
        db.close()
        app.close()


def test_a_store_built_before_issue_24_gains_the_credit_tables(durable_store_url: str) -> None:
    """The live outbox and webhooks of a store built before issue 24 get the window's table
    from `ensure_schema` (no rebuild needed), and judge an issue net of its credit from then on."""
    clock = FixedClock()
    app = given.billing_center(eventsourcing_env(durable_store_url), clock)
    db = open_database(durable_store_url)
    try:
        ensure_schema(db)
        with db.write() as tx:
            for name in ("outbox", "webhooks"):
                tx.execute(f"DROP TABLE {name}_g1_window_credits")
        ensure_schema(db)
        old_invoices(app, clock)
        Runner(db, app, ["invoices", "outbox", "webhooks"], page_size=1).catch_up()
        assert "OLD-COVERED" not in told(db)
        assert told(db)["OLD-HALF"] == {"INVOICE_AVAILABLE", "invoice.available"}
    finally:
        db.close()
        app.close()
