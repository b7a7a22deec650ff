"""The company's bank accounts (R11): listed masked, managed by the general administrator."""

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
    DefaultChanged,
    NewPaymentMethod,
    PaymentMethodCreated,
    PaymentMethodOut,
)
from api.schemas import Page as PageOf
from api.translate import method_out
from domain.application import BankAccount

router = APIRouter(
    route_class=OneHopRoute,
    prefix="/v1/companies/{cid}/payment-methods",
    tags=["payment methods"],
    responses=COMMON,
)

MethodPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]


@router.get("", responses=READ)
def payment_methods(
    *, cid: UUID, caller: CurrentCaller, app: App, reads: Reads, page: Page
) -> PageOf[PaymentMethodOut]:
    """The company's payment methods, numbers masked (those who may pay: R11, I3)."""
    methods = usecases.payment_methods(app, reads, caller, cid)
    items, after = in_pages([method_out(m) for m in methods], page)
    return PageOf[PaymentMethodOut](items=items, next=after)


@router.post("", status_code=201, responses=WRITE)
def add_payment_method(
    *, cid: UUID, body: NewPaymentMethod, caller: CurrentCaller, app: App, response: Response
) -> PaymentMethodCreated:
    """Add a bank account; the first one is the default (the general administrator, R11)."""
    bank = BankAccount(body.holder, body.bank_code, body.account_number)
    receipt = app.add_payment_method(caller, cid, bank, make_default=body.default)
    return PaymentMethodCreated(
        payment_method_id=receipt.result, position=written(response, receipt.position)
    )


@router.put("/{pmid}/default", responses=WRITE)
def make_default(
    *, cid: UUID, pmid: MethodPath, caller: CurrentCaller, app: App, response: Response
) -> DefaultChanged:
    """Make this payment method the default (the general administrator, R11)."""
    receipt = app.make_default_payment_method(caller, cid, pmid)
    return DefaultChanged(
        payment_method_id=pmid, default=True, position=written(response, receipt.position)
    )


@router.delete("/{pmid}", status_code=204, responses=WRITE)
def remove(*, cid: UUID, pmid: MethodPath, caller: CurrentCaller, app: App) -> Response:
    """Remove a payment method no automatic payment relies on (R11)."""
    receipt = app.remove_payment_method(caller, cid, pmid)
    return Response(status_code=204, headers={"X-Position": str(receipt.position)})
