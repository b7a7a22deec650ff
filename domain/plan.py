"""A8, decided here: consolidated payment plans.

A plan is a `PACKAGE` account of type `CONSOLIDATED_PAYMENT_PLAN`. The billing system states
which shipper accounts it consolidates, and changes that over time: `PlanMembersStated` on
the plan's own `AccountEnrollment` (its id derived from the plan's key), `AccountJoinedPlan`
and `AccountLeftPlan` on each member's, all saved together. Keeping the members on the
plan's record means an invoice of the plan, which writes that record, conflicts with a
concurrent statement instead of naming a member that has just left (I1).

The checks here are pure: the application layer loads the records and asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from domain.bills import Line
from domain.enrollment import AccountEnrollment
from domain.errors import AccountHeldElsewhere, AccountInAnotherPlan, InvalidInput
from domain.values import AccountType

PLAN = AccountType.CONSOLIDATED_PAYMENT_PLAN.value


def is_plan(record: AccountEnrollment) -> bool:
    """A8: a stated plan, or an account enrolled as one."""
    return record.consolidates is not None or record.account_type == PLAN


def check_statement(plan: AccountEnrollment, members: Sequence[AccountEnrollment]) -> None:
    """A8: what the billing system may state: a plan (not an account enrolled as another
    kind, nor one a plan consolidates) and shipper accounts that are not plans, each
    consolidated by no other plan."""
    if plan.line_of_business is not None and plan.account_type != PLAN:
        raise InvalidInput("plan", f"a {PLAN} account, not {plan.key}", rule="A8")
    if plan.plan is not None:
        raise InvalidInput("plan", f"a plan, not a member of the plan {plan.plan}", rule="A8")
    for member in members:
        if member.key == plan.key or is_plan(member):
            expected = f"shipper accounts, not the plan {member.key}"
            raise InvalidInput("accounts", expected, rule="A8")
        if member.plan not in (None, str(plan.key)):
            raise AccountInAnotherPlan(f"{member.key} is consolidated by the plan {member.plan}")


def check_kind(record: AccountEnrollment, kind: AccountType | None) -> None:
    """A8 with A1: a stated plan is enrolled as a plan, and a plan's member is not one."""
    if record.consolidates is not None and kind is not AccountType.CONSOLIDATED_PAYMENT_PLAN:
        raise InvalidInput("account_type", f"{PLAN}: {record.key} is a plan", rule="A8")
    if record.plan is not None and kind is AccountType.CONSOLIDATED_PAYMENT_PLAN:
        raise InvalidInput("account_type", f"not a plan: {record.plan} consolidates it", rule="A8")


def require_unconsolidated(
    record: AccountEnrollment,
    company_id: UUID,
    plan: AccountEnrollment | None,
    members: Sequence[AccountEnrollment],
) -> None:
    """A2 extended by A8, before `record` is enrolled in `company_id`: while a plan is
    enrolled in a company, none of its members is enrolled in another on its own; and
    (decision) a plan is not enrolled while one of its members is enrolled elsewhere."""
    if plan is not None and plan.enrolled and plan.holder != str(company_id):
        raise AccountHeldElsewhere(
            f"{record.key} belongs to the plan {plan.key}, enrolled in another company"
        )
    for member in members:
        if member.enrolled and member.holder != str(company_id):
            raise AccountHeldElsewhere(
                f"the plan's member {member.key} is enrolled in another company"
            )


def check_lines(record: AccountEnrollment, lines: Sequence[Line]) -> None:
    """A8 with I1: each line of a plan's invoice names a shipper account the plan
    consolidates at issue; no line of another account's invoice names one."""
    members = record.consolidates or []
    for line in lines:
        named = None if line.account is None else str(line.account)
        if members and named not in members:
            expected = f"on each line, an account the plan {record.key} consolidates now"
            raise InvalidInput("lines", expected, rule="A8")
        if not members and named is not None:
            raise InvalidInput("lines", "no account on the lines of a non-plan", rule="A8")
