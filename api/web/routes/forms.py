"""The console's forms: reading their fields into the request bodies both ways in validate,
running a write, and answering it: back to a page with its confirmation, or the page again
with the refusal shown inline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from api.schemas import AccountRef
from api.web.errors import shown
from api.web.templating import Console, redirect, render
from domain.errors import DomainError
from domain.values import AccountKey


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


def form_page(
    ctx: Console,
    template: str,
    error: Exception | None = None,
    form: FormData | None = None,
    *,
    status: int = 200,
    **values: Any,
) -> Response:
    """A page of forms: a refused write's `error` shown inline with its status, the refused
    `form` typed in again."""
    problem = shown(error) if error else None
    status = problem.status if problem else status
    return render(ctx, template, status, problem=problem, form=form or {}, **values)


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
