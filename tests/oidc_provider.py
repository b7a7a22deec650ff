"""A minimal OpenID Connect provider for the tests (issue 22): a real HTTP server on loopback
serving a discovery document and a JWKS (keys rotated at will), an `/authorize` that sends
the browser back with a code (or with `error=access_denied`), and a `/token` that checks the
code, the client, the redirect URI and the PKCE verifier (S256) before it answers an ID token
carrying the sign-in's `nonce`."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

AUDIENCE = "billing-center"
"""The audience of the issuer's access tokens, and the console's client id."""


@dataclass
class Grant:
    """What an `/authorize` request asked, kept under the code it was answered with."""

    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str
    login: str


@dataclass
class Issuer:
    """The provider's state: its keys, who signs in next, and what it was asked."""

    url: str = ""
    published: dict[str, dict[str, Any]] = field(default_factory=dict)
    private: dict[str, Any] = field(default_factory=dict)
    jwks_fetches: int = 0
    jwks_gate: threading.Event | None = None
    """When given, `/jwks` answers only once it is set (an issuer that hangs)."""
    jwks_waiting: int = 0
    """How many `/jwks` requests are waiting at the gate."""
    login: str = "carol"
    """Who the next `/authorize` signs in (the person at the provider's login page)."""
    deny: bool = False
    """`/authorize` answers `error=access_denied`, as when the person cancels."""
    login_page: bool = False
    """`/authorize` shows a page whose link the person follows back (a browser then comes
    back from the provider's own site, as after a real login form), instead of a 302."""
    id_token_claims: dict[str, Any] = field(default_factory=dict)
    """Claims the next ID tokens carry instead of the right ones (to forge a bad one)."""
    grants: dict[str, Grant] = field(default_factory=dict)
    authorize_queries: list[dict[str, str]] = field(default_factory=list)
    token_refusals: list[str] = field(default_factory=list)

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

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "jwks_uri": f"{self.url}/jwks",
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
        }

    def authorize(self, query: dict[str, str]) -> str:
        """Where `/authorize` sends the browser: back with a code, or with an error."""
        self.authorize_queries.append(query)
        back = query.get("redirect_uri", "")
        state = {"state": query["state"]} if "state" in query else {}
        if self.deny:
            return f"{back}?{urlencode({'error': 'access_denied', **state})}"
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
            return f"{back}?{urlencode({'error': 'invalid_request', **state})}"
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(
            query.get("client_id", ""), back, query.get("code_challenge", ""),
            query.get("nonce", ""), self.login,
        )  # fmt: skip
        return f"{back}?{urlencode({'code': code, **state})}"

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The token endpoint: a code once, for its client, redirect URI and verifier."""
        grant = self.grants.pop(form.get("code", ""), None)
        refusal = _refusal(grant, form)
        if refusal or grant is None:
            self.token_refusals.append(refusal)
            return 400, {"error": "invalid_grant", "error_description": refusal}
        claims = {"nonce": grant.nonce, "email": f"{grant.login}@acme.test",
                  "name": grant.login.title(), "preferred_username": grant.login}  # fmt: skip
        id_token = self.sign("k1", grant.login, **{"aud": grant.client_id, **claims,
                                                   **self.id_token_claims})  # fmt: skip
        access = self.sign("k1", grant.login)
        return 200, {"access_token": access, "token_type": "Bearer", "expires_in": 300,
                     "id_token": id_token}  # fmt: skip


def _refusal(grant: Grant | None, form: dict[str, str]) -> str:
    if grant is None or form.get("grant_type") != "authorization_code":
        return "unknown or used code"
    if form.get("client_id") != grant.client_id or form.get("redirect_uri") != grant.redirect_uri:
        return "another client or redirect URI"
    digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
    if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
        return "the PKCE verifier does not match the challenge"
    return ""


def _handler(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            if path == "/.well-known/openid-configuration":
                self._json(200, issuer.discovery())
            elif path == "/jwks":
                issuer.jwks_fetches += 1
                if issuer.jwks_gate is not None:
                    issuer.jwks_waiting += 1
                    issuer.jwks_gate.wait(timeout=30)
                self._json(200, {"keys": list(issuer.published.values())})
            elif path == "/authorize":
                self._back(issuer.authorize(dict(parse_qsl(query))))
            else:
                self.send_error(404)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode()))
            if self.path != "/token":
                self.send_error(404)
                return
            self._json(*issuer.token(form))

        def _back(self, location: str) -> None:
            if not issuer.login_page:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            page = (
                '<!doctype html><html lang="en"><head><title>Test provider</title></head>'
                f'<body><main><h1>Test provider</h1><a id="approve" href="{html.escape(location)}">'
                f"Sign in as {html.escape(issuer.login)}</a></main></body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_issuer(host: str = "127.0.0.1") -> Iterator[Issuer]:
    """The provider on a free loopback port, named by `host` in its URLs (`localhost` makes it
    another site than a console at 127.0.0.1, as a real identity provider is)."""
    found = Issuer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    found.url = f"http://{host}:{server.server_address[1]}"
    found.add_key("k1")
    found.add_key("ec1", "ES256")
    found.add_key("ed1", "EdDSA")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def query_of(url: str) -> dict[str, str]:
    """The query parameters of a URL."""
    return dict(parse_qsl(urlsplit(url).query))
