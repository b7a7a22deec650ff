"""What a member may see now, asked by queries and by the commands that act on what is seen:
the company that decides it (`read_company`) and a visible invoice (R4, A4-A7, I2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.api_key import KEY_PREFIX, ApiKey, is_key_principal
from domain.application.service import Service
from domain.company import Company
from domain.enrollment import AccountEnrollment
from domain.errors import NotFound
from domain.invoice import Invoice
from domain.values import Section
from domain.visibility import in_window


@dataclass(frozen=True)
class Visible:
    """An invoice as one caller may see it, with what the checks loaded."""

    invoice: Invoice
    company: Company
    account: AccountEnrollment
    section: Section


class Queries(Service):
    """Who may see what, now."""

    def read_company(self, company_id: UUID) -> Company:
        """The company as the store has it now, to decide who may see what: never change it.

        Queries ask this on every request. The repository's own path would copy the whole
        aggregate and fast-forward it under a per-aggregate lock, so every request for one
        company queued behind the others' SELECT. Here each request still asks the store for
        newer events (one SELECT: a removed user loses access at once, R5, whichever process
        wrote it), but shares one copy without a lock (`ReadCopies`).
        """
        return self._read_copies.current(company_id, self.repository.event_store, self.company)

    def visible_invoice(self, login: str, invoice_ref: UUID) -> Visible:
        """R4, A4-A7, I2: the invoice, if `login` may see it now; otherwise it "does not exist"."""
        invoice = self.invoice(invoice_ref)
        company = self._own_company(login)
        account = self.account(invoice.account_key)
        section = section_seen(company, account, invoice, login, self.today())
        if section is None:
            raise NotFound("invoice", invoice_ref)
        return Visible(invoice, company, account, section)

    def _own_company(self, login: str) -> Company:
        if is_key_principal(login):  # a company key (issue 22) belongs to its holder
            key = self._get(ApiKey, UUID(hex=login[len(KEY_PREFIX) :]), "company of", login)
            return self.company(UUID(key.holder))
        user = self.user(login)
        if user.company_id is None:
            raise NotFound("company of", login)
        return self.company(UUID(user.company_id))


def section_seen(
    company: Company, account: AccountEnrollment, invoice: Invoice, login: str, today: date
) -> Section | None:
    """R4, A4-A7, I2: where `login`, a member of `company`, sees the invoice `today`."""
    section = account.section_for(company.id, invoice.account_sequence)
    if section not in (Section.HISTORY, Section.ARCHIVE):
        return None
    if not company.sees_account(login, invoice.account):
        return None
    return section if in_window(invoice.issued, today, due=invoice.outstanding) else None
