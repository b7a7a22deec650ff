"""A2 extended by A8 under concurrency: a plan enrolled in one company and one of its members
enrolled on its own in another, at the same instant, on a shared store: exactly one wins."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from domain.application import AccountRequest, BillingCenter
from domain.values import AccountKey, AccountType
from store.url import eventsourcing_env
from tests.builders import BILLING, bill, billing_center, issue, person, request
from tests.integration.test_application_concurrency import race, two_companies

ROUNDS = 12
"""Races per backend: without the plan's record written by both sides, most of them let
both enrollments through (seen on SQLite and PostgreSQL before the fix)."""


Requests = tuple[AccountRequest, AccountRequest]
"""The plan's request, then its member's."""


def contested(env: dict[str, str], round_: int) -> Requests:
    """A new plan consolidating a new member, each with a recent invoice: the two requests."""
    plan, member = AccountKey("US", f"P{round_:05d}"), AccountKey("US", f"M{round_:05d}")
    app = billing_center(env)
    try:
        app.state_plan_members(BILLING, plan, [member])
        base = bill(plan, f"PLAN-{round_}")
        plan_bill = replace(base, lines=tuple(replace(x, account=member) for x in base.lines))
        member_bill = bill(member, f"OWN-{round_}")
        issue(app, plan_bill)
        issue(app, member_bill)
    finally:
        app.close()
    return request(plan_bill, kind=AccountType.CONSOLIDATED_PAYMENT_PLAN), request(member_bill)


def holders(env: dict[str, str], wanted: Requests) -> list[UUID]:
    """The companies the plan and the member are enrolled in now, by the store."""
    app = billing_center(env)
    try:
        records = [app.account(r.account) for r in wanted]
        return [UUID(r.holder) for r in records if r.enrolled and r.holder]
    finally:
        app.close()


def test_a2_a8_a_plan_and_its_member_enrolled_at_once_in_two_companies_one_wins(
    durable_store_url: str,
) -> None:
    """A2/A8: of a plan added by one company and its member added on its own by another at
    the same instant, one is refused (after losing on the plan's version), every time."""
    env = eventsourcing_env(durable_store_url)
    companies = two_companies(env)
    for round_ in range(ROUNDS):
        wanted = contested(env, round_)

        def add(app: BillingCenter, company: UUID, admin: str, wanted: Requests = wanted) -> object:
            return app.add_account(person(admin), company, wanted[company == companies[1]])

        outcomes = race(env, [(companies[0], "alice"), (companies[1], "zoe")], add)
        assert sorted(outcomes) in (["AccountHeldElsewhere", "won"], ["ConcurrentChange", "won"])
        assert len(holders(env, wanted)) == 1
