"""API.md Identity: HS256 bearer tokens only, with the configured secret; everything else 401."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.http.app import create_app
from api.settings import SettingsError
from tests.e2e.http import SECRET, running, settings_for, token


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("identity")
    with running("memory://", str(tmp)) as app:
        yield app


def _signed(claims: dict[str, Any], secret: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def _me(client: TestClient, bearer: str) -> Any:
    return client.get("/v1/me", headers={"Authorization": f"Bearer {bearer}"})


def _valid(**extra: Any) -> dict[str, Any]:
    return {"sub": "alice", "exp": int(time.time()) + 600, **extra}


def test_a_valid_token_names_the_caller(client: TestClient) -> None:
    response = _me(client, token("alice"))
    assert response.status_code == 200
    assert response.json()["login"] == "alice"
    assert response.headers["Cache-Control"] == "no-store"


def test_no_token_is_401_with_a_bearer_challenge(client: TestClient) -> None:
    response = client.get("/v1/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["Content-Type"] == "application/problem+json"


def test_another_scheme_is_401(client: TestClient) -> None:
    response = client.get("/v1/me", headers={"Authorization": f"Basic {token('alice')}"})
    assert response.status_code == 401


def test_alg_none_is_401(client: TestClient) -> None:
    unsigned = jwt.encode(_valid(), None, algorithm="none")  # type: ignore[arg-type]
    assert _me(client, unsigned).status_code == 401


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # signed so on purpose
def test_another_algorithm_is_401(client: TestClient) -> None:
    assert _me(client, _signed(_valid(), algorithm="HS512")).status_code == 401


def test_another_secret_is_401(client: TestClient) -> None:
    other = "another-secret-of-at-least-thirty-two-bytes"
    assert _me(client, _signed(_valid(), secret=other)).status_code == 401


def test_an_expired_token_is_401(client: TestClient) -> None:
    assert _me(client, _signed(_valid(exp=int(time.time()) - 60))).status_code == 401


@pytest.mark.parametrize("claim", ["sub", "exp"])
def test_a_token_without_sub_or_exp_is_401(client: TestClient, claim: str) -> None:
    claims = _valid()
    del claims[claim]
    assert _me(client, _signed(claims)).status_code == 401


def test_a_sub_over_128_characters_is_401(client: TestClient) -> None:
    assert _me(client, _signed(_valid(sub="a" * 129))).status_code == 401
    assert _me(client, _signed(_valid(sub="a" * 128))).status_code == 200


def test_a_token_over_8_kb_is_401(client: TestClient) -> None:
    assert _me(client, _signed(_valid(pad="x" * 8200))).status_code == 401


def test_a_garbage_token_is_401(client: TestClient) -> None:
    assert _me(client, "not.a.jwt").status_code == 401


def test_a_known_scope_makes_a_service_principal(client: TestClient) -> None:
    response = _me(client, _signed(_valid(sub="ledger", scope="billing-system")))
    assert response.json()["scope"] == "billing-system"


@pytest.mark.parametrize("scope", ["Billing-System", "billing-system ", "admin", 7, ["auditor"]])
def test_any_other_scope_is_no_scope(client: TestClient, scope: object) -> None:
    response = _me(client, _signed(_valid(scope=scope)))
    assert response.status_code == 200
    assert response.json()["scope"] is None


def test_the_service_refuses_to_start_with_a_short_secret(tmp_path: Path) -> None:
    settings = settings_for("memory://", str(tmp_path)).model_copy(
        update={"jwt_secret": SecretStr("short")}
    )
    with pytest.raises(SettingsError):
        create_app(settings)


def test_no_server_version_and_nosniff_everywhere(client: TestClient) -> None:
    response = client.get("/health")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "server" not in response.headers


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/v1/companies/{cid}/invoices" in schema["paths"]
    assert client.get("/docs").status_code == 200
