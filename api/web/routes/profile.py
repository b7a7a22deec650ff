"""My profile: own details, never a role for non-administrators (R7), which every user
edits (R10), the companies where one is still pending (R5); notifications (R8)."""

from __future__ import annotations

from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api import usecases
from api.documents.names import content_disposition
from api.documents.statement import render_statement, statement_csv
from api.schemas import Preferences, Profile
from api.schemas.statements import StatementSubscription
from api.statements import statement_of
from api.web.routes.common import Ctx, Posted, console_router, member_of
from api.web.routes.forms import attempt, back, form_page, text
from api.web.templating import Console, secured
from domain.errors import NotFound
from domain.statements import Frequency, month
from domain.values import Notification

router = console_router()


def _page(ctx: Console, error: Exception | None = None) -> Response:
    member_of(ctx)
    mine = usecases.profile(ctx.app, ctx.reads, ctx.person)
    user = ctx.app.user(ctx.person.login)
    preferences = user.preferences
    this_month = ctx.app.today().strftime("%Y-%m")
    return form_page(ctx, "profile.html", error, me=mine, preferences=preferences,
                     statement=user.statement_frequency, this_month=this_month)  # fmt: skip


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


@router.post("/console/profile/statement")
def statement_subscription(ctx: Ctx, form: Posted) -> Response:
    """R12: receive a statement every week or month, or none."""

    def write() -> int:
        body = StatementSubscription.model_validate({"frequency": text(form, "frequency") or None})
        frequency = Frequency(body.frequency) if body.frequency else None
        return ctx.app.subscribe_statement(ctx.person, frequency).position

    return attempt(
        write, lambda e: _page(ctx, e), back(ctx, "/console/profile", "statement_changed")
    )


@router.get("/console/statement.{kind}")
async def statement_file(ctx: Ctx, kind: str) -> Response:
    """R12: a month's statement, as the API gives it (the month in `period`, YYYY-MM)."""
    if kind not in {"pdf", "csv"}:
        raise NotFound("statement format", kind)
    member = member_of(ctx)
    asked = month(ctx.request.query_params.get("period", "")[:7])
    found = await run_in_threadpool(statement_of, ctx.app, ctx.reads, ctx.person, member.cid, asked)
    if kind == "pdf":
        content, media = await run_in_threadpool(render_statement, found), "application/pdf"
    else:
        content, media = statement_csv(found), "text/csv; charset=utf-8"
    headers = {
        "Content-Disposition": content_disposition("attachment", f"statement-{asked.name}.{kind}")
    }
    return secured(ctx, Response(content, media_type=media, headers=headers))


@router.post("/console/profile/details")
def details(ctx: Ctx, form: Posted) -> Response:
    """R10: every user keeps their own name and e-mail up to date."""

    def write() -> int:
        body = Profile.model_validate({"email": text(form, "email"), "name": text(form, "name")})
        return ctx.app.change_own_profile(ctx.person, body.email, body.name).position

    return attempt(
        write, lambda e: _page(ctx, e), back(ctx, "/console/profile", "own_profile_changed")
    )
