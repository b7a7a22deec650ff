"""R4, decided once: whether a member of a company sees one of its accounts, and why.

The write side (`Company.access`, `Company.visible_accounts`) calls it with the aggregate's
state; the directory read model calls it on every event that changes its answer and stores
that answer per (company, login, account) in its `access` table, which every read-model
query (invoices, accounts, explain-access, the outbox's recipients) reads. Nothing else
decides R4.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from enum import StrEnum

from domain.roles import ALL_ACCOUNTS_ROLES
from domain.values import Role


class Reason(StrEnum):
    """Why a member sees an account (R4). Issue 24's plans will add their own reasons (a
    Plan Manager's scope, a plan member's plan) beside these."""

    ROLE = "ROLE"
    GRANT = "GRANT"

    def because(self, role: Role) -> str:
        """The reason in words, for `role` (explain-access)."""
        if self is Reason.ROLE:
            return f"role {role.value} sees every account of the company"
        return "the account is granted to the user"


def sees_every_account(role: Role) -> bool:
    """R4: whether `role` sees every account its company holds or has held."""
    return role in ALL_ACCOUNTS_ROLES


def access(
    role: Role, granted: Collection[str], account: str, held: Collection[str]
) -> Reason | None:
    """R4: why a member with `role` and the `granted` accounts sees `account` of a company
    that holds or has held the accounts `held` (an Administrator still sees the invoices of
    an account the company unenrolled); None if they do not see it."""
    if account not in held:
        return None
    if sees_every_account(role):
        return Reason.ROLE
    if account in granted:
        return Reason.GRANT
    return None


def accounts_seen(role: Role, granted: Sequence[str], held: Sequence[str]) -> dict[str, Reason]:
    """R4: every account the member sees, with why: in the company's order for a role that
    sees them all, else in the order granted."""
    candidates = held if sees_every_account(role) else granted
    seen = {account: access(role, granted, account, held) for account in candidates}
    return {account: reason for account, reason in seen.items() if reason is not None}
