"""Who is calling, for every way in (the API's bearer header, the console's session
cookie): tokens to callers (API.md, Identity): HS256 only, with the configured secret.

No token, a malformed one, another algorithm (`none` included), another secret, an
expired one, one without `sub` or `exp`, one whose `exp` is further ahead than the longest
lifetime (24 h unless `BILLING_TOKEN_MAX_LIFETIME_SECONDS`), another `iss` or `aud` than
configured (`BILLING_JWT_ISSUER`, `BILLING_JWT_AUDIENCE`; not checked when not configured),
a `sub` over 128 characters or outside the login rule (domain/text.py), or a token over
8 KB: all refused alike (401). The `sub` is NFKC-casefolded as every login is, so `Bob` and
`bob` are one caller. `scope` counts only when it is exactly one of the two service
principals; any other value is no scope.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt

from api.correlation import fresh_correlation_id
from api.settings import Settings
from domain.caller import Caller, Scope
from domain.errors import InvalidInput
from domain.text import USER_NAME, email, login

MAX_TOKEN_BYTES = 8 * 1024
MAX_SUB_CHARS = 128
ALGORITHMS = ["HS256"]
SESSION_COOKIE = "bc_session"
"""The console's cookie holding the caller's token (api/web/session.py)."""
VERIFIED_TOKENS = 4096
"""Tokens whose signature was checked, kept (LRU) so a client's next requests skip it."""
DEFAULT_MAX_LIFETIME_SECONDS = 24 * 3600
"""A token valid for longer is refused: a leaked one must not work for weeks (issue 18)."""
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SCOPES = {scope.value: scope for scope in Scope}


class Unauthenticated(Exception):
    """No bearer token, or one the service does not accept (401)."""

    def __init__(self, detail: str, *, token_given: bool = True) -> None:
        super().__init__(detail)
        self.detail = detail
        self.token_given = token_given


@dataclass(frozen=True)
class TokenRules:
    """What a token's claims must say beyond its signature (issue 18)."""

    max_lifetime_seconds: int = DEFAULT_MAX_LIFETIME_SECONDS
    issuer: str | None = None
    audience: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> TokenRules:
        """The rules the settings configure."""
        return cls(settings.token_max_lifetime_seconds, settings.jwt_issuer, settings.jwt_audience)

    def check(self, claims: dict[str, Any], now: float) -> None:
        """Refuse claims that expire, have expired, or name another issuer or audience."""
        exp = int(claims["exp"])
        if not now < exp <= now + self.max_lifetime_seconds:
            raise Unauthenticated("the token is invalid, expired or valid for too long")
        if self.issuer is not None and claims.get("iss") != self.issuer:
            raise Unauthenticated("the token is from another issuer")
        if self.audience is not None and self.audience not in _audiences(claims.get("aud")):
            raise Unauthenticated("the token is for another audience")


DEFAULT_RULES = TokenRules()


def _audiences(aud: object) -> list[object]:
    return aud if isinstance(aud, list) else [aud]


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header."""
    if not authorization:
        raise Unauthenticated("a bearer token is required", token_given=False)
    if len(authorization.encode()) > MAX_TOKEN_BYTES + len("Bearer "):
        raise Unauthenticated("the token is too large")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def verify(token: str, secret: str, rules: TokenRules = DEFAULT_RULES) -> dict[str, Any]:
    """The claims of a token signed with `secret` under HS256 that `rules` accept, or
    Unauthenticated.

    The signature is checked once per token (issue 5: decoding cost a tenth of a request's
    CPU); `rules` (expiry included) are checked on every use, so a remembered token is still
    refused once it expires, as PyJWT would.
    """
    if len(token.encode()) > MAX_TOKEN_BYTES:
        raise Unauthenticated("the token is too large")
    claims = _verified(token, secret)
    rules.check(claims, time.time())
    return dict(claims)


@lru_cache(maxsize=VERIFIED_TOKENS)
def _verified(token: str, secret: str) -> dict[str, Any]:
    """Refusals raise, so only good tokens are remembered; callers get a copy."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=ALGORITHMS,
            # `aud` is TokenRules' to judge: PyJWT refuses any `aud` it is not told to expect.
            options={"require": ["sub", "exp"], "verify_aud": False},
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        raise Unauthenticated("the token is invalid or expired") from None
    sub = claims.get("sub")
    if not isinstance(sub, str) or not 0 < len(sub) <= MAX_SUB_CHARS:
        raise Unauthenticated(f"the token's sub must be 1 to {MAX_SUB_CHARS} characters")
    try:
        claims["sub"] = login(sub, rule=None)
    except InvalidInput as error:
        raise Unauthenticated(f"the token's sub: {error.detail}") from None
    return claims


