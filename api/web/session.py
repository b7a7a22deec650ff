"""The console's session: the caller's token in an HttpOnly, SameSite=Strict cookie, and
a CSRF token on every form, bound to a per-browser nonce and to that session."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection
from urllib.parse import urlsplit

from fastapi import Request, Response

from api.identity import SESSION_COOKIE, TokenRules, Unauthenticated, caller_from, verify
from api.tokens import issue_token
from domain.caller import Caller, Scope

NONCE_COOKIE = "bc_nonce"
LANG_COOKIE = "bc_lang"
CSRF_FIELD = "csrf_token"
SESSION_SECONDS = 8 * 3600


class CsrfRefused(Exception):
    """A form came without the CSRF token this browser was given (403)."""


class ForeignOrigin(CsrfRefused):
    """A form came from another site, or with nothing saying where it came from (403)."""


def secret_of(request: Request) -> str:
    """The configured HS256 secret (the one the API verifies with)."""
    secret: str = request.app.state.jwt_secret
    return secret


def session_caller(request: Request) -> Caller | None:
    """The caller whose token the session cookie holds, or None (absent, bad or expired)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        claims = verify(token, secret_of(request), request.app.state.token_rules)
    except Unauthenticated:
        return None
    return caller_from(claims, request.headers.get("x-request-id"))


def nonce_of(request: Request) -> tuple[str, bool]:
    """This browser's nonce, and whether it is new (then it must be set as a cookie)."""
    nonce = request.cookies.get(NONCE_COOKIE, "")
    if len(nonce) == 43 and nonce.replace("-", "").replace("_", "").isalnum():  # noqa: PLR2004
        return nonce, False
    return secrets.token_urlsafe(32), True


def csrf_token(request: Request, nonce: str) -> str:
    """The token forms carry: an HMAC of the nonce and the session under the secret."""
    session = request.cookies.get(SESSION_COOKIE, "")
    message = f"csrf|{nonce}|{session}".encode()
    return hmac.new(secret_of(request).encode(), message, hashlib.sha256).hexdigest()


def check_csrf(request: Request, sent: object) -> None:
    """Refuse a form whose token is missing or is not this browser's."""
    nonce = request.cookies.get(NONCE_COOKIE, "")
    if not nonce or not isinstance(sent, str):
        raise CsrfRefused
    if not hmac.compare_digest(sent, csrf_token(request, nonce)):
        raise CsrfRefused


def posted_from(request: Request) -> str | None:
    """The origin a form says it was posted from: `Origin`, else `Referer`'s (None: neither;
    `Origin: null` counts as neither, a browser sends it under `Referrer-Policy: no-referrer`)."""
    origin = request.headers.get("origin", "")
    if origin and origin != "null":
        return origin
    referer = urlsplit(request.headers.get("referer", ""))
    return f"{referer.scheme}://{referer.netloc}" if referer.scheme and referer.netloc else None


def check_origin(request: Request, trusted: Collection[str] = ()) -> None:
    """Refuse a form from another site than the console (or `trusted`), and one that says
    nothing of its origin unless the browser itself vouches it is same-origin (OWASP: a
    browser sends `Origin` or `Sec-Fetch-Site` on every POST; only other clients send
    neither, and they have no session cookie to abuse, so nothing is lost)."""
    origin = posted_from(request)
    if origin is None:
        if request.headers.get("sec-fetch-site") != "same-origin":
            raise ForeignOrigin
        return
    if urlsplit(origin).netloc != request.headers.get("host") and origin not in trusted:
        raise ForeignOrigin


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    """A console cookie: HttpOnly, SameSite=Strict, Secure over https, for the console only."""
    response.set_cookie(
        name,
        value,
        max_age=age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def start_session(request: Request, response: Response, token: str) -> None:
    """Keep the token in the session cookie, with a fresh nonce (old forms stop working)."""
    set_cookie(request, response, SESSION_COOKIE, token, SESSION_SECONDS)
    set_cookie(request, response, NONCE_COOKIE, secrets.token_urlsafe(32), SESSION_SECONDS)


def session_token(
    request: Request, login: str, *, scope: Scope | None, email: str, name: str
) -> str:
    """A token the service accepts for the session (the development sign-in and the identity
    provider's alike): signed with the secret, with the configured issuer and audience."""
    rules: TokenRules = request.app.state.token_rules
    return issue_token(
        secret_of(request),
        login,
        scope=scope,
        ttl_seconds=min(SESSION_SECONDS, rules.max_lifetime_seconds),
        email=email,
        name=name,
        issuer=rules.issuer,
        audience=rules.audience,
    )


def end_session(request: Request, response: Response) -> None:
    """Forget the token and the nonce."""
    for name in (SESSION_COOKIE, NONCE_COOKIE):
        response.delete_cookie(
            name, path="/", httponly=True, samesite="strict", secure=_secure(request)
        )
