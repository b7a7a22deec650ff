"""The console's API keys page (issue 22): Administrators only; a key is shown once, in
the page answered (never in an address), acts as R4 lets it, and is revoked at once."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.identity import SESSION_COOKIE
from api.web.session import CSRF_FIELD
from tests.e2e.http import World, token

OWN = {"Origin": "http://testserver"}


def signed_in(world: World, login: str) -> TestClient:
    """A console session for `login`, once the read models hold the admin's last write."""
    client = world.client
    client.cookies.set(SESSION_COOKIE, token(login, email=f"{login}@acme.test", name=login))
    client.params = {"seen": str(max(world.admin.seen))}
    return client


def csrf(page: str) -> str:
    found = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_an_administrator_creates_sees_once_and_revokes_a_key(world: World) -> None:
    client = signed_in(world, "alice")
    page = client.get("/console/api-keys")
    assert page.status_code == 200, page.text
    account = f"{world.accounts[0]['country']}-{world.accounts[0]['number']}"
    form = {CSRF_FIELD: csrf(page.text), "name": "ERP", "role": "VIEW_ONLY", "accounts": account}
    created = client.post("/console/api-keys", data=form, headers=OWN, follow_redirects=False)
    assert created.status_code == 200, created.text
    key = re.search(r'<code id="new-key">(bck_[^<]+)</code>', created.text)
    assert key is not None
    mine = world.issue(world.accounts[0])
    seen = client.get(f"/v1/invoices/{mine}", headers={"Authorization": f"Bearer {key.group(1)}"},
                      params={"min_position": max(world.billing.seen)})  # fmt: skip
    assert seen.status_code == 200, seen.text
    listed = client.get("/console/api-keys").text
    assert key.group(1) not in listed
    key_id = key.group(1).split("_")[1]
    revoke = {CSRF_FIELD: csrf(listed)}
    done = client.post(f"/console/api-keys/{key_id}/revoke", data=revoke, headers=OWN,
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    client.cookies.clear()
    again = client.get(f"/v1/invoices/{mine}", headers={"Authorization": f"Bearer {key.group(1)}"})
    assert again.status_code == 401


def test_an_administrator_role_is_refused_on_the_page(world: World) -> None:
    client = signed_in(world, "alice")
    page = client.get("/console/api-keys").text
    assert 'value="ADMINISTRATOR"' not in page
    form = {CSRF_FIELD: csrf(page), "name": "root", "role": "ADMINISTRATOR"}
    refused = client.post("/console/api-keys", data=form, headers=OWN, follow_redirects=False)
    assert refused.status_code == 422
    assert "bck_" not in refused.text


def test_the_page_is_in_french_too(world: World) -> None:
    client = signed_in(world, "alice")
    page = client.get("/console/api-keys", params={"lang": "fr"})
    assert "Clés d'API" in page.text or "Clés d&#39;API" in page.text


def test_a_non_administrator_finds_no_keys_page(world: World) -> None:
    world.add_user("bob", "PLAN_MANAGER", world.accounts[0])
    client = signed_in(world, "bob")
    page = client.get("/console/api-keys")
    assert page.status_code == 403
    assert "/console/api-keys" not in client.get("/console/invoices").text
