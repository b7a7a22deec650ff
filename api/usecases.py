"""What every way in shares beyond the application's commands (issue 19): who may read a
company's invoices, the queries that answer with what they may see, and the few checks a
command's caller makes before calling it. The HTTP routes and the console both call these;
each then writes its own answer (JSON, a page).

Writes are otherwise the application's commands themselves, which decide and return their
position as a value (`Receipt.position`): neither way in calls the other's functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

from domain.application import BillingCenter, Receipt
from domain.caller import Caller
from domain.company import Company
from domain.errors import InvalidInput, NotFound
from domain.roles import Action
from projections.queries import (
    DEFAULT_LIMIT,
    Access,
    InvoiceDetail,
    InvoiceRow,
    InvoiceView,
    Page,
    ReadModels,
    SectionName,
)


def request_adjustment(
    app: BillingCenter, caller: Caller, iid: UUID, reason: str, lines: Sequence[tuple[str, Decimal]]
) -> Receipt[str]:
    """I4: dispute lines of an invoice, each tracking number once, each for at most its amount."""
    asked = dict(lines)
    if len(asked) != len(lines):
        raise InvalidInput("lines", "each tracking number once", rule="I4")
    return app.request_adjustment(caller, iid, reason, asked)


def access_of(company: Company, login: str) -> Access:
    """R4 as the store has it when the request is answered: what `login` may see in
    `company` (issue 18: never the read models' copy, which trails the store)."""
    every = company.sees_all_accounts(login)
    return Access(company.id, login, None if every else frozenset(company.visible_accounts(login)))


def invoice_reader(app: BillingCenter, cid: UUID, caller: Caller) -> Access:
    """The caller's access to the company's invoices, once the store says they may view them."""
    me = caller.as_person()
    company = app.read_company(cid)
    company.require(me, Action.VIEW_INVOICES)
    return access_of(company, me)


def invoices(
    app: BillingCenter,
    reads: ReadModels,
    access: Access,
    section: SectionName,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[InvoiceView]:
    """A page of the invoices `access` lets its member see in the section (R4, A6, A7)."""
    return reads.invoices(access.company_id, access.login, section, today=app.today(),
                          cursor=cursor, limit=limit, access=access)  # fmt: skip


def invoice_rows(
    app: BillingCenter,
    reads: ReadModels,
    access: Access,
    section: SectionName,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[InvoiceRow]:
    """The same page as `invoices`, its items as stored (for a list written as is: issue 5)."""
    return reads.invoice_rows(access.company_id, access.login, section, today=app.today(),
                              cursor=cursor, limit=limit, access=access)  # fmt: skip


def invoice_detail(
    app: BillingCenter, reads: ReadModels, caller: Caller, iid: UUID
) -> InvoiceDetail:
    """The invoice in detail, if the caller may see it (R4, A4-A7, I2); NotFound otherwise."""
    me = caller.as_person()
    seen = app.visible_invoice(me, iid)
    view = reads.invoice(iid, login=me, today=app.today(), access=access_of(seen.company, me))
    if view is None:
        raise NotFound("invoice", iid)
    return view
