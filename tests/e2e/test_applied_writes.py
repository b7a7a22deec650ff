"""A write that was applied answers 2xx with what it changed, never 500 (issue 18).

A removal racing a role, grant or profile change commits between the change and its answer:
the answer is built from what the command returned, not from the company read again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.application import BillingCenter
from domain.caller import Caller
from tests.e2e.http import World, acct, enroll


def _removed_right_after(
    monkeypatch: pytest.MonkeyPatch, command: str, world: World, login: str
) -> None:
    """Make `command` commit, then a concurrent removal of `login` commit, before it answers."""
    applied: Callable[..., Any] = getattr(BillingCenter, command)

    def racing(app: BillingCenter, caller: Caller, /, *args: Any, **kwargs: Any) -> Any:
        receipt = applied(app, caller, *args, **kwargs)
        admin = Caller(world.admin.login)
        app.remove_user(admin, app.read_company(args[0]).id, login, confirmed=True)
        return receipt

    monkeypatch.setattr(BillingCenter, command, racing)


@pytest.fixture
def acme(api: TestClient) -> World:
    world = enroll(api)
    world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    return world


def test_r3_a_role_change_racing_a_removal_answers_the_role_it_set(
    acme: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R3: the role change was applied, so it answers 200 with the role it set."""
    _removed_right_after(monkeypatch, "change_role", acme, "bob")
    response = acme.admin.put(f"/v1/companies/{acme.cid}/users/bob/role", json={"role": "VIEW_PAY"})
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "VIEW_PAY"
    assert response.json()["accounts"] == [acme.accounts[0]]


def test_r4_a_grant_change_racing_a_removal_answers_the_grants_it_set(
    acme: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R4: the grants were applied, so it answers 200 with the accounts it granted."""
    _removed_right_after(monkeypatch, "set_user_accounts", acme, "bob")
    body = {"accounts": [acme.accounts[1]]}
    response = acme.admin.put(f"/v1/companies/{acme.cid}/users/bob/accounts", json=body)
    assert response.status_code == 200, response.text
    assert [acct(a) for a in response.json()["accounts"]] == [acct(acme.accounts[1])]


def test_r10_a_profile_change_racing_a_removal_answers_the_profile_it_set(
    acme: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R10: the profile change was applied, so it answers 200 with the new profile."""
    _removed_right_after(monkeypatch, "change_user_profile", acme, "bob")
    body = {"email": "robert@acme.test", "name": "Robert"}
    response = acme.admin.put(f"/v1/companies/{acme.cid}/users/bob", json=body)
    assert response.status_code == 200, response.text
    assert (response.json()["email"], response.json()["name"]) == ("robert@acme.test", "Robert")
    assert response.json()["role"] == "VIEW_ONLY"
