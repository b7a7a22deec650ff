"""Administration (R3-R9): users and roles, adding a user, changing a role, granting
accounts, removing with a confirmation, handing the general administrator title over."""

from __future__ import annotations

from fastapi.responses import Response
from starlette.datastructures import FormData

from api import usecases
from api.schemas import Grants, HandOver, NewUser, RoleIn
from api.web.routes.common import Ctx, Posted, console_router, member_of
from api.web.routes.forms import attempt, back, form_page, refs, text, texts
from api.web.templating import Console
from domain.errors import NotFound
from domain.roles import TOP_ROLES, Action
from domain.values import Role
from projections.queries import MAX_LIMIT, UserView

router = console_router()


def _users(ctx: Console) -> list[UserView]:
    member = member_of(ctx)
    found = usecases.managed_users(ctx.app, ctx.reads, ctx.person, member.cid, limit=MAX_LIMIT)
    return list(found.items)


def _roles(ctx: Console) -> list[str]:
    """The roles the caller may give: all, or none of the two top ones for Plan Managers (R9)."""
    member = member_of(ctx)
    return [r.value for r in Role if member.is_admin or r not in TOP_ROLES]


def _grantable(ctx: Console) -> list[str]:
    member = member_of(ctx)
    return member.company.visible_accounts(member.login)


def _list(ctx: Console, error: Exception | None = None, form: FormData | None = None) -> Response:
    picked = texts(form, "accounts") if form else []
    return form_page(ctx, "users.html", error, form, users=_users(ctx), roles=_roles(ctx),
                     accounts=_grantable(ctx), picked=picked)  # fmt: skip


@router.get("/console/users")
def users_page(ctx: Ctx) -> Response:
    """R7: Administrators see every user and role; Plan Managers those R9 lets them manage."""
    return _list(ctx)


@router.post("/console/users")
def add_user(ctx: Ctx, form: Posted) -> Response:
    """R5: add a user with a role and granted accounts."""
    member = member_of(ctx)

    def write() -> int:
        body = NewUser.model_validate(
            {
                "login": text(form, "login"),
                "email": text(form, "email"),
                "name": text(form, "name"),
                "role": text(form, "role"),
                "accounts": refs(texts(form, "accounts")),
            }
        )
        accounts = [a.key() for a in body.accounts]
        added = ctx.app.add_user(ctx.person, member.cid, body.login, email=body.email,
                                 name=body.name, role=body.role, accounts=accounts)  # fmt: skip
        return added.position

    return attempt(write, lambda e: _list(ctx, e, form), back(ctx, "/console/users", "user_added"))


def _user(ctx: Console, login: str) -> UserView:
    member = member_of(ctx)
    return usecases.user_profile(ctx.app, ctx.reads, ctx.person, member.cid, login)[0]


def _edit(
    ctx: Console, login: str, error: Exception | None = None, *, page: str = "user.html"
) -> Response:
    member = member_of(ctx)
    if not member.company.manages(member.login, login):
        raise NotFound("user", login)
    user = _user(ctx, login)
    return form_page(ctx, page, error, user=user, roles=_roles(ctx), accounts=_grantable(ctx),
                     granted=list(user.accounts))  # fmt: skip


@router.get("/console/users/{login}")
def user_page(ctx: Ctx, login: str) -> Response:
    """One user: change the role, the accounts granted; remove."""
    return _edit(ctx, login)


@router.post("/console/users/{login}/role")
def change_role(ctx: Ctx, login: str, form: Posted) -> Response:
    """R3/R9: change a user's role (R6 keeps the general administrator's)."""
    member = member_of(ctx)

    def write() -> int:
        body = RoleIn.model_validate({"role": text(form, "role")})
        return ctx.app.change_role(ctx.person, member.cid, login, body.role).position

    return attempt(
        write, lambda e: _edit(ctx, login, e), back(ctx, f"/console/users/{login}", "role_changed")
    )


@router.post("/console/users/{login}/accounts")
def grant(ctx: Ctx, login: str, form: Posted) -> Response:
    """R4/R9: exactly the ticked accounts are granted."""
    member = member_of(ctx)

    def write() -> int:
        body = Grants.model_validate({"accounts": refs(texts(form, "accounts"))})
        keys = [a.key() for a in body.accounts]
        return ctx.app.set_user_accounts(ctx.person, member.cid, login, keys).position

    return attempt(
        write,
        lambda e: _edit(ctx, login, e),
        back(ctx, f"/console/users/{login}", "grants_changed"),
    )


@router.get("/console/users/{login}/remove")
def remove_page(ctx: Ctx, login: str) -> Response:
    """R5: removing asks for an explicit confirmation."""
    return _edit(ctx, login, page="remove.html")


@router.post("/console/users/{login}/remove")
def remove(ctx: Ctx, login: str, form: Posted) -> Response:
    """R5: remove the user once confirmed; access ends at once."""
    member = member_of(ctx)

    def write() -> int:
        confirmed = text(form, "confirm") == "yes"
        return ctx.app.remove_user(ctx.person, member.cid, login, confirmed=confirmed).position

    return attempt(
        write,
        lambda e: _edit(ctx, login, e, page="remove.html"),
        back(ctx, "/console/users", "user_removed"),
    )


def _hand_over_page(ctx: Console, error: Exception | None = None) -> Response:
    member = member_of(ctx)
    member.company.require(member.login, Action.HAND_OVER)
    others = [u for u in _users(ctx) if u.login != member.login]
    return form_page(ctx, "hand_over.html", error, users=others)


@router.get("/console/hand-over")
def hand_over_page(ctx: Ctx) -> Response:
    """R6: the general administrator hands the title to another user, warned plainly."""
    return _hand_over_page(ctx)


@router.post("/console/hand-over")
def hand_over(ctx: Ctx, form: Posted) -> Response:
    """R6: hand the title over."""
    member = member_of(ctx)

    def write() -> int:
        body = HandOver.model_validate({"login": text(form, "login")})
        return ctx.app.hand_over(ctx.person, member.cid, body.login).position

    return attempt(
        write, lambda e: _hand_over_page(ctx, e), back(ctx, "/console/users", "handed_over")
    )
