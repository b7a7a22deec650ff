"""The billing center on memory, SQLite and PostgreSQL: a whole story, replay, snapshots."""

from __future__ import annotations

from contextlib import closing
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from domain.application import BillingCenter
from domain.enrollment import AccountEnrollment, account_id
from domain.user import login_id
from domain.values import InvoiceStatus, Role, Section, UnenrollmentReason
from store.url import eventsourcing_env
from tests.builders import (
    ACCOUNT,
    ADMIN,
    BILLING,
    OTHER_ACCOUNT,
    TODAY,
    FixedClock,
    add_payment_method,
    add_user,
    bill,
    billing_center,
    enrolled_company,
    issue,
    person,
    reenroll,
    replayed,
    state,
)


def tell_the_story(app: BillingCenter) -> dict[str, UUID]:
    """Enroll, add a user, grant, unenroll with OTHER, bill on paper, re-enroll, pay, adjust."""
    company = enrolled_company(app, accounts=(ACCOUNT, OTHER_ACCOUNT))
    add_payment_method(app, company)
    add_user(app, company, "bob", Role.VIEW_PAY_ADJUST, (ACCOUNT,))
    app.set_user_accounts(person(ADMIN), company, "bob", [ACCOUNT, OTHER_ACCOUNT])
    before = issue(app, bill(ACCOUNT, "INV-1"))
    reason = UnenrollmentReason.OTHER
    app.unenroll_accounts(person(ADMIN), company, [ACCOUNT], reason, "billed by EDI for a while")
    paper = issue(app, bill(ACCOUNT, "PAPER-1"))
    reenroll(app, company)
    after = issue(app, bill(ACCOUNT, "INV-2", issued=TODAY, due=TODAY + timedelta(days=20)))
    app.pay_invoice(person("bob"), before)
    asked = {"TRK-1": Decimal("20.00")}
    adjustment = app.request_adjustment(person("bob"), after, "damaged", asked).result
    app.decide_adjustment(BILLING, after, adjustment, approved=True)
    return {"company": company, "before": before, "paper": paper, "after": after}


def test_a_whole_story_keeps_every_rule(store_url: str) -> None:
    """R1-R5, A3-A6, I3-I4 together on each store."""
    app = billing_center(eventsourcing_env(store_url))
    try:
        ids = tell_the_story(app)
        assert app.invoice(ids["before"]).status is InvoiceStatus.PAID
        assert app.visible_invoice("bob", ids["paper"]).section is Section.ARCHIVE
        assert app.invoice(ids["after"]).balance == Decimal("80.00")
    finally:
        app.close()


def story_ids(ids: dict[str, UUID]) -> list[UUID]:
    """Every aggregate the story wrote."""
    accounts = [account_id(ACCOUNT), account_id(OTHER_ACCOUNT)]
    users = [login_id(ADMIN), login_id("bob")]
    return [*ids.values(), *accounts, *users]


def test_replaying_the_stored_events_yields_the_same_state(store_url: str) -> None:
    """C1: the state rebuilt from the stored events alone is the state the commands left."""
    app = billing_center(eventsourcing_env(store_url))
    try:
        ids = story_ids(tell_the_story(app))
        for aggregate_id in ids:
            assert replayed(app, aggregate_id) == state(app.repository.get(aggregate_id))
    finally:
        app.close()


def test_a_fresh_billing_center_reads_the_same_state(durable_store_url: str) -> None:
    """C1: a new process on the same store, with no cache, sees what the first one wrote."""
    env = eventsourcing_env(durable_store_url)
    with (
        closing(billing_center(env)) as first,
        closing(billing_center(env, FixedClock())) as second,
    ):
        for aggregate_id in story_ids(tell_the_story(first)):
            expected = state(first.repository.get(aggregate_id))
            assert state(second.repository.get(aggregate_id)) == expected
            assert replayed(second, aggregate_id) == expected


def test_an_account_with_a_long_history_reloads_from_a_snapshot(store_url: str) -> None:
    """Snapshots: past 100 events, the account reloads from its snapshot to the same state."""
    app = billing_center(eventsourcing_env(store_url))
    try:
        enrolled_company(app)
        for number in range(105):
            issue(app, bill(ACCOUNT, f"INV-{number}"))
        aggregate_id = account_id(ACCOUNT)
        current: AccountEnrollment = app.repository.get(aggregate_id)
        assert current.version > 100
        assert app.snapshots is not None
        snapshots = list(app.snapshots.get(aggregate_id))
        assert [s.originator_version for s in snapshots] == [100]
        reloaded: AccountEnrollment = app.repository.get(aggregate_id, version=current.version)
        assert state(reloaded) == state(current) == replayed(app, aggregate_id)
    finally:
        app.close()
