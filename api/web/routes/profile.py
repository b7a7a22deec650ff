"""My profile: own details, never a role for non-administrators (R7), which every user
edits (R10), the companies where one is still pending (R5); notifications (R8)."""

from __future__ import annotations

from fastapi.responses import Response

from api import usecases
from api.schemas import Preferences, Profile
from api.web.errors import shown
from api.web.routes.common import Ctx, Posted, attempt, back, console_router, member_of, text
from api.web.templating import Console, render
from domain.values import Notification

router = console_router()


def _page(ctx: Console, error: Exception | None = None) -> Response:
    member_of(ctx)
    mine = usecases.profile(ctx.app, ctx.reads, ctx.person)
    preferences = ctx.app.user(ctx.person.login).preferences
    problem = shown(error) if error else None
    return render(
        ctx,
        "profile.html",
        status=problem.status if problem else 200,
        me=mine,
        preferences=preferences,
        problem=problem,
    )


@router.get("/console/profile")
def profile_page(ctx: Ctx) -> Response:
    """R7/R8: your profile (your role only if you are an Administrator) and your e-mails."""
    return _page(ctx)


@router.post("/console/profile/notifications")
def notifications(ctx: Ctx, form: Posted) -> Response:
    """R8: choose the e-mails you receive."""

    def write() -> int:
        body = Preferences.model_validate({n.value: n.value in form for n in Notification})
        wanted = {kind: bool(getattr(body, kind.value)) for kind in Notification}
        return ctx.app.set_notification_preferences(ctx.person, wanted).position

    return attempt(
        write, lambda e: _page(ctx, e), back(ctx, "/console/profile", "preferences_changed")
    )


@router.post("/console/profile/details")
def details(ctx: Ctx, form: Posted) -> Response:
    """R10: every user keeps their own name and e-mail up to date."""

    def write() -> int:
        body = Profile.model_validate({"email": text(form, "email"), "name": text(form, "name")})
        return ctx.app.change_own_profile(ctx.person, body.email, body.name).position

    return attempt(
        write, lambda e: _page(ctx, e), back(ctx, "/console/profile", "own_profile_changed")
    )
