"""The authorization matrix of DOMAIN.md (R2-R11) through HTTP, as one table.

Every route of API.md (but the documents, CSV/PDF and audit routes of issues 6 and 7) is
called by every kind of caller: the general administrator, each of the six roles, a person
in no company, a member of another company, and the two service principals. 403 names a
missing role, scope or title; 404 hides another company's things; a success is the route's
own status. Calls that change state are set up fresh and put back, so the order of the table
does not matter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx2 as httpx
from fastapi.testclient import TestClient

from api.tokens import Scope
from tests.e2e.http import As, World, acct, enroll, invoice_body, new_account, proven

CALLERS = (
    "general_admin", "ADMINISTRATOR", "PLAN_MANAGER", "VIEW_PAY_ADJUST", "VIEW_PAY",
    "VIEW_ADJUST", "VIEW_ONLY", "non_member", "other_company", "billing_system", "auditor",
)  # fmt: skip
ROLES = CALLERS[1:7]


@dataclass
class Scene:
    """Acme (accounts A and B; everyone below the Administrators is granted A) and Beta."""

    world: World
    callers: dict[str, As]
    invoice: str
    method: str

    @property
    def cid(self) -> str:
        return self.world.cid

    @property
    def a(self) -> dict[str, str]:
        return self.world.accounts[0]

    def fresh_invoice(self) -> str:
        return self.world.issue(self.a)


def build(client: TestClient) -> Scene:
    world = enroll(client, "alice")
    callers = {"general_admin": world.admin}
    for role in ROLES:
        grants = [] if role == "ADMINISTRATOR" else [world.accounts[0]]
        callers[role] = world.add_user(role.lower(), role, *grants)
        callers[role].get(f"/v1/companies/{world.cid}")  # R5: signed in, no longer pending
    callers["non_member"] = world.person("nobody")
    callers["other_company"] = enroll(client, "zed", accounts=1).admin
    callers["billing_system"] = world.billing
    callers["auditor"] = As(client, "inspector", Scope.AUDITOR)
    method = world.admin.post(
        f"/v1/companies/{world.cid}/payment-methods",
        json={"holder": "Acme", "bank_code": "021", "account_number": "12345678"},
    ).json()["payment_method_id"]
    return Scene(world, callers, world.issue(world.accounts[0]), method)


Call = Callable[[Scene, As], httpx.Response]


def _users_target(s: Scene) -> str:
    login = f"target{len(s.world.admin.seen)}"
    s.world.add_user(login, "VIEW_ONLY", s.a)
    return login


def _hand_over(s: Scene, caller: As) -> httpx.Response:
    response = caller.post(
        f"/v1/companies/{s.cid}/general-administrator", json={"login": "administrator"}
    )
    if response.status_code == 200:
        back = s.callers["ADMINISTRATOR"].post(
            f"/v1/companies/{s.cid}/general-administrator", json={"login": caller.login}
        )
        assert back.status_code == 200, back.text
    return response


def _add_account(s: Scene, caller: As) -> httpx.Response:
    key = new_account()
    body = invoice_body(key)
    assert s.world.billing.post("/v1/invoices", json=body).status_code == 201
    return caller.post(f"/v1/companies/{s.cid}/accounts", json=proven(key, body))


def _unenroll(s: Scene, caller: As) -> httpx.Response:
    b = s.world.accounts[1]
    body = {"accounts": [b], "reason": "PREFER_PAPER"}
    response = caller.post(f"/v1/companies/{s.cid}/unenrollment", json=body)
    if response.status_code == 200:
        again = s.world.admin.post(f"/v1/companies/{s.cid}/reenrollment", json={"accounts": [b]})
        assert again.status_code == 200, again.text
    return response


def _remove_method(s: Scene, caller: As) -> httpx.Response:
    body = {"holder": "Acme", "bank_code": "021", "account_number": "99998888"}
    made = s.world.admin.post(f"/v1/companies/{s.cid}/payment-methods", json=body)
    return caller.delete(
        f"/v1/companies/{s.cid}/payment-methods/{made.json()['payment_method_id']}"
    )


def _autopay_url(s: Scene) -> str:
    return f"/v1/companies/{s.cid}/accounts/{acct(s.a)}/autopay"


def _set_autopay(s: Scene, caller: As) -> httpx.Response:
    response = caller.put(_autopay_url(s), json={"days_before_due": 2})
    if response.status_code == 200:  # put back: later invoices must stay unpaid
        assert s.world.admin.delete(_autopay_url(s)).status_code == 204
    return response


def _cancel_autopay(s: Scene, caller: As) -> httpx.Response:
    assert s.world.admin.put(_autopay_url(s), json={"days_before_due": 3}).status_code == 200
    response = caller.delete(_autopay_url(s))
    if response.status_code != 204:
        assert s.world.admin.delete(_autopay_url(s)).status_code == 204
    return response


def _decide(s: Scene, caller: As) -> httpx.Response:
    invoice = s.fresh_invoice()
    asked = s.world.admin.post(
        f"/v1/invoices/{invoice}/adjustments",
        json={"reason": "twice", "lines": [{"tracking_number": "1Z001", "amount": "1.00"}]},
    )
    aid = asked.json()["adjustment_id"]
    return caller.post(
        f"/v1/invoices/{invoice}/adjustments/{aid}/decision", json={"approved": False}
    )


ROUTES: dict[str, Call] = {
    "POST /v1/companies": lambda _, c: c.post(
        "/v1/companies", json={"name": "X", "accounts": [proven(new_account(), invoice_body({}))]}
    ),
    "GET /v1/companies/{cid}": lambda s, c: c.get(f"/v1/companies/{s.cid}"),
    "PUT /v1/companies/{cid}": lambda s, c: c.put(
        f"/v1/companies/{s.cid}", json={"name": "Acme", "address": "1 Main St"}
    ),
    "GET /v1/companies/{cid}/users": lambda s, c: c.get(f"/v1/companies/{s.cid}/users"),
    "POST /v1/companies/{cid}/users": lambda s, c: c.post(
        f"/v1/companies/{s.cid}/users",
        json={
            "login": f"new{len(s.world.admin.seen)}{c.login}",
            "email": "n@acme.test",
            "name": "N",
            "role": "VIEW_ONLY",
            "accounts": [s.a],
        },
    ),
    "GET /v1/companies/{cid}/users/{login}": lambda s, c: c.get(
        f"/v1/companies/{s.cid}/users/view_only"
    ),
    "PUT /v1/companies/{cid}/users/{login}": lambda s, c: c.put(
        f"/v1/companies/{s.cid}/users/view_only",
        json={"email": "view_only@acme.test", "name": "View_Only"},
    ),
    "PUT /v1/companies/{cid}/users/{login}/role": lambda s, c: c.put(
        f"/v1/companies/{s.cid}/users/view_only/role", json={"role": "VIEW_ONLY"}
    ),
    "PUT /v1/companies/{cid}/users/{login}/accounts": lambda s, c: c.put(
        f"/v1/companies/{s.cid}/users/view_only/accounts", json={"accounts": [s.a]}
    ),
    "DELETE /v1/companies/{cid}/users/{login}": lambda s, c: c.delete(
        f"/v1/companies/{s.cid}/users/{_users_target(s)}", params={"confirm": "true"}
    ),
    "POST /v1/companies/{cid}/general-administrator": _hand_over,
    "GET /v1/me": lambda _, c: c.get("/v1/me"),
    "PUT /v1/me/notification-preferences": lambda _, c: c.put(
        "/v1/me/notification-preferences",
        json={"INVOICE_AVAILABLE": True, "PAYMENT_RECEIVED": True, "ADJUSTMENT_UPDATED": True},
    ),
    "GET /v1/companies/{cid}/payment-methods": lambda s, c: c.get(
        f"/v1/companies/{s.cid}/payment-methods"
    ),
    "POST /v1/companies/{cid}/payment-methods": lambda s, c: c.post(
        f"/v1/companies/{s.cid}/payment-methods",
        json={"holder": "Acme", "bank_code": "021", "account_number": "55554444"},
    ),
    "PUT /v1/companies/{cid}/payment-methods/{pmid}/default": lambda s, c: c.put(
        f"/v1/companies/{s.cid}/payment-methods/{s.method}/default"
    ),
    "DELETE /v1/companies/{cid}/payment-methods/{pmid}": _remove_method,
    "GET /v1/companies/{cid}/accounts": lambda s, c: c.get(f"/v1/companies/{s.cid}/accounts"),
    "POST /v1/companies/{cid}/accounts": _add_account,
    "POST /v1/companies/{cid}/unenrollment": _unenroll,
    "POST /v1/companies/{cid}/reenrollment": lambda s, c: c.post(
        f"/v1/companies/{s.cid}/reenrollment", json={}
    ),
    "PUT /v1/companies/{cid}/accounts/{acct}/autopay": _set_autopay,
    "DELETE /v1/companies/{cid}/accounts/{acct}/autopay": _cancel_autopay,
    "POST /v1/invoices": lambda s, c: c.post("/v1/invoices", json=invoice_body(s.a)),
    "GET /v1/companies/{cid}/invoices": lambda s, c: c.get(f"/v1/companies/{s.cid}/invoices"),
    "GET /v1/companies/{cid}/invoices/archive": lambda s, c: c.get(
        f"/v1/companies/{s.cid}/invoices/archive"
    ),
    "GET /v1/invoices/{iid}": lambda s, c: c.get(f"/v1/invoices/{s.invoice}"),
    "POST /v1/invoices/{iid}/payments": lambda s, c: c.post(
        f"/v1/invoices/{s.fresh_invoice()}/payments", json={}
    ),
    "POST /v1/invoices/{iid}/adjustments": lambda s, c: c.post(
        f"/v1/invoices/{s.fresh_invoice()}/adjustments",
        json={"reason": "twice", "lines": [{"tracking_number": "1Z002", "amount": "1.00"}]},
    ),
    "POST /v1/invoices/{iid}/adjustments/{aid}/decision": _decide,
}

# GA  ADM PM  VPA VP  VA  VO  none othr bill audit  route
MATRIX = """
409 409 409 409 409 409 409 422 409 403 403  POST /v1/companies
200 200 200 200 200 200 200 404 404 403 403  GET /v1/companies/{cid}
200 200 403 403 403 403 403 404 404 403 403  PUT /v1/companies/{cid}
200 200 200 403 403 403 403 404 404 403 403  GET /v1/companies/{cid}/users
201 201 201 403 403 403 403 404 404 403 403  POST /v1/companies/{cid}/users
200 200 200 403 403 403 200 404 404 403 403  GET /v1/companies/{cid}/users/{login}
200 200 200 403 403 403 403 404 404 403 403  PUT /v1/companies/{cid}/users/{login}
200 200 200 403 403 403 403 404 404 403 403  PUT /v1/companies/{cid}/users/{login}/role
200 200 200 403 403 403 403 404 404 403 403  PUT /v1/companies/{cid}/users/{login}/accounts
204 204 204 403 403 403 403 404 404 403 403  DELETE /v1/companies/{cid}/users/{login}
200 403 403 403 403 403 403 404 404 403 403  POST /v1/companies/{cid}/general-administrator
200 200 200 200 200 200 200 200 200 200 200  GET /v1/me
200 200 200 200 200 200 200 404 200 403 403  PUT /v1/me/notification-preferences
200 200 200 200 200 403 403 404 404 403 403  GET /v1/companies/{cid}/payment-methods
201 403 403 403 403 403 403 404 404 403 403  POST /v1/companies/{cid}/payment-methods
200 403 403 403 403 403 403 404 404 403 403  PUT /v1/companies/{cid}/payment-methods/{pmid}/default
204 403 403 403 403 403 403 404 404 403 403  DELETE /v1/companies/{cid}/payment-methods/{pmid}
200 200 200 200 200 200 200 404 404 403 403  GET /v1/companies/{cid}/accounts
201 201 403 403 403 403 403 404 404 403 403  POST /v1/companies/{cid}/accounts
200 403 403 403 403 403 403 404 404 403 403  POST /v1/companies/{cid}/unenrollment
200 200 403 403 403 403 403 404 404 403 403  POST /v1/companies/{cid}/reenrollment
200 200 200 200 200 403 403 404 404 403 403  PUT /v1/companies/{cid}/accounts/{acct}/autopay
204 204 204 204 204 403 403 404 404 403 403  DELETE /v1/companies/{cid}/accounts/{acct}/autopay
403 403 403 403 403 403 403 403 403 201 403  POST /v1/invoices
200 200 200 200 200 200 200 404 404 403 403  GET /v1/companies/{cid}/invoices
200 200 200 200 200 200 200 404 404 403 403  GET /v1/companies/{cid}/invoices/archive
200 200 200 200 200 200 200 404 404 403 403  GET /v1/invoices/{iid}
201 201 201 201 201 403 403 404 404 403 403  POST /v1/invoices/{iid}/payments
201 201 201 201 403 201 403 404 404 403 403  POST /v1/invoices/{iid}/adjustments
403 403 403 403 403 403 403 403 403 200 403  POST /v1/invoices/{iid}/adjustments/{aid}/decision
"""

EXPECTED: dict[str, tuple[int, ...]] = {
    " ".join(line.split()[11:]): tuple(int(x) for x in line.split()[:11])
    for line in MATRIX.strip().splitlines()
}
"""Route -> expected status per caller kind, in the order of CALLERS."""


def test_every_route_answers_every_kind_of_caller_as_the_matrix_says(api: TestClient) -> None:
    """R2-R11: one row per route, one column per caller kind; 403 names its rule."""
    scene = build(api)
    assert set(ROUTES) == set(EXPECTED)
    wrong: list[str] = []
    for route, statuses in EXPECTED.items():
        for caller, expected in zip(CALLERS, statuses, strict=True):
            response = ROUTES[route](scene, scene.callers[caller])
            if response.status_code != expected:
                wrong.append(f"{route} as {caller}: {response.status_code} {response.text[:160]}")
            elif expected == 403:
                assert response.json()["rule"], (route, caller)
    assert not wrong, "\n".join(wrong)
