"""Invoices: issued (I1), listed (R4, A4, A6, A7, I2), read, paid (I3), adjusted (I4)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Request, Response

from api import usecases
from api.http.deps import (
    App,
    CurrentCaller,
    Cursor,
    InvoiceListing,
    Limit,
    MinPosition,
    Reads,
    invoice_listing,
    written,
)
from api.http.hop import OneHopRoute, in_route_thread
from api.http.responses import COMMON, READ, WRITE
from api.schemas import (
    AdjustmentCreated,
    AdjustmentIn,
    Decision,
    DecisionOut,
    InvoiceCreated,
    InvoiceDetailOut,
    InvoiceOut,
    LineIn,
    NewInvoice,
    PaymentCreated,
    PaymentIn,
)
from api.schemas import Page as PageOf
from api.translate import invoice_detail_out, invoice_page
from domain.invoice import Bill, Line
from projections.queries import DEFAULT_LIMIT, SectionName

router = APIRouter(route_class=OneHopRoute, tags=["invoices"], responses=COMMON)
Listing = Callable[..., Coroutine[Any, Any, Response]]

AdjustmentPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]
PaymentPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]


@router.post("/v1/invoices", status_code=201, responses=WRITE)
def issue(
    *, body: NewInvoice, caller: CurrentCaller, app: App, response: Response
) -> InvoiceCreated:
    """Issue an invoice for an account, enrolled anywhere or not (the billing system, I1)."""
    bill = Bill(
        account=body.account.key(),
        invoice_number=body.invoice_number,
        control_id=body.control_id,
        issue_date=body.issue_date,
        due_date=body.due_date,
        currency=body.currency,
        amount=Decimal(body.amount),
        lines=tuple(_line(x) for x in body.lines),
    )
    receipt = app.issue_invoice(caller, bill)
    return InvoiceCreated(invoice_id=receipt.result, position=written(response, receipt.position))


def _line(line: LineIn) -> Line:
    """I1: a line as the domain reads it; on a plan's invoice, the account it bills (A8)."""
    billed = None if line.account is None else line.account.key()
    return Line(line.tracking_number, line.description, Decimal(line.amount), billed)


def listed(section: SectionName, cid: UUID, asked: InvoiceListing) -> Response:
    """A page of a list, written straight from the stored rows: the same bytes as the
    models would give, without their CPU (issue 5; the schema stays the declared one)."""
    app, reads, page = asked.app, asked.reads, asked.page
    access = usecases.invoice_reader(app, cid, asked.caller)
    found = page.read(
        lambda cursor: usecases.invoice_rows(
            app, reads, access, section, cursor=cursor, limit=page.limit
        )
    )
    return invoice_page(found.items, found.next)


def section_list(section: SectionName, name: str, doc: str) -> Listing:
    """The route of one section's list (`name` and `doc` name it in OpenAPI). It declares its
    parameters itself rather than through a dependency: see `invoice_listing`."""

    async def route(
        *,
        cid: UUID,
        request: Request,
        caller: CurrentCaller,
        min_position: MinPosition = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response:
        asked = await invoice_listing(request, caller, min_position, limit, cursor)
        return await in_route_thread(listed, section, cid, asked)

    route.__name__, route.__doc__ = name, doc
    return route


LISTS = PageOf[InvoiceOut]
history = router.get("/v1/companies/{cid}/invoices", response_model=LISTS, responses=READ)(
    section_list("HISTORY", "history", "Your billing history, newest first: the last 12 months "
                 "of the accounts you see (R4, A7).")
)  # fmt: skip
archive = router.get("/v1/companies/{cid}/invoices/archive", response_model=LISTS, responses=READ)(
    section_list("ARCHIVE", "archive", "Invoices issued while an account was unenrolled, after "
                 "its re-enrollment (A6).")
)  # fmt: skip


@router.get("/v1/invoices/{iid}", responses=READ)
def invoice(*, iid: UUID, caller: CurrentCaller, app: App, reads: Reads) -> InvoiceDetailOut:
    """The invoice in detail, if you may see it (R4, A4-A7, I2)."""
    return invoice_detail_out(usecases.invoice_detail(app, reads, caller, iid))


@router.post("/v1/invoices/{iid}/payments", status_code=201, responses=WRITE)
def pay(
    *, iid: UUID, body: PaymentIn, caller: CurrentCaller, app: App, response: Response
) -> PaymentCreated:
    """Pay the whole balance today or schedule it up to the due date (who may pay it, I3)."""
    pay_on = body.pay_on or app.today()
    receipt = app.pay_invoice(caller, iid, pay_on, body.payment_method_id)
    return PaymentCreated(
        payment_id=receipt.result.payment_id,
        confirmation_number=receipt.result.confirmation_number,
        pay_on=pay_on,
        status="PAID" if pay_on == app.today() else "PAYMENT_SCHEDULED",
        position=written(response, receipt.position),
    )


@router.delete("/v1/invoices/{iid}/payments/{pid}", status_code=204, responses=WRITE)
def cancel_payment(*, iid: UUID, pid: PaymentPath, caller: CurrentCaller, app: App) -> Response:
    """Cancel a payment scheduled for a later date, before that date (who may pay it, I3):
    the invoice is open again; 409 once made."""
    receipt = app.cancel_payment(caller, iid, pid)
    return Response(status_code=204, headers={"X-Position": str(receipt.position)})


@router.post("/v1/invoices/{iid}/adjustments", status_code=201, responses=WRITE)
def request_adjustment(
    *, iid: UUID, body: AdjustmentIn, caller: CurrentCaller, app: App, response: Response
) -> AdjustmentCreated:
    """Dispute lines of the invoice, each for at most its amount (who may adjust it, I4)."""
    lines = [(x.tracking_number, Decimal(x.amount)) for x in body.lines]
    receipt = usecases.request_adjustment(app, caller, iid, body.reason, lines)
    return AdjustmentCreated(
        adjustment_id=receipt.result, position=written(response, receipt.position)
    )


@router.post("/v1/invoices/{iid}/adjustments/{aid}/decision", responses=WRITE)
def decide(
    *,
    iid: UUID,
    aid: AdjustmentPath,
    body: Decision,
    caller: CurrentCaller,
    app: App,
    response: Response,
) -> DecisionOut:
    """Approve (crediting the balance) or reject an adjustment request (the billing system, I4)."""
    lines = {x.tracking_number: Decimal(x.amount) for x in body.lines} if body.lines else None
    receipt = app.decide_adjustment(
        caller, iid, aid, approved=body.approved, comment=body.comment, lines=lines
    )
    credited = receipt.result
    return DecisionOut(
        adjustment_id=aid,
        status="APPROVED" if body.approved and credited else "REJECTED",
        position=written(response, receipt.position),
    )
