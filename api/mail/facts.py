"""What an outbox row is about, read from the event store: the event itself, the invoice,
and the recipient's own address. A recipient who may no longer see the invoice when the
e-mail is sent (removed, moved to another company, grant revoked; R4, R5) gets nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from api.mail.message import Facts, MailedInvoice
from api.mail.statement_mail import StatementFacts
from api.statements import statement_of
from domain.application import BillingCenter
from domain.caller import Caller
from domain.errors import DomainError, NotFound
from domain.invoice import Invoice as InvoiceAggregate
from domain.statements import period_named
from projections.queries import OutboxMessage, ReadModels

CASE_STEPS = {
    "AdjustmentInReview": "is in review",
    "AdjustmentCommented": "has a new comment",
    "AdjustmentDocumentAttached": "has a new document",
}


class FactSource(Protocol):
    """Looks up what an outbox row's e-mail says."""

    def facts(self, row: OutboxMessage) -> Facts | StatementFacts | None:
        """The facts, or None when there is nobody to mail any more."""
        ...


class StoreFacts:
    """Facts from the BillingCenter application (its store and aggregates)."""

    def __init__(self, app: BillingCenter, reads: ReadModels | None = None) -> None:
        self.app = app
        self.reads = reads  # for statements (R12): what the subscriber may see when sent

    def facts(self, row: OutboxMessage) -> Facts | StatementFacts | None:
        """Asked at send time, from the store as it is now: the row was queued from state
        that may have changed since (a removal, a move, a revoked grant, an erasure)."""
        if row.kind == "STATEMENT":
            return self._statement(row)
        if row.kind in MEMBERSHIP_KINDS:
            return self._membership(row)
        try:
            user = self.app.user(row.recipient)
            seen = self.app.visible_invoice(row.recipient, UUID(row.subject_id))
        except NotFound:
            return None  # R4, R5, I5: who may no longer see the invoice is told nothing of it
        if not user.email:
            return None
        invoice = seen.invoice
        headline, details = _about(row.kind, self._event(row.position), invoice)
        return Facts(user.email, user.name or row.recipient, _invoice(invoice), headline, details)

    def _statement(self, row: OutboxMessage) -> StatementFacts | None:
        """R12: the statement as the subscriber may see it now; nothing for who left their
        company, stopped subscribing or has no address any more."""
        user = self.app.user(row.recipient)
        if user.company_id is None or user.statement_frequency is None or not user.email:
            return None
        if self.reads is None:
            raise LookupError("statements need the read models")
        try:
            found = statement_of(self.app, self.reads, Caller(row.recipient),
                                 UUID(user.company_id), period_named(row.subject_id))  # fmt: skip
        except DomainError:
            return None
        return StatementFacts(user.email, user.name or row.recipient, found)

    def _membership(self, row: OutboxMessage) -> Facts | None:
        """R5, R6: an e-mail about the company's users rather than an invoice."""
        try:
            user = self.app.user(row.recipient)
        except NotFound:
            return None
        if not user.email:
            return None
        headline, details = _membership_news(row.kind, self._event(row.position))
        return Facts(user.email, user.name or row.recipient, None, headline, details)

    def _event(self, position: int) -> Any:
        found = self.app.recorder.select_notifications(start=position, limit=1)
        if not found or found[0].id != position:
            raise LookupError(f"no event at position {position}")
        return self.app.mapper.to_domain_event(found[0])


MEMBERSHIP_KINDS = frozenset({"MEMBERSHIP_WITHDRAWN", "TITLE_REASSIGNED"})


def _membership_news(kind: str, event: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    if kind == "MEMBERSHIP_WITHDRAWN":  # R5: to the Administrator who added the login
        login = str(event.login)
        return (
            f"{login}, whom you added as a user, has enrolled a company of their own "
            "before signing in: they are no longer a pending user of your company.",
            (("Login", login),),
        )
    # R6: to every Administrator
    return (
        "The billing system gave the general administrator title to another Administrator.",
        (("Former", str(event.former)), ("New", str(event.successor)), ("Reason", event.reason)),
    )


def _invoice(invoice: InvoiceAggregate) -> MailedInvoice:
    return MailedInvoice(
        invoice_id=str(invoice.id),
        invoice_number=invoice.invoice_number,
        account=invoice.account,
        currency=invoice.currency,
        amount=Decimal(invoice.amount),
        balance=Decimal(invoice.balance),
        due_date=invoice.due,
    )


def _about(
    kind: str, event: Any, invoice: InvoiceAggregate
) -> tuple[str, tuple[tuple[str, str], ...]]:
    money = f"{{:,.2f}} {invoice.currency}"
    if kind == "INVOICE_AVAILABLE":
        return f"A new invoice for account {invoice.account} is available.", ()
    if kind == "PAYMENT_RECEIVED":
        paid_on = getattr(event, "paid_on", None)
        when = str(paid_on or event.pay_on)
        state = "was paid" if paid_on else f"is scheduled to be paid on {when}"
        return f"Invoice {invoice.invoice_number} {state}.", (
            ("Payment", money.format(Decimal(event.amount))),
            ("Payment date", str(date.fromisoformat(when))),
            ("Confirmation number", event.confirmation_number),
        )
    step = type(event).__name__
    if step in CASE_STEPS:  # I9: a step of the case before its decision
        said = (("Comment", str(event.text)),) if step == "AdjustmentCommented" else ()
        return (
            f"Your adjustment request on invoice {invoice.invoice_number} {CASE_STEPS[step]}.",
            said,
        )
    approved = bool(event.approved)
    verdict = "approved" if approved else "rejected"
    details = [("Decision", verdict.title()), ("Credited", money.format(Decimal(event.credited)))]
    if event.comment:
        details.append(("Comment", str(event.comment)))
    return f"Your adjustment request on invoice {invoice.invoice_number} was {verdict}.", tuple(
        details
    )
