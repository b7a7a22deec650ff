"""Who the outbox writes to (R4, R8, I4, I5): decided from the directory as of each event,
however the events fall into pages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.application import BillingCenter
from domain.values import Notification, Role
from projections.runner import Runner, ensure_schema
from store.database import Database, open_database
from store.url import eventsourcing_env
from tests.builders import (
    ACCOUNT,
    BILLING,
    OTHER_ACCOUNT,
    FixedClock,
    add_payment_method,
    add_user,
    bill,
    billing_center,
    enrolled_company,
    issue,
    person,
)

# Events carry the real time of day: invoices dated today are in A7's window.
TODAY = datetime.now(UTC).date()


def history(app: BillingCenter) -> None:
    """alice administers; bob sees ACCOUNT, carol OTHER_ACCOUNT, dave ACCOUNT but wants no
    invoice mail, erin sees ACCOUNT until removed; carol is granted ACCOUNT half-way."""
    company = enrolled_company(app, "alice", (ACCOUNT, OTHER_ACCOUNT))
    add_payment_method(app, company)
    for login, accounts in (("bob", (ACCOUNT,)), ("carol", (OTHER_ACCOUNT,))):
        add_user(app, company, login, Role.VIEW_PAY, accounts)
    add_user(app, company, "dave", Role.VIEW_ONLY, (ACCOUNT,))
    add_user(app, company, "erin", Role.VIEW_ONLY, (ACCOUNT,))
    app.set_notification_preferences(person("dave"), {Notification.INVOICE_AVAILABLE: False})
    first = issue(app, bill(ACCOUNT, "FIRST", issued=TODAY))
    app.remove_user(person("alice"), company, "erin", confirmed=True)
    app.set_user_accounts(person("alice"), company, "carol", (ACCOUNT, OTHER_ACCOUNT))
    second = issue(app, bill(ACCOUNT, "SECOND", issued=TODAY))
    issue(app, bill(OTHER_ACCOUNT, "THIRD", issued=TODAY))
    app.pay_invoice(person("bob"), second)
    adjustment = app.request_adjustment(
        person("alice"), first, "wrong weight", {"TRK-1": Decimal("1.00")}
    ).result
    app.decide_adjustment(BILLING, first, adjustment, approved=True)


@contextmanager
def outbox_after(
    url: str, story: Callable[[BillingCenter], None], page_size: int
) -> Iterator[Database]:
    """The outbox (and the invoices) caught up on `story`, in pages of `page_size` events."""
    app = billing_center(eventsourcing_env(url), FixedClock())
    db = open_database(url)
    try:
        story(app)
        ensure_schema(db)
        Runner(db, app, ["invoices", "outbox"], page_size=page_size).catch_up()
        yield db
    finally:
        db.close()
        app.close()


def messages(db: Database) -> dict[tuple[str, str], set[str]]:
    """(kind, invoice number) -> recipients."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    with db.read() as tx:
        rows = tx.all(
            "SELECT m.kind, i.invoice_number, m.recipient FROM outbox_messages m "
            "JOIN invoices_invoices i ON i.invoice_id = m.subject_id"
        )
    for kind, number, recipient in rows:
        found[kind, number].add(recipient)
    return dict(found)


@pytest.mark.parametrize("page_size", [1, 3, 500])
def test_the_outbox_writes_to_who_sees_the_invoice_and_wants_the_mail_then(
    durable_store_url: str, page_size: int
) -> None:
    with outbox_after(durable_store_url, history, page_size) as db:
        assert messages(db) == {
            ("INVOICE_AVAILABLE", "FIRST"): {"alice", "bob", "erin"},
            ("INVOICE_AVAILABLE", "SECOND"): {"alice", "bob", "carol"},
            ("INVOICE_AVAILABLE", "THIRD"): {"alice", "carol"},
            ("PAYMENT_RECEIVED", "SECOND"): {"alice", "bob", "carol", "dave"},
            ("ADJUSTMENT_UPDATED", "FIRST"): {"alice"},
        }


def a_case_outliving_its_requester_s_grant(app: BillingCenter) -> None:
    """bob (VIEW_ADJUST on ACCOUNT) disputes FIRST; the case goes in review; bob's grant
    moves to OTHER_ACCOUNT; the case is commented on, then decided."""
    company = enrolled_company(app, "alice", (ACCOUNT, OTHER_ACCOUNT))
    add_user(app, company, "bob", Role.VIEW_ADJUST, (ACCOUNT,))
    first = issue(app, bill(ACCOUNT, "FIRST", issued=TODAY))
    case = app.request_adjustment(person("bob"), first, "weight", {"TRK-1": Decimal(1)}).result
    app.review_adjustment(BILLING, first, case)
    app.set_user_accounts(person("alice"), company, "bob", (OTHER_ACCOUNT,))
    app.comment_on_adjustment(BILLING, first, case, "looking at it")
    app.decide_adjustment(BILLING, first, case, approved=True)


@pytest.mark.parametrize("page_size", [1, 500])
def test_a_requester_who_no_longer_sees_the_account_is_told_nothing_more_of_the_case(
    durable_store_url: str, page_size: int
) -> None:
    """R4, I4, I9: the requester is told each step while they see the invoice's account;
    once it is no longer granted to them, the later steps go to nobody."""
    with outbox_after(durable_store_url, a_case_outliving_its_requester_s_grant, page_size) as db:
        assert messages(db) == {
            ("INVOICE_AVAILABLE", "FIRST"): {"alice", "bob"},
            ("ADJUSTMENT_UPDATED", "FIRST"): {"bob"},
        }
        with db.read() as tx:
            told = tx.all("SELECT COUNT(*) FROM outbox_messages WHERE kind = 'ADJUSTMENT_UPDATED'")
        assert told == [(1,)]  # the review only
