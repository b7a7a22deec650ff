"""Signing in with the company's identity provider (issue 22; api/oidc_sign_in.py): the button
leads to the issuer, whose answer comes back to the callback, which opens the same session
as the development sign-in. Every refusal is a page saying what happened, never a 500.

The sign-in's `state` cookie is SameSite=Lax, not Strict: the browser comes back from the
issuer's site, and a Strict cookie would not be sent. For the same reason the callback
answers with a page that moves on to the console itself: the session cookie is Strict, so
the browser sends it only on a navigation that starts on the console's own site, not on a
redirect that the issuer's site set off.
"""

from __future__ import annotations

from anyio import to_thread
from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from api.oidc_sign_in import OidcSignIn, SignInFailed
from api.web.i18n import N_
from api.web.routes.common import Ctx, console_router
from api.web.session import session_token, start_session
from api.web.templating import Console, render, secured
from domain.caller import Scope
from domain.errors import NotFound

router = console_router()

START = "/console/sign-in/oidc"
CALLBACK = "/console/sign-in/oidc/callback"
STATE_COOKIE = "bc_oidc_state"
STATE_SECONDS = 600
"""A sign-in must come back from the issuer within ten minutes."""

FAILURES = {
    "denied": (403, N_("The identity provider did not sign you in (refused or cancelled).")),
    "state": (
        400,
        N_("This sign-in was not started in this browser, or it expired. Start it again."),
    ),
    "token": (401, N_("The identity provider's answer could not be verified.")),
    "insecure": (
        400,
        N_("The identity provider and the console must be reached over https."),
    ),
    "unavailable": (502, N_("The identity provider cannot be reached. Try again later.")),
}


def _flow(ctx: Console) -> OidcSignIn:
    flow: OidcSignIn | None = ctx.request.app.state.oidc_sign_in
    if flow is None:
        raise NotFound("page", "sign-in")
    return flow


def _callback_url(request: Request) -> str:
    """Where the issuer sends the browser back (the redirect URI registered for the client)."""
    return str(request.base_url).rstrip("/") + CALLBACK


@router.get(START)
async def start(ctx: Ctx) -> Response:
    """Go to the identity provider, with this sign-in's state in a cookie. The issuer's
    discovery document is fetched (once) in the threads that call out (api/http/app.py),
    never in the few that run the routes."""
    try:
        state, url = await to_thread.run_sync(
            _flow(ctx).start, _callback_url(ctx.request), ctx.lang,
            limiter=ctx.request.app.state.calling_out,
        )  # fmt: skip
    except SignInFailed as failed:
        return await to_thread.run_sync(_failed, ctx, failed)
    response = secured(ctx, RedirectResponse(url, status_code=303))
    response.set_cookie(
        STATE_COOKIE, state, max_age=STATE_SECONDS, path=START, httponly=True,
        samesite="lax", secure=ctx.request.url.scheme == "https",
    )  # fmt: skip
    return response


@router.get(CALLBACK)
async def callback(ctx: Ctx) -> Response:
    """The identity provider's answer: a verified ID token opens the session. The code is
    exchanged in the threads that call out (a slow issuer holds none of the routes')."""
    request = ctx.request
    state = request.cookies.get(STATE_COOKIE, "")
    here = f"{_callback_url(request)}?{request.url.query}"
    try:
        claims = await to_thread.run_sync(
            _flow(ctx).finish, here, state, _callback_url(request),
            limiter=request.app.state.calling_out,
        )  # fmt: skip
    except SignInFailed as failed:
        response = await to_thread.run_sync(_failed, ctx, failed)
    else:
        response = await to_thread.run_sync(_signed_in, ctx, claims)
    response.delete_cookie(STATE_COOKIE, path=START, httponly=True, samesite="lax")
    return response


def _signed_in(ctx: Console, claims: dict[str, object]) -> Response:
    response = render(ctx, "signed_in.html")
    start_session(ctx.request, response, _session(ctx.request, claims))
    return response


def _session(request: Request, claims: dict[str, object]) -> str:
    """The console's own session token for the ID token's person (or service principal)."""
    login, scope = str(claims["sub"]), claims.get("scope")
    email, name = claims.get("email"), claims.get("name")
    return session_token(
        request, login, scope=Scope(scope) if isinstance(scope, str) else None,
        email=email if isinstance(email, str) else "", name=name if isinstance(name, str) else "",
    )  # fmt: skip


def _failed(ctx: Console, failed: SignInFailed) -> Response:
    status, message = FAILURES[failed.reason]
    return render(ctx, "sign_in_failed.html", status=status, message=message, detail=failed.detail)
