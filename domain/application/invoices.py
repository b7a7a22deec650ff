"""I1-I7: issuing invoices (and scheduling their automatic payment, I6), paying them (I3),
adjustments (I4) and attached documents (I7)."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from domain.application.accounts import may_pay
from domain.application.queries import Queries, Visible, section_seen
from domain.application.retries import Receipt, command
from domain.caller import Caller, Scope
from domain.enrollment import AccountEnrollment
from domain.errors import ArchiveReadOnly, InvoiceNumberTaken, NotFound
from domain.invoice import Bill, Invoice, Payment, invoice_id
from domain.plan import check_lines
from domain.roles import Action
from domain.values import Section


class Invoices(Queries):
    """The commands about invoices."""

    @command
    def issue_invoice(self, caller: Caller, bill: Bill) -> Receipt[UUID]:
        """I1: the billing system issues an invoice for any account.

        An automatic payment that covers it (I6) is scheduled in the same transaction,
        so it happens exactly once, with no window in which the invoice is unscheduled.
        """
        caller.require_scope(Scope.BILLING_SYSTEM, "I1")
        new_id = invoice_id(bill.account, bill.invoice_number)
        if new_id in self.repository:
            raise InvoiceNumberTaken(f"{bill.account} already has invoice {bill.invoice_number}")
        try:
            account = self.account(bill.account)
        except NotFound:
            account = AccountEnrollment(country=bill.account.country, number=bill.account.number)
        check_lines(account, bill.lines)  # A8: a plan's lines name its members
        sequence = account.deliver(new_id, bill.invoice_number, bill.issue_date)
        invoice = Invoice.issue(bill, sequence)
        self._apply_credit(account, invoice)
        self._pay_automatically(account, invoice)
        return Receipt(self._save(account, invoice), new_id)

    @staticmethod
    def _apply_credit(account: AccountEnrollment, invoice: Invoice) -> None:
        """I10: the account's credit settles the new invoice as far as it goes; both are
        saved together, so a credit is never used twice."""
        used = min(account.credit, invoice.balance)
        if used > 0:
            account.use_credit(invoice.id, used)
            invoice.apply_credit(used)

    def _pay_automatically(self, account: AccountEnrollment, invoice: Invoice) -> None:
        """I6: schedule the covering plan's payment, only if its user may see (R4, A4-A7)
        and pay (I3) the invoice now; otherwise it waits for a person, unpaid."""
        plan = account.autopay_covers(invoice.account_sequence)
        if plan is None or invoice.balance <= 0:
            return
        company = self.company(UUID(plan["company_id"]))
        by = plan["set_up_by"]
        if not may_pay(company, by, invoice.account):  # first: refuses non-members
            return
        today = self.today()
        if section_seen(company, account, invoice, by, today) is not Section.HISTORY:
            return
        method = company.payment_method_for(plan["payment_method_id"] or None)
        pay_on = max(today, invoice.due - timedelta(days=plan["days_before_due"]))
        invoice.pay(_payment(method, by, automatic=True), pay_on, today)

    @command
    def pay_invoice(
        self,
        caller: Caller,
        invoice_ref: UUID,
        pay_on: date | None = None,
        method_id: str | None = None,
    ) -> Receipt[Payment]:
        """I3: pay the whole balance, today or on a date up to the due date."""
        seen = self._actionable(caller, invoice_ref, Action.PAY)
        method = seen.company.payment_method_for(method_id)
        payment = _payment(method, caller.login)
        seen.invoice.pay(payment, pay_on or self.today(), self.today())
        return Receipt(self._save(seen.company, seen.invoice), payment)

    @command
    def request_adjustment(
        self, caller: Caller, invoice_ref: UUID, reason: str, lines: dict[str, Decimal]
    ) -> Receipt[str]:
        """I4: dispute lines of a visible, non-archive invoice."""
        seen = self._actionable(caller, invoice_ref, Action.ADJUST)
        adjustment_id = uuid4().hex
        seen.invoice.request_adjustment(adjustment_id, reason, lines, caller.login)
        return Receipt(self._save(seen.company, seen.invoice), adjustment_id)

    @command
    def decide_adjustment(
        self,
        caller: Caller,
        invoice_ref: UUID,
        adjustment_id: str,
        *,
        approved: bool,
        comment: str = "",
        lines: dict[str, Decimal] | None = None,
    ) -> Receipt[Decimal]:
        """I4/I9: the billing system approves all, part (`lines`) or none of a request;
        the answer is what the balance was credited."""
        caller.require_scope(Scope.BILLING_SYSTEM, "I4")
        invoice = self.invoice(invoice_ref)
        before, earned = invoice.balance, invoice.credit_earned
        invoice.decide_adjustment(adjustment_id, approved, comment, lines)
        granted = before - invoice.balance + invoice.credit_earned - earned
        if invoice.credit_earned == earned:
            return Receipt(self._save(invoice), granted)
        account = self.account(invoice.account_key)  # I10: the credit goes to the account
        account.earn_credit(invoice.id, invoice.credit_earned - earned)
        return Receipt(self._save(account, invoice), granted)

    @command
    def cancel_payment(self, caller: Caller, invoice_ref: UUID, payment_id: str) -> Receipt[None]:
        """I3: who may pay the invoice cancels a payment scheduled for a later date."""
        seen = self._actionable(caller, invoice_ref, Action.PAY)
        seen.invoice.cancel_payment(payment_id, self.today())
        return Receipt(self._save(seen.company, seen.invoice), None)

    @command
    def attach_document(
        self, caller: Caller, invoice_ref: UUID, sha256: str, filename: str, size: int
    ) -> Receipt[str]:
        """I7: the billing system attaches a document (its bytes are stored by hash)."""
        caller.require_scope(Scope.BILLING_SYSTEM, "I7")
        invoice = self.invoice(invoice_ref)
        document_id = uuid4().hex
        invoice.attach(document_id, sha256, filename, size)
        return Receipt(self._save(invoice), document_id)

    def _actionable(self, caller: Caller, invoice_ref: UUID, action: Action) -> Visible:
        """I3/I4: the invoice `caller` may act on (seen, permitted, not in the archive)."""
        seen = self.visible_invoice(caller.as_person(), invoice_ref)
        seen.company.require(caller.login, action, [seen.invoice.account])
        if seen.section is not Section.HISTORY:
            raise ArchiveReadOnly("archive invoices are for viewing and downloading only")
        seen.company.exercise(caller.login, action, str(invoice_ref))
        seen.company.confirm_member(caller.login)  # R5: a first request makes a member
        return seen


def _payment(method_id: str, by: str, *, automatic: bool = False) -> Payment:
    confirmation = "BC" + secrets.token_hex(5).upper()
    return Payment(uuid4().hex, confirmation, method_id, by, automatic)
