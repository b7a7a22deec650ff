"""Pages: the Jinja2 environment, the console's view of a request, and HTML answers with the
console's security headers."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from anyio import CapacityLimiter, to_thread
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.web import labels
from api.web.i18n import LOCALES, Formats, negotiate, translations
from api.web.session import (
    CSRF_FIELD,
    LANG_COOKIE,
    NONCE_COOKIE,
    SESSION_SECONDS,
    csrf_token,
    nonce_of,
    session_caller,
    set_cookie,
)
from domain import text as text_rule
from domain.application import BillingCenter
from domain.caller import Caller, Scope
from domain.company import Company
from domain.roles import Action, may
from domain.values import Role
from projections.queries import ReadModels

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
READ_WAIT_SECONDS = 5.0
POSITION_DIGITS = 18
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"
)

ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.globals["text"] = text_rule  # the one table of text limits (domain/text.py) for maxlength


class SignInRequired(Exception):
    """The page needs a signed-in caller."""


@dataclass(frozen=True)
class Member:
    """The caller as a user of their company: what the matrix lets them do (domain/roles)."""

    cid: UUID
    company: Company
    login: str

    @property
    def role(self) -> Role:
        return self.company.role_of(self.login)

    @property
    def general_administrator(self) -> bool:
        return self.company.general_administrator == self.login

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMINISTRATOR

    def can(self, action: str) -> bool:
        """Whether the matrix lets the caller do `action` (an `Action` name)."""
        title = self.general_administrator
        return may(self.role, Action[action], general_administrator=title)


@dataclass
class Console:
    """One request to the console: who asks, in which language, and the services."""

    request: Request
    caller: Caller | None
    lang: str
    nonce: str
    new_nonce: bool
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def app(self) -> BillingCenter:
        center: BillingCenter = self.request.app.state.billing_center
        return center

    @property
    def reads(self) -> ReadModels:
        models: ReadModels = self.request.app.state.read_models
        return models

    def _(self, message: str) -> str:
        """`message` in the request's language."""
        return translations(self.lang).gettext(message)

    @property
    def person(self) -> Caller:
        """The signed-in caller (any principal)."""
        if self.caller is None:
            raise SignInRequired
        return self.caller

    @cached_property
    def member(self) -> Member | None:
        """The caller's company membership, if they are a person in a company."""
        caller = self.person
        if caller.scope is not None:
            return None
        cid = self.reads.company_of(caller.login)
        company = self.app.company(cid) if cid is not None else None
        if cid is None or company is None or not company.is_member(caller.login):
            return None
        return Member(cid, company, caller.login)

    @property
    def auditor(self) -> bool:
        return self.caller is not None and self.caller.scope is Scope.AUDITOR

    def formats(self) -> Formats:
        return Formats(self.lang)

    def csrf(self) -> str:
        return csrf_token(self.request, self.nonce)


def console(request: Request) -> Console:
    """The console's view of a request: who asks, in which language (no waiting)."""
    nonce, new = nonce_of(request)
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    ctx = Console(
        request=request,
        caller=session_caller(request),
        lang=negotiate(chosen, request.headers.get("accept-language")),
        nonce=nonce,
        new_nonce=new,
    )
    if request.query_params.get("lang") in LOCALES:
        ctx.cookies[LANG_COOKIE] = ctx.lang
    return ctx


async def console_reading(request: Request) -> Console:
    """`console`, once the read models show the caller's last write (`seen`).

    The wait sleeps in the waiting threads (`app.state.waiting`), never in the few threads
    every route shares, and only for a position the store has reached: a larger one was
    never written, so nobody waits for it (issue 17: 8 such pages stopped the service).
    """
    ctx = console(request)
    seen = seen_position(request)
    if seen is not None:
        waiting: CapacityLimiter = request.app.state.waiting
        await to_thread.run_sync(_wait_for_write, ctx, seen, limiter=waiting)
    return ctx


def seen_position(request: Request) -> int | None:
    """The `seen` parameter: a store position of at most 18 ASCII digits, else ignored."""
    seen = request.query_params.get("seen", "")
    if seen.isascii() and seen.isdigit() and len(seen) <= POSITION_DIGITS:
        return int(seen)
    return None


def _wait_for_write(ctx: Console, seen: int) -> None:
    if seen <= ctx.app.head():
        ctx.reads.wait_for(seen, READ_WAIT_SECONDS)


def secured(ctx: Console, response: Response) -> Response:
    """The console's headers and cookies on any answer (the guard adds X-Frame-Options: DENY
    and Referrer-Policy: no-referrer to every answer of the service)."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = ctx.lang
    if ctx.new_nonce:
        set_cookie(ctx.request, response, NONCE_COOKIE, ctx.nonce, SESSION_SECONDS)
    for name, value in ctx.cookies.items():
        set_cookie(ctx.request, response, name, value, 365 * 24 * 3600)
    return response


def render(ctx: Console, template: str, status: int = 200, **values: Any) -> Response:
    """A page of the console."""
    page = ENV.get_template(template).render(
        ctx=ctx,
        _=ctx._,
        fmt=ctx.formats(),
        csrf_field=CSRF_FIELD,
        lang_url=lambda lang: _with_query(ctx.request, lang=lang),
        labels=labels,
        done=labels.DONE.get(ctx.request.query_params.get("done", "")),
        **values,
    )
    return secured(ctx, HTMLResponse(page, status_code=status))


def _with_query(request: Request, **changes: str) -> str:
    query = {k: v for k, v in request.query_params.items() if k not in ("seen", "done")}
    query.update(changes)
    return f"{request.url.path}?{urlencode(query)}"


def redirect(ctx: Console, path: str, *, position: int | None = None, **query: str) -> Response:
    """After a write: to `path`, reading at least up to the write's `position`."""
    if position is not None:
        query["seen"] = str(position)
    target = f"{path}?{urlencode(query)}" if query else path
    return secured(ctx, RedirectResponse(target, status_code=303))
