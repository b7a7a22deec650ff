"""Issue 18, over HTTP: a former holder's administrator cannot touch the account's automatic
payment once another company holds it (A2, I6; API.md: 404, never reveal it exists)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.http import As, World, acct, invoice_body, proven


def _taken_over_by_zoe(world: World) -> As:
    """Acme unenrolls its first account; zoe's company adds it and pays it automatically."""
    account, admin = world.accounts[0], world.admin
    gone = admin.post(
        f"/v1/companies/{world.cid}/unenrollment",
        json={"accounts": [account], "reason": "NO_LONGER_NEEDED"},
    )
    assert gone.status_code == 200, gone.text
    body = invoice_body(account)
    assert world.billing.post("/v1/invoices", json=body).status_code == 201
    zoe = world.person("zoe")
    made = zoe.post("/v1/companies", json={"name": "Zed", "accounts": [proven(account, body)]})
    assert made.status_code == 201, made.text
    zed = made.json()["company_id"]
    method = {"holder": "Zed", "bank_code": "COBADEFF", "account_number": "DE8937040044"}
    assert zoe.post(f"/v1/companies/{zed}/payment-methods", json=method).status_code == 201
    autopay = zoe.put(f"/v1/companies/{zed}/accounts/{acct(account)}/autopay",
                      json={"days_before_due": 3})  # fmt: skip
    assert autopay.status_code == 200, autopay.text
    return zoe


def test_i6_a_former_holder_cannot_cancel_another_companys_autopay(
    api: TestClient, world: World
) -> None:
    zoe = _taken_over_by_zoe(world)
    path = f"/v1/companies/{world.cid}/accounts/{acct(world.accounts[0])}/autopay"
    refused = world.admin.delete(path)
    assert refused.status_code == 404, refused.text
    assert world.admin.put(path, json={"days_before_due": 1}).status_code == 404
    zed = zoe.get("/v1/me").json()["company"]["company_id"]
    mine = zoe.get(f"/v1/companies/{zed}/accounts").json()["items"]
    assert [a["autopay"] for a in mine] == [{"days_before_due": 3, "set_up_by": "zoe"}]
    assert api is world.client
