"""The permission matrix of DOMAIN.md (R2-R11), as data: one place, read by every check."""

from __future__ import annotations

from enum import StrEnum

from domain.values import Role


class Action(StrEnum):
    """What a member may ask for; the rows of the matrix."""

    VIEW_INVOICES = "view invoices, download PDF and CSV"
    PAY = "pay an invoice, set up automatic payment"
    ADJUST = "request a billing adjustment"
    SEE_USERS = "see users and their roles"
    MANAGE_USERS = "add/remove users, change roles, grant access"
    EDIT_COMPANY = "keep the company's information up to date"
    MANAGE_ACCOUNTS = "add accounts, re-enroll accounts"
    UNENROLL = "unenroll accounts"
    HAND_OVER = "hand over the general administrator title"
    MANAGE_PAYMENT_METHODS = "manage payment methods"


_VIEWING = frozenset({Action.VIEW_INVOICES})
_RUNNING = frozenset(
    {Action.VIEW_INVOICES, Action.PAY, Action.ADJUST, Action.SEE_USERS, Action.MANAGE_USERS}
)

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.VIEW_ONLY: _VIEWING,
    Role.VIEW_ADJUST: _VIEWING | {Action.ADJUST},
    Role.VIEW_PAY: _VIEWING | {Action.PAY},
    Role.VIEW_PAY_ADJUST: _VIEWING | {Action.PAY, Action.ADJUST},
    Role.PLAN_MANAGER: _RUNNING,  # within its granted accounts (R9)
    Role.ADMINISTRATOR: _RUNNING | {Action.EDIT_COMPANY, Action.MANAGE_ACCOUNTS},
}
"""R2-R3, R9, R10: what each role may do."""

GENERAL_ADMINISTRATOR_ACTIONS = frozenset(
    {Action.UNENROLL, Action.HAND_OVER, Action.MANAGE_PAYMENT_METHODS}
)
"""A3, R6, R11: the title, not a role, allows these."""

ACTION_RULES: dict[Action, str] = {
    Action.VIEW_INVOICES: "R4",
    Action.PAY: "I3",
    Action.ADJUST: "I4",
    Action.SEE_USERS: "R7",
    Action.MANAGE_USERS: "R3",
    Action.EDIT_COMPANY: "R10",
    Action.MANAGE_ACCOUNTS: "R3",
    Action.UNENROLL: "A3",
    Action.HAND_OVER: "R6",
    Action.MANAGE_PAYMENT_METHODS: "R11",
}
"""The rule a refusal of each action names."""

ALL_ACCOUNTS_ROLES = frozenset({Role.ADMINISTRATOR})
"""R4: these roles see every account of the company; the others their grants."""

TOP_ROLES = frozenset({Role.ADMINISTRATOR, Role.PLAN_MANAGER})
"""R9: a Plan Manager never gives these, nor manages those who hold them."""


def may(role: Role, action: Action, *, general_administrator: bool = False) -> bool:
    """Whether the matrix lets `role` (with or without the title) do `action`."""
    if action in GENERAL_ADMINISTRATOR_ACTIONS:
        return general_administrator
    return action in ROLE_ACTIONS[role]
