"""A8: consolidated payment plans — the statement of their members, their enrollment, their
invoices' lines, what their members see (R4, R9), and A2 across a plan."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from uuid import UUID

import pytest

from domain.access import Reason, access, accounts_seen
from domain.application import BillingCenter
from domain.enrollment import account_id
from domain.errors import AccountHeldElsewhere, AccountInAnotherPlan, InvalidInput
from domain.invoice import Bill, Line
from domain.values import AccountKey, AccountType, Role
from tests import builders as given
from tests.builders import ACCOUNT, ADMIN, BILLING, OTHER_ACCOUNT, THIRD_ACCOUNT

PLAN = AccountKey("US", "P00001")
PLAN_KIND = AccountType.CONSOLIDATED_PAYMENT_PLAN


def state(app: BillingCenter, plan: AccountKey, *members: AccountKey) -> int:
    """A8: the billing system states the plan's members; the position."""
    return app.state_plan_members(BILLING, plan, list(members)).position


def plan_bill(number: str = "PLAN-1", member: AccountKey = ACCOUNT) -> Bill:
    """An invoice of PLAN whose lines bill `member`."""
    base = given.bill(PLAN, number)
    return replace(base, lines=tuple(replace(x, account=member) for x in base.lines))


def enrolled_plan(app: BillingCenter, admin: str = ADMIN) -> UUID:
    """R1 + A8: a company enrolled with PLAN, proven by one of the plan's invoices."""
    invoice = plan_bill()
    given.issue(app, invoice)
    return app.enroll_company(
        given.person(admin), "Plans Inc", [given.request(invoice, kind=PLAN_KIND)]
    ).result


@pytest.fixture
def app() -> BillingCenter:
    return given.billing_center()


def test_r4_a8_a_granted_plan_shows_its_held_members_because_of_the_plan() -> None:
    plans = {str(PLAN): [str(ACCOUNT), str(OTHER_ACCOUNT)]}
    held = [str(PLAN), str(ACCOUNT)]
    assert access(Role.VIEW_ONLY, [str(PLAN)], str(ACCOUNT), held, plans) is Reason.PLAN
    assert access(Role.VIEW_ONLY, [str(PLAN)], str(OTHER_ACCOUNT), held, plans) is None
    assert access(Role.ADMINISTRATOR, [], str(ACCOUNT), held, plans) is Reason.ROLE
    seen = accounts_seen(Role.VIEW_ONLY, [str(PLAN)], held, plans)
    assert seen == {str(PLAN): Reason.GRANT, str(ACCOUNT): Reason.PLAN}


def test_a8_stating_the_same_members_again_changes_nothing(app: BillingCenter) -> None:
    first = state(app, PLAN, ACCOUNT, OTHER_ACCOUNT)
    assert state(app, PLAN, OTHER_ACCOUNT, ACCOUNT) == first
    assert app.account(PLAN).consolidates == [str(ACCOUNT), str(OTHER_ACCOUNT)]
    assert app.account(ACCOUNT).plan == str(PLAN)


def test_a8_a_member_left_out_of_a_new_statement_leaves_the_plan(app: BillingCenter) -> None:
    state(app, PLAN, ACCOUNT, OTHER_ACCOUNT)
    state(app, PLAN, OTHER_ACCOUNT)
    assert app.account(ACCOUNT).plan is None
    assert given.event_names(app, account_id(ACCOUNT))[-1] == "AccountLeftPlan"


def test_a8_a_member_that_is_itself_a_plan_is_refused(app: BillingCenter) -> None:
    state(app, PLAN, ACCOUNT)
    with given.refused(app, InvalidInput, "A8"):
        state(app, THIRD_ACCOUNT, PLAN)


def test_a8_an_account_enrolled_as_individual_is_not_a_plan(app: BillingCenter) -> None:
    given.enrolled_company(app, accounts=(THIRD_ACCOUNT,))
    with given.refused(app, InvalidInput, "A8"):
        state(app, THIRD_ACCOUNT, ACCOUNT)


def test_a8_a_plan_cannot_consolidate_itself(app: BillingCenter) -> None:
    with given.refused(app, InvalidInput, "A8"):
        state(app, PLAN, PLAN)


def test_a8_an_account_is_consolidated_by_one_plan_at_a_time(app: BillingCenter) -> None:
    state(app, PLAN, ACCOUNT)
    with given.refused(app, AccountInAnotherPlan, "A8"):
        state(app, AccountKey("US", "P00002"), ACCOUNT)


def test_a8_a_plan_is_enrolled_with_a_proof_from_one_of_its_invoices(app: BillingCenter) -> None:
    state(app, PLAN, ACCOUNT)
    enrolled_plan(app)
    assert app.account(PLAN).account_type == PLAN_KIND.value


def test_a8_a_stated_plan_is_enrolled_only_as_a_plan(app: BillingCenter) -> None:
    state(app, PLAN, ACCOUNT)
    invoice = plan_bill()
    given.issue(app, invoice)
    with given.refused(app, InvalidInput, "A8"):
        app.enroll_company(given.person(ADMIN), "Acme", [given.request(invoice)])


def test_i1_a8_each_line_of_a_plans_invoice_names_a_member(app: BillingCenter) -> None:
    state(app, PLAN, ACCOUNT)
    given.issue(app, plan_bill())
    with given.refused(app, InvalidInput, "A8"):
        given.issue(app, plan_bill("PLAN-2", member=OTHER_ACCOUNT))
    with given.refused(app, InvalidInput, "A8"):
        given.issue(app, given.bill(PLAN, "PLAN-3"))
    assert app.invoice(given.issue(app, plan_bill("PLAN-4"))).lines[0]["account"] == str(ACCOUNT)


