"""The HTTP application factory: the composition root of the web service.

It builds the application service (writes), starts the projections in this process
(reads), opens the idempotency store beside the events, and mounts one router per
resource, the one error table and the request guards.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.telemetry import TelemetryConfig
from starlette.types import Scope

from api.api_keys import KeyVerifier
from api.bootstrap import billing_center
from api.documents.rendering import PdfRenderer
from api.http import problems
from api.http.credentials import CredentialsMiddleware
from api.http.hop import REQUEST_THREADS
from api.http.middleware import (
    PUBLIC,
    GuardMiddleware,
    IdempotencyMiddleware,
    SecurityHeadersMiddleware,
)
from api.http.outage import StoreGate, StoreGateMiddleware
from api.http.ratelimit import ProofLimitMiddleware, RateLimitMiddleware, RateLimits
from api.http.routes import (
    accounts,
    api_keys,
    audit,
    cases,
    companies,
    documents,
    invoices,
    me,
    payment_methods,
    plans,
    receipts,
    saved_searches,
    statements,
    users,
    webhooks,
)
from api.identity import Identity, TokenRules
from api.metrics.exposition import METRICS_PATH, metrics, read_side_scrape, serve_port
from api.metrics.middleware import RequestMetricsMiddleware
from api.metrics.series import observe_commands
from api.oidc import oidc_verifier
from api.oidc_sign_in import oidc_sign_in
from api.settings import Settings, resolve_jwt_secret
from api.web import install as install_console
from domain.application import utc_now
from domain.ports import Clock
from projections.queries import ProjectionStatus
from projections.status import by_projection
from store.database import open_database
from store.idempotency import IdempotencyStore, idempotency_store
from store.probe import probe_for
from store.webhooks import SqlWebhookDeliveries

DESCRIPTION = """
The billing center of a carrier: companies enroll their shipper accounts, manage users,
roles and grants, and see, pay and dispute their invoices. The rules cited (`R4`, `A6`,
...) are those of DOMAIN.md. Authenticate with `Authorization: Bearer <token>`
(`billing-center token LOGIN` prints one in development). Every write answers with its
`position` (body and `X-Position`); pass it as `min_position` to read your own writes.
"""

WAITING_THREADS = 40
"""`min_position` waits sleep in threads of their own, so they never hold up the routes."""
CALLING_OUT_THREADS = 16
"""Deciding an API key's or an OIDC token's caller (a store read; the issuer's key set on an
unknown `kid`, at most once a minute, up to 10 s) and the console's calls to the issuer
(discovery, code exchange) run in threads of their own, as does the store gate's probe
(api/http/outage.py): a slow identity provider or a dead store holds these, never the
REQUEST_THREADS that answer every route."""

NO_OPENTELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
"""The service's metrics are its own Prometheus series (api/metrics). FastAPI's OpenTelemetry
bridge, on by default, asked the three global providers on every request whether anyone had
configured them (issue 20: no one does here)."""

ROUTERS = (
    invoices, cases, receipts, companies, users, me, saved_searches, statements, payment_methods,
    accounts, documents, audit, api_keys, webhooks, plans,
)  # fmt: skip


def create_app(settings: Settings, *, clock: Clock = utc_now) -> FastAPI:
    """Build the FastAPI application for `settings` (refuses a missing or short secret)."""
    secret = resolve_jwt_secret(settings)
    app = FastAPI(
        title="Billing Center",
        version="1",
        description=DESCRIPTION,
        lifespan=_lifespan(settings, clock),
        telemetry=NO_OPENTELEMETRY,
    )
    app.state.settings = settings
    app.state.jwt_secret = secret
    app.state.token_rules = TokenRules.of(settings)
    app.state.identity = Identity(secret, app.state.token_rules, oidc=oidc_verifier(settings))
    app.state.oidc_sign_in = oidc_sign_in(settings, app.state.identity.oidc, secret)
    app.state.store_gate = gate = StoreGate(probe_for(settings.database_url))
    problems.install(app)
    for module in ROUTERS:
        include_flat(app, module.router)
    app.add_api_route("/health", health, **HEALTH_ROUTE)
    if settings.metrics_public:  # else /metrics is only on the metrics port (issue 20)
        app.add_api_route(METRICS_PATH, metrics, methods=["GET"], include_in_schema=False)
    install_console(app)  # the web console: pages, static files (issue 10)
    app.state.rate_limits = limits = RateLimits(settings)
    app.add_middleware(ProofLimitMiddleware, limits=limits, secret=lambda: secret)
    app.add_middleware(
        IdempotencyMiddleware,
        store=lambda: _store(app),
        secret=lambda: secret,
        box=lambda: app.state.billing_center.secret_box,
    )
    app.add_middleware(StoreGateMiddleware, gate=lambda: gate)
    sign_in = "/console/sign-in" if settings.is_development else "/console/signed-out"
    public = PUBLIC | {METRICS_PATH} if settings.metrics_public else PUBLIC
    app.add_middleware(GuardMiddleware, secret=lambda: secret, sign_in=sign_in, public=public)
    app.add_middleware(RateLimitMiddleware, limits=limits, secret=lambda: secret)
    app.add_middleware(SecurityHeadersMiddleware)  # on every answer
    app.add_middleware(CredentialsMiddleware, secret=secret)  # answers nothing (issue 22)
    observe_commands()
    app.add_middleware(RequestMetricsMiddleware, routes=lambda: app.router.routes)  # outermost
    return app


def include_flat(app: FastAPI, router: APIRouter) -> None:
    """Add `router`'s routes to `app`'s own, not the router as one route (issue 20).

    FastAPI 0.165 keeps an included router as a route of its own and matches a request
    against its routes twice, once to choose the router and once inside it: 11% of an API
    process's event loop under the soak's mix. A router's routes are complete when defined
    (its prefix, tags and responses are in each), so the OpenAPI is the same.
    """
    app.router.routes.extend(router.routes)
    app.router._mark_routes_changed()  # what `include_router` itself does


def match_every_route(app: FastAPI) -> None:
    """Have FastAPI prepare every route now, not at the first request each router takes.

    FastAPI 0.165 builds an included router's routes (their dependencies, validators and
    serializers) when a request is first matched against it: 0.2 s of CPU per process, spent
    under load by the first requests, which waited meanwhile (issue 20).
    """
    unmatched: Scope = {"type": "http", "method": "GET", "path": "/-", "headers": []}
    for route in app.router.routes:
        route.matches(unmatched)


def app_from_environment() -> FastAPI:
    """`create_app` with the `BILLING_*` environment: each worker of `serve --workers N`."""
    return create_app(Settings())


def _store(app: FastAPI) -> IdempotencyStore:
    store: IdempotencyStore = app.state.idempotency
    return store


def _lifespan(settings: Settings, clock: Clock) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from projections.readmodels import start_projections  # noqa: PLC0415

        # What still hands off through anyio (the console's pages, the idempotency store)
        # takes as few threads at once as the routes do (api/http/hop.py).
        to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        app.state.waiting = CapacityLimiter(WAITING_THREADS)
        app.state.calling_out = CapacityLimiter(CALLING_OUT_THREADS)
        center = billing_center(settings, clock=clock)
        app.state.billing_center = center
        app.state.identity = replace(app.state.identity, keys=KeyVerifier(center))
        app.state.idempotency = idempotency_store(settings.database_url)
        app.state.pdfs = PdfRenderer()  # invoice PDFs: a pool of their own (issue 17)
        external = settings.projections == "external"  # other processes run them (issue 20)
        handle = start_projections(
            settings, app=center, external=external, stall_seconds=settings.projection_stall_seconds
        )
        app.state.read_models = handle.read_models
        from api.mail.service import start_mail  # noqa: PLC0415 (needs the read side)

        mail = None if external else start_mail(settings, center, handle.db)
        app.state.metrics = scrape = read_side_scrape(
            handle.read_models, handle.db, handle.reads, center
        )
        metrics_port = serve_port(settings.metrics_host, settings.metrics_port, scrape)
        from api.webhooks.service import start_webhooks  # noqa: PLC0415 (needs the read side)

        # The webhook sender's own connections: its up to 8 posts in flight must never take
        # the pooled connections the read models and the runner answer with (an outage or a
        # slow endpoint would hold them and stall every request).
        hooks_db = open_database(settings.database_url)
        app.state.webhooks = SqlWebhookDeliveries(hooks_db)
        webhooks = None if external else start_webhooks(settings, center, hooks_db)
        match_every_route(app)
        # What start-up built lives as long as the process: out of the collector's sight, a
        # full collection no longer walks it (issue 5: those pauses were most of the p99).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if metrics_port is not None:
                metrics_port.shutdown()
            if mail is not None:
                mail.stop()
            if webhooks is not None:
                webhooks.stop()
            hooks_db.close()
            handle.stop()
            app.state.idempotency.close()
            app.state.pdfs.close()
            center.close()

    return lifespan


HEALTH_ROUTE: dict[str, Any] = {
    "methods": ["GET"],
    "tags": ["health"],
    "responses": {
        503: {
            "description": "`unavailable`: the store is unreachable; `degraded`: a projection "
            "stopped at an event it cannot apply, or behind and not moving for 30 s (its "
            "`stalled` says which and why)."
        }
    },
}


def health(request: Request, response: Response) -> dict[str, Any]:
    """Liveness: the store is reachable; each projection's position, lag in events and in
    seconds and owner (503 `degraded` naming a projection stopped at an event it cannot
    apply, or behind without moving for the stall threshold)."""
    state = request.app.state
    head = state.billing_center.head()
    projections = state.read_models.status()
    degraded = any(p.degraded for p in projections)
    if degraded:
        response.status_code = 503
        response.headers["Retry-After"] = str(problems.RETRY_AFTER_SECONDS)
    return {
        "status": "degraded" if degraded else "ok",
        "store": {"reachable": True, "head": head},
        "projections": [
            _projection(p) | ({"segments": [_projection(s) for s in parts]} if parts else {})
            for p, parts in by_projection(projections)
        ],
    }


def _projection(p: ProjectionStatus) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "name": p.name,
        "position": p.position,
        "head": p.head,
        "lag": p.lag,
        "lag_seconds": round(p.lag_seconds, 3),
        "owner": p.owner,
    }
    if p.failure is not None:
        shown["stalled"] = {
            "event_position": p.failure.event_position,
            "error": p.failure.error,
            "attempts": p.failure.attempts,
            "failed_at": p.failure.failed_at,
        }
    elif p.stalled:  # nothing failed, yet the position has not moved with work to do
        shown["stalled"] = {"not_moved_seconds": round(p.waiting_seconds, 1)}
    return shown
