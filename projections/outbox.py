"""Notification outbox: one row per (event position, recipient, kind) (R8, I4, I5).

- INVOICE_AVAILABLE (I5): an invoice delivered into a company's billing history (and
  within A7's window that day): every user who can see it then and wants the e-mail.
  Archive-only or hidden invoices send none; a later grant sends none.
- PAYMENT_RECEIVED: a payment made or scheduled (I3, and I6's automatic ones): the users
  who can see the invoice then and want it.
- ADJUSTMENT_UPDATED (I4, I9): the requester, at each step of the case, if still a user
  of the company who sees the invoice's account (R4) and wants it, while the invoice is in
  A7's window (as the webhook).
- STATEMENT (R12): when a period closes (`StatementPeriodClosed`), every member subscribed
  to statements of that frequency then; the row's subject is the period. What the
  statement shows is computed when it is sent (`api.mail.facts`).

The copies it keeps, and why. I5 sends the mail to whoever may see the invoice *then*:
"then" is the event's position, not whenever the outbox catches up. The live `directory`
and `invoices` read models may be ahead of the outbox (a later grant would add a
recipient, a later removal drop one) or behind it (a recipient missing), so the outbox
does not read them. It keeps its own copy of each instead, in its own tables
(`outbox_g<N>_members`, `_grants`, `_profiles`, `_invoices`...): the same
`Directory` and `Invoices` projections under the outbox's prefix, applied in the same
transaction just before it decides, so they stand exactly at the event being handled.
It reads them only through those projections' own query functions
(`Directory.current_members`, `Invoices.placement`, `Invoices.invoice`), so R4 and the
invoice placement are written once. They are rebuilt with the outbox (a new generation
of it). The rows themselves live in `outbox_messages`, which no rebuild drops: its
primary key makes a replay or a rebuild insert nothing new (ON CONFLICT DO NOTHING).
Delivery is `api.mail`'s.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from projections.accounts import instant
from projections.base import Projection, handled_types, handler_name
from projections.cases import STEPS
from projections.directory import PREFS, Directory
from projections.events import EventRecord
from projections.invoice_window import InvoiceWindow
from projections.invoices import Invoices
from projections.queries import OutboxMessage
from store.database import Params, Tx

_PAYMENTS = ("PaymentScheduled", "PaymentMade")


@dataclass
class Recipient:
    """A current member of a company, as the outbox needs them (R4, R8)."""

    wants: frozenset[str]  # the kinds of message they want (PREFS)
    accounts: set[str]  # the accounts they see (R4: the directory's `access`)

    def receives(self, kind: str, account: str) -> bool:
        """Wants `kind` and sees the account (R4, as `domain.access` answered it)."""
        return kind in self.wants and account in self.accounts


class OutboxMessages(Projection):
    """The outbox rows: never versioned, never dropped."""

    tables: ClassVar[dict[str, str]] = {
        "messages": "position BIGINT NOT NULL, recipient TEXT NOT NULL, kind TEXT NOT NULL, "
        "subject_id TEXT NOT NULL, created_at TEXT NOT NULL, sent_at TEXT, "
        "PRIMARY KEY (position, recipient, kind)",
    }
    indexes: ClassVar[dict[str, str]] = {"messages_unsent": "messages (sent_at, position)"}

    def add(self, tx: Tx, rows: Sequence[Params]) -> None:
        """(position, recipient, kind, subject, created at) rows; replays add nothing. On
        PostgreSQL a page's messages are one statement (an insert each was 40% of the
        outbox's catch-up once every invoice sent its mail; issue 4)."""
        texts = ", ".join(["CAST(? AS TEXT[])"] * 4)
        self.columns(
            tx,
            "INSERT INTO @messages VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING",
            "INSERT INTO @messages SELECT *, NULL FROM unnest(CAST(? AS BIGINT[]), "
            f"{texts}) ON CONFLICT DO NOTHING",
            rows,
        )

    def backlog(self, tx: Tx) -> int:
        """How many messages wait to be sent (the metrics' outbox backlog, issue 20)."""
        return int(self.all(tx, "SELECT COUNT(*) FROM @messages WHERE sent_at IS NULL")[0][0])

    def pending(self, tx: Tx, *, unsent_only: bool, limit: int) -> list[OutboxMessage]:
        where = "WHERE sent_at IS NULL " if unsent_only else ""
        rows = self.all(
            tx,
            "SELECT position, recipient, kind, subject_id, created_at, sent_at FROM @messages "
            f"{where}ORDER BY position, recipient, kind LIMIT ?",
            (limit,),
        )
        return [
            OutboxMessage(
                int(p), r, k, s, datetime.fromisoformat(c), datetime.fromisoformat(t) if t else None
            )
            for p, r, k, s, c, t in rows
        ]


