"""A1: an account is added (to a new company, R1, or to an existing one) only with proof
that it is the company's: the details of one of its recent invoices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.application.service import Service
from domain.enrollment import AccountEnrollment, Proof, business, check_proof
from domain.errors import InvalidInput, NoRecentInvoice, NotFound
from domain.invoice import Invoice
from domain.plan import check_kind
from domain.values import AccountKey, AccountType, LineOfBusiness


@dataclass(frozen=True)
class AccountRequest:
    """A1: an account to add, with the proof that it is the company's."""

    account: AccountKey
    line_of_business: LineOfBusiness
    account_type: AccountType | None
    proof: Proof


class Proofs(Service):
    """Checks the proof of the accounts a command is asked to enroll."""

    def _prove_all(self, requests: Sequence[AccountRequest]) -> list[AccountEnrollment]:
        if not requests:
            raise InvalidInput("accounts", "at least one account", rule="R1")
        if len({r.account for r in requests}) != len(requests):
            raise InvalidInput("accounts", "each account once", rule="R1")
        return [self._prove(request) for request in requests]

    def _prove(self, request: AccountRequest) -> AccountEnrollment:
        """A1: the account, once its proof is checked (not yet enrolled)."""
        business(request.line_of_business, request.account_type)
        try:
            account = self.account(request.account)
        except NotFound:
            raise NoRecentInvoice from None
        check_kind(account, request.account_type)  # A8
        latest = [self.invoice(i) for i in account.latest_invoice_ids()]
        check_proof(request.proof, [_proof_of(i) for i in latest], self.today())
        return account


def _proof_of(invoice: Invoice) -> Proof:
    return Proof(invoice.invoice_number, invoice.issued, invoice.amount, invoice.control_id)
