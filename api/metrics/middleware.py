"""Times every HTTP request into `billing_http_request_duration_seconds`.

The outermost middleware, so refusals before routing (401, 429, the outage gate's 503) are
timed too. The route label is the route's template (`/v1/invoices/{invoice_id}`), never the
path, so the series stay few: a request refused before routing is matched against the
routes for it, and a path no route takes is `unmatched`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics.series import REQUEST_SECONDS, UNMATCHED

Routes = Callable[[], Sequence[BaseRoute]]


class RequestMetricsMiddleware:
    """Observes each request's duration by method, route template and status."""

    def __init__(self, app: ASGIApp, routes: Routes) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            REQUEST_SECONDS.labels(scope["method"], self._route(scope), str(status)).observe(
                time.perf_counter() - started
            )

    def _route(self, scope: Scope) -> str:
        route = scope.get("route") or _routed(self.routes(), scope)
        path = getattr(route, "path", None)
        return path if isinstance(path, str) else UNMATCHED


def _routed(routes: Sequence[BaseRoute], scope: Scope) -> object:
    """The route that would take the request. FastAPI 0.165 keeps an included router as a
    route of its own (no path; its routes under `original_router`): look inside it."""
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.NONE:
            continue
        inner = getattr(getattr(route, "original_router", None), "routes", None)
        return _routed(inner, scope) if inner is not None else route
    return None
