"""The statement (R12): the open invoices a member may see, aged, for a period — on demand
(`GET /v1/companies/{cid}/statement`) and by subscription (the outbox's STATEMENT rows,
computed when the e-mail is sent: what the subscriber may see *then*, R4, A4-A7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from api import usecases
from api.documents.aging import aging, is_due
from domain.application import BillingCenter
from domain.caller import Caller
from domain.statements import Period
from projections.queries import MAX_LIMIT, InvoiceView, ReadModels


@dataclass(frozen=True)
class Statement:
    """One member's statement of one company for one period."""

    period: Period
    company: str
    login: str
    as_of: date
    invoices: tuple[InvoiceView, ...]
    aging: dict[str, dict[str, Decimal]]
    line_accounts: dict[UUID, tuple[str, ...]]  # A8: by invoice, for its CSV


def statement_of(
    app: BillingCenter, reads: ReadModels, caller: Caller, cid: UUID, period: Period
) -> Statement:
    """What `caller` may see of the company's open invoices issued by the period's end
    (the billing history's: R4, A4-A7), aged on that day (or today, for the current one)."""
    access = usecases.invoice_reader(app, cid, caller)
    as_of = min(period.end, app.today())
    kept: list[InvoiceView] = []
    cursor: str | None = None
    while True:
        page = usecases.invoices(app, reads, access, "HISTORY", cursor=cursor, limit=MAX_LIMIT)
        kept += [i for i in page.items if is_due(i) and i.issue_date <= period.end]
        if page.next is None:
            break
        cursor = page.next
    kept.sort(key=lambda i: (i.due_date, i.invoice_number))
    company = app.read_company(cid).name
    billed = reads.line_accounts([i.invoice_id for i in kept])
    return Statement(period, company, caller.login, as_of, tuple(kept), aging(kept, as_of), billed)
