"""R4, R5, I5 (issue 18): an e-mail queued for someone goes out only if, when it is sent,
they may still see the invoice in that company: a removed user, a user moved to another
company, or one whose grant was revoked gets nothing of it."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from api.mail.facts import StoreFacts
from domain.application import BillingCenter
from domain.caller import Caller
from domain.values import Role
from projections.queries import OutboxMessage
from tests.builders import (
    ACCOUNT,
    ADMIN,
    BILLING,
    OTHER_ACCOUNT,
    a_company,
    add_user,
    bill,
    enrolled_company,
    person,
)


def _queued_for_bob() -> tuple[BillingCenter, UUID, OutboxMessage]:
    """bob (VIEW_ONLY, granted ACCOUNT) is due an INVOICE_AVAILABLE e-mail, not sent yet."""
    app, company = a_company()
    add_user(app, company, "bob", Role.VIEW_ONLY, (ACCOUNT,))
    issued = app.issue_invoice(BILLING, bill(ACCOUNT, "INV-7"))
    row = OutboxMessage(
        issued.position, "bob", "INVOICE_AVAILABLE", str(issued.result), datetime.now(UTC)
    )
    return app, company, row


def test_i5_the_queued_email_goes_to_who_still_sees_the_invoice() -> None:
    app, _, row = _queued_for_bob()
    facts = StoreFacts(app).facts(row)
    assert facts is not None
    assert facts.email == "bob@example.com"


def test_r5_a_removed_user_gets_nothing_queued_before_the_removal() -> None:
    app, company, row = _queued_for_bob()
    app.remove_user(person(ADMIN), company, "bob", confirmed=True)
    assert StoreFacts(app).facts(row) is None


def test_r5_a_user_moved_to_another_company_gets_nothing_of_the_former_one() -> None:
    app, company, row = _queued_for_bob()
    app.remove_user(person(ADMIN), company, "bob", confirmed=True)
    other = enrolled_company(app, "zoe", (OTHER_ACCOUNT,), "PROOF-2")
    add_user(app, other, "bob", Role.ADMINISTRATOR, by="zoe")
    assert StoreFacts(app).facts(row) is None


def test_r4_a_user_whose_grant_was_revoked_gets_nothing_of_that_account() -> None:
    app, company, row = _queued_for_bob()
    app.set_user_accounts(person(ADMIN), company, "bob", [])
    assert StoreFacts(app).facts(row) is None


def test_c4_an_erased_person_gets_nothing_queued_before_the_erasure() -> None:
    app, _, row = _queued_for_bob()
    app.erase_personal_data(Caller("privacy-forget"), "bob")
    assert StoreFacts(app).facts(row) is None
