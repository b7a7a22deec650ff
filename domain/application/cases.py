"""I9: an adjustment request is a case: comments and evidence from both sides while it is
undecided, the billing system's review, then its decision (`Invoices.decide_adjustment`)."""

from __future__ import annotations

from uuid import UUID, uuid4

from domain.application.invoices import Invoices
from domain.application.retries import Receipt, command
from domain.caller import Caller, Scope
from domain.company import Company
from domain.invoice import Invoice
from domain.roles import Action


class Cases(Invoices):
    """The steps of a dispute case before its decision."""

    @command
    def comment_on_adjustment(
        self, caller: Caller, invoice_ref: UUID, adjustment_id: str, text: str
    ) -> Receipt[str]:
        """I9: who may adjust the invoice, or the billing system, comments on the case."""
        invoice, company = self._party(caller, invoice_ref)
        comment_id = uuid4().hex
        invoice.comment_adjustment(adjustment_id, comment_id, text, caller.login)
        return Receipt(self._save(company, invoice), comment_id)

    @command
    def attach_to_adjustment(
        self,
        caller: Caller,
        invoice_ref: UUID,
        adjustment_id: str,
        *,
        sha256: str,
        filename: str,
        size: int,
    ) -> Receipt[str]:
        """I9: evidence on the case (its bytes are stored by hash, checked before this)."""
        invoice, company = self._party(caller, invoice_ref)
        document_id = uuid4().hex
        invoice.attach_to_adjustment(adjustment_id, document_id, sha256=sha256,
                                     filename=filename, size=size, by=caller.login)  # fmt: skip
        return Receipt(self._save(company, invoice), document_id)

    @command
    def review_adjustment(
        self, caller: Caller, invoice_ref: UUID, adjustment_id: str
    ) -> Receipt[None]:
        """I9: the billing system marks the case IN_REVIEW."""
        caller.require_scope(Scope.BILLING_SYSTEM, "I9")
        invoice = self.invoice(invoice_ref)
        invoice.review_adjustment(adjustment_id)
        return Receipt(self._save(invoice), None)

    def _party(self, caller: Caller, invoice_ref: UUID) -> tuple[Invoice, Company | None]:
        """The invoice, if the caller is a side of its cases: the billing system, or a user
        who may adjust it now (I4: seen, permitted, not in the archive)."""
        if caller.scope is Scope.BILLING_SYSTEM:
            return self.invoice(invoice_ref), None
        seen = self._actionable(caller, invoice_ref, Action.ADJUST)
        return seen.invoice, seen.company
