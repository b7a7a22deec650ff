"""Consolidated payment plans (A8): the billing system states which shipper accounts a plan
consolidates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.http.deps import App, CurrentCaller, written
from api.http.hop import OneHopRoute
from api.http.responses import COMMON, WRITE
from api.schemas.accounts import AccountRef, PlanMembersIn, PlanMembersOut
from api.translate import keys
from domain.values import AccountKey

router = APIRouter(route_class=OneHopRoute, prefix="/v1/plans", tags=["accounts"], responses=COMMON)

Country = Annotated[str, Path(pattern=r"^[A-Z]{2}$", examples=["US"])]
Number = Annotated[str, Path(pattern=r"^[A-Z0-9]{1,20}$", examples=["9P0001"])]


@router.put("/{country}/{number}/accounts", responses=WRITE)
def state_members(
    *,
    country: Country,
    number: Number,
    body: PlanMembersIn,
    caller: CurrentCaller,
    app: App,
    response: Response,
) -> PlanMembersOut:
    """The shipper accounts the plan consolidates from now on (the billing system, A8);
    stating the same accounts again changes nothing."""
    plan = AccountKey(country, number)
    receipt = app.state_plan_members(caller, plan, keys(body.accounts))
    return PlanMembersOut(
        plan=AccountRef.of(plan),
        accounts=[AccountRef.of(k) for k in receipt.result],
        position=written(response, receipt.position),
    )
