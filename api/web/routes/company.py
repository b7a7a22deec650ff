"""The company (R10) and its bank accounts (R11): masked numbers, the default one."""

from __future__ import annotations

from fastapi.responses import Response
from starlette.datastructures import FormData

from api import usecases
from api.schemas import CompanyDetails, NewPaymentMethod
from api.web.routes.common import Ctx, Posted, console_router, member_of
from api.web.routes.forms import attempt, back, form_page, text
from api.web.templating import Console
from domain.application import BankAccount
from projections.queries import MAX_LIMIT, PaymentMethodView

router = console_router()


def _methods(ctx: Console) -> list[PaymentMethodView]:
    member = member_of(ctx)
    if not member.can("PAY"):
        return []
    return usecases.payment_methods(ctx.app, ctx.reads, ctx.person, member.cid)[:MAX_LIMIT]


def _page(ctx: Console, error: Exception | None = None, form: FormData | None = None) -> Response:
    member = member_of(ctx)
    info = usecases.company_summary(ctx.app, ctx.reads, ctx.person, member.cid)
    return form_page(ctx, "company.html", error, form, company=info, methods=_methods(ctx))


@router.get("/console/company")
def company_page(ctx: Ctx) -> Response:
    """R10/R11: the company's information and bank accounts."""
    return _page(ctx)


@router.post("/console/company")
def change_details(ctx: Ctx, form: Posted) -> Response:
    """R10: Administrators keep the name and address up to date."""
    member = member_of(ctx)

    def write() -> int:
        body = CompanyDetails.model_validate(
            {"name": text(form, "name"), "address": text(form, "address")}
        )
        return ctx.app.change_company_details(
            ctx.person, member.cid, body.name, body.address
        ).position

    return attempt(
        write, lambda e: _page(ctx, e, form), back(ctx, "/console/company", "company_changed")
    )


@router.post("/console/company/bank-accounts")
def add_bank_account(ctx: Ctx, form: Posted) -> Response:
    """R11: the general administrator adds a bank account; the first is the default."""
    member = member_of(ctx)

    def write() -> int:
        body = NewPaymentMethod.model_validate(
            {
                "holder": text(form, "holder"),
                "bank_code": text(form, "bank_code"),
                "account_number": text(form, "account_number"),
                "default": "default" in form,
            }
        )
        bank = BankAccount(body.holder, body.bank_code, body.account_number)
        return ctx.app.add_payment_method(
            ctx.person, member.cid, bank, make_default=body.default
        ).position

    return attempt(
        write, lambda e: _page(ctx, e, form), back(ctx, "/console/company", "method_added")
    )


@router.post("/console/company/bank-accounts/{pmid}/default")
def make_default(ctx: Ctx, pmid: str, _: Posted) -> Response:
    """R11: change the default bank account."""
    member = member_of(ctx)

    def write() -> int:
        return ctx.app.make_default_payment_method(ctx.person, member.cid, pmid).position

    return attempt(write, lambda e: _page(ctx, e), back(ctx, "/console/company", "default_changed"))


@router.post("/console/company/close")
def close_company(ctx: Ctx, form: Posted) -> Response:
    """R14: the general administrator closes the company, confirmed, once no account is
    enrolled; its members are released."""
    member = member_of(ctx)

    def write() -> int:
        confirmed = "confirm" in form
        return ctx.app.close_company(ctx.person, member.cid, confirmed=confirmed).position

    return attempt(write, lambda e: _page(ctx, e), back(ctx, "/console/enroll", "company_closed"))
