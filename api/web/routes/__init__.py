"""The console's pages, one module per area; refusals render as pages (ConsoleRoute)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.web.routes import (
    accounts,
    admin,
    api_keys,
    audit,
    cases,
    company,
    enroll,
    help,
    invoices,
    oidc,
    profile,
    searches,
    signin,
    webhooks,
)
from api.web.routes.common import console_router
from domain.errors import NotFound

router = APIRouter(include_in_schema=False)
for _module in (
    signin,
    enroll,
    invoices,
    cases,
    searches,
    admin,
    company,
    accounts,
    profile,
    audit,
    api_keys,
    webhooks,
    oidc,
    help,
):
    router.include_router(_module.router)

fallback = console_router()


@fallback.get("/console/{rest:path}")
def not_found(rest: str) -> Response:
    """Any other console address: the not-found page."""
    raise NotFound("page", rest)


router.include_router(fallback)
