"""Issue 24 item 1: a rebuild of every projection reproduces each plan's members (A8), the
companies' plans and what their members see through them (R4), on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

from domain.application import BillingCenter
from domain.values import AccountKey, AccountType, Role
from projections.runner import PROJECTIONS, Runner, rebuild
from store.database import Database
from tests import builders as given
from tests.builders import ACCOUNT, ADMIN, BILLING, OTHER_ACCOUNT, THIRD_ACCOUNT
from tests.integration.projections_support import dump

PLAN = AccountKey("US", "P00001")


def _history(app: BillingCenter) -> None:
    """A8: a plan stated, enrolled, granted, its members changed, an invoice billing them."""
    app.state_plan_members(BILLING, PLAN, [ACCOUNT, OTHER_ACCOUNT])
    base = given.bill(PLAN, "PLAN-1")
    invoice = replace(base, lines=tuple(replace(x, account=ACCOUNT) for x in base.lines))
    given.issue(app, invoice)
    plan = given.request(invoice, kind=AccountType.CONSOLIDATED_PAYMENT_PLAN)
    company = app.enroll_company(given.person(ADMIN), "Plans", [plan]).result
    app.add_account(given.person(ADMIN), company, given.proven(app, ACCOUNT))
    given.add_user(app, company, "vic", Role.VIEW_ONLY, (PLAN,))
    app.state_plan_members(BILLING, PLAN, [ACCOUNT, THIRD_ACCOUNT])


def test_a_rebuild_reproduces_the_plans_members(app: BillingCenter, db: Database) -> None:
    _history(app)
    Runner(db, app).catch_up()
    built = dump(db)
    members = [repr((str(PLAN), str(m))) for m in (ACCOUNT, THIRD_ACCOUNT)]
    assert sorted(built["accounts_plan_members"]) == sorted(members)
    assert any("'vic', 'US-A00001', 'PLAN'" in row for row in built["directory_access"])
    for name in PROJECTIONS:
        rebuild(db, app, name, page_size=3)
    assert dump(db) == built
