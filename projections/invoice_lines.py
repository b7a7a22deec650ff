"""A8: the shipper accounts an invoice's lines bill (a plan's invoice bills several), read
off the invoices read model's stored detail for a page of invoices at a time: what the CSV
of the billing history shows beside each invoice."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

import orjson

from projections.invoices import Invoices
from store.database import Tx


def accounts_billed(lines: list[dict[str, object]]) -> tuple[str, ...]:
    """The distinct accounts `lines` name, in line order (none for a plain invoice)."""
    named = (line.get("account") for line in lines)
    return tuple(dict.fromkeys(str(account) for account in named if account))


class InvoiceLinesView:
    """Queries over the live invoices (`invoices_*`) for their lines' accounts."""

    def __init__(self, prefix: str = "invoices_") -> None:
        self.projection = Invoices(prefix)

    def line_accounts(self, tx: Tx, invoice_ids: Collection[UUID]) -> dict[UUID, tuple[str, ...]]:
        """Each invoice's `accounts_billed`; the caller already decided it may see them."""
        rows = self.projection.all_in(
            tx,
            "SELECT invoice_id, detail FROM @invoices WHERE invoice_id IN",
            sorted(str(i) for i in invoice_ids),
        )
        return {UUID(i): accounts_billed(orjson.loads(detail)["lines"]) for i, detail in rows}
