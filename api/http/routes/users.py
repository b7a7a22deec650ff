"""Users of a company: list, add (R5), read (R7), profile (R10), role, grants (R4), remove."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response

from api import usecases
from api.http.deps import App, CurrentCaller, Page, Reads, written
from api.http.hop import OneHopRoute
from api.http.responses import COMMON, READ, WRITE
from api.schemas import (
    LOGIN_SHOWN,
    AccountRef,
    DomainRule,
    Grants,
    NewUser,
    Profile,
    RoleIn,
    UserChanged,
    UserCreated,
    UserOut,
)
from api.schemas import Page as PageOf
from api.translate import keys, user_out
from domain.application import Membership
from domain.text import login as login_rule

router = APIRouter(
    route_class=OneHopRoute, prefix="/v1/companies/{cid}/users", tags=["users"], responses=COMMON
)

LoginPath = Annotated[str, Path(), DomainRule(login_rule, LOGIN_SHOWN)]
"""A login in a path is folded like every login (R5): `/users/Bob` is bob."""


@router.get("", responses=READ)
def users(
    *, cid: UUID, caller: CurrentCaller, app: App, reads: Reads, page: Page
) -> PageOf[UserOut]:
    """Users with their roles: all for Administrators, those R9 lets a Plan Manager manage (R7)."""
    found = page.read(
        lambda cursor: usecases.managed_users(
            app, reads, caller, cid, cursor=cursor, limit=page.limit
        )
    )
    return PageOf[UserOut](
        items=[user_out(u, with_role=True) for u in found.items], next=found.next
    )


@router.post("", status_code=201, responses=WRITE)
def add_user(
    *, cid: UUID, body: NewUser, caller: CurrentCaller, app: App, response: Response
) -> UserCreated:
    """Add a user with a role and granted accounts (Administrators, Plan Managers: R5, R9)."""
    receipt = app.add_user(
        caller,
        cid,
        body.login,
        email=body.email,
        name=body.name,
        role=body.role,
        accounts=keys(body.accounts),
    )
    return UserCreated(login=receipt.result, position=written(response, receipt.position))


@router.get("/{login}", responses=READ)
def user(*, cid: UUID, login: LoginPath, caller: CurrentCaller, app: App, reads: Reads) -> UserOut:
    """A user's profile; with the role for those who manage them, without for oneself (R7)."""
    view, with_role = usecases.user_profile(app, reads, caller, cid, login)
    return user_out(view, with_role=with_role)


@router.put("/{login}", responses=WRITE)
def change_profile(
    *,
    cid: UUID,
    login: LoginPath,
    body: Profile,
    caller: CurrentCaller,
    app: App,
    response: Response,
) -> UserChanged:
    """Keep a user's e-mail and name up to date (R10)."""
    receipt = app.change_user_profile(caller, cid, login, body.email, body.name)
    return changed(receipt.result, written(response, receipt.position))


@router.put("/{login}/role", responses=WRITE)
def change_role(
    *,
    cid: UUID,
    login: LoginPath,
    body: RoleIn,
    caller: CurrentCaller,
    app: App,
    response: Response,
) -> UserChanged:
    """Change a user's role (R3, R9; R6 keeps the general administrator's)."""
    receipt = app.change_role(caller, cid, login, body.role)
    return changed(receipt.result, written(response, receipt.position))


@router.put("/{login}/accounts", responses=WRITE)
def grant_accounts(
    *,
    cid: UUID,
    login: LoginPath,
    body: Grants,
    caller: CurrentCaller,
    app: App,
    response: Response,
) -> UserChanged:
    """Make these exactly the accounts granted to a user; the others are revoked (R4, R9)."""
    receipt = app.set_user_accounts(caller, cid, login, keys(body.accounts))
    return changed(receipt.result, written(response, receipt.position))


@router.delete("/{login}", status_code=204, responses=WRITE)
def remove_user(
    *,
    cid: UUID,
    login: LoginPath,
    caller: CurrentCaller,
    app: App,
    confirm: Annotated[bool, Query(description="Must be true (R5).")] = False,
) -> Response:
    """Remove a user, with `confirm=true`; access ends at once (R5)."""
    receipt = app.remove_user(caller, cid, login, confirmed=confirm)
    return Response(status_code=204, headers={"X-Position": str(receipt.position)})


def changed(member: Membership, position: int) -> UserChanged:
    """A user as the change left them: what the command returned, never the company read
    again (a removal may have committed since: issue 18)."""
    return UserChanged(
        login=member.login,
        email=member.email,
        name=member.name,
        role=member.role,
        accounts=[AccountRef.of(a) for a in member.accounts],
        general_administrator=member.general_administrator,
        position=position,
    )
