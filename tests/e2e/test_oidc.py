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
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from api.http.app import create_app
from tests.e2e.http import settings_for, token

AUDIENCE = "billing-center"


@dataclass
class Issuer:
    """A minimal OIDC issuer: a discovery document and a JWKS, keys rotated at will."""

    url: str = ""
    published: dict[str, dict[str, Any]] = field(default_factory=dict)
    private: dict[str, Any] = field(default_factory=dict)
    jwks_fetches: int = 0

    def add_key(self, kid: str, kind: str = "RS256") -> None:
        if kind == "RS256":
            key: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        elif kind == "ES256":
            key = ec.generate_private_key(ec.SECP256R1())
            jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
        else:
            key = ed25519.Ed25519PrivateKey.generate()
            jwk = OKPAlgorithm.to_jwk(key.public_key(), as_dict=True)
        self.private[kid] = (kind, key)
        self.published[kid] = {**jwk, "kid": kid, "use": "sig", "alg": kind}

    def rotate(self, kid: str) -> None:
        """Publish only `kid` from now on (a fresh RS256 key)."""
        self.add_key(kid)
        self.published = {kid: self.published[kid]}

    def sign(self, kid: str, login: str = "carol", **claims: Any) -> str:
        kind, key = self.private[kid]
        now = int(time.time())
        body = {"iss": self.url, "aud": AUDIENCE, "sub": login, "iat": now, "exp": now + 300,
                **claims}  # fmt: skip
        return jwt.encode(body, key, algorithm=kind, headers={"kid": kid})

    def public_pem(self, kid: str) -> bytes:
        pem: bytes = (
            self.private[kid][1]
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        return pem


def _handler(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                body: dict[str, Any] = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks"}
            elif self.path == "/jwks":
                issuer.jwks_fetches += 1
                body = {"keys": list(issuer.published.values())}
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    found = Issuer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    found.url = f"http://127.0.0.1:{server.server_address[1]}"
    found.add_key("k1")
    found.add_key("ec1", "ES256")
    found.add_key("ed1", "EdDSA")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()


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
