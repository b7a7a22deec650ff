"""What every console route shares: its router class, the request's console, posted forms
(CSRF-checked), the caller's membership and the ids in its paths. Reading those forms and
answering their writes: `api.web.routes.forms`."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData

from api.web.errors import ConsoleRoute

# The form side moved to `api.web.routes.forms` (issue 19); its names stay importable from
# here for the pages written before the move. Import them from `forms`.
from api.web.routes.forms import attempt, back, form_page, number, refs, text, texts
from api.web.session import CSRF_FIELD, check_csrf, check_origin
from api.web.templating import Console, Member, console_reading
from domain.errors import NotFound


def console_router() -> APIRouter:
    """A router whose refusals become pages; console pages stay out of the OpenAPI text."""
    return APIRouter(route_class=ConsoleRoute, include_in_schema=False)


async def posted(request: Request) -> FormData:
    """The posted form, once its origin and CSRF token are checked (403 otherwise)."""
    check_origin(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    return form


Ctx = Annotated[Console, Depends(console_reading)]
Posted = Annotated[FormData, Depends(posted)]


def member_of(ctx: Console) -> Member:
    """The caller's company membership; a person in no company finds no company pages."""
    member = ctx.member
    if member is None:
        raise NotFound("company of", ctx.person.login)
    return member


def uuid_or_404(value: str, kind: str) -> UUID:
    """A path id; anything else is a thing that does not exist."""
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(kind, value) from None


__all__ = [
    "Ctx",
    "Posted",
    "attempt",
    "back",
    "console_router",
    "form_page",
    "member_of",
    "number",
    "posted",
    "refs",
    "text",
    "texts",
    "uuid_or_404",
]
