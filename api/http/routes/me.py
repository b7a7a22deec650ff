"""The caller: who they are, their company, and their notification preferences (R7, R8)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api import usecases
from api.http.deps import App, CurrentCaller, Reads, written
from api.http.hop import OneHopRoute
from api.http.responses import COMMON, READ, WRITE
from api.schemas import AccountRef, Me, MyCompany, Preferences, PreferencesChanged, Profile
from api.schemas.users import OwnProfileChanged
from domain.values import Notification

router = APIRouter(route_class=OneHopRoute, prefix="/v1/me", tags=["me"], responses=COMMON)


@router.get("", responses=READ)
def me(*, caller: CurrentCaller, app: App, reads: Reads) -> Me:
    """Your profile and company; your role only if you are an Administrator (R7); the
    companies where you are a pending member (R5); your notification preferences (R8)."""
    mine = usecases.profile(app, reads, caller)
    company = mine.company
    return Me(
        login=mine.login,
        scope=mine.scope,
        email=mine.email,
        name=mine.name,
        company=MyCompany(company_id=company.company_id, name=company.name) if company else None,
        role=mine.role,
        general_administrator=mine.general_administrator,
        accounts=[AccountRef.of(a) for a in mine.accounts],
        pending=[MyCompany(company_id=p.company_id, name=p.name) for p in mine.pending],
        notifications=mine.notifications,
    )


@router.put("/profile", responses=WRITE)
def change_profile(
    *, body: Profile, caller: CurrentCaller, app: App, response: Response
) -> OwnProfileChanged:
    """Keep your own name and e-mail up to date (R10)."""
    receipt = app.change_own_profile(caller, body.email, body.name)
    member = receipt.result
    position = written(response, receipt.position)
    return OwnProfileChanged(
        login=member.login, email=member.email, name=member.name, position=position
    )


@router.put("/notification-preferences", responses=WRITE)
def set_preferences(
    *, body: Preferences, caller: CurrentCaller, app: App, response: Response
) -> PreferencesChanged:
    """Choose the e-mails you receive (R8)."""
    wanted = {kind: bool(getattr(body, kind.value)) for kind in Notification}
    receipt = app.set_notification_preferences(caller, wanted)
    kept = app.user(caller.login).preferences
    return PreferencesChanged(**kept, position=written(response, receipt.position))