class Notifications(Projection):
    """The outbox projection: decides who receives which notification, from its own copy of
    the directory and of the invoices (`directory`, `invoices`: the copies the module
    docstring justifies, standing at the event being handled), and writes the rows to
    `outbox_messages` (issue 19: named for what it does; `api.mail.outbox.DeliveryQueue` is
    how the sender drains those rows)."""

    tables: ClassVar[dict[str, str]] = {
        # R12: who subscribed to statements, by User aggregate id (no other read model
        # keeps subscriptions); `@profiles` of the directory copy gives the login.
        "subscribers": "user_id TEXT PRIMARY KEY, frequency TEXT NOT NULL",
    }

    def __init__(self, prefix: str, messages: OutboxMessages) -> None:
        super().__init__(prefix)
        self.directory = Directory(prefix)
        self.invoices = Invoices(prefix)
        # A7 at each event on an earlier invoice that `_seeing` or `_tell_requester` tells of
        self.window = InvoiceWindow(prefix, self.invoices, {*_PAYMENTS, *STEPS})
        self.messages = messages
        self.rows: list[Params] = []  # the page's messages, written by `flush`
        self.members: dict[
            str, dict[str, Recipient]
        ] = {}  # by company, until the directory changes

    def prepare(self, tx: Tx, events: Sequence[EventRecord]) -> None:
        self.directory.prepare(tx, events)
        self.invoices.prepare(tx, events)

    def finish_page(self, tx: Tx) -> None:
        self.directory.finish_page(tx)
        self.invoices.finish_page(tx)
        self.messages.add(tx, self.rows)
        self.rows = []

    def _add(self, e: EventRecord, kind: str, recipients: list[str]) -> None:
        subject, created = e.key, instant(e.recorded_at)
        self.rows += [(e.position, r, kind, subject, created) for r in recipients]

    def create(self, tx: Tx) -> None:
        super().create(tx)
        self.directory.create(tx)
        self.invoices.create(tx)
        self.window.create(tx)

    def upgrade(self, tx: Tx, added: Collection[str]) -> None:
        self.directory.upgrade(tx, added)
        self.invoices.upgrade(tx, added)

    def drop(self, tx: Tx) -> None:
        super().drop(tx)
        self.directory.drop(tx)
        self.invoices.drop(tx)
        self.window.drop(tx)

    def event_types(self) -> frozenset[str]:
        """Its own, and those of its copies of the directory and the invoices (and window)."""
        copies = handled_types(Directory) | handled_types(Invoices) | handled_types(InvoiceWindow)
        return handled_types(type(self)) | copies

    def handle(self, tx: Tx, event: EventRecord) -> None:
        if handler_name(Directory, event.type) is not None:
            self.members.clear()  # who receives what may have changed
        self.directory.handle(tx, event)
        self.window.apply(tx, event)
        super().handle(tx, event)

    def _seeing(
        self, tx: Tx, e: EventRecord, kind: str, sections: set[str], among: str | None = None
    ) -> None:
        """`kind` to each member (or only `among`) who wants it and sees the invoice at `e`:
        its account (R4), in one of `sections` (A4-A6), in A7's window."""
        account, company, section, issued = self.invoices.placement(tx, e.aggregate_id)
        if company is None or section not in sections:
            return
        if not self.window.shows(tx, e, issued):
            return
        members = self._members(tx, company)
        told = [n for n, m in members.items() if m.receives(kind, account) and among in (None, n)]
        self._add(e, kind, sorted(told))

    def _members(self, tx: Tx, company: str) -> dict[str, Recipient]:
        """The company's current members as of the event: one query per company until the
        directory changes (one per account and kind before: a tenth of catch-up; issue 4)."""
        if company not in self.members:
            found: dict[str, Recipient] = {}
            rows = self.directory.current_members(tx, company)
            for login, *wants, account in rows:  # a row per account seen
                if login not in found:
                    kinds = frozenset(k for k, w in zip(PREFS, wants, strict=True) if w)
                    found[login] = Recipient(kinds, set())
                if account is not None:
                    found[login].accounts.add(account)
            self.members[company] = found
        return self.members[company]

    def on_InvoiceIssued(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._seeing(tx, e, "INVOICE_AVAILABLE", {"HISTORY"})

    def on_PaymentScheduled(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._seeing(tx, e, "PAYMENT_RECEIVED", {"HISTORY", "ARCHIVE"})

    def on_PaymentMade(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._seeing(tx, e, "PAYMENT_RECEIVED", {"HISTORY", "ARCHIVE"})

    def on_AdjustmentDecided(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._tell_requester(tx, e)

    def on_AdjustmentInReview(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._tell_requester(tx, e)  # I9: each step of the case is told to its requester

    def on_AdjustmentCommented(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._tell_requester(tx, e)

    def on_AdjustmentDocumentAttached(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._tell_requester(tx, e)

    def _tell_requester(self, tx: Tx, e: EventRecord) -> None:
        """I4, I9 (R8): the requester, unless the step is theirs, while they may see the
        invoice (R4, A4-A7: its account still theirs to see, as any e-mail about it) and want
        it; a requester who no longer sees the account is told nothing of the case."""
        detail = self.invoices.invoice(tx, e.aggregate_id).detail
        requester = detail["adjustments"][e.data["adjustment_id"]]["requested_by"]
        if e.data.get("by") != requester:  # not their own comment or evidence
            self._seeing(tx, e, "ADJUSTMENT_UPDATED", {"HISTORY", "ARCHIVE"}, among=requester)

    def on_StatementSubscriptionChanged(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.execute(tx, "DELETE FROM @subscribers WHERE user_id = ?", (e.key,))
        if frequency := e.data["frequency"]:
            self.execute(tx, "INSERT INTO @subscribers VALUES (?, ?)", (e.key, frequency))

    def on_UserLeftCompany(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.execute(tx, "DELETE FROM @subscribers WHERE user_id = ?", (e.key,))

    def on_StatementPeriodClosed(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.directory.flush(tx)  # the copy's profiles stand at this event
        rows = self.all(
            tx,
            "SELECT p.login FROM @subscribers s JOIN @profiles p ON p.user_id = s.user_id "
            "WHERE s.frequency = ? AND p.company_id IS NOT NULL ORDER BY p.login",
            (e.data["frequency"],),
        )
        subject, created = e.data["period"], instant(e.recorded_at)
        self.rows += [(e.position, login, "STATEMENT", subject, created) for (login,) in rows]

    def on_AdjustmentDecidedInPart(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.on_AdjustmentDecided(tx, e)  # I9: a partial decision is told as any decision

    def on_PendingMemberWithdrawn(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802, ARG002
        """R5: the Administrator who added the withdrawn login is told (always: it is not a
        notification of R8 but the answer to their own act)."""
        self._add(e, "MEMBERSHIP_WITHDRAWN", [e.data["added_by"]])

    def on_GeneralAdministratorReassigned(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        """R6: every Administrator of the company is told that the billing system gave the
        title to another (always: it is not a notification of R8)."""
        self._add(e, "TITLE_REASSIGNED", self.directory.administrators(tx, e.key))