def test_i1_a8_lines_of_an_invoice_that_is_no_plans_name_no_account(app: BillingCenter) -> None:
    invoice = given.bill(ACCOUNT)
    with given.refused(app, InvalidInput, "A8"):
        given.issue(app, replace(invoice, lines=(Line("T1", "Ground", Decimal("100.00"), PLAN),)))


def test_a2_a8_a_member_of_an_enrolled_plan_is_not_enrolled_elsewhere(app: BillingCenter) -> None:
    state(app, PLAN, ACCOUNT)
    enrolled_plan(app)
    member = given.proven(app, ACCOUNT)
    with given.refused(app, AccountHeldElsewhere, "A2"):
        app.enroll_company(given.person("zoe"), "Other", [member])


def test_a2_a8_the_plans_own_company_enrolls_its_member(app: BillingCenter) -> None:
    state(app, PLAN, ACCOUNT)
    company = enrolled_plan(app)
    app.add_account(given.person(ADMIN), company, given.proven(app, ACCOUNT))
    assert app.account(ACCOUNT).enrolled_in(company)


def test_a2_a8_a_members_enrollment_is_recorded_on_its_plan(app: BillingCenter) -> None:
    """A2 under concurrency: both a plan's enrollment and its member's write the plan's
    record, so that two racing in different companies conflict in the store."""
    state(app, PLAN, ACCOUNT)
    company = enrolled_plan(app)
    app.add_account(given.person(ADMIN), company, given.proven(app, ACCOUNT))
    assert given.event_names(app, account_id(PLAN))[-1] == "PlanMemberEnrolled"


def test_a2_a8_a_plan_and_two_members_enroll_in_one_company_together(app: BillingCenter) -> None:
    """R1 with A8: one command enrolling a plan with its members saves the plan once."""
    state(app, PLAN, ACCOUNT, OTHER_ACCOUNT)
    invoice = plan_bill()
    given.issue(app, invoice)
    members = [given.proven(app, ACCOUNT), given.proven(app, OTHER_ACCOUNT)]
    plan = given.request(invoice, kind=PLAN_KIND)
    company = app.enroll_company(given.person(ADMIN), "Plans Inc", [members[0], plan, members[1]])
    records = [app.account(key) for key in (PLAN, ACCOUNT, OTHER_ACCOUNT)]
    assert all(record.enrolled_in(company.result) for record in records)
    assert given.event_names(app, account_id(PLAN)).count("PlanMemberEnrolled") == 2


def test_a2_a8_a_plan_is_not_enrolled_while_a_member_is_elsewhere(app: BillingCenter) -> None:
    given.enrolled_company(app, admin="zoe")
    state(app, PLAN, ACCOUNT)
    invoice = plan_bill()
    given.issue(app, invoice)
    with given.refused(app, AccountHeldElsewhere, "A2"):
        app.enroll_company(
            given.person(ADMIN), "Plans Inc", [given.request(invoice, kind=PLAN_KIND)]
        )


def test_r4_a8_granting_a_plan_shows_its_members_the_company_holds(app: BillingCenter) -> None:
    state(app, PLAN, ACCOUNT, OTHER_ACCOUNT)
    company = enrolled_plan(app)
    app.add_account(given.person(ADMIN), company, given.proven(app, ACCOUNT))
    given.add_user(app, company, "bob", Role.VIEW_ONLY, (PLAN,))
    assert app.company(company).visible_accounts("bob") == [str(PLAN), str(ACCOUNT)]
    assert app.company(company).access("bob", str(ACCOUNT)) is Reason.PLAN


def test_r4_a8_a_member_that_leaves_the_plan_is_no_longer_seen(app: BillingCenter) -> None:
    state(app, PLAN, ACCOUNT)
    company = enrolled_plan(app)
    app.add_account(given.person(ADMIN), company, given.proven(app, ACCOUNT))
    given.add_user(app, company, "bob", Role.VIEW_ONLY, (PLAN,))
    state(app, PLAN, OTHER_ACCOUNT)
    assert app.company(company).visible_accounts("bob") == [str(PLAN)]


def test_r9_a8_a_plan_manager_granted_a_plan_runs_its_members_users(app: BillingCenter) -> None:
    state(app, PLAN, ACCOUNT)
    company = enrolled_plan(app)
    app.add_account(given.person(ADMIN), company, given.proven(app, ACCOUNT))
    given.add_user(app, company, "pam", Role.PLAN_MANAGER, (PLAN,))
    given.add_user(app, company, "vic", Role.VIEW_ONLY, (ACCOUNT,), by="pam")
    assert app.company(company).managed_users("pam") == ["vic"]


def test_a5_a8_reenrolling_all_passes_over_a_member_of_a_plan_held_elsewhere(
    app: BillingCenter,
) -> None:
    other = given.enrolled_company(app, admin="zoe", accounts=(ACCOUNT, OTHER_ACCOUNT))
    given.unenroll(app, other, ACCOUNT, OTHER_ACCOUNT, by="zoe")
    state(app, PLAN, ACCOUNT)
    enrolled_plan(app)
    app.reenroll_accounts(given.person("zoe"), other)
    assert not app.account(ACCOUNT).enrolled_in(other)
    assert app.account(OTHER_ACCOUNT).enrolled_in(other)
