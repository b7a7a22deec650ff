"""Deciding a request's caller off the event loop when that needs I/O (issue 22).

An HS256 token is checked in microseconds; an API key asks the store for the key's newest
events, and the OIDC issuer's key set may need fetching (at most once a minute). The
guard, the rate limits and the idempotency middleware ask for the caller synchronously,
so this outermost middleware decides it first, for those two kinds of credential, in the
threads that call out (`app.state.calling_out`, api/http/app.py): a slow issuer then holds
none of the few threads that run the routes. The others find it decided
(`api.identity.scope_caller`).
"""

from __future__ import annotations

from contextlib import suppress

from anyio import to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from api.identity import Unauthenticated, needs_io, scope_caller


class CredentialsMiddleware:
    """Decide a key's or an OIDC token's caller in a thread before anything asks."""

    def __init__(self, app: ASGIApp, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and needs_io(scope):
            limiter = scope["app"].state.calling_out
            await to_thread.run_sync(self._decide, scope, limiter=limiter)
        await self.app(scope, receive, send)

    def _decide(self, scope: Scope) -> None:
        with suppress(Unauthenticated):  # remembered in the scope: every asker gets the 401
            scope_caller(scope, self.secret)
