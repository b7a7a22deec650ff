"""Invoice visibility read model: each invoice's company and section (A4, A6, A7, I2),
its balance, status and detail; and "the invoices login L may see in company C".

Placement follows `domain.visibility.place` exactly, set-based: an invoice delivered
while its account is enrolled is HISTORY for the holder, forever; one delivered while
the account is unenrolled is HIDDEN for the last holder until that company re-enrolls the
account (then ARCHIVE: one UPDATE over the account's hidden invoices, whatever cycle they
were delivered in) or another company enrolls it (then never: I2). The accounts a login
sees (R4) are given to the queries (`Access`: `domain.access`'s answer from the write
side, or the directory's `access` table); A7's window is a range on the indexed issue date,
widened to the invoices still due whenever they were printed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

import orjson

from domain.visibility import history_cutoff
from projections.base import Projection, decode_cursor, encode_cursor
from projections.events import EventRecord
from projections.invoice_credits import CreditHandlers
from projections.queries import (
    AdjustmentView,
    DocumentView,
    InvoiceDetail,
    InvoiceRow,
    InvoiceView,
    LineView,
    PaymentView,
    RowsPage,
)
from store.database import Row, Tx

_LATER = {
    "PaymentScheduled",
    "PaymentMade",
    "AdjustmentRequested",
    "AdjustmentDecided",
    "AdjustmentDecidedInPart",
    "AdjustmentInReview",
    "DocumentAttached",
}
"""Events on an invoice issued earlier: `prepare` fetches those invoices per page."""
_ENROLLMENT = {"AccountEnrolled", "AccountReenrolled", "AccountUnenrolled"}


@dataclass
class _Invoice:
    """An invoice as the page sees it (written once per page by `flush`)."""

    account: str
    company: str | None
    section: str | None
    issued: str
    balance: Decimal
    detail: dict[str, Any]
    status: str = "OPEN"


_INVOICE_COLUMNS = (
    *("invoice_id", "invoice_number", "account", "issue_date", "due_date", "currency"),
    *("amount", "balance", "status", "account_sequence", "position", "company_id", "section"),
    "detail",
)
_IN_VIEW = "(i.issue_date > ? OR (i.status <> 'PAID' AND CAST(i.balance AS NUMERIC) > 0))"
"""A7 as SQL: printed after the cutoff, or still due (`domain.visibility.outstanding`, the
same notion: not paid, a balance above zero) whenever it was printed."""
_COLUMNS = (
    "invoice_id, invoice_number, account, issue_date, due_date, currency, amount, balance, "
    "status, section"
)


def _json(detail: dict[str, Any]) -> str:
    """An invoice's detail as JSON text (orjson: the stdlib's encoder was a tenth of catch-up).
    The lines keep the event's own values until here: orjson writes dates and uuids as
    `jsonable` does, and `str` writes the decimals (converting every line first was 6%)."""
    return orjson.dumps(detail, default=str).decode()


class Invoices(CreditHandlers, Projection):
    """Invoices with their placement, and the accounts' holder and enrollment state."""

    tables: ClassVar[dict[str, str]] = {
        "account_state": "aggregate_id TEXT PRIMARY KEY, account TEXT NOT NULL UNIQUE, "
        "holder TEXT, enrolled INTEGER NOT NULL",
        "invoices": "invoice_id TEXT PRIMARY KEY, invoice_number TEXT NOT NULL, "
        "account TEXT NOT NULL, issue_date TEXT NOT NULL, due_date TEXT NOT NULL, "
        "currency TEXT NOT NULL, amount TEXT NOT NULL, balance TEXT NOT NULL, "
        "status TEXT NOT NULL, account_sequence BIGINT NOT NULL, position BIGINT NOT NULL, "
        "company_id TEXT, section TEXT, detail TEXT NOT NULL",
    }
    indexes: ClassVar[dict[str, str]] = {
        "invoices_by_account": "invoices (account, company_id, section)"
    }
    reader_indexes: ClassVar[dict[str, str]] = {
        "invoices_by_section": "invoices (company_id, section, issue_date, position)"
    }

    def __init__(self, prefix: str) -> None:
        super().__init__(prefix)
        self.page: dict[UUID, _Invoice] = {}  # invoices read or written during the page
        self.new: dict[UUID, tuple[object, ...]] = {}  # issued during the page
        self.changed: set[UUID] = set()

    def prepare(self, tx: Tx, events: Sequence[EventRecord]) -> None:
        ids = sorted({e.key for e in events if e.type in _LATER})
        rows = self.all_in(
            tx,
            "SELECT invoice_id, account, company_id, section, issue_date, balance, detail, "
            "status FROM @invoices WHERE invoice_id IN",
            ids,
        )
        for r in rows:
            self.page[UUID(r[0])] = _Invoice(
                r[1], r[2], r[3], r[4], Decimal(r[5]), orjson.loads(r[6]), r[7]
            )
        self._prepare_accounts(tx, events)

    def _prepare_accounts(self, tx: Tx, events: Sequence[EventRecord]) -> None:
        """The state of the page's accounts, by aggregate and by account, in two queries."""
        select = "SELECT aggregate_id, account, holder, enrolled FROM @account_state WHERE"
        ids = sorted({e.key for e in events if e.type in _ENROLLMENT})
        accounts = sorted({e.data["account"] for e in events if e.type == "InvoiceIssued"})
        rows = self.all_in(tx, f"{select} aggregate_id IN", ids)
        rows += self.all_in(tx, f"{select} account IN", accounts)
        for aggregate, account, holder, enrolled in rows:
            self.memo["state", aggregate] = (account, holder)
            self.memo["holding", account] = (holder, int(enrolled))

    def finish_page(self, tx: Tx) -> None:
        """The page's new invoices in one batch, then the changed ones in another."""
        inserted = [
            (
                *row[:7],
                str(i.balance),
                i.status,
                *row[7:],
                i.company,
                i.section,
                _json(i.detail),
            )
            for key, row in self.new.items()
            for i in (self.page[key],)
        ]
        self.flush(tx)  # the deferred set-based UPDATEs only meet the invoices of earlier pages
        tx.copy(self.prefixed("@invoices"), _INVOICE_COLUMNS, inserted)
        updated = [
            (str(i.balance), i.status, _json(i.detail), str(key))
            for key in sorted(self.changed - self.new.keys())
            for i in (self.page[key],)
        ]
        texts = ", ".join(["CAST(? AS TEXT[])"] * 4)
        self.columns(
            tx,
            "UPDATE @invoices SET balance = ?, status = ?, detail = ? WHERE invoice_id = ?",
            "UPDATE @invoices SET balance = v.b, status = v.s, detail = v.d "
            f"FROM unnest({texts}) AS v(b, s, d, i) WHERE invoice_id = v.i",
            updated,
        )
        self.new, self.changed = {}, set()

    def _moved(self, account: str, company: str, to: tuple[str | None, str | None]) -> None:
        """The set-based UPDATE below, on the page's invoices (those not written yet too);
        the deferred UPDATE runs before `finish_page` writes them, so it only meets older ones."""
        for i in self.page.values():
            if i.account == account and i.company == company and i.section == "HIDDEN":
                i.company, i.section = to

    def on_AccountRegistered(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        account = f"{e.data['country']}-{e.data['number']}"
        self.memo["state", e.key] = (account, None)
        self.memo["holding", account] = (None, 0)
        self.defer(
            tx,
            "account_state",
            "INSERT INTO @account_state VALUES (?, ?, NULL, 0)",
            (e.key, account),
            key=e.key,
        )

    def _state(self, tx: Tx, e: EventRecord) -> tuple[str, str | None]:
        if (known := self.memo.get(("state", e.key))) is not None:
            return known  # type: ignore[no-any-return]
        row = self.one(
            tx,
            "SELECT account, holder FROM @account_state WHERE aggregate_id = ?",
            (e.key,),
        )
        assert row is not None, f"account {e.aggregate_id} was never registered"
        return str(row[0]), row[1]

    def on_AccountEnrolled(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        account, former = self._state(tx, e)
        if former is not None and former != e.data["company_id"]:
            self._moved(account, former, (None, None))
            # I2: delivered between two companies' intervals: never visible to either.
            self.defer(
                tx,
                "invoices",
                "UPDATE @invoices SET company_id = NULL, section = NULL "
                "WHERE account = ? AND company_id = ? AND section = 'HIDDEN'",
                (account, former),
                key=account,
            )
        self._enrolled(tx, e, 1)

    def _holding(self, tx: Tx, account: str) -> tuple[str | None, int]:
        """The account's holder and whether it is enrolled there now (remembered per page)."""
        key = ("holding", account)
        if key not in self.memo:
            row = self.one(
                tx, "SELECT holder, enrolled FROM @account_state WHERE account = ?", (account,)
            )
            self.memo[key] = (row[0], int(row[1])) if row else (None, 0)
        return self.memo[key]  # type: ignore[no-any-return]

    def _enrolled(self, tx: Tx, e: EventRecord, enrolled: int) -> None:
        account, _ = self._state(tx, e)
        self.memo["holding", account] = (e.data["company_id"], enrolled)
        self.memo["state", e.key] = (account, e.data["company_id"])
        self.defer(
            tx,
            "account_state",
            "UPDATE @account_state SET holder = ?, enrolled = ? WHERE aggregate_id = ?",
            (e.data["company_id"], enrolled, e.key),
            key=e.key,
        )

    def on_AccountUnenrolled(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._enrolled(tx, e, 0)

    def on_AccountReenrolled(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        account, _ = self._state(tx, e)
        self._moved(account, e.data["company_id"], (e.data["company_id"], "ARCHIVE"))
        # A6: what was delivered during this company's gaps becomes its archive.
        self.defer(
            tx,
            "invoices",
            "UPDATE @invoices SET section = 'ARCHIVE' "
            "WHERE account = ? AND company_id = ? AND section = 'HIDDEN'",
            (account, e.data["company_id"]),
            key=account,
        )
        self._enrolled(tx, e, 1)

    def on_InvoiceIssued(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        d = e.data
        holder, enrolled = self._holding(tx, d["account"])
        section = None if holder is None else ("HISTORY" if enrolled else "HIDDEN")
        detail = {"lines": d["lines"], "payments": [], "adjustments": {}, "documents": []}
        self.page[e.aggregate_id] = _Invoice(
            d["account"], holder, section, d["issue_date"], d["amount"], detail
        )
        self.new[e.aggregate_id] = (
            e.key,
            d["invoice_number"],
            d["account"],
            d["issue_date"],
            d["due_date"],
            d["currency"],
            str(d["amount"]),
            d["account_sequence"],
            e.position,
        )

    def _load(self, tx: Tx, e: EventRecord) -> tuple[Decimal, dict[str, Any]]:
        found = self.invoice(tx, e.aggregate_id)
        return found.balance, found.detail

    def invoice(self, tx: Tx, invoice_id: UUID) -> _Invoice:
        """The invoice as of the event being handled (remembered for the page)."""
        if (found := self.page.get(invoice_id)) is not None:
            return found
        row = self.one(
            tx,
            "SELECT account, company_id, section, issue_date, balance, detail, status "
            "FROM @invoices WHERE invoice_id = ?",
            (str(invoice_id),),
        )
        assert row is not None, f"invoice {invoice_id} was never issued"
        account, company, section, issued, balance, detail, status = row
        found = _Invoice(account, company, section, issued, Decimal(balance), orjson.loads(detail))
        found.status = status
        self.page[invoice_id] = found
        return found

    def _store(self, tx: Tx, e: EventRecord, balance: Decimal, detail: dict[str, Any]) -> None:
        del tx  # written by `flush`, once per page
        payments = detail["payments"]
        made = any(p["made"] for p in payments)
        invoice = self.page[e.aggregate_id]
        invoice.status = "PAID" if made else ("PAYMENT_SCHEDULED" if payments else "OPEN")
        invoice.balance, invoice.detail = balance, detail
        self.changed.add(e.aggregate_id)

    def _payment(self, tx: Tx, e: EventRecord, made: bool) -> None:
        balance, detail = self._load(tx, e)
        d = e.data
        detail["payments"].append(
            {
                "payment_id": d["payment_id"],
                "confirmation_number": d["confirmation_number"],
                "payment_method_id": d["payment_method_id"],
                "paid_by": d["paid_by"],
                "automatic": d["automatic"],
                "amount": str(d["amount"]),
                "pay_on": d["paid_on"] if made else d["pay_on"],
                "made": made,
            }
        )
        self._store(tx, e, balance - d["amount"] if made else balance, detail)

    def on_PaymentScheduled(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._payment(tx, e, made=False)

    def on_PaymentMade(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._payment(tx, e, made=True)

    def on_AdjustmentRequested(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        balance, detail = self._load(tx, e)
        d = e.data
        detail["adjustments"][d["adjustment_id"]] = {
            "reason": d["reason"],
            "lines": d["lines"],
            "requested_by": d["requested_by"],
            "status": "OPEN",
            "comment": "",
        }
        self._store(tx, e, balance, detail)

    def on_AdjustmentDecided(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        balance, detail = self._load(tx, e)
        d = e.data
        request = detail["adjustments"][d["adjustment_id"]]
        request["status"] = "APPROVED" if d["approved"] else "REJECTED"
        request["comment"] = d["comment"]
        self._store(tx, e, balance - d["credited"], detail)

    def on_AdjustmentDecidedInPart(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        balance, detail = self._load(tx, e)
        d = e.data
        request = detail["adjustments"][d["adjustment_id"]]
        request["status"] = "APPROVED" if d["approved"] and d["approved_lines"] else "REJECTED"
        request["comment"] = d["comment"]
        request["approved_lines"] = {k: str(v) for k, v in d["approved_lines"].items()}
        self._store(tx, e, balance - d["credited"], detail)

    def on_AdjustmentInReview(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        balance, detail = self._load(tx, e)
        detail["adjustments"][e.data["adjustment_id"]]["status"] = "IN_REVIEW"
        self._store(tx, e, balance, detail)

    def on_DocumentAttached(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        balance, detail = self._load(tx, e)
        fields = ("document_id", "sha256", "filename", "size")
        detail["documents"].append({k: e.data[k] for k in fields})
        self._store(tx, e, balance, detail)

    def placement(self, tx: Tx, invoice_id: UUID) -> tuple[str, str | None, str | None, str]:
        """(account, company, section, issue date) of an invoice."""
        found = self.invoice(tx, invoice_id)
        return found.account, found.company, found.section, found.issued


def as_view(row: Row) -> InvoiceView:
    """An invoice list row (as stored) as the typed view the routes answer."""
    return InvoiceView(
        UUID(row[0]),
        row[1],
        row[2],
        date.fromisoformat(row[3]),
        date.fromisoformat(row[4]),
        row[5],
        Decimal(row[6]),
        Decimal(row[7]),
        row[8],
        row[9],
    )


def _detail(row: Row, detail: dict[str, Any]) -> InvoiceDetail:
    base = vars(as_view(row))
    return InvoiceDetail(
        **base,
        lines=tuple(
            LineView(x["tracking_number"], x["description"], Decimal(x["amount"]), x.get("account"))
            for x in detail["lines"]
        ),
        payments=tuple(
            PaymentView(
                **{**p, "amount": Decimal(p["amount"]), "pay_on": date.fromisoformat(p["pay_on"])}
            )
            for p in detail["payments"]
        ),
        adjustments=tuple(
            AdjustmentView(
                aid,
                a["reason"],
                {k: Decimal(v) for k, v in a["lines"].items()},
                a["requested_by"],
                a["status"],
                a["comment"],
            )
            for aid, a in detail["adjustments"].items()
        ),
        documents=tuple(DocumentView(**d) for d in detail["documents"]),
        credit_applied=Decimal(detail.get("credit_applied", "0")),
        credit_to_account=Decimal(detail.get("credit_to_account", "0")),
    )


class InvoicesView:
    """Queries over the live invoices (`invoices_*`); what a login sees (R4) is given."""

    def __init__(self, prefix: str = "invoices_") -> None:
        self.projection = Invoices(prefix)

    @staticmethod
    def _granted(accounts: frozenset[str] | None) -> tuple[str, list[Any]]:
        """R4's filter: none for every account, else the accounts given (none: no rows)."""
        if accounts is None:
            return "", []
        if not accounts:
            return "AND 1 = 0 ", []
        marks = ", ".join("?" * len(accounts))
        return f"AND i.account IN ({marks}) ", sorted(accounts)

    def invoice_rows(
        self,
        tx: Tx,
        company_id: UUID,
        section: str,
        *,
        accounts: frozenset[str] | None,
        today: date,
        cursor: str | None,
        limit: int,
    ) -> RowsPage[InvoiceRow]:
        """Newest first: issue date, then delivery (store position), keyset-paged; the items as
        stored (no conversions; issue 5). `accounts`: R4's, None for every account."""
        granted, grants = self._granted(accounts)
        params: list[Any] = [str(company_id), section, history_cutoff(today).isoformat(), *grants]
        after = ""
        if cursor:
            day, position = decode_cursor(cursor, 2)
            after = "AND (i.issue_date < ? OR (i.issue_date = ? AND i.position < ?)) "
            params += [day, day, position]
        rows = self.projection.all(
            tx,
            f"SELECT {_COLUMNS}, position FROM @invoices i WHERE i.company_id = ? "
            f"AND i.section = ? AND {_IN_VIEW} {granted}{after}"
            "ORDER BY i.issue_date DESC, i.position DESC LIMIT ?",
            [*params, limit + 1],
        )
        items = [InvoiceRow(*r[:10]) for r in rows[:limit]]
        last = rows[limit - 1] if len(rows) > limit else None
        return RowsPage(items, encode_cursor(last[3], last[10]) if last else None)

    def invoice(
        self,
        tx: Tx,
        invoice_id: UUID,
        company_id: UUID,
        *,
        accounts: frozenset[str] | None,
        today: date,
    ) -> InvoiceDetail | None:
        """The invoice if it is in the company's history or archive, in A7's window or still
        due, granted (`accounts` as for `invoice_rows`)."""
        granted, grants = self._granted(accounts)
        cutoff = history_cutoff(today).isoformat()
        params: list[Any] = [str(invoice_id), str(company_id), cutoff, *grants]
        row = self.projection.one(
            tx,
            f"SELECT {_COLUMNS}, detail FROM @invoices i WHERE i.invoice_id = ? "
            f"AND i.company_id = ? AND i.section IN ('HISTORY', 'ARCHIVE') AND {_IN_VIEW} "
            f"{granted}",
            params,
        )
        return None if row is None else _detail(row, json.loads(row[10]))
