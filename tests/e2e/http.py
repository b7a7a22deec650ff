"""Helpers for the HTTP tests: an app on a throwaway store, callers with tokens, a story."""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.http.app import create_app
from api.settings import Settings
from api.tokens import Scope, issue_token
from tests.postgres import PostgresServer

SECRET = "e2e-test-secret-of-at-least-thirty-two-bytes!"
TODAY = datetime.now(UTC).date()
_numbers = count(1)


def settings_for(store_url: str, tmp: str) -> Settings:
    """Settings on `store_url` with a known secret and a data key under `tmp`."""
    return Settings(
        env="development",  # creates the data key under `tmp`; the secret is given
        database_url=store_url,
        jwt_secret=SecretStr(SECRET),
        data_key=Path(tmp) / "keys" / "data.key",
        export_key=Path(tmp) / "keys" / "export.pem",
    )


def store_url_of(request: pytest.FixtureRequest, tmp: Path) -> str:
    """A new store for a fixture parametrized by backend: "sqlite" in `tmp`, else a fresh
    database of the suite's PostgreSQL server, a copy of the app's empty schema."""
    if request.param == "sqlite":
        return on_template(f"sqlite:///{tmp / 'events.sqlite'}", request)
    server: PostgresServer = request.getfixturevalue("postgres_instance")
    return server.create_database(template=request.getfixturevalue("app_template"))


def on_template(url: str, request: pytest.FixtureRequest) -> str:
    """`url`, its SQLite file first made a copy of `sqlite_template` (PostgreSQL databases of
    this folder are copies of `app_template` already; memory stays empty)."""
    if url.startswith("sqlite:///"):
        shutil.copyfile(request.getfixturevalue("sqlite_template"), url[len("sqlite:///") :])
    return url


@contextmanager
def running(store_url: str, tmp: str, **overrides: Any) -> Iterator[TestClient]:
    """A TestClient on a started app (projections running), settings changed by `overrides`."""
    settings = settings_for(store_url, tmp).model_copy(update=overrides)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def token(login: str, scope: Scope | None = None, **claims: str) -> str:
    """A valid token for `login`."""
    return issue_token(SECRET, login, scope=scope, **claims)  # type: ignore[arg-type]


class Verbs(ABC):
    """get, post, put and delete as `request` with its method; the class says how to request."""

    @abstractmethod
    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response: ...

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)


@dataclass
class As(Verbs):
    """Requests made as one caller; reads wait for the caller's last write (min_position)."""

    client: TestClient
    login: str
    scope: Scope | None = None
    seen: list[int] = field(default_factory=lambda: [0])

    @property
    def headers(self) -> dict[str, str]:
        profile = (
            {} if self.scope else {"email": f"{self.login}@acme.test", "name": self.login.title()}
        )
        return {"Authorization": f"Bearer {token(self.login, self.scope, **profile)}"}

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if method == "GET":
            params = dict(kwargs.pop("params", {}))
            params.setdefault("min_position", max(self.seen))
            kwargs["params"] = params
        response = self.client.request(method, url, headers=headers, **kwargs)
        if "X-Position" in response.headers:
            self.seen.append(int(response.headers["X-Position"]))
        return response


