"""An invoice as a PDF for whoever may see it, whichever way in asks (the API's route, the
console's link): drawn off the request threads by the renderer's own pool, and cached while
the invoice and its company are unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from starlette.concurrency import run_in_threadpool

from api.documents.rendering import PdfRenderer
from api.documents.sheet import InvoiceSheet, sheet_of
from domain.application import BillingCenter


@dataclass(frozen=True)
class PrintedInvoice:
    """An invoice's PDF and the name it is offered under."""

    content: bytes
    name: str


async def printed_invoice(
    app: BillingCenter, login: str, iid: UUID, renderer: PdfRenderer
) -> PrintedInvoice:
    """The invoice's PDF if `login` may see it (R4, A4-A7; archive ones are stamped, A6)."""
    key, sheet = await run_in_threadpool(_printable, app, login, iid)
    content = await renderer.pdf(key, sheet)
    return PrintedInvoice(content, f"invoice-{sheet.invoice_number}.pdf")


def _printable(
    app: BillingCenter, login: str, iid: UUID
) -> tuple[tuple[object, ...], InvoiceSheet]:
    """What `login` may print of the invoice, and what it was drawn from (the cache key)."""
    seen = app.visible_invoice(login, iid)
    company = seen.company
    key = (iid, seen.invoice.version, company.id, company.version, seen.section.value)
    return key, sheet_of(seen)
