"""The Invoice aggregate: issued by the billing system, paid, adjusted, documented (I1-I10).

What the billing system sends (`Bill`, `Line`) and a payment's terms (`Payment`) are in
`domain.bills`, re-exported here."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import BillingAggregate
from domain.bills import Bill, Line, Payment, invoice_id, printed_day, reference
from domain.errors import (
    AdjustmentAlreadyDecided,
    AdjustmentAlreadyOpen,
    AlreadyPaid,
    InvalidInput,
    NotFound,
    NothingToPay,
    PaymentNotCancellable,
)
from domain.text import (
    ADJUSTMENT_REASON,
    CASE_COMMENT,
    DECISION_COMMENT,
    DOCUMENT_FILENAME,
)
from domain.values import AccountKey, InvoiceStatus, money
from domain.visibility import outstanding

__all__ = ["Bill", "Invoice", "Line", "Payment", "invoice_id", "printed_day", "reference"]

OPEN_CASE = ("OPEN", "IN_REVIEW")
"""I9: the statuses of an undecided case (a line in one cannot be disputed again)."""


class Invoice(BillingAggregate):
    """An invoice of an account, in the currency it was issued in."""

    @staticmethod
    def create_id(account: str, invoice_number: str) -> UUID:
        """Derived from the account and number (I1)."""
        return invoice_id(AccountKey.parse(account), invoice_number)

    @event("InvoiceIssued")
    def __init__(
        self,
        *,
        account: str,
        invoice_number: str,
        control_id: str,
        issue_date: str,
        due_date: str,
        currency: str,
        amount: Decimal,
        lines: list[dict[str, Any]],
        account_sequence: int,
    ) -> None:
        self.account = account
        self.invoice_number = invoice_number
        self.control_id = control_id
        self.issue_date = issue_date
        self.due_date = due_date
        self.currency = currency
        self.amount = amount
        self.balance = amount
        self.lines = lines
        self.account_sequence = account_sequence
        self.payments: list[dict[str, Any]] = []
        self.adjustments: dict[str, dict[str, Any]] = {}
        self.documents: list[dict[str, Any]] = []

    @classmethod
    def issue(cls, bill: Bill, account_sequence: int) -> Invoice:
        """I1: the billing system issues an invoice for an account."""
        lines = [_line(x) for x in bill.lines]
        return cls(
            account=str(bill.account),
            invoice_number=bill.invoice_number,
            control_id=bill.control_id,
            issue_date=bill.issue_date.isoformat(),
            due_date=bill.due_date.isoformat(),
            currency=bill.currency,
            amount=money(bill.amount),
            lines=lines,
            account_sequence=account_sequence,
        )

    @property
    def account_key(self) -> AccountKey:
        """The account this invoice bills."""
        return AccountKey.recorded(self.account)

    @property
    def due(self) -> date:
        """The printed due date."""
        return date.fromisoformat(self.due_date)

    @property
    def issued(self) -> date:
        """The printed issue date (A1, A7)."""
        return date.fromisoformat(self.issue_date)

    @property
    def status(self) -> InvoiceStatus:
        """OPEN until a payment is scheduled, PAID once one is made."""
        if any(p["made"] for p in self.payments):
            return InvoiceStatus.PAID
        if self.payments:
            return InvoiceStatus.PAYMENT_SCHEDULED
        return InvoiceStatus.OPEN

    @property
    def outstanding(self) -> bool:
        """A7: something is still to pay (an old invoice stays in view until settled)."""
        return outstanding(self.status, self.balance)

    # --- documents (I7) ----------------------------------------------------------------

    def attach(self, document_id: str, sha256: str, filename: str, size: int) -> None:
        """I7: the billing system attaches a document (a brokerage form, a PDF)."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise InvalidInput("sha256", "a SHA-256 hex digest", rule="I7")
        name = DOCUMENT_FILENAME(filename)
        self._attached(document_id=document_id, sha256=sha256, filename=name, size=size)

    @event("DocumentAttached")
    def _attached(self, document_id: str, sha256: str, filename: str, size: int) -> None:
        self.documents.append(
            {"document_id": document_id, "sha256": sha256, "filename": filename, "size": size}
        )

    # --- payments (I3, I6) -------------------------------------------------------------

    def pay(self, payment: Payment, pay_on: date, today: date) -> None:
        """I3: settle the whole balance today, or schedule it up to the due date."""
        if self.payments:
            raise AlreadyPaid("this invoice has a payment made or scheduled")
        if self.balance <= 0:
            raise NothingToPay("this invoice has no outstanding balance")
        latest = max(self.due, today)
        if not today <= pay_on <= latest:
            window = "today" if latest == today else f"from {today} to {latest}"
            raise InvalidInput("pay_on", f"a date {window}", rule="I3")
        record = {**vars(payment), "amount": self.balance}
        if pay_on == today:
            self._paid(paid_on=pay_on.isoformat(), **record)
        else:
            self._scheduled(pay_on=pay_on.isoformat(), **record)

    @event("PaymentScheduled")
    def _scheduled(
        self,
        *,
        payment_id: str,
        confirmation_number: str,
        payment_method_id: str,
        paid_by: str,
        automatic: bool,
        amount: Decimal,
        pay_on: str,
    ) -> None:
        self.payments.append(
            {
                "payment_id": payment_id,
                "confirmation_number": confirmation_number,
                "payment_method_id": payment_method_id,
                "paid_by": paid_by,
                "automatic": automatic,
                "amount": amount,
                "pay_on": pay_on,
                "made": False,
            }
        )

    @event("PaymentMade")
    def _paid(
        self,
        *,
        payment_id: str,
        confirmation_number: str,
        payment_method_id: str,
        paid_by: str,
        automatic: bool,
        amount: Decimal,
        paid_on: str,
    ) -> None:
        self.payments.append(
            {
                "payment_id": payment_id,
                "confirmation_number": confirmation_number,
                "payment_method_id": payment_method_id,
                "paid_by": paid_by,
                "automatic": automatic,
                "amount": amount,
                "pay_on": paid_on,
                "made": True,
            }
        )
        self.balance -= amount

    # --- adjustments (I4) -----------------------------------------------------------------

    def request_adjustment(
        self, adjustment_id: str, reason: str, lines: dict[str, Decimal], requested_by: str
    ) -> None:
        """I4: dispute lines, each for at most its amount; one open request per line."""
        reason = ADJUSTMENT_REASON(reason)
        if not lines:
            raise InvalidInput("lines", "at least one disputed line", rule="I4")
        self._check_disputes(lines)
        disputed = {number: money(amount) for number, amount in lines.items()}
        self._adjustment_requested(
            adjustment_id=adjustment_id, reason=reason, lines=disputed, requested_by=requested_by
        )

    def _check_disputes(self, lines: dict[str, Decimal]) -> None:
        open_lines = self._lines_of(*OPEN_CASE)
        for number, amount in lines.items():
            if number not in self._disputable():
                raise InvalidInput(
                    "lines", f"a tracking number of this invoice, not {number}", rule="I4"
                )
            if not Decimal(0) < money(amount) <= self._disputable()[number]:
                raise InvalidInput(
                    "lines",
                    f"for {number}, more than 0 and at most what the line has left uncredited",
                    rule="I4",
                )
            if number in open_lines:
                raise AdjustmentAlreadyOpen(f"an adjustment request is open on {number}")

    def _lines_of(self, *statuses: str) -> dict[str, Decimal]:
        """The amounts requested per line by the requests in `statuses`, summed."""
        total: dict[str, Decimal] = {}
        for request in self.adjustments.values():
            if request["status"] in statuses:
                for number, amount in request["lines"].items():
                    total[number] = total.get(number, Decimal(0)) + amount
        return total

    def _credited(self) -> dict[str, Decimal]:
        """The amounts approved per line (I9: part of what was disputed, or all of it)."""
        total: dict[str, Decimal] = {}
        for request in self.adjustments.values():
            if request["status"] == "APPROVED":
                approved = request.get("approved_lines") or request["lines"]
                for number, amount in approved.items():
                    total[number] = total.get(number, Decimal(0)) + amount
        return total

    def _disputable(self) -> dict[str, Decimal]:
        """I4 (decision): a line can be credited at most its amount over all requests."""
        credited = self._credited()
        return {
            line["tracking_number"]: line["amount"] - credited.get(line["tracking_number"], 0)
            for line in self.lines
        }

    @event("AdjustmentRequested")
    def _adjustment_requested(
        self, adjustment_id: str, reason: str, lines: dict[str, Decimal], requested_by: str
    ) -> None:
        self.adjustments[adjustment_id] = {
            "reason": reason,
            "lines": lines,
            "requested_by": requested_by,
            "status": "OPEN",
            "comment": "",
        }

    def decide_adjustment(
        self,
        adjustment_id: str,
        approved: bool,
        comment: str,
        lines: dict[str, Decimal] | None = None,
    ) -> None:
        """I4/I9: the billing system approves all, part (per line, up to what each line
        disputes) or nothing of a request; what is approved credits the balance, and what
        goes beyond it becomes credit on the account (I10); a scheduled payment is re-quoted."""
        request = self._case(adjustment_id)
        comment = DECISION_COMMENT(comment)
        parts = self._approved_parts(request, lines) if approved else {}
        approval = sum(parts.values(), Decimal(0))
        to_balance = money(min(approval, max(self.balance, Decimal(0))))
        if lines is None:  # all or nothing, as I4 always decided
            self._adjustment_decided(adjustment_id=adjustment_id, approved=approved,
                                     comment=comment, credited=to_balance)  # fmt: skip
        else:
            self._adjustment_decided_in_part(
                adjustment_id=adjustment_id, approved=approved, comment=comment,
                credited=to_balance, approved_lines=parts,
            )  # fmt: skip
        if approval > to_balance:  # I10: beyond the balance, a credit on the account
            self._approval_credited(
                adjustment_id=adjustment_id, amount=money(approval - to_balance)
            )
        self._requote_scheduled()

    def _case(self, adjustment_id: str) -> dict[str, Any]:
        """An undecided request (NotFound, or AdjustmentAlreadyDecided)."""
        request = self.adjustments.get(adjustment_id)
        if request is None:
            raise NotFound("adjustment", adjustment_id)
        if request["status"] not in OPEN_CASE:
            raise AdjustmentAlreadyDecided("this adjustment request was decided already")
        return request

    @staticmethod
    def _approved_parts(
        request: dict[str, Any], lines: dict[str, Decimal] | None
    ) -> dict[str, Decimal]:
        """I9: what is approved of each disputed line (all of it when no lines are named)."""
        disputed: dict[str, Decimal] = request["lines"]
        if lines is None:
            return dict(disputed)
        for number, amount in lines.items():
            if number not in disputed:
                raise InvalidInput(
                    "lines", f"a line this request disputes, not {number}", rule="I9"
                )
            if not Decimal(0) <= money(amount) <= disputed[number]:
                raise InvalidInput(
                    "lines", f"for {number}, from 0 to the {disputed[number]} disputed", rule="I9"
                )
        return {number: money(amount) for number, amount in lines.items() if amount > 0}

    @property
    def credit_earned(self) -> Decimal:
        """I10: what approvals on this invoice gave its account as credit."""
        return Decimal(self.__dict__.get("credit_to_account", Decimal(0)))

    @property
    def credit_applied(self) -> Decimal:
        """I10: the account's credit this invoice used when it was issued."""
        return Decimal(self.__dict__.get("credit_used", Decimal(0)))

    @event("ApprovalCredited")
    def _approval_credited(self, adjustment_id: str, amount: Decimal) -> None:
        self.__dict__["credit_to_account"] = self.credit_earned + amount

    def apply_credit(self, amount: Decimal) -> None:
        """I10: the account's credit settles part or all of this new invoice's balance."""
        if amount > 0:
            self._credit_applied(amount=money(min(amount, self.balance)))

    @event("CreditApplied")
    def _credit_applied(self, amount: Decimal) -> None:
        self.__dict__["credit_used"] = self.credit_applied + amount
        self.balance -= amount

    def _requote_scheduled(self) -> None:
        """I10: a scheduled payment pays what is left after an approval, or nothing."""
        scheduled = [p for p in self.payments if not p["made"]]
        if not scheduled or scheduled[0]["amount"] == self.balance:
            return
        if self.balance > 0:
            self._payment_requoted(payment_id=scheduled[0]["payment_id"], amount=self.balance)
        else:
            self._payment_cancelled(payment_id=scheduled[0]["payment_id"], reason="NOTHING_TO_PAY")

    @event("PaymentRequoted")
    def _payment_requoted(self, payment_id: str, amount: Decimal) -> None:
        for payment in self.payments:
            if payment["payment_id"] == payment_id:
                payment["amount"] = amount

    def cancel_payment(self, payment_id: str, today: date) -> None:
        """I3: a payment scheduled for a later date is cancelled before that date; the
        invoice is open again."""
        found = [p for p in self.payments if p["payment_id"] == payment_id]
        if not found:
            raise NotFound("payment", payment_id)
        if found[0]["made"] or date.fromisoformat(found[0]["pay_on"]) <= today:
            raise PaymentNotCancellable("only a payment scheduled for a later date is cancelled")
        self._payment_cancelled(payment_id=payment_id, reason="CANCELLED")

    @event("PaymentCancelled")
    def _payment_cancelled(self, payment_id: str, reason: str) -> None:
        self.payments = [p for p in self.payments if p["payment_id"] != payment_id]

    @event("AdjustmentDecided")
    def _adjustment_decided(
        self, adjustment_id: str, approved: bool, comment: str, credited: Decimal
    ) -> None:
        request = self.adjustments[adjustment_id]
        request["status"] = "APPROVED" if approved else "REJECTED"
        request["comment"] = comment
        self.balance -= credited

    @event("AdjustmentDecidedInPart")
    def _adjustment_decided_in_part(
        self,
        adjustment_id: str,
        approved: bool,
        comment: str,
        credited: Decimal,
        approved_lines: dict[str, Decimal],
    ) -> None:
        request = self.adjustments[adjustment_id]
        request["status"] = "APPROVED" if approved and approved_lines else "REJECTED"
        request["comment"] = comment
        request["approved_lines"] = dict(approved_lines)
        self.balance -= credited

    # --- dispute cases (I9) ---------------------------------------------------------------

    def review_adjustment(self, adjustment_id: str) -> None:
        """I9: the billing system marks the case IN_REVIEW (once; an open case only)."""
        request = self._case(adjustment_id)
        if request["status"] == "IN_REVIEW":
            return
        self._adjustment_in_review(adjustment_id=adjustment_id)

    @event("AdjustmentInReview")
    def _adjustment_in_review(self, adjustment_id: str) -> None:
        self.adjustments[adjustment_id]["status"] = "IN_REVIEW"

    def comment_adjustment(self, adjustment_id: str, comment_id: str, text: str, by: str) -> None:
        """I9: a comment on an undecided case, from its side or the billing system's."""
        self._case(adjustment_id)
        self._adjustment_commented(
            adjustment_id=adjustment_id, comment_id=comment_id, text=CASE_COMMENT(text), by=by
        )

    @event("AdjustmentCommented")
    def _adjustment_commented(
        self, adjustment_id: str, comment_id: str, text: str, by: str
    ) -> None:
        self.adjustments[adjustment_id].setdefault("comments", []).append(comment_id)

    def attach_to_adjustment(
        self, adjustment_id: str, document_id: str, *, sha256: str, filename: str, size: int,
        by: str,
    ) -> None:  # fmt: skip
        """I9: evidence on an undecided case (a PDF, PNG or JPEG, checked before this)."""
        self._case(adjustment_id)
        self._adjustment_document_attached(
            adjustment_id=adjustment_id, document_id=document_id, sha256=sha256,
            filename=DOCUMENT_FILENAME(filename), size=size, by=by,
        )  # fmt: skip

    @event("AdjustmentDocumentAttached")
    def _adjustment_document_attached(
        self, adjustment_id: str, document_id: str, *, sha256: str, filename: str, size: int,
        by: str,
    ) -> None:  # fmt: skip
        self.adjustments[adjustment_id].setdefault("documents", []).append(
            {"document_id": document_id, "sha256": sha256, "filename": filename, "size": size}
        )


def _line(line: Line) -> dict[str, Any]:
    """A line as its event keeps it; a plan's line names the account it bills (A8)."""
    kept: dict[str, Any] = {
        "tracking_number": line.tracking_number,
        "description": line.description,
        "amount": money(line.amount),
    }
    if line.account is not None:
        kept["account"] = str(line.account)
    return kept
