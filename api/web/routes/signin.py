"""Signing in and out; `/` and `/console` lead each caller to their first page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from api.identity import Unauthenticated, verify
from api.tokens import Scope
from api.web.errors import shown
from api.web.routes.common import Ctx, Posted, console_router
from api.web.routes.forms import text
from api.web.session import (
    check_origin,
    end_session,
    secret_of,
    session_token,
    start_session,
)
from api.web.templating import Console, redirect, render
from domain.caller import Scope as CallerScope
from domain.errors import InvalidInput, NotFound
from domain.text import login as login_rule

router = console_router()


@router.get("/")
def root() -> Response:
    """The service's front door leads to the console."""
    return RedirectResponse("/console", status_code=303)


@router.get("/console")
def home(ctx: Ctx) -> Response:
    """Each caller's first page: audit, billing history, or enrolling a company."""
    caller = ctx.person
    if caller.scope is CallerScope.AUDITOR:
        return redirect(ctx, "/console/audit")
    if caller.scope is not None:
        return render(ctx, "principal.html")
    if ctx.member is None:
        return redirect(ctx, "/console/enroll")
    return redirect(ctx, "/console/invoices")


def _development(ctx: Console) -> None:
    if not ctx.request.app.state.settings.is_development:
        raise NotFound("page", "sign-in")


@router.get("/console/sign-in")
def sign_in_page(ctx: Ctx) -> Response:
    """The identity provider's button when an issuer is configured; in development also a
    login id (and, for trying things, a scope) in, a session out."""
    development = _is_dev(ctx)
    if not development and ctx.request.app.state.oidc_sign_in is None:
        raise NotFound("page", "sign-in")
    return render(ctx, "sign_in.html", form={}, problem=None, development=development)


@router.post("/console/sign-in")
def sign_in(ctx: Ctx, form: Posted) -> Response:
    """Development only: mint a token with the configured secret and keep it in the cookie."""
    _development(ctx)
    try:
        token = _mint(ctx.request, form)
    except InvalidInput as error:
        failed = shown(error)
        return render(ctx, "sign_in.html", status=422, form=form, problem=failed, development=True)
    response = redirect(ctx, "/console")
    start_session(ctx.request, response, token)
    return response


def _mint(request: Request, form: FormData) -> str:
    login = login_rule(text(form, "login"))
    scope = {s.value: s for s in Scope}.get(text(form, "scope"))
    email = text(form, "email") or f"{login}@example.test"
    return session_token(request, login, scope=scope, email=email, name=text(form, "name") or login)


def _identity_providers(request: Request) -> list[str]:
    configured: str = request.app.state.settings.identity_provider_origins
    return [o.strip().rstrip("/") for o in configured.split(",") if o.strip()]


async def _token_field(request: Request) -> str:
    """The posted token, once the form is known to come from the console or the configured
    identity provider (login CSRF: another site must not sign a browser in as someone)."""
    check_origin(request, _identity_providers(request))
    form = await request.form()
    value = form.get("token")
    return value if isinstance(value, str) else ""


@router.post("/console/session")
def session_from_identity_provider(
    ctx: Ctx, token: Annotated[str, Depends(_token_field)]
) -> Response:
    """Outside development: the identity provider posts its token (form field `token`)."""
    try:
        verify(token, secret_of(ctx.request), ctx.request.app.state.token_rules)
    except Unauthenticated:
        return render(ctx, "signed_out.html", status=401)
    response = redirect(ctx, "/console")
    start_session(ctx.request, response, token)
    return response


@router.post("/console/sign-out")
def sign_out(ctx: Ctx, _: Posted) -> Response:
    """Forget the session."""
    response = redirect(ctx, "/console/sign-in" if _is_dev(ctx) else "/console/signed-out")
    end_session(ctx.request, response)
    return response


@router.get("/console/signed-out")
def signed_out(ctx: Ctx) -> Response:
    """Where sign-out leads outside development."""
    return render(ctx, "signed_out.html")


def _is_dev(ctx: Console) -> bool:
    return bool(ctx.request.app.state.settings.is_development)
