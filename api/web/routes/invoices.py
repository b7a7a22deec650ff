"""Billing history (A7), archive history (A6), one invoice: pay it or cancel a scheduled
payment (I3), its credit (I10), dispute lines (I4), and its PDF and the CSV of what a list
shows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import orjson
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api import receipts, usecases
from api.documents.aging import BUCKETS, aging
from api.documents.csv_export import csv_chunks
from api.documents.names import content_disposition
from api.documents.printing import printed_invoice
from api.documents.receipt import render_receipt
from api.documents.rendering import PdfRenderer
from api.export_key import export_signer
from api.schemas import AdjustmentIn, PaymentIn
from api.web.routes.common import Ctx, Posted, console_router, member_of, uuid_or_404
from api.web.routes.forms import attempt, back, form_page, text, texts
from api.web.routes.history import (
    Filters,
    chosen,
    everything,
    page_of,
)
from api.web.templating import Console, redirect, render, secured
from domain.errors import InvalidInput, NotFound
from domain.searches import FILTER_NAMES, SORTABLE
from projections.queries import MAX_LIMIT, InvoiceDetail, InvoiceView, PaymentMethodView

router = console_router()


@router.get("/console/invoices")
def history_page(ctx: Ctx) -> Response:
    """A7: the last 12 months, newest first; filters, sorting, paging, aging, CSV, PDFs."""
    return history(ctx)


def history(ctx: Console, problem: Exception | None = None) -> Response:
    """The history page; `problem`: why saving its filters was refused (R12)."""
    member = member_of(ctx)
    filters = Filters.of(ctx.request.query_params)
    rows = chosen(ctx, everything(ctx, "HISTORY"), filters)
    shown_rows, pages = page_of(rows, filters.page)
    query = {k: v for k, v in ctx.request.query_params.items() if k not in ("seen", "done")}
    return form_page(
        ctx,
        "history.html",
        problem,
        filters=filters,
        rows=shown_rows,
        count=len(rows),
        pages=pages,
        page=min(filters.page, pages),
        aging=aging(rows, ctx.app.today()),
        buckets=BUCKETS,
        sortable=SORTABLE,
        accounts=member.company.visible_accounts(member.login),
        query=query,
        saved=ctx.app.saved_searches(ctx.person.as_person()),
        saved_filters={k: v for k, v in query.items() if k in FILTER_NAMES and v},
        urlencode=urlencode,
    )


@router.get("/console/invoices.csv")
def history_csv(ctx: Ctx) -> Response:
    """The CSV of exactly what the history page shows with these filters."""
    member_of(ctx)
    filters = Filters.of(ctx.request.query_params)
    rows = chosen(ctx, everything(ctx, "HISTORY"), filters)
    return _csv(ctx, rows, "invoices.csv")


def _csv(ctx: Console, rows: list[InvoiceView], name: str) -> Response:
    body = b"".join(csv_chunks(rows, ctx.reads.line_accounts))
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return secured(ctx, Response(body, media_type="text/csv; charset=utf-8", headers=headers))


@router.get("/console/archive")
def archive_page(ctx: Ctx) -> Response:
    """A6: invoices issued while an account was unenrolled; view and download only."""
    member_of(ctx)
    rows = everything(ctx, "ARCHIVE")
    page = Filters.of(ctx.request.query_params).page
    shown_rows, pages = page_of(rows, page)
    return render(
        ctx, "archive.html", rows=shown_rows, count=len(rows), pages=pages, page=min(page, pages)
    )


@router.get("/console/archive.csv")
def archive_csv(ctx: Ctx) -> Response:
    """The archive history as CSV."""
    member_of(ctx)
    return _csv(ctx, everything(ctx, "ARCHIVE"), "archive.csv")


def _detail(ctx: Console, iid: str) -> InvoiceDetail:
    return usecases.invoice_detail(ctx.app, ctx.reads, ctx.person, uuid_or_404(iid, "invoice"))


def _page(
    ctx: Console, iid: str, error: Exception | None = None, form: FormData | None = None
) -> Response:
    member = member_of(ctx)
    invoice = _detail(ctx, iid)
    key = invoice.account
    actionable = invoice.section == "HISTORY"
    payable = actionable and invoice.status == "OPEN" and invoice.balance > 0
    may_pay = payable and member.can("PAY")
    methods = _methods(ctx) if may_pay else []
    today = ctx.app.today()
    return form_page(
        ctx,
        "invoice.html",
        error,
        form,
        invoice=invoice,
        account=key,
        may_pay=may_pay,
        methods=methods,
        today=today,
        last_day=max(today, invoice.due_date),
        may_adjust=actionable and member.can("ADJUST"),
        Decimal=Decimal,
        confirmation=ctx.request.query_params.get("confirmation", ""),
        timedelta=timedelta,
        open_lines={t for a in invoice.adjustments if a.status == "OPEN" for t in a.lines},
        may_cancel=actionable and member.can("PAY"),
        account_credit=_credit_of(ctx, key),
    )


def _credit_of(ctx: Console, key: str) -> Decimal:
    """I10: the credit left on the invoice's account (0 for an account not seen)."""
    member = member_of(ctx)
    accounts = usecases.visible_accounts(ctx.app, ctx.reads, ctx.person, member.cid)
    return next((a.credit for a in accounts if f"{a.country}-{a.number}" == key), Decimal(0))


