"""Issue 9, hostile access: another company's ids, a removed user's token, roles (R7).

The authorization matrix (tests/e2e/test_authorization.py) calls each route on Acme's
own ids as a member of another company. Here a member of Beta calls every route with
Beta's company id and Acme's *other* ids (user, payment method, account, invoice,
adjustment, document), including the document, PDF and CSV routes: all 404, nothing
changes. A removed user's token stops working at once (no `min_position`, no wait), and
no one below the Administrators finds a role or the general administrator in any answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.http import As, World, acct, enroll, running
from tests.samples import a_pdf


@dataclass
class Ids:
    """Things of one company: a user, a payment method, an account, an invoice, ..."""

    cid: str
    login: str
    method: str
    account: str
    invoice: str
    adjustment: str
    document: str


def _things(world: World, login: str) -> Ids:
    world.add_user(login, "VIEW_PAY_ADJUST", world.accounts[0])
    cid = world.cid
    method = world.admin.post(
        f"/v1/companies/{cid}/payment-methods",
        json={"holder": "H", "bank_code": "021", "account_number": "12345678"},
    ).json()["payment_method_id"]
    invoice = world.issue(world.accounts[0])
    adjustment = world.admin.post(
        f"/v1/invoices/{invoice}/adjustments",
        json={"reason": "twice", "lines": [{"tracking_number": "1Z001", "amount": "1.00"}]},
    ).json()["adjustment_id"]
    files = {"file": ("form.pdf", a_pdf(), "application/pdf")}
    document = world.billing.post(f"/v1/invoices/{invoice}/documents", files=files)
    assert document.status_code == 201, document.text
    return Ids(cid, login, method, acct(world.accounts[0]), invoice, adjustment,
               document.json()["document_id"])  # fmt: skip


@dataclass
class Scene:
    client: TestClient
    acme: World
    beta: World
    a: Ids
    b: Ids


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    tmp = tmp_path_factory.mktemp("access")
    with running(f"sqlite:///{Path(tmp) / 'events.sqlite'}", str(tmp)) as client:
        acme, beta = enroll(client, "alice"), enroll(client, "zed", accounts=1)
        yield Scene(client, acme, beta, _things(acme, "bob"), _things(beta, "yves"))


def _cross_calls(b: Ids, a: Ids) -> list[tuple[str, str, dict[str, Any]]]:
    """Beta's company id with Acme's other ids, in every route that takes one."""
    on_b = f"/v1/companies/{b.cid}"
    return [
        ("GET", f"{on_b}/users/{a.login}", {}),
        ("PUT", f"{on_b}/users/{a.login}", {"json": {"email": "x@x.test", "name": "X"}}),
        ("PUT", f"{on_b}/users/{a.login}/role", {"json": {"role": "ADMINISTRATOR"}}),
        ("PUT", f"{on_b}/users/{a.login}/accounts", {"json": {"accounts": []}}),
        ("DELETE", f"{on_b}/users/{a.login}", {"params": {"confirm": "true"}}),
        ("POST", f"{on_b}/general-administrator", {"json": {"login": a.login}}),
        ("PUT", f"{on_b}/payment-methods/{a.method}/default", {}),
        ("DELETE", f"{on_b}/payment-methods/{a.method}", {}),
        ("PUT", f"{on_b}/accounts/{a.account}/autopay", {"json": {"days_before_due": 2}}),
        ("DELETE", f"{on_b}/accounts/{a.account}/autopay", {}),
        ("GET", f"/v1/invoices/{a.invoice}", {}),
        ("GET", f"/v1/invoices/{a.invoice}/pdf", {}),
        ("GET", f"/v1/invoices/{a.invoice}/documents/{a.document}", {}),
        ("GET", f"/v1/invoices/{b.invoice}/documents/{a.document}", {}),
        ("POST", f"/v1/invoices/{a.invoice}/payments", {"json": {}}),
        ("POST", f"/v1/invoices/{b.invoice}/payments", {"json": {"payment_method_id": a.method}}),
        ("POST", f"/v1/invoices/{a.invoice}/adjustments",
         {"json": {"reason": "x", "lines": [{"tracking_number": "1Z002", "amount": "1.00"}]}}),
        ("GET", f"/v1/companies/{a.cid}/invoices.csv", {}),
        ("GET", f"/v1/companies/{a.cid}/invoices.csv", {"params": {"archive": "true"}}),
    ]  # fmt: skip


def _head(scene: Scene) -> int:
    return int(scene.client.get("/health").json()["store"]["head"])


def test_every_route_hides_another_company_s_ids_behind_404(scene: Scene) -> None:
    """IDOR: Beta's general administrator names Acme's things through Beta's own routes."""
    zed, head = scene.beta.admin, _head(scene)
    wrong = [
        f"{method} {url}: {response.status_code} {response.text[:120]}"
        for method, url, kwargs in _cross_calls(scene.b, scene.a)
        if (response := zed.request(method, url, **kwargs)).status_code != 404
    ]
    assert not wrong, "\n".join(wrong)
    assert _head(scene) == head, "a refused request changed the store"


