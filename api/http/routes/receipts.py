"""Receipts (I8): a payment and the proof that its event is in the store's signed chain,
as JSON (the verifiable document) or, with `Accept: application/pdf`, printed."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Header, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from api.documents.names import content_disposition
from api.documents.receipt import render_receipt
from api.export_key import export_signer
from api.http.deps import App, CurrentCaller, Reads
from api.http.hop import OneHopRoute
from api.http.responses import COMMON, READ
from api.receipts import payment_receipt

router = APIRouter(route_class=OneHopRoute, tags=["invoices"], responses=COMMON)

PDF = "application/pdf"
PaymentPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z-]+$")]


@router.get(
    "/v1/invoices/{iid}/payments/{pid}/receipt",
    responses=READ | {200: {"content": {PDF: {}}}},
)
async def receipt(
    *,
    iid: UUID,
    pid: PaymentPath,
    request: Request,
    caller: CurrentCaller,
    app: App,
    reads: Reads,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """The payment's receipt with its proof (I8), if you may see the invoice (R4, A4-A7).

    Verify it offline with `billing-center audit verify-receipt FILE --public-key KEY`
    (README "Receipts" gives the procedure, for any language)."""
    signer = export_signer(request.app.state.settings)
    document: dict[str, Any] = await run_in_threadpool(
        lambda: payment_receipt(app, reads, caller, iid, pid, signer=signer)
    )
    if accept and PDF in accept and "application/json" not in accept:
        content = await run_in_threadpool(render_receipt, document)
        name = f"receipt-{document['receipt']['confirmation_number']}.pdf"
        disposition = {"Content-Disposition": content_disposition("attachment", name)}
        return Response(content, media_type=PDF, headers=disposition)
    return Response(orjson.dumps(document), media_type="application/json")
