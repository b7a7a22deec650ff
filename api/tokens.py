"""Signs the HS256 bearer tokens the API accepts (for development and tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from domain.caller import Scope

__all__ = ["Scope", "issue_token"]


def issue_token(
    secret: str,
    login: str,
    *,
    scope: Scope | None = None,
    ttl_seconds: int = 3600,
    now: datetime | None = None,
    email: str | None = None,
    name: str | None = None,
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    """A JWT with ``sub``, ``iat``, ``exp`` and, when given, ``scope``, ``email``, ``name``,
    ``iss`` and ``aud``."""
    issued = now or datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": login,
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=ttl_seconds)).timestamp()),
    }
    if scope is not None:
        claims["scope"] = scope.value
    if email:
        claims["email"] = email
    if name:
        claims["name"] = name
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")