def test_accounts_of_another_company_in_a_body_are_refused(scene: Scene) -> None:
    """IDOR in bodies: granting, unenrolling or re-enrolling Acme's account from Beta."""
    zed, b, head = scene.beta.admin, scene.b, _head(scene)
    account = scene.acme.accounts[0]
    calls = [
        ("PUT", f"/v1/companies/{b.cid}/users/{b.login}/accounts", {"accounts": [account]}),
        ("POST", f"/v1/companies/{b.cid}/unenrollment",
         {"accounts": [account], "reason": "NO_LONGER_NEEDED"}),
        ("POST", f"/v1/companies/{b.cid}/reenrollment", {"accounts": [account]}),
    ]  # fmt: skip
    for method, url, body in calls:
        response = zed.request(method, url, json=body)
        assert response.status_code in {404, 409, 422}, (url, response.status_code)
        assert "alice" not in response.text
    assert _head(scene) == head


def test_a_removed_user_s_token_stops_working_at_once(scene: Scene) -> None:
    """R5: removed, the next request (not waiting for the read models) is 403 or 404."""
    acme = scene.acme
    carl = acme.add_user("carl", "VIEW_PAY_ADJUST", acme.accounts[0])
    assert carl.get(f"/v1/invoices/{scene.a.invoice}").status_code == 200
    removed = acme.admin.delete(f"/v1/companies/{acme.cid}/users/carl", params={"confirm": "true"})
    assert removed.status_code == 204
    fresh = As(scene.client, "carl")  # no min_position: "at once"
    a = scene.a
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"/v1/companies/{a.cid}", {}),
        ("GET", f"/v1/companies/{a.cid}/accounts", {}),
        ("GET", f"/v1/companies/{a.cid}/invoices", {}),
        ("GET", f"/v1/companies/{a.cid}/invoices/archive", {}),
        ("GET", f"/v1/companies/{a.cid}/invoices.csv", {}),
        ("GET", f"/v1/companies/{a.cid}/payment-methods", {}),
        ("GET", f"/v1/invoices/{a.invoice}", {}),
        ("GET", f"/v1/invoices/{a.invoice}/pdf", {}),
        ("GET", f"/v1/invoices/{a.invoice}/documents/{a.document}", {}),
        ("POST", f"/v1/invoices/{a.invoice}/payments", {"json": {}}),
        ("PUT", f"/v1/companies/{a.cid}/accounts/{a.account}/autopay",
         {"json": {"days_before_due": 2}}),
        ("PUT", "/v1/me/notification-preferences", {"json": {
            "INVOICE_AVAILABLE": False, "PAYMENT_RECEIVED": False, "ADJUSTMENT_UPDATED": False}}),
    ]  # fmt: skip
    wrong = [
        f"{method} {url}: {response.status_code}"
        for method, url, kwargs in calls
        if (
            response := fresh.client.request(method, url, headers=fresh.headers, **kwargs)
        ).status_code
        not in {403, 404}
    ]
    assert not wrong, "\n".join(wrong)


ROLE_KEYS = {"role", "general_administrator"}
HIDDEN: set[object] = {None, False}


def _shown(value: Any) -> dict[str, Any]:
    """Roles and titles a JSON answer shows (a hidden one is null, or false for oneself)."""
    if isinstance(value, dict):
        found = {k: v for k, v in value.items() if k in ROLE_KEYS and v not in HIDDEN}
        for v in value.values():
            found |= _shown(v)
        return found
    if isinstance(value, list):
        return {k: v for item in value for k, v in _shown(item).items()}
    return {}


def _readable(scene: Scene) -> list[str]:
    a, cid = scene.a, scene.a.cid
    return [
        "/v1/me", f"/v1/companies/{cid}", f"/v1/companies/{cid}/users",
        f"/v1/companies/{cid}/users/bob", f"/v1/companies/{cid}/users/alice",
        f"/v1/companies/{cid}/accounts", f"/v1/companies/{cid}/invoices",
        f"/v1/companies/{cid}/invoices/archive", f"/v1/companies/{cid}/payment-methods",
        f"/v1/invoices/{a.invoice}",
    ]  # fmt: skip


@pytest.mark.parametrize("role", ["VIEW_ONLY", "VIEW_PAY", "VIEW_ADJUST", "VIEW_PAY_ADJUST"])
def test_r7_no_role_is_shown_below_the_administrators_through_any_route(
    scene: Scene, role: str
) -> None:
    """R7: a user sees their own profile without any role, theirs or anyone's."""
    user = scene.acme.add_user(f"r7{role.lower()}", role, scene.acme.accounts[0])
    shown = {}
    for url in _readable(scene):
        response = user.get(url)
        text = response.text
        if response.status_code == 200 and (
            _shown(response.json()) or role in text or "ADMIN" in text
        ):
            shown[url] = text[:200]
    csv = user.get(f"/v1/companies/{scene.a.cid}/invoices.csv")
    assert "ADMINISTRATOR" not in csv.text
    assert role not in csv.text
    assert not shown, json.dumps(shown, indent=1)


def test_r7_a_plan_manager_sees_no_role_of_its_own(scene: Scene) -> None:
    """R7 and API.md `GET /v1/me`: the role only for Administrators."""
    manager = scene.acme.add_user("pm7", "PLAN_MANAGER", scene.acme.accounts[0])
    me = manager.get("/v1/me")
    assert me.status_code == 200
    assert not _shown(me.json()), me.text
