"""What every console route shares: its router class, the request's console, posted forms
(CSRF-checked), and reading form fields into the request bodies both ways in validate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from api.schemas import AccountRef
from api.web.errors import ConsoleRoute
from api.web.session import CSRF_FIELD, check_csrf, check_origin
from api.web.templating import Console, Member, console_reading, redirect
from domain.errors import DomainError, NotFound
from domain.values import AccountKey


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


def text(form: FormData, name: str) -> str:
    """A text field ('' when absent)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def number(value: object, digits: int) -> int | None:
    """A whole number typed in a form or a URL, of at most `digits` ASCII digits; else None.

    `str.isdigit` alone lets "²" through (and `int` refuses it) or 5,000 digits (over
    Python's limit): both were 500s (issue 17).
    """
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= digits:
        return int(value)
    return None


def texts(form: FormData, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes)."""
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


def refs(keys: list[str]) -> list[AccountRef]:
    """`US-1A2B3C` texts as the API's account references."""
    return [AccountRef.of(AccountKey.parse(k)) for k in keys]


def uuid_or_404(value: str, kind: str) -> UUID:
    """A path id; anything else is a thing that does not exist."""
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(kind, value) from None


Failed = Callable[[Exception], Response]


def attempt(write: Callable[[], int], failed: Failed, done: Callable[[int], Response]) -> Response:
    """Run a write; a refusal re-renders the form with the message inline."""
    try:
        position = write()
    except (DomainError, ValidationError) as error:
        return failed(error)
    return done(position)


def back(ctx: Console, path: str, done: str, **query: Any) -> Callable[[int], Response]:
    """After a successful write: back to `path` with its confirmation."""
    return lambda position: redirect(
        ctx, path, position=position, done=done, **{k: str(v) for k, v in query.items()}
    )
