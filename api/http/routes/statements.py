"""Statements (R12): subscribe to one weekly or monthly, or fetch a month's on demand."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import orjson
from fastapi import APIRouter, Header, Query, Response
from starlette.concurrency import run_in_threadpool

from api.documents.names import content_disposition
from api.documents.statement import render_statement, statement_csv
from api.http.deps import App, CurrentCaller, Reads, written
from api.http.hop import OneHopRoute
from api.http.responses import COMMON, READ, WRITE
from api.schemas.statements import StatementSubscription, SubscriptionChanged
from api.schemas.values import amount_text
from api.statements import Statement, statement_of
from domain.statements import Frequency, month

router = APIRouter(route_class=OneHopRoute, tags=["me"], responses=COMMON)

PDF, CSV = "application/pdf", "text/csv"
Month = Annotated[str, Query(min_length=7, max_length=7, pattern=r"^\d{4}-\d{2}$",
                             examples=["2026-11"])]  # fmt: skip


@router.put("/v1/me/statement", responses=WRITE)
def subscribe(
    *, body: StatementSubscription, caller: CurrentCaller, app: App, response: Response
) -> SubscriptionChanged:
    """Receive a statement of your open invoices weekly or monthly, or stop (R12)."""
    frequency = Frequency(body.frequency) if body.frequency else None
    receipt = app.subscribe_statement(caller, frequency)
    return SubscriptionChanged(
        frequency=body.frequency, position=written(response, receipt.position)
    )


@router.get(
    "/v1/companies/{cid}/statement",
    responses=READ | {200: {"content": {PDF: {}, CSV: {}}}},
)
async def statement(
    *,
    cid: UUID,
    period: Month,
    caller: CurrentCaller,
    app: App,
    reads: Reads,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """The month's statement of the open invoices you may see (R12, R4, A4-A7): JSON, or
    the PDF with `Accept: application/pdf`, or the CSV with `Accept: text/csv`."""
    asked = month(period)
    found = await run_in_threadpool(statement_of, app, reads, caller, cid, asked)
    wanted = accept or ""
    name = f"statement-{asked.name}"
    if PDF in wanted:
        content = await run_in_threadpool(render_statement, found)
        return _file(content, PDF, f"{name}.pdf")
    if CSV in wanted:
        return _file(statement_csv(found), f"{CSV}; charset=utf-8", f"{name}.csv")
    return Response(orjson.dumps(_json(found)), media_type="application/json")


def _file(content: bytes, media_type: str, name: str) -> Response:
    headers = {"Content-Disposition": content_disposition("attachment", name)}
    return Response(content, media_type=media_type, headers=headers)


def _json(found: Statement) -> dict[str, object]:
    return {
        "period": found.period.name,
        "as_of": found.as_of.isoformat(),
        "aging": {
            currency: {bucket: amount_text(amount) for bucket, amount in sums.items()}
            for currency, sums in found.aging.items()
        },
        "invoices": [
            {"invoice_id": str(i.invoice_id), "invoice_number": i.invoice_number,
             "account": i.account, "issue_date": i.issue_date.isoformat(),
             "due_date": i.due_date.isoformat(), "currency": i.currency,
             "balance": amount_text(i.balance), "status": i.status}
            for i in found.invoices
        ],
    }  # fmt: skip
