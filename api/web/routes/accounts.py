"""Accounts (A1-A6, I6): status, paper billing, automatic payment; add, unenroll, re-enroll."""

from __future__ import annotations

from fastapi.responses import Response
from starlette.datastructures import FormData

from api import usecases
from api.schemas import AutopayIn, NewAccount, Reenrollment, Unenrollment
from api.translate import account_request
from api.web.routes.common import Ctx, Posted, console_router, member_of
from api.web.routes.enroll import account_body
from api.web.routes.forms import attempt, back, form_page, number, refs, text, texts
from api.web.templating import Console
from domain.values import AccountKey
from projections.queries import MAX_LIMIT, AccountView

router = console_router()


def _accounts(ctx: Console) -> list[AccountView]:
    member = member_of(ctx)
    return usecases.visible_accounts(ctx.app, ctx.reads, ctx.person, member.cid)[:MAX_LIMIT]


def _page(
    ctx: Console, error: Exception | None = None, form: FormData | None = None, where: str = ""
) -> Response:
    picked = texts(form, "accounts") if form else []
    return form_page(ctx, "accounts.html", error, form, accounts=_accounts(ctx), where=where,
                     picked=picked)  # fmt: skip


@router.get("/console/accounts")
def accounts_page(ctx: Ctx) -> Response:
    """The accounts you may see, with what you may do to them."""
    return _page(ctx)


@router.post("/console/accounts")
def add_account(ctx: Ctx, form: Posted) -> Response:
    """A1/A2: Administrators add an account, proven with one of its latest invoices."""
    member = member_of(ctx)

    def write() -> int:
        body = NewAccount.model_validate(account_body(form, "new"))
        return usecases.add_account(ctx.app, ctx.person, member.cid, account_request(body)).position

    return attempt(
        write, lambda e: _page(ctx, e, form, "add"), back(ctx, "/console/accounts", "account_added")
    )


@router.post("/console/accounts/unenroll")
def unenroll(ctx: Ctx, form: Posted) -> Response:
    """A3: the general administrator unenrolls the ticked accounts; OTHER needs a comment."""
    member = member_of(ctx)

    def write() -> int:
        body = Unenrollment.model_validate(
            {
                "accounts": refs(texts(form, "accounts")),
                "reason": text(form, "reason"),
                "comment": text(form, "comment"),
            }
        )
        keys = [a.key() for a in body.accounts]
        return ctx.app.unenroll_accounts(
            ctx.person, member.cid, keys, body.reason, body.comment
        ).position

    return attempt(
        write,
        lambda e: _page(ctx, e, form, "unenroll"),
        back(ctx, "/console/accounts", "unenrolled"),
    )


@router.post("/console/accounts/reenroll")
def reenroll(ctx: Ctx, form: Posted) -> Response:
    """A5: re-enroll the ticked accounts, or all unenrolled ones."""
    member = member_of(ctx)

    def write() -> int:
        every = text(form, "which") == "all"
        picked = None if every else refs(texts(form, "accounts"))
        body = Reenrollment.model_validate({"accounts": picked})
        keys = [a.key() for a in body.accounts] if body.accounts is not None else None
        return ctx.app.reenroll_accounts(ctx.person, member.cid, keys).position

    return attempt(
        write,
        lambda e: _page(ctx, e, form, "reenroll"),
        back(ctx, "/console/accounts", "reenrolled"),
    )


def _days(days: str) -> int:
    """Days before the due date as typed; anything but a small number is refused (-1)."""
    typed = number(days, 3)
    return -1 if typed is None else typed


@router.post("/console/accounts/{acct}/autopay")
def autopay(ctx: Ctx, acct: str, form: Posted) -> Response:
    """I6: set up (or cancel) the account's automatic payment."""
    member = member_of(ctx)
    cancel = text(form, "action") == "cancel"

    def write() -> int:
        if cancel:
            return ctx.app.cancel_autopay(ctx.person, member.cid, AccountKey.parse(acct)).position
        days = text(form, "days")
        body = AutopayIn.model_validate({"days_before_due": _days(days)})
        key = AccountKey.parse(acct)
        return ctx.app.set_up_autopay(
            ctx.person, member.cid, key, body.days_before_due, body.payment_method_id
        ).position

    done = "autopay_cancelled" if cancel else "autopay_set"
    return attempt(
        write, lambda e: _page(ctx, e, form, "autopay"), back(ctx, "/console/accounts", done)
    )
