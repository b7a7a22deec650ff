"""The caller: who they are, their company, and their notification preferences (R7, R8)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.http.deps import App, CurrentCaller, Reads, written
from api.http.responses import COMMON, READ, WRITE
from api.http.schemas import AccountRef, Me, MyCompany, Preferences, PreferencesChanged
from domain.values import Notification, Role

router = APIRouter(prefix="/v1/me", tags=["me"], responses=COMMON)


@router.get("", responses=READ)
def me(*, caller: CurrentCaller, app: App, reads: Reads) -> Me:
    """Your profile and company; your role only if you are an Administrator (R7)."""
    if caller.scope is not None:
        return Me(login=caller.login, scope=caller.scope.value)
    cid = reads.company_of(caller.login)
    company = app.read_company(cid) if cid is not None else None
    if cid is None or company is None or not company.is_member(caller.login):
        return Me(login=caller.login, email=caller.email or None, name=caller.name or None)
    view = reads.user(cid, caller.login)
    admin = company.role_of(caller.login) is Role.ADMINISTRATOR
    return Me(
        login=caller.login,
        email=view.email if view else None,
        name=view.name if view else None,
        company=MyCompany(company_id=cid, name=company.name),
        role=Role.ADMINISTRATOR if admin else None,
        general_administrator=company.general_administrator == caller.login,
        accounts=[AccountRef.of(a) for a in company.visible_accounts(caller.login)],
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
