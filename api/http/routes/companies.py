"""Companies: enroll (R1), read and keep their information (R10), hand the title over (R6)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from api import usecases
from api.http.deps import App, CurrentCaller, Reads, written
from api.http.hop import OneHopRoute
from api.http.responses import COMMON, READ, WRITE
from api.schemas import (
    CompanyChanged,
    CompanyCreated,
    CompanyDetails,
    CompanyOut,
    Enrollment,
    HandOver,
    TitleHandedOver,
)
from api.schemas.companies import CompanyClosedOut, Reassignment
from api.translate import account_request

router = APIRouter(
    route_class=OneHopRoute, prefix="/v1/companies", tags=["companies"], responses=COMMON
)


@router.post("", status_code=201, responses=WRITE)
def enroll(
    *, body: Enrollment, caller: CurrentCaller, app: App, response: Response
) -> CompanyCreated:
    """Enroll a company with its first proven accounts; you become its general admin (R1)."""
    asked = [account_request(a) for a in body.accounts]
    receipt = usecases.enroll_company(app, caller, body.name, asked)
    return CompanyCreated(company_id=receipt.result, position=written(response, receipt.position))


@router.get("/{cid}", responses=READ)
def company(*, cid: UUID, caller: CurrentCaller, app: App, reads: Reads) -> CompanyOut:
    """The company: name, address, how many accounts you may see (R4)."""
    summary = usecases.company_summary(app, reads, caller, cid)
    return CompanyOut(
        company_id=summary.company_id,
        name=summary.name,
        address=summary.address,
        accounts=summary.accounts,
        general_administrator=summary.general_administrator,
    )


@router.put("/{cid}", responses=WRITE)
def change_details(
    *, cid: UUID, body: CompanyDetails, caller: CurrentCaller, app: App, response: Response
) -> CompanyChanged:
    """Keep the company's name and address up to date (Administrators, R10)."""
    receipt = app.change_company_details(caller, cid, body.name, body.address)
    return CompanyChanged(
        company_id=cid,
        name=receipt.result.name,
        address=receipt.result.address,
        position=written(response, receipt.position),
    )


@router.post("/{cid}/general-administrator", responses=WRITE)
def hand_over(
    *, cid: UUID, body: HandOver, caller: CurrentCaller, app: App, response: Response
) -> TitleHandedOver:
    """Hand the general administrator title to another user of the company (R6)."""
    receipt = app.hand_over(caller, cid, body.login)
    return TitleHandedOver(
        company_id=cid,
        general_administrator=body.login,
        position=written(response, receipt.position),
    )


@router.post("/{cid}/general-administrator/reassignment", responses=WRITE)
def reassign(
    *, cid: UUID, body: Reassignment, caller: CurrentCaller, app: App, response: Response
) -> TitleHandedOver:
    """The billing system gives the title to another Administrator, with a reason; every
    Administrator is told by e-mail (R6)."""
    receipt = app.reassign_general_administrator(caller, cid, body.login, body.reason)
    return TitleHandedOver(
        company_id=cid,
        general_administrator=body.login,
        position=written(response, receipt.position),
    )


@router.post("/{cid}/closure", responses=WRITE)
def close(
    *, cid: UUID, caller: CurrentCaller, app: App, response: Response, confirm: bool = False
) -> CompanyClosedOut:
    """Close the company once no account is enrolled (the general administrator, with
    confirm=true): its members are released, nothing is deleted (R14)."""
    receipt = app.close_company(caller, cid, confirmed=confirm)
    return CompanyClosedOut(company_id=cid, position=written(response, receipt.position))
