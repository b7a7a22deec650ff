"""A company set up over real HTTP (httpx on loopback), for the reliability tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx

from api.tokens import Scope
from tests.e2e.http import Verbs, invoice_body, new_account, proven
from tests.reliability.service import bearer

OK = range(200, 300)


@dataclass
class Caller(Verbs):
    """Requests as one login (or service principal) through `client`."""

    client: httpx.Client
    login: str
    scope: Scope | None = None

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.login, self.scope)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)


def expect(response: httpx.Response, status: int) -> dict[str, Any]:
    """The JSON body of a response that must have `status`."""
    assert response.status_code == status, f"{response.status_code} {response.text[:300]}"
    body: dict[str, Any] = response.json() if response.content else {}
    return body


@dataclass
class Company:
    """A company enrolled over HTTP by `admin`, with the billing system beside it."""

    client: httpx.Client
    cid: str
    admin: Caller
    billing: Caller
    accounts: list[dict[str, str]]
    positions: list[int] = field(default_factory=lambda: [0])

    def person(self, login: str) -> Caller:
        return Caller(self.client, login)

    def wrote(self, response: httpx.Response) -> httpx.Response:
        if "X-Position" in response.headers:
            self.positions.append(int(response.headers["X-Position"]))
        return response

    @property
    def seen(self) -> dict[str, int]:
        """`min_position` of the last write, to read it back."""
        return {"min_position": max(self.positions)}

    def add_user(self, login: str, role: str, *accounts: dict[str, str]) -> Caller:
        body = {"login": login, "email": f"{login}@acme.test", "name": login.title(),
                "role": role, "accounts": list(accounts)}  # fmt: skip
        expect(self.wrote(self.admin.post(f"/v1/companies/{self.cid}/users", json=body)), 201)
        return self.person(login)

    def issue(self, account: dict[str, str], **extra: Any) -> str:
        body = invoice_body(account, **extra)
        response = self.wrote(self.billing.post("/v1/invoices", json=body))
        invoice_id: str = expect(response, 201)["invoice_id"]
        return invoice_id

    def add_method(self, number: str = "12345678") -> str:
        body = {"holder": "Acme", "bank_code": "021", "account_number": number}
        url = f"/v1/companies/{self.cid}/payment-methods"
        response = self.wrote(self.admin.post(url, json=body))
        method: str = expect(response, 201)["payment_method_id"]
        return method


def proof_for(billing: Caller, account: dict[str, str] | None = None) -> dict[str, Any]:
    """I1 then A1: an invoice of a (new) account, and the account proven with it."""
    key = account or new_account()
    body = invoice_body(key)
    expect(billing.post("/v1/invoices", json=body), 201)
    return proven(key, body)


def enroll(client: httpx.Client, admin: str = "alice", accounts: int = 2) -> Company:
    """R1: `admin` enrolls a company with `accounts` proven accounts."""
    billing = Caller(client, "ledger", Scope.BILLING_SYSTEM)
    proofs = [proof_for(billing) for _ in range(accounts)]
    keys = [{"country": p["country"], "number": p["number"]} for p in proofs]
    person = Caller(client, admin)
    response = person.post("/v1/companies", json={"name": f"{admin} Co", "accounts": proofs})
    body = expect(response, 201)
    return Company(client, body["company_id"], person, billing, keys, [body["position"]])
