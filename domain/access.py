"""R4, decided once: whether a member of a company sees one of its accounts, and why.

The write side (`Company.access`, `Company.visible_accounts`) calls it with the aggregate's
state; the directory read model calls it on every event that changes its answer and stores
that answer per (company, login, account) in its `access` table, which every read-model
query (invoices, accounts, explain-access, the outbox's recipients) reads. Nothing else
decides R4.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum

from domain.roles import ALL_ACCOUNTS_ROLES
from domain.values import Role

Plans = Mapping[str, Sequence[str]]
"""A8: each consolidated payment plan the company holds, with the shipper accounts it
consolidates now (`Company.plans`)."""

NO_PLANS: Plans = {}


class Reason(StrEnum):
    """Why a member sees an account (R4, A8)."""

    ROLE = "ROLE"
    GRANT = "GRANT"
    PLAN = "PLAN"

    def because(self, role: Role) -> str:
        """The reason in words, for `role` (explain-access)."""
        if self is Reason.ROLE:
            return f"role {role.value} sees every account of the company"
        if self is Reason.PLAN:
            return "the account belongs to a consolidated payment plan granted to the user (A8)"
        return "the account is granted to the user"


def sees_every_account(role: Role) -> bool:
    """R4: whether `role` sees every account its company holds or has held."""
    return role in ALL_ACCOUNTS_ROLES


def access(
    role: Role,
    granted: Collection[str],
    account: str,
    held: Collection[str],
    plans: Plans = NO_PLANS,
) -> Reason | None:
    """R4: why a member with `role` and the `granted` accounts sees `account` of a company
    that holds or has held the accounts `held` (an Administrator still sees the invoices of
    an account the company unenrolled); None if they do not see it.

    A8: a member who is granted a plan the company holds also sees, where the company holds
    them, the shipper accounts that plan consolidates now (`plans`)."""
    if account not in held:
        return None
    if sees_every_account(role):
        return Reason.ROLE
    if account in granted:
        return Reason.GRANT
    if account in plan_members(granted, held, plans):
        return Reason.PLAN
    return None


def plan_members(granted: Collection[str], held: Collection[str], plans: Plans) -> list[str]:
    """A8: the members of the held plans among `granted`, in the order granted."""
    found = [m for plan in granted if plan in held for m in plans.get(plan, ())]
    return list(dict.fromkeys(found))


def accounts_seen(
    role: Role, granted: Sequence[str], held: Sequence[str], plans: Plans = NO_PLANS
) -> dict[str, Reason]:
    """R4: every account the member sees, with why: in the company's order for a role that
    sees them all, else in the order granted, then the granted plans' members (A8)."""
    every = sees_every_account(role)
    candidates = held if every else [*granted, *plan_members(granted, held, plans)]
    seen = {account: access(role, granted, account, held, plans) for account in candidates}
    return {account: reason for account, reason in seen.items() if reason is not None}
