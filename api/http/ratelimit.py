"""Rate limits on what an attacker can repeat (issue 17, API.md Values: limits).

- requests without a valid token or console session, per client address (`/health`, which
  monitors poll, is not counted);
- console sign-ins (`POST /console/sign-in`, `/console/session`, and the identity provider's
  answers at `/console/sign-in/oidc/callback`), per client address;
- refused account proofs (A1) when enrolling or adding an account, per login and per
  client address; a proof that matches is not counted, and once either is over the limit
  even a right proof waits, so guessing gains nothing.

Over a limit: 429 problem+json with `Retry-After`. The counts are moving windows of the
`limits` library in this process's memory: a restart forgets them, and with
`serve --workers W` each worker counts apart (up to W times the limit). The client address
is the ASGI `client`; behind a reverse proxy run uvicorn with `--proxy-headers` and
`--forwarded-allow-ips` so that it is the caller's, not the proxy's.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http.middleware import holder
from api.http.problems import problem
from api.proofs import ProofAttempt, proof_attempt
from api.settings import Settings

Secret = Callable[[], str]
SIGN_INS = frozenset({"/console/sign-in", "/console/session"})
OIDC_CALLBACK = "/console/sign-in/oidc/callback"
"""The identity provider's answer (any method): each may post a code to its token endpoint."""
UNCOUNTED = frozenset({"/health"})
PROOF_ROUTES = re.compile(r"^(/v1/companies(/[^/]+/accounts)?|/console/enroll|/console/accounts)$")
"""The writes that check account proofs (A1): enrolling, adding an account; API and console."""


class RateLimits:
    """The service's limits (from the settings) and their counts, in this process."""

    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self.token_less = parse(settings.rate_limit_token_less)
        self.sign_ins = parse(settings.rate_limit_sign_ins)
        self.proofs = parse(settings.rate_limit_proofs)

    def hit(self, limit: RateLimitItem, *keys: str) -> int | None:
        """Count one more: None within the limit, else the seconds until one is allowed."""
        if self._limiter.hit(limit, *keys):
            return None
        return self._retry_after(limit, *keys)

    def exhausted(self, limit: RateLimitItem, *keys: str) -> int | None:
        """Like `hit`, without counting: None while one more is allowed."""
        if self._limiter.test(limit, *keys):
            return None
        return self._retry_after(limit, *keys)

    def _retry_after(self, limit: RateLimitItem, *keys: str) -> int:
        reset = self._limiter.get_window_stats(limit, *keys).reset_time
        return max(1, math.ceil(reset - time.time()))


def client_address(scope: Scope) -> str:
    """The address the request came from (the proxy's, unless uvicorn trusts its headers)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def too_many(wait: int, what: str) -> Response:
    """429 problem+json, with the seconds to wait in `Retry-After`."""
    detail = f"too many {what} from this client; retry in {wait} s"
    return problem(429, "Too many requests", detail, headers={"Retry-After": str(wait)})


class RateLimitMiddleware:
    """429 once a client address has sent too many sign-ins or token-less requests.

    Outside the guard, so a token-less request is counted before it is refused (401).
    """

    def __init__(self, app: ASGIApp, limits: RateLimits, secret: Secret) -> None:
        self.app = app
        self.limits = limits
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self._refusal(scope) if scope["type"] == "http" else None
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> Response | None:
        address, path = client_address(scope), scope.get("path", "")
        if (scope.get("method") == "POST" and path in SIGN_INS) or path == OIDC_CALLBACK:
            wait = self.limits.hit(self.limits.sign_ins, "sign-in", address)
            if wait is not None:
                return too_many(wait, "sign-ins")
        if path in UNCOUNTED or holder(scope, self.secret()) is not None:
            return None
        wait = self.limits.hit(self.limits.token_less, "token-less", address)
        return None if wait is None else too_many(wait, "requests without a token")


class ProofLimitMiddleware:
    """429 on a proof route once the caller's login or address has had too many proofs
    refused (A1); counts each refused one."""

    def __init__(self, app: ASGIApp, limits: RateLimits, secret: Secret) -> None:
        self.app = app
        self.limits = limits
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_proof_route(scope):
            await self.app(scope, receive, send)
            return
        keys = self._keys(scope)
        waits = [w for k in keys if (w := self.limits.exhausted(self.limits.proofs, *k))]
        if waits:
            await too_many(max(waits), "refused account proofs (A1)")(scope, receive, send)
            return
        attempt = ProofAttempt()
        reset = proof_attempt.set(attempt)
        try:
            await self.app(scope, receive, send)
        finally:
            proof_attempt.reset(reset)
            for key in keys if attempt.refused else []:
                self.limits.hit(self.limits.proofs, *key)

    def _keys(self, scope: Scope) -> list[tuple[str, str, str]]:
        keys = [("proof", "address", client_address(scope))]
        caller = holder(scope, self.secret())
        if caller is not None:
            keys.append(("proof", "login", caller.login))
        return keys


def _is_proof_route(scope: Scope) -> bool:
    return (
        scope["type"] == "http"
        and scope.get("method") == "POST"
        and bool(PROOF_ROUTES.match(scope.get("path", "")))
    )
