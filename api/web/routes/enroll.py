"""Enrolling a company (R1): its name and first accounts, each proven by a recent invoice (A1)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response
from starlette.datastructures import FormData

from api import usecases
from api.schemas import Enrollment
from api.translate import account_request
from api.web.routes.common import Ctx, Posted, console_router
from api.web.routes.forms import attempt, back, form_page, number, text
from api.web.templating import Console, redirect

router = console_router()
MAX_ROWS = 10


def _rows(ctx: Console, form: FormData | None) -> int:
    asked = (form.get("rows") if form else None) or ctx.request.query_params.get("rows", "1")
    count = number(asked, 2) or 1
    return max(1, min(count, MAX_ROWS))


def _page(
    ctx: Console, form: FormData | None = None, error: Exception | None = None, more: int = 0
) -> Response:
    rows = min(_rows(ctx, form) + more, MAX_ROWS)
    return form_page(ctx, "enroll.html", error, form, rows=rows, max_rows=MAX_ROWS)


@router.get("/console/enroll")
def enroll_page(ctx: Ctx) -> Response:
    """R1: a person in no company enrolls one."""
    if ctx.person.scope is None and ctx.member is not None:
        return redirect(ctx, "/console/invoices")
    return _page(ctx)


def account_body(form: FormData, i: int | str) -> dict[str, Any]:
    """One account of an enrollment or addition form, as the API's body takes it."""
    lob = text(form, f"lob_{i}")
    return {
        "country": text(form, f"country_{i}").upper(),
        "number": text(form, f"number_{i}").upper(),
        "line_of_business": lob,
        "account_type": (text(form, f"type_{i}") or None) if lob == "PACKAGE" else None,
        "proof": {
            "invoice_number": text(form, f"invoice_{i}"),
            "invoice_date": text(form, f"date_{i}"),
            "amount": text(form, f"amount_{i}").replace(",", "."),
            "control_id": text(form, f"control_{i}"),
        },
    }


@router.post("/console/enroll")
def enroll(ctx: Ctx, form: Posted) -> Response:
    """R1: enroll through the same use case as the API; you become the general administrator."""
    if "more" in form:
        return _page(ctx, form, more=1)

    def write() -> int:
        accounts = [account_body(form, i) for i in range(_rows(ctx, form))]
        body = Enrollment.model_validate({"name": text(form, "name"), "accounts": accounts})
        asked = [account_request(a) for a in body.accounts]
        return usecases.enroll_company(ctx.app, ctx.person, body.name, asked).position

    return attempt(write, lambda e: _page(ctx, form, e), back(ctx, "/console/invoices", "enrolled"))
