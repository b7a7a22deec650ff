"""API keys (issue 22 item 2): company keys act with a role and grants as R4, never
ADMINISTRATOR; stored as a digest, shown once, revoked at once; created and revoked by
events with their actor, which auditors see (C1, C2 name the key as `key:<id>`)."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from api.tokens import Scope
from tests.e2e.http import As, World, acct, enroll, token


def create_key(world: World, role: str = "VIEW_ONLY", *accounts: dict[str, str]) -> dict[str, Any]:
    body = {"name": "ERP", "role": role, "accounts": list(accounts)}
    response = world.admin.post(f"/v1/companies/{world.cid}/api-keys", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def with_key(world: World, key: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """A request made with an API key, after the admin's last write reached the read models."""
    params = {"min_position": max(world.admin.seen)} if method == "GET" else {}
    headers = {"Authorization": f"Bearer {key}"}
    return world.client.request(method, url, headers=headers, params=params, **kwargs)


def invoices_seen(world: World, key: str) -> set[str]:
    response = with_key(world, key, "GET", f"/v1/companies/{world.cid}/invoices")
    assert response.status_code == 200, response.text
    return {i["invoice_id"] for i in response.json()["items"]}


def test_a_company_key_sees_only_its_granted_accounts_invoices_r4(world: World) -> None:
    mine, other = world.issue(world.accounts[0]), world.issue(world.accounts[1])
    created = create_key(world, "VIEW_ONLY", world.accounts[0])
    assert created["key"].startswith(f"bck_{created['key_id']}_")
    seen = invoices_seen(world, created["key"])
    assert mine in seen
    assert other not in seen
    detail = with_key(world, created["key"], "GET", f"/v1/invoices/{mine}")
    assert detail.status_code == 200, detail.text
    assert with_key(world, created["key"], "GET", f"/v1/invoices/{other}").status_code == 404


def test_a_key_list_shows_no_secret_and_who_created_it(world: World) -> None:
    created = create_key(world, "VIEW_PAY", world.accounts[1])
    response = world.admin.get(f"/v1/companies/{world.cid}/api-keys")
    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    assert item["key_id"] == created["key_id"]
    assert (item["name"], item["role"], item["created_by"]) == ("ERP", "VIEW_PAY", "alice")
    assert item["accounts"] == [world.accounts[1]]
    assert item["last_used_at"] is None
    assert created["key"] not in response.text
    assert created["key"].split(f"{created['key_id']}_", 1)[1] not in response.text


def test_a_key_records_its_last_use_once_a_minute_as_itself(world: World) -> None:
    created = create_key(world)
    for _ in range(3):
        invoices_seen(world, created["key"])
    listed = world.admin.get(f"/v1/companies/{world.cid}/api-keys").json()["items"]
    assert listed[0]["last_used_at"] is not None
    auditor = As(world.client, "audrey", Scope.AUDITOR, seen=world.admin.seen)
    log = auditor.get("/v1/audit/events", params={"limit": 500}).json()["items"]
    used = [e for e in log if e["type"] == "ApiKeyUsed"]
    assert [e["actor"] for e in used] == [f"key:{created['key_id']}"]


def test_a_key_is_never_an_administrator_r2(world: World) -> None:
    body = {"name": "root", "role": "ADMINISTRATOR"}
    response = world.admin.post(f"/v1/companies/{world.cid}/api-keys", json=body)
    assert response.status_code == 422
    assert response.json()["rule"] == "R2"


def test_only_administrators_create_keys_r3(world: World) -> None:
    bob = world.add_user("bob", "PLAN_MANAGER", world.accounts[0])
    body = {"name": "mine", "role": "VIEW_ONLY"}
    response = bob.post(f"/v1/companies/{world.cid}/api-keys", json=body)
    assert response.status_code == 403
    assert response.json()["rule"] == "R3"
    assert bob.get(f"/v1/companies/{world.cid}/api-keys").status_code == 403


def test_a_plan_manager_key_creates_no_keys_and_manages_no_administrators(world: World) -> None:
    created = create_key(world, "PLAN_MANAGER", world.accounts[0])
    body = {"name": "again", "role": "VIEW_ONLY"}
    url = f"/v1/companies/{world.cid}/api-keys"
    assert with_key(world, created["key"], "POST", url, json=body).status_code == 403