def _methods(ctx: Console) -> list[PaymentMethodView]:
    member = member_of(ctx)
    return usecases.payment_methods(ctx.app, ctx.reads, ctx.person, member.cid)[:MAX_LIMIT]


@router.get("/console/invoices/{iid}")
def invoice_page(ctx: Ctx, iid: str) -> Response:
    """One invoice: lines, balance, payments, adjustments; pay or dispute where allowed."""
    return _page(ctx, iid)


@router.get("/console/invoices/{iid}/pdf")
async def invoice_pdf(ctx: Ctx, iid: str) -> Response:
    """The invoice PDF, printed as the API prints it (the same renderer pool and cache)."""
    renderer: PdfRenderer = ctx.request.app.state.pdfs
    printed = await printed_invoice(
        ctx.app, ctx.person.as_person(), uuid_or_404(iid, "invoice"), renderer
    )
    headers = {"Content-Disposition": content_disposition("inline", printed.name)}
    return secured(ctx, Response(printed.content, media_type="application/pdf", headers=headers))


@router.post("/console/invoices/{iid}/pay")
def pay(ctx: Ctx, iid: str, form: Posted) -> Response:
    """I3: pay the whole balance today or on a date up to the due date."""
    confirmation: list[str] = []

    def write() -> int:
        body = PaymentIn.model_validate(
            {
                "pay_on": text(form, "pay_on") or None,
                "payment_method_id": text(form, "method") or None,
            }
        )
        paid = ctx.app.pay_invoice(
            ctx.person, uuid_or_404(iid, "invoice"), body.pay_on, body.payment_method_id
        )
        confirmation.append(paid.result.confirmation_number)
        return paid.position

    def done(position: int) -> Response:
        return redirect(
            ctx,
            f"/console/invoices/{iid}",
            position=position,
            done="paid",
            confirmation=confirmation[0],
        )

    return attempt(write, lambda e: _page(ctx, iid, e, form), done)


@router.post("/console/invoices/{iid}/payments/{pid}/cancel")
def cancel_payment(ctx: Ctx, iid: str, pid: str, form: Posted) -> Response:
    """I3: cancel a payment scheduled for a later date, once confirmed: the invoice is open
    again."""

    def write() -> int:
        if text(form, "confirm") != "yes":
            raise InvalidInput("confirm", "an explicit confirmation", rule="I3")
        return ctx.app.cancel_payment(ctx.person, uuid_or_404(iid, "invoice"), pid).position

    done = back(ctx, f"/console/invoices/{iid}", "payment_cancelled")
    return attempt(write, lambda e: _page(ctx, iid, e, form), done)


@router.post("/console/invoices/{iid}/adjust")
def adjust(ctx: Ctx, iid: str, form: Posted) -> Response:
    """I4: dispute the ticked lines, each for at most its amount, with a reason."""

    def write() -> int:
        lines = [
            {"tracking_number": t, "amount": text(form, f"amount_{t}").replace(",", ".")}
            for t in texts(form, "line")
        ]
        body = AdjustmentIn.model_validate({"reason": text(form, "reason"), "lines": lines})
        asked = [(x.tracking_number, Decimal(x.amount)) for x in body.lines]
        made = usecases.request_adjustment(
            ctx.app, ctx.person, uuid_or_404(iid, "invoice"), body.reason, asked
        )
        return made.position

    def done(position: int) -> Response:
        return redirect(
            ctx, f"/console/invoices/{iid}", position=position, done="adjustment_requested"
        )

    return attempt(write, lambda e: _page(ctx, iid, e, form), done)


@router.get("/console/invoices/{iid}/payments/{pid}/receipt.{kind}")
async def payment_receipt(ctx: Ctx, iid: str, pid: str, kind: str) -> Response:
    """I8: the payment's receipt, as the API gives it: a PDF with its JSON inside, or the JSON."""
    if kind not in {"pdf", "json"}:
        raise NotFound("receipt format", kind)
    signer = export_signer(ctx.request.app.state.settings)
    document = await run_in_threadpool(
        lambda: receipts.payment_receipt(
            ctx.app, ctx.reads, ctx.person, uuid_or_404(iid, "invoice"), pid, signer=signer
        )
    )
    name = f"receipt-{document['receipt']['confirmation_number']}.{kind}"
    headers = {"Content-Disposition": content_disposition("attachment", name)}
    if kind == "json":
        return secured(ctx, Response(orjson.dumps(document), media_type="application/json",
                                     headers=headers))  # fmt: skip
    content = await run_in_threadpool(render_receipt, document)
    return secured(ctx, Response(content, media_type="application/pdf", headers=headers))
