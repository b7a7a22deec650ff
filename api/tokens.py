"""Signs the HS256 bearer tokens the API accepts (for development and tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt


class Scope(StrEnum):
    """The scopes a service principal may carry."""

    BILLING_SYSTEM = "billing-system"
    AUDITOR = "auditor"


def issue_token(
    secret: str,
    login: str,
    *,
    scope: Scope | None = None,
    ttl_seconds: int = 3600,
    now: datetime | None = None,
) -> str:
    """Return a JWT with ``sub``, ``iat``, ``exp`` and, when given, ``scope``."""
    issued = now or datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": login,
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=ttl_seconds)).timestamp()),
    }
    if scope is not None:
        claims["scope"] = scope.value
    return jwt.encode(claims, secret, algorithm="HS256")
