"""OpenID Connect (issue 22 item 1): the configured issuer's RS256/ES256/EdDSA tokens,
verified against its JWKS served by a real local HTTP server (discovery document and key
set), with a key rotation mid-run, a key the issuer no longer publishes, `alg` confusion,
another issuer and another audience; HS256 development tokens keep working."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.hop import REQUEST_THREADS
from tests.e2e.http import settings_for, token
from tests.oidc_provider import AUDIENCE, Issuer, running_issuer


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    with running_issuer() as found:
        yield found


def service(issuer: Issuer, tmp_path: Path, **extra: Any) -> TestClient:
    settings = settings_for("memory://", str(tmp_path)).model_copy(
        update={"oidc_issuer": issuer.url, "oidc_audience": AUDIENCE, **extra}
    )
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture
def api(issuer: Issuer, tmp_path: Path) -> Iterator[TestClient]:
    with service(issuer, tmp_path) as client:
        yield client


def me(api: TestClient, bearer: str) -> tuple[int, dict[str, Any]]:
    response = api.get("/v1/me", headers={"Authorization": f"Bearer {bearer}"})
    return response.status_code, response.json()


@pytest.mark.parametrize("kid", ["k1", "ec1", "ed1"])
def test_the_issuers_rs256_es256_and_eddsa_tokens_are_accepted(
    api: TestClient, issuer: Issuer, kid: str
) -> None:
    status, body = me(api, issuer.sign(kid, "Carol"))
    assert status == 200, body
    assert body["login"] == "carol"


def test_development_tokens_keep_working_beside_the_issuer(api: TestClient) -> None:
    assert me(api, token("dave"))[1]["login"] == "dave"


def test_the_key_set_is_fetched_once_not_per_request(api: TestClient, issuer: Issuer) -> None:
    for _ in range(5):
        assert me(api, issuer.sign("k1"))[0] == 200
    assert issuer.jwks_fetches == 1


def test_a_rotated_key_is_fetched_at_most_once_a_minute(api: TestClient, issuer: Issuer) -> None:
    issuer.add_key("unknown-kid")
    del issuer.published["unknown-kid"]  # a key the issuer never publishes
    assert me(api, issuer.sign("k1"))[0] == 200
    issuer.rotate("k2")
    fresh = issuer.sign("k2")
    assert me(api, fresh)[0] == 401  # within a minute of the last fetch: no refresh
    assert me(api, issuer.sign("unknown-kid"))[0] == 401
    assert issuer.jwks_fetches == 1
    client = api.app.state.identity.oidc._keys()  # type: ignore[attr-defined]
    client._last_successful_fetch -= 61  # a minute passes (PyJWKClient's own clock)
    assert me(api, fresh)[0] == 200
    assert issuer.jwks_fetches == 2
    assert me(api, issuer.sign("unknown-kid"))[0] == 401
    assert issuer.jwks_fetches == 2


def test_an_issuer_that_hangs_holds_none_of_the_threads_that_answer_the_routes(
    api: TestClient, issuer: Issuer
) -> None:
    """More requests than there are request threads wait for a key set the issuer does not
    send (a rotated key, fetched in the threads that call out): every other request is still
    answered meanwhile, and they are too once the issuer answers."""
    assert me(api, issuer.sign("k1"))[0] == 200
    issuer.rotate("k2")
    client = api.app.state.identity.oidc._keys()  # type: ignore[attr-defined]
    client._last_successful_fetch -= 61  # a minute passes: the new kid may be fetched
    issuer.jwks_gate = gate = threading.Event()
    rotated = issuer.sign("k2")
    with ThreadPoolExecutor(REQUEST_THREADS + 2) as pool:
        try:
            hanging = [pool.submit(me, api, rotated) for _ in range(REQUEST_THREADS + 1)]
            deadline = time.monotonic() + 10
            while issuer.jwks_waiting == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert issuer.jwks_waiting, "the key set was never asked for"
            answered = pool.submit(me, api, token("dave")).result(timeout=10)
            assert answered[0] == 200
            assert not any(f.done() for f in hanging), "the issuer has not answered yet"
        finally:
            gate.set()
        assert [f.result(timeout=30)[0] for f in hanging] == [200] * (REQUEST_THREADS + 1)


def test_a_key_the_issuer_no_longer_publishes_is_refused(api: TestClient, issuer: Issuer) -> None:
    old = issuer.sign("k1")
    issuer.rotate("k2")
    assert me(api, issuer.sign("k2"))[0] == 200
    assert me(api, old)[0] == 401


def test_an_expired_token_is_refused(api: TestClient, issuer: Issuer) -> None:
    past = int(time.time()) - 600
    assert me(api, issuer.sign("k1", iat=past, exp=past + 60))[0] == 401


def test_another_issuer_is_refused(api: TestClient, issuer: Issuer) -> None:
    assert me(api, issuer.sign("k1", iss="https://evil.example"))[0] == 401


def test_another_audience_is_refused(api: TestClient, issuer: Issuer) -> None:
    assert me(api, issuer.sign("k1", aud="someone-else"))[0] == 401


def test_alg_confusion_hs256_signed_with_the_public_key_is_refused(
    api: TestClient, issuer: Issuer
) -> None:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    now = int(time.time())
    claims = {"iss": issuer.url, "aud": AUDIENCE, "sub": "mallory", "exp": now + 300}
    payload = b64(json.dumps(claims).encode())
    mac = hmac.new(issuer.public_pem("k1"), f"{header}.{payload}".encode(), hashlib.sha256)
    forged = f"{header}.{payload}.{b64(mac.digest())}"
    assert me(api, forged)[0] == 401
    for alg in ("none", "HS512"):
        other = b64(json.dumps({"alg": alg, "kid": "k1"}).encode())
        assert me(api, f"{other}.{payload}.")[0] == 401


def test_oauth_scopes_name_a_service_principal(api: TestClient, issuer: Issuer) -> None:
    status, body = me(api, issuer.sign("k1", "ledger", scope="openid billing-system"))
    assert status == 200, body
    assert body["scope"] == "billing-system"
    assert me(api, issuer.sign("k1", "x", scope="openid profile"))[1].get("scope") is None


def test_the_login_claim_is_configurable(issuer: Issuer, tmp_path: Path) -> None:
    with service(issuer, tmp_path, oidc_login_claim="preferred_username") as client:
        signed = issuer.sign("k1", "opaque-id-123", preferred_username="Erin")
        status, body = me(client, signed)
    assert status == 200, body
    assert body["login"] == "erin"


def test_a_jwks_url_replaces_discovery(issuer: Issuer, tmp_path: Path) -> None:
    with service(issuer, tmp_path, jwks_url=f"{issuer.url}/jwks") as client:
        assert me(client, issuer.sign("k1"))[0] == 200


def test_a_key_login_is_refused_from_the_issuer_too(api: TestClient, issuer: Issuer) -> None:
    assert me(api, issuer.sign("k1", "key:" + "0" * 32))[0] == 401
