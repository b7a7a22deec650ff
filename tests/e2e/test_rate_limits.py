"""Issue 17, API.md Values (limits): what an attacker can repeat is rate-limited per client:
token-less requests and console sign-ins per address, refused account proofs (A1) per
login and per address. Over the limit: 429 problem+json with `Retry-After`.

The limits are settings, set low here; each request says which address it comes from.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http.app import create_app
from api.settings import Settings
from tests.e2e.http import enroll, invoice_body, new_account, proven, settings_for, token

LOW = {
    "rate_limit_token_less": "3/minute",
    "rate_limit_sign_ins": "2/minute",
    "rate_limit_proofs": "2 per 15 minutes",
}
A, B, C = "192.0.2.1", "192.0.2.2", "198.51.100.3"


class FromAddress:
    """The network, faked: a request comes from the address in its `X-Test-Address`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            address = dict(scope["headers"]).get(b"x-test-address")
            if address:
                scope = {**scope, "client": (address.decode(), 4000)}
        await self.app(scope, receive, send)


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[TestClient]:
    settings = settings_for(f"sqlite:///{tmp_path / 'events.sqlite'}", str(tmp_path))
    app = FromAddress(create_app(settings.model_copy(update=LOW)))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _from(address: str, login: str | None = None) -> dict[str, str]:
    auth = {"Authorization": f"Bearer {token(login)}"} if login else {}
    return {"X-Test-Address": address, **auth}


def _too_many(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["status"] == 429


def test_token_less_requests_are_429_after_the_limit_per_address(limited: TestClient) -> None:
    for _ in range(3):
        assert limited.get("/v1/me", headers=_from(A)).status_code == 401
    _too_many(limited.get("/v1/me", headers=_from(A)))
    _too_many(limited.post("/v1/companies", headers=_from(A), content=b"{}"))
    assert limited.get("/v1/me", headers=_from(B)).status_code == 401


def test_health_and_requests_with_a_token_are_not_counted(limited: TestClient) -> None:
    for _ in range(5):
        assert limited.get("/health", headers=_from(A)).status_code == 200
        assert limited.get("/v1/me", headers=_from(A, "alice")).status_code != 429
    assert limited.get("/v1/me", headers=_from(A)).status_code == 401


def test_console_sign_ins_are_429_after_the_limit_per_address(limited: TestClient) -> None:
    def sign_in(address: str) -> httpx.Response:
        form = {"login": "hal"}
        return limited.post("/console/sign-in", data=form, headers=_from(address))

    for _ in range(2):
        assert sign_in(A).status_code != 429
    _too_many(sign_in(A))
    assert sign_in(B).status_code != 429


def _enroll_wrongly(client: TestClient, login: str, address: str) -> httpx.Response:
    """A1: an account proven with an invoice that was never issued."""
    key = new_account()
    body = {"name": "Nope", "accounts": [proven(key, invoice_body(key))]}
    return client.post("/v1/companies", json=body, headers=_from(address, login))


def test_wrong_proofs_are_429_after_the_limit_per_login(limited: TestClient) -> None:
    for _ in range(2):
        assert _enroll_wrongly(limited, "mallory", A).json()["rule"] == "A1"
    _too_many(_enroll_wrongly(limited, "mallory", B))
    assert _enroll_wrongly(limited, "trudy", C).status_code == 422


def test_wrong_proofs_are_429_after_the_limit_per_address(limited: TestClient) -> None:
    assert _enroll_wrongly(limited, "mallory", A).status_code == 422
    assert _enroll_wrongly(limited, "trudy", A).status_code == 422
    _too_many(_enroll_wrongly(limited, "oscar", A))
    assert _enroll_wrongly(limited, "peggy", B).status_code == 422


def test_proofs_that_match_are_not_counted(limited: TestClient) -> None:
    for admin in ("ann", "ben", "cat"):
        enroll(limited, admin, accounts=1)  # asserts 201 each time


def test_a_rate_limit_that_does_not_parse_refuses_to_start() -> None:
    with pytest.raises(ValidationError, match="rate_limit_proofs"):
        Settings(rate_limit_proofs="often")


def _csrf(page: httpx.Response) -> str:
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


def test_wrong_proofs_in_the_console_count_too(limited: TestClient) -> None:
    """The console enrolls through the API's route function: the same limit applies."""
    here = {**_from(C), "Origin": "http://testserver"}  # a browser's form post (issue 18)
    sign_in = {"csrf_token": _csrf(limited.get("/console/sign-in", headers=here)), "login": "eve"}
    limited.post("/console/sign-in", data=sign_in, headers=here)
    form = {"name": "Nope", "country_0": "US", "number_0": "Z9", "lob_0": "FREIGHT",
            "invoice_0": "X", "date_0": "2025-01-02", "amount_0": "1",
            "control_0": "C"}  # fmt: skip
    form["csrf_token"] = _csrf(limited.get("/console/enroll", headers=here))
    for _ in range(2):
        assert limited.post("/console/enroll", data=form, headers=here).status_code == 422
    _too_many(limited.post("/console/enroll", data=form, headers=here))