def test_a_revoked_key_is_refused_on_the_next_request(world: World) -> None:
    created = create_key(world)
    assert invoices_seen(world, created["key"]) == set()
    url = f"/v1/companies/{world.cid}/api-keys/{created['key_id']}"
    assert world.admin.delete(url).status_code == 204
    refused = world.client.get(
        f"/v1/companies/{world.cid}/invoices",
        headers={"Authorization": f"Bearer {created['key']}"},
    )
    assert refused.status_code == 401
    assert world.admin.delete(url).status_code == 404
    assert world.admin.get(f"/v1/companies/{world.cid}/api-keys").json()["items"] == []


def test_another_companys_key_sees_nothing_here(world: World) -> None:
    other = enroll(world.client, admin="zoe")
    theirs = create_key(other)
    response = with_key(world, theirs["key"], "GET", f"/v1/companies/{world.cid}/invoices")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "forge",
    [
        lambda k: "bcx_" + k[4:],  # another prefix: not a key, not a token
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),  # another secret
        lambda k: k[:4] + "0" * 32 + k[36:],  # another key id with this secret
        lambda k: k + "x",  # longer
        lambda k: k.upper(),
    ],
)
def test_a_forged_key_is_refused(world: World, forge: Any) -> None:
    created = create_key(world)
    response = with_key(world, forge(created["key"]), "GET", f"/v1/companies/{world.cid}")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_keys_are_not_users(world: World) -> None:
    create_key(world, "VIEW_ONLY", world.accounts[0])
    users = world.admin.get(f"/v1/companies/{world.cid}/users").json()["items"]
    assert [u["login"] for u in users] == ["alice"]


def test_no_login_may_pose_as_a_key(world: World) -> None:
    created = create_key(world)
    body = {"login": f"key:{created['key_id']}", "email": "k@acme.test", "name": "K",
            "role": "VIEW_ONLY"}  # fmt: skip
    assert world.admin.post(f"/v1/companies/{world.cid}/users", json=body).status_code == 422
    forged = {"Authorization": f"Bearer {token('key:' + created['key_id'])}"}
    assert world.client.get(f"/v1/companies/{world.cid}", headers=forged).status_code == 401


def test_creating_and_revoking_a_key_are_events_with_their_actor(world: World) -> None:
    created = create_key(world)
    world.admin.delete(f"/v1/companies/{world.cid}/api-keys/{created['key_id']}")
    auditor = As(world.client, "audrey", Scope.AUDITOR, seen=world.admin.seen)
    events = auditor.get("/v1/audit/events", params={"company": world.cid, "limit": 500})
    assert events.status_code == 200, events.text
    kinds = {(e["type"], e["actor"]) for e in events.json()["items"]}
    assert ("ApiKeyCreated", "alice") in kinds
    assert ("ApiKeyRevoked", "alice") in kinds
    # the secret follows the id; it may hold "_" itself (urlsafe base64), so never rsplit it
    secret = created["key"].split(f"{created['key_id']}_", 1)[1]
    assert all(secret not in str(e) for e in events.json()["items"])


def test_who_could_see_an_invoice_names_the_key_c2(world: World) -> None:
    created = create_key(world, "VIEW_ONLY", world.accounts[0])
    invoice = world.issue(world.accounts[0])
    auditor = As(world.client, "audrey", Scope.AUDITOR, seen=world.billing.seen)
    body = auditor.get(f"/v1/audit/invoices/{invoice}/visibility").json()
    assert f"key:{created['key_id']}" in {s["login"] for s in body["could_see"]}


def test_a_key_pays_only_with_a_paying_role_i3(api: TestClient) -> None:
    world = enroll(api)
    invoice = world.issue(world.accounts[0])
    viewer = create_key(world, "VIEW_ONLY", world.accounts[0])
    pay = f"/v1/invoices/{invoice}/payments"
    assert with_key(world, viewer["key"], "POST", pay, json={}).status_code == 403
    assert acct(world.accounts[0])
