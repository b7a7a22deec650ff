"""OpenID Connect (issue 22, API.md "Identity providers"): the configured issuer's tokens.

Keys come from the issuer's JWKS (its discovery document's `jwks_uri`, or
`BILLING_JWKS_URL`) through PyJWT's `PyJWKClient`: the key set is cached, an unknown `kid`
refreshes it at most once a minute (`cooldown_duration`), never once per request. Only
RS256, ES256 and EdDSA are accepted; `iss` must equal the issuer, `aud` must contain the
audience, `exp` is required (and no further ahead than the longest lifetime). The login is
the claim `BILLING_OIDC_LOGIN_CLAIM` names (default `sub`); a service principal's `scope`
is OAuth's, space-separated, holding `billing-system` or `auditor`.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
import urllib.request
from typing import Any

import jwt

from api.identity import MAX_SUB_CHARS, TokenRules, Unauthenticated
from api.settings import Settings
from domain.caller import Scope
from domain.errors import InvalidInput
from domain.text import login

ALGORITHMS = ["RS256", "ES256", "EdDSA"]
REFRESH_SECONDS = 60.0
"""An unknown `kid` refreshes the key set at most this often."""
KEY_SET_LIFETIME_SECONDS = 3600.0
FETCH_TIMEOUT_SECONDS = 10.0


class OidcVerifier:
    """The claims of the issuer's token, `sub` the login and `scope` one principal or none."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        *,
        jwks_url: str | None = None,
        login_claim: str = "sub",
        rules: TokenRules | None = None,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.login_claim = login_claim
        self._jwks_url = jwks_url
        self._rules = rules or TokenRules()
        self._refresh = refresh_seconds
        self._client: jwt.PyJWKClient | None = None
        self._lock = threading.Lock()

    def __call__(self, token: str) -> dict[str, Any]:
        return self._claims(token, self.audience)

    def id_token(self, token: str, *, nonce: str, audience: str) -> dict[str, Any]:
        """The claims of an ID token the issuer gave the console (`audience`: its client id),
        whose `nonce` must be the one the sign-in sent (OpenID Connect Core 3.1.3.7)."""
        claims = self._claims(token, audience)
        sent = claims.get("nonce")
        if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), nonce.encode()):
            raise Unauthenticated("the ID token's nonce is not this sign-in's")
        return claims

    def _claims(self, token: str, audience: str) -> dict[str, Any]:
        try:
            key = self._keys().get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=ALGORITHMS, issuer=self.issuer,
                audience=audience, options={"require": ["exp", "iss", "aud"]},
            )  # fmt: skip
        except (jwt.PyJWTError, ValueError, TypeError, OSError):
            raise Unauthenticated("the token is invalid, expired or not the issuer's") from None
        self._rules.check(claims, time.time())
        return {**claims, "sub": self._login(claims), "scope": service_scope(claims.get("scope"))}

    def _login(self, claims: dict[str, Any]) -> str:
        value = claims.get(self.login_claim)
        if not isinstance(value, str) or not 0 < len(value) <= MAX_SUB_CHARS:
            raise Unauthenticated(f"the token's {self.login_claim} is not a login")
        try:
            return login(value, rule=None)
        except InvalidInput as error:
            raise Unauthenticated(f"the token's {self.login_claim}: {error.detail}") from None

    def _keys(self) -> jwt.PyJWKClient:
        with self._lock:
            if self._client is None:
                url = self._jwks_url or discover_jwks_url(self.issuer)
                self._client = jwt.PyJWKClient(
                    url, cache_jwk_set=True, lifespan=KEY_SET_LIFETIME_SECONDS,
                    timeout=FETCH_TIMEOUT_SECONDS, cooldown_duration=self._refresh,
                )  # fmt: skip
            return self._client


def service_scope(scope: object) -> str | None:
    """OAuth's `scope` (space-separated) naming exactly one service principal, else none."""
    if not isinstance(scope, str):
        return None
    named = {s.value for s in Scope} & set(scope.split())
    return named.pop() if len(named) == 1 else None


def discover_jwks_url(issuer: str) -> str:
    """The `jwks_uri` of the issuer's discovery document (whose `issuer` must be it)."""
    return endpoint(discovery(issuer), "jwks_uri")


def discovery(issuer: str) -> dict[str, Any]:
    """The issuer's discovery document, whose `issuer` must be it."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:
        document = json.load(response)
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise Unauthenticated("the issuer's discovery document names another issuer")
    return document


def endpoint(document: dict[str, Any], name: str) -> str:
    """The URL `name` (`jwks_uri`, `authorization_endpoint`, ...) of a discovery document."""
    url = document.get(name)
    if not isinstance(url, str) or not url:
        raise Unauthenticated(f"the issuer's discovery document has no {name}")
    return url


def oidc_verifier(settings: Settings) -> OidcVerifier | None:
    """The verifier of the configured issuer, or None when none is configured."""
    if not settings.oidc_issuer:
        return None
    return OidcVerifier(
        settings.oidc_issuer,
        settings.oidc_audience or settings.oidc_issuer,
        jwks_url=settings.jwks_url,
        login_claim=settings.oidc_login_claim,
        rules=TokenRules(settings.token_max_lifetime_seconds),
    )