def caller_from(claims: dict[str, Any], request_id: str | None = None) -> Caller:
    """The Caller the claims name; `email` and `name` only when they are sensible text."""
    scope = claims.get("scope")
    return Caller(
        login=claims["sub"],
        scope=_SCOPES.get(scope) if isinstance(scope, str) else None,
        email=_text(claims.get("email"), email),
        name=_text(claims.get("name"), USER_NAME),
        correlation_id=correlation_id(request_id),
    )


def correlation_id(request_id: str | None) -> str:
    """The request's own id when it is a sensible one, else a fresh one (made without a
    system call: api/correlation.py)."""
    return request_id if request_id and _REQUEST_ID.match(request_id) else fresh_correlation_id()


def authenticate(
    authorization: str | None,
    secret: str,
    request_id: str | None = None,
    rules: TokenRules = DEFAULT_RULES,
) -> Caller:
    """The caller of a request, from its Authorization header."""
    return caller_from(verify(bearer_token(authorization), secret, rules), request_id)


def _text(value: object, checked: Callable[[str], str]) -> str:
    """A profile claim as the text rule keeps it, or nothing if the rule refuses it."""
    if not isinstance(value, str):
        return ""
    try:
        return checked(value)
    except InvalidInput:
        return ""


KeyCheck = Callable[[str, str | None], Caller]
"""Who an API key (`bck_...`) stands for (api/api_keys.py: KeyVerifier)."""
KEY_TOKEN_PREFIX = "bck_"
_MEMO = "billing.caller"


@dataclass(frozen=True)
class Identity:
    """Every kind of bearer credential the service accepts (issue 22): HS256 tokens signed
    with the configured secret, API keys, and, when configured, the OIDC issuer's tokens."""

    secret: str
    rules: TokenRules = DEFAULT_RULES
    keys: KeyCheck | None = None
    oidc: Callable[[str], dict[str, Any]] | None = None

    def caller(self, authorization: str | None, request_id: str | None = None) -> Caller:
        """The caller of an `Authorization` header, or Unauthenticated."""
        token = bearer_token(authorization)
        if token.startswith(KEY_TOKEN_PREFIX):
            if self.keys is None:
                raise Unauthenticated("API keys are not accepted here")
            return self.keys(token, request_id)
        if self.oidc is not None and _algorithm(token) != "HS256":
            return caller_from(self.oidc(token), request_id)
        return caller_from(verify(token, self.secret, self.rules), request_id)


def _algorithm(token: str) -> str | None:
    try:
        alg = jwt.get_unverified_header(token).get("alg")
    except jwt.PyJWTError:
        return None
    return alg if isinstance(alg, str) else None


def scope_caller(scope: Mapping[str, Any], secret: str) -> Caller:
    """The caller of an ASGI request's `Authorization` header, decided once per request
    (the guard, the rate limits and the route all ask): the app's Identity when it has one,
    else HS256 with `secret`."""
    memo = scope.get(_MEMO)
    if memo is None:
        memo = _decide(scope, secret)
        if isinstance(scope, dict):
            scope[_MEMO] = memo
    if isinstance(memo, Unauthenticated):
        raise memo
    assert isinstance(memo, Caller)
    return memo


def _decide(scope: Mapping[str, Any], secret: str) -> Caller | Unauthenticated:
    header, rid = _first(scope, b"authorization"), _first(scope, b"x-request-id")
    app = scope.get("app")
    identity = getattr(app.state, "identity", None) if app is not None else None
    try:
        if isinstance(identity, Identity):
            return identity.caller(header, rid)
        return authenticate(header, secret, rid)
    except Unauthenticated as error:
        return error


def _first(scope: Mapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def needs_io(scope: Mapping[str, Any]) -> bool:
    """Whether the request's bearer credential is one whose check may wait on I/O: an API key
    (the store) or, with an issuer configured, a token not signed with HS256 (its JWKS)."""
    header = _first(scope, b"authorization") or ""
    token = header.partition(" ")[2].strip()
    if token.startswith(KEY_TOKEN_PREFIX):
        return True
    app = scope.get("app")
    identity = getattr(app.state, "identity", None) if app is not None else None
    oidc = isinstance(identity, Identity) and identity.oidc is not None
    return oidc and bool(token) and _algorithm(token) != "HS256"
