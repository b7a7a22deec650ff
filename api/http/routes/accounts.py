"""A company's accounts: list (R4), add (A1, A2), unenroll (A3), re-enroll (A5), autopay (I6)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response

from api import usecases
from api.http.deps import App, CurrentCaller, Page, Reads, written
from api.http.hop import OneHopRoute
from api.http.paging import in_pages
from api.http.responses import COMMON, READ, WRITE
from api.schemas import (
    AccountAdded,
    AccountOut,
    AccountRef,
    AccountsChanged,
    AutopayIn,
    AutopaySet,
    NewAccount,
    Reenrollment,
    Unenrollment,
)
from api.schemas import Page as PageOf
from api.translate import account_out, account_request, keys
from domain.values import AccountKey

router = APIRouter(
    route_class=OneHopRoute, prefix="/v1/companies/{cid}", tags=["accounts"], responses=COMMON
)

AccountPath = Annotated[
    str,
    Path(
        pattern=r"^[A-Z]{2}-[A-Z0-9]{1,20}$", examples=["US-1A2B3C"], description="COUNTRY-NUMBER"
    ),
]


@router.get("/accounts", responses=READ)
def accounts(
    *, cid: UUID, caller: CurrentCaller, app: App, reads: Reads, page: Page
) -> PageOf[AccountOut]:
    """The company's accounts you may see: all for Administrators, else your grants (R4)."""
    rows = usecases.visible_accounts(app, reads, caller, cid)
    items, after = in_pages([account_out(a) for a in rows], page)
    return PageOf[AccountOut](items=items, next=after)


@router.post("/accounts", status_code=201, responses=WRITE)
def add_account(
    *, cid: UUID, body: NewAccount, caller: CurrentCaller, app: App, response: Response
) -> AccountAdded:
    """Add an account, proven with one of its latest invoices (Administrators: A1, A2)."""
    receipt = usecases.add_account(app, caller, cid, account_request(body))
    return AccountAdded(
        account=AccountRef.of(receipt.result), position=written(response, receipt.position)
    )


@router.post("/unenrollment", responses=WRITE)
def unenroll(
    *, cid: UUID, body: Unenrollment, caller: CurrentCaller, app: App, response: Response
) -> AccountsChanged:
    """Unenroll accounts, all or none; OTHER needs a comment (the general administrator, A3)."""
    receipt = app.unenroll_accounts(caller, cid, keys(body.accounts), body.reason, body.comment)
    return AccountsChanged(
        accounts=body.accounts, status="UNENROLLED", position=written(response, receipt.position)
    )


@router.post("/reenrollment", responses=WRITE)
def reenroll(
    *, cid: UUID, body: Reenrollment, caller: CurrentCaller, app: App, response: Response
) -> AccountsChanged:
    """Re-enroll the selected unenrolled accounts, or all of them (Administrators, A5)."""
    selected = keys(body.accounts) if body.accounts is not None else None
    receipt = app.reenroll_accounts(caller, cid, selected)
    return AccountsChanged(
        accounts=[AccountRef.of(k) for k in receipt.result],
        status="ENROLLED",
        position=written(response, receipt.position),
    )


@router.put("/accounts/{acct}/autopay", responses=WRITE)
def set_up_autopay(
    *,
    cid: UUID,
    acct: AccountPath,
    body: AutopayIn,
    caller: CurrentCaller,
    app: App,
    response: Response,
) -> AutopaySet:
    """Pay the account's future invoices automatically (who may pay the account, I6)."""
    key = AccountKey.parse(acct)
    receipt = app.set_up_autopay(caller, cid, key, body.days_before_due, body.payment_method_id)
    return AutopaySet(
        account=AccountRef.of(key),
        days_before_due=body.days_before_due,
        payment_method_id=body.payment_method_id,
        set_up_by=caller.login,
        position=written(response, receipt.position),
    )


@router.delete("/accounts/{acct}/autopay", status_code=204, responses=WRITE)
def cancel_autopay(*, cid: UUID, acct: AccountPath, caller: CurrentCaller, app: App) -> Response:
    """Cancel the account's automatic payment (who may pay the account, I6)."""
    receipt = app.cancel_autopay(caller, cid, AccountKey.parse(acct))
    return Response(status_code=204, headers={"X-Position": str(receipt.position)})
