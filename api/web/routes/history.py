"""The billing and archive histories as the console lists them: read through the use cases the
API's routes call too (`api.usecases`), then filtered, sorted, paged and summed by age for the
page (presentation only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal

from starlette.datastructures import QueryParams

from api import usecases
from api.web.routes.forms import number
from api.web.templating import Console
from domain.searches import SORTABLE
from projections.queries import MAX_LIMIT, InvoiceView

PAGE_SIZE = 20


def everything(ctx: Console, section: Literal["HISTORY", "ARCHIVE"]) -> list[InvoiceView]:
    """Every invoice the caller may see in the section (the API's list, page by page)."""
    member = ctx.member
    assert member is not None
    access = usecases.invoice_reader(ctx.app, member.cid, ctx.person)
    found: list[InvoiceView] = []
    cursor: str | None = None
    while True:
        page = usecases.invoices(
            ctx.app, ctx.reads, access, section, cursor=cursor, limit=MAX_LIMIT
        )
        found.extend(page.items)
        if page.next is None:
            return found
        cursor = page.next


@dataclass
class Filters:
    """What the history page was asked to show."""

    account: str = ""
    status: str = ""
    since: date | None = None
    until: date | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    number: str = ""
    sort: str = "issue_date"
    descending: bool = True
    page: int = 1
    invalid: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, query: QueryParams) -> Filters:
        """Read the query; a malformed value is ignored and named."""
        f = cls(
            account=query.get("account", ""),
            status=query.get("status", ""),
            number=query.get("q", "").strip(),
        )
        f.since, f.until = f._day(query, "from"), f._day(query, "to")
        f.low, f.high = f._amount(query, "min"), f._amount(query, "max")
        sort = query.get("sort", "issue_date")
        f.sort = sort if sort in SORTABLE else "issue_date"
        f.descending = query.get("dir", "desc") != "asc"
        page = query.get("page", "1")
        f.page = number(page, 6) or 1
        return f

    def _day(self, query: QueryParams, name: str) -> date | None:
        try:
            return date.fromisoformat(query[name]) if query.get(name) else None
        except ValueError:
            self.invalid.append(name)
            return None

    def _amount(self, query: QueryParams, name: str) -> Decimal | None:
        try:
            return Decimal(query[name].replace(",", ".")) if query.get(name) else None
        except InvalidOperation:
            self.invalid.append(name)
            return None

    def keeps(self, invoice: InvoiceView, tracking: set[str]) -> bool:
        """Whether `invoice` passes the filters (`tracking`: its tracking numbers, if asked)."""
        paid = invoice.status == "PAID"
        amount = invoice.amount
        checks = (
            not self.account or invoice.account == self.account,
            self.status != "open" or not paid,
            self.status != "paid" or paid,
            self.since is None or invoice.issue_date >= self.since,
            self.until is None or invoice.issue_date <= self.until,
            self.low is None or amount >= self.low,
            self.high is None or amount <= self.high,
            not self.number
            or self.number.lower() in invoice.invoice_number.lower()
            or self.number in tracking,
        )
        return all(checks)


def tracking_numbers(ctx: Console, invoice: InvoiceView) -> set[str]:
    """The invoice's tracking numbers (read through the API's detail route)."""
    detail = usecases.invoice_detail(ctx.app, ctx.reads, ctx.person, invoice.invoice_id)
    return {line.tracking_number for line in detail.lines}


def chosen(ctx: Console, rows: list[InvoiceView], filters: Filters) -> list[InvoiceView]:
    """The invoices the filters keep, sorted as asked (the API's newest-first by default)."""

    def tracking(invoice: InvoiceView) -> set[str]:
        needed = filters.number and filters.number.lower() not in invoice.invoice_number.lower()
        return tracking_numbers(ctx, invoice) if needed else set()

    kept = [i for i in rows if filters.keeps(i, tracking(i))]
    if filters.sort == "issue_date" and filters.descending:
        return kept
    return sorted(kept, key=lambda i: _key(i, filters.sort), reverse=filters.descending)


def _key(invoice: InvoiceView, column: str) -> tuple[object, ...]:
    if column == "account":
        return tuple(invoice.account.split("-", 1))
    return (getattr(invoice, column),)


def page_of(rows: list[InvoiceView], page: int) -> tuple[list[InvoiceView], int]:
    """One page of rows and the number of pages."""
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(page, pages)
    return rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], pages