def problem(response: httpx.Response, status: int, rule: str | None) -> dict[str, Any]:
    """The problem+json body of a refusal that must have `status` and name `rule` (or none)."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body.get("rule") == rule, body
    return body


def new_account() -> dict[str, str]:
    """A fresh account key, unique in this test process."""
    return {"country": "US", "number": f"A{next(_numbers):07d}"}


def invoice_body(
    account: dict[str, str], amount: str = "120.50", issued: date = TODAY, **extra: Any
) -> dict[str, Any]:
    """I1: an invoice of `account` with two lines."""
    number = extra.pop("invoice_number", f"INV-{next(_numbers)}")
    half = f"{float(amount) / 2:.2f}"
    rest = f"{float(amount) - float(half):.2f}"
    return {
        "account": account,
        "invoice_number": number,
        "control_id": f"C-{number}",
        "issue_date": issued.isoformat(),
        "due_date": (issued + timedelta(days=30)).isoformat(),
        "currency": "USD",
        "amount": amount,
        "lines": [
            {"tracking_number": "1Z001", "description": "Ground", "amount": half},
            {"tracking_number": "1Z002", "description": "Air", "amount": rest},
        ],
        **extra,
    }


def proven(account: dict[str, str], invoice: dict[str, Any]) -> dict[str, Any]:
    """A1: an account to add, proven with `invoice`."""
    return {
        **account,
        "line_of_business": "PACKAGE",
        "account_type": "INDIVIDUAL",
        "proof": {
            "invoice_number": invoice["invoice_number"],
            "invoice_date": invoice["issue_date"],
            "amount": invoice["amount"],
            "control_id": invoice["control_id"],
        },
    }


def acct(account: dict[str, str]) -> str:
    """An account as a path segment."""
    return f"{account['country']}-{account['number']}"


@dataclass
class World:
    """A company enrolled by `admin` with accounts, and the billing system."""

    client: TestClient
    cid: str
    admin: As
    billing: As
    accounts: list[dict[str, str]]
    invoices: dict[str, str] = field(default_factory=dict)

    def person(self, login: str) -> As:
        return As(self.client, login, seen=self.admin.seen)

    def add_user(self, login: str, role: str, *accounts: dict[str, str]) -> As:
        body = {"login": login, "email": f"{login}@acme.test", "name": login.title(),
                "role": role, "accounts": list(accounts)}  # fmt: skip
        response = self.admin.post(f"/v1/companies/{self.cid}/users", json=body)
        assert response.status_code == 201, response.text
        return self.person(login)

    def issue(self, account: dict[str, str], **extra: Any) -> str:
        response = self.billing.post("/v1/invoices", json=invoice_body(account, **extra))
        assert response.status_code == 201, response.text
        invoice_id: str = response.json()["invoice_id"]
        return invoice_id

    def issue_on_paper(self, account: dict[str, str], **extra: Any) -> str:
        """A6: `account` unenrolled (PREFER_PAPER), billed meanwhile, re-enrolled; the invoice."""
        body = {"accounts": [account], "reason": "PREFER_PAPER"}
        gone = self.admin.post(f"/v1/companies/{self.cid}/unenrollment", json=body)
        assert gone.status_code == 200, gone.text
        invoice_id = self.issue(account, **extra)
        back = self.admin.post(
            f"/v1/companies/{self.cid}/reenrollment", json={"accounts": [account]}
        )
        assert back.status_code == 200, back.text
        return invoice_id


def enroll(
    client: TestClient, admin: str = "alice", accounts: int = 2, *, projected: bool = True
) -> World:
    """R1: `admin` enrolls a company with `accounts` proven accounts; `projected`: once the
    read models hold it (a service whose projections run elsewhere answers it later)."""
    billing = As(client, "ledger", Scope.BILLING_SYSTEM)
    keys = [new_account() for _ in range(accounts)]
    bodies = [invoice_body(k) for k in keys]
    for body in bodies:
        assert billing.post("/v1/invoices", json=body).status_code == 201
    person = As(client, admin, seen=billing.seen)
    enrollment = {
        "name": "Acme",
        "accounts": [proven(k, b) for k, b in zip(keys, bodies, strict=True)],
    }
    response = person.post("/v1/companies", json=enrollment)
    assert response.status_code == 201, response.text
    # The read models have the company before any caller without `min_position` (a console
    # session) reads it: live pages are paced under sustained writes (issue 20).
    assert not projected or person.get("/v1/me").status_code == 200
    return World(client, response.json()["company_id"], person, billing, keys)


def csrf_of(html: str) -> str:
    """The CSRF token of a console page's forms."""
    return html.split('name="csrf_token" value="')[1].split('"', maxsplit=1)[0]
