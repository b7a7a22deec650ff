"""Issue 24: a rebuild of every projection reproduces memberships (pending, confirmed,
withdrawn, released by a closure) and credits (earned, used) exactly, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from domain.application import BillingCenter
from domain.values import Role, UnenrollmentReason
from projections.runner import PROJECTIONS, Runner, rebuild
from store.database import Database
from tests.builders import (
    ACCOUNT,
    ADMIN,
    BILLING,
    OTHER_ACCOUNT,
    THIRD_ACCOUNT,
    TODAY,
    add_payment_method,
    add_user,
    bill,
    enrolled_company,
    issue,
    person,
    proven,
)
from tests.integration.projections_support import dump


def _history(app: BillingCenter) -> None:
    """R5, R14, I3, I10: every kind of event issue 24 added."""
    company = enrolled_company(app, accounts=(ACCOUNT,))
    add_payment_method(app, company)
    add_user(app, company, "bob", Role.VIEW_ONLY, (ACCOUNT,))  # pending
    add_user(app, company, "carol", Role.ADMINISTRATOR)
    add_user(app, company, "dan", Role.VIEW_ONLY)
    app.change_role(person("carol"), company, "dan", Role.VIEW_PAY)  # carol confirmed
    app.enroll_company(person("bob"), "Bob's", [proven(app, OTHER_ACCOUNT, "P-2")])  # withdrawn
    paid = issue(app, bill(ACCOUNT, "INV-P", issued=TODAY - timedelta(days=1)))
    app.pay_invoice(person(ADMIN), paid)
    asked = app.request_adjustment(person(ADMIN), paid, "late", {"TRK-1": Decimal("60.00")})
    app.decide_adjustment(BILLING, paid, asked.result, approved=True)  # 60.00 of credit
    issue(app, bill(ACCOUNT, "INV-C", issued=TODAY, amount="40.00"))  # uses 40.00
    later = issue(app, bill(ACCOUNT, "INV-S", issued=TODAY, amount="100.00"))  # uses 20.00
    payment = app.pay_invoice(person(ADMIN), later, TODAY + timedelta(days=3)).result
    app.cancel_payment(person(ADMIN), later, payment.payment_id)
    third = enrolled_company(app, "zoe", (THIRD_ACCOUNT,), "P-3")
    app.unenroll_accounts(person("zoe"), third, [THIRD_ACCOUNT], UnenrollmentReason.PREFER_PAPER)
    app.close_company(person("zoe"), third, confirmed=True)


def test_a_rebuild_reproduces_memberships_and_credits(app: BillingCenter, db: Database) -> None:
    _history(app)
    Runner(db, app).catch_up()
    built = dump(db)
    assert any("'bob'" in row for row in built["directory_members"])
    assert built["accounts_credits"] == [repr((str(ACCOUNT), 0))]  # 60.00 earned, all used
    for name in PROJECTIONS:
        rebuild(db, app, name, page_size=3)
    assert dump(db) == built
