"""R4 decided once (issue 19): `domain.access` answers whether a member sees an account and
why, and the Company aggregate answers with it."""

from __future__ import annotations

import pytest

from domain.access import Reason, access, accounts_seen, sees_every_account
from domain.company import Company
from domain.values import Role

HELD = ["US-A1", "US-A2", "FR-B3"]
NOT_ADMINISTRATORS = [role for role in Role if role is not Role.ADMINISTRATOR]


def test_an_administrator_sees_every_account_the_company_holds_or_held_because_of_the_role() -> (
    None
):
    for account in HELD:
        assert access(Role.ADMINISTRATOR, [], account, HELD) is Reason.ROLE
    assert sees_every_account(Role.ADMINISTRATOR)


def test_an_administrator_with_grants_left_from_an_older_role_still_sees_by_role() -> None:
    assert access(Role.ADMINISTRATOR, ["US-A1"], "US-A1", HELD) is Reason.ROLE


@pytest.mark.parametrize("role", NOT_ADMINISTRATORS)
def test_any_other_role_sees_exactly_its_grants_because_they_are_granted(role: Role) -> None:
    assert access(role, ["US-A2"], "US-A2", HELD) is Reason.GRANT
    assert access(role, ["US-A2"], "US-A1", HELD) is None
    assert access(role, [], "US-A1", HELD) is None
    assert not sees_every_account(role)


@pytest.mark.parametrize("role", list(Role))
def test_nobody_sees_an_account_the_company_never_held(role: Role) -> None:
    assert access(role, ["US-Z9"], "US-Z9", HELD) is None


def test_accounts_seen_keeps_the_company_order_for_all_and_the_grant_order_otherwise() -> None:
    assert accounts_seen(Role.ADMINISTRATOR, ["FR-B3"], HELD) == dict.fromkeys(HELD, Reason.ROLE)
    granted = ["FR-B3", "US-A1"]
    assert accounts_seen(Role.VIEW_ONLY, granted, HELD) == dict.fromkeys(granted, Reason.GRANT)
    assert accounts_seen(Role.PLAN_MANAGER, [], HELD) == {}


def test_each_reason_says_why_in_words() -> None:
    assert "every account" in Reason.ROLE.because(Role.ADMINISTRATOR)
    assert "ADMINISTRATOR" in Reason.ROLE.because(Role.ADMINISTRATOR)
    assert "granted" in Reason.GRANT.because(Role.VIEW_PAY)


def test_the_company_answers_with_the_function_through_role_changes_and_hand_over() -> None:
    company = Company("Acme", "alice", HELD[:2])
    company.add_user("alice", "bob", Role.VIEW_ONLY, ["US-A2"])
    assert company.access("alice", "US-A1") is Reason.ROLE
    assert company.access("bob", "US-A2") is Reason.GRANT
    assert company.access("bob", "US-A1") is None
    assert company.visible_accounts("bob") == ["US-A2"]
    company.add_account("FR-B3")
    assert company.visible_accounts("alice") == HELD
    company.hand_over("alice", "bob")
    assert company.access("bob", "US-A1") is Reason.ROLE
    company.change_role("bob", "alice", Role.VIEW_PAY)
    assert company.visible_accounts("alice") == []
