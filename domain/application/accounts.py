"""A1-A5 and I6: adding, unenrolling and re-enrolling a company's accounts, and the
automatic payments of an account's future invoices."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

from domain.application.plans import Plans
from domain.application.proofs import AccountRequest
from domain.application.retries import Receipt, command
from domain.caller import Caller
from domain.company import Company
from domain.enrollment import AccountEnrollment
from domain.errors import DomainError, InvalidInput, NotFound
from domain.roles import Action
from domain.values import AccountKey, UnenrollmentReason


class Accounts(Plans):
    """The commands about a company's accounts."""

    @command
    def add_account(
        self, caller: Caller, company_id: UUID, request: AccountRequest
    ) -> Receipt[AccountKey]:
        """A1/A2: an Administrator adds an account, proven with a recent invoice."""
        company = self._member_company(caller.as_person(), company_id)
        company.require_account_manager(caller.login)
        account = self._prove(request)
        saved = {str(account.key): account}
        self._consolidate(company, account, saved)  # A2, A8
        account.enroll(company_id, request.line_of_business, request.account_type)
        company.add_account(str(request.account))
        return Receipt(self._save(company, *saved.values()), request.account)

    @command
    def unenroll_accounts(
        self,
        caller: Caller,
        company_id: UUID,
        accounts: Sequence[AccountKey],
        reason: UnenrollmentReason,
        comment: str = "",
    ) -> Receipt[None]:
        """A3: the general administrator unenrolls accounts, all together or none."""
        company = self._member_company(caller.as_person(), company_id)
        company.require(caller.login, Action.UNENROLL)
        if not accounts or len(set(accounts)) != len(accounts):
            raise InvalidInput("accounts", "one or more accounts, each once", rule="A3")
        records = [self._company_account(company, key) for key in accounts]
        for record in records:
            record.unenroll(company_id, reason, comment)
        return Receipt(self._save(company, *records), None)

    @command
    def reenroll_accounts(
        self, caller: Caller, company_id: UUID, accounts: Sequence[AccountKey] | None = None
    ) -> Receipt[list[AccountKey]]:
        """A5: an Administrator re-enrolls the selected unenrolled accounts, or all of them."""
        company = self._member_company(caller.as_person(), company_id)
        company.require_account_manager(caller.login)
        if accounts is None:
            held = self._company_accounts(company)
            records = [a for a in held if a.may_reenroll(company_id)]
            records = [a for a in records if self._consolidable(company, a)]  # A8
        else:
            if len(set(accounts)) != len(accounts):
                raise InvalidInput("accounts", "each account once", rule="A5")
            records = [self._company_account(company, key) for key in accounts]
        saved = {str(r.key): r for r in records}
        for record in records:
            self._consolidate(company, record, saved)  # A2, A8
            record.reenroll(company_id)
        return Receipt(self._save(company, *saved.values()), [r.key for r in records])

    @command
    def set_up_autopay(
        self,
        caller: Caller,
        company_id: UUID,
        key: AccountKey,
        days_before_due: int,
        method_id: str | None = None,
    ) -> Receipt[None]:
        """I6: who may pay an account pays its future invoices automatically."""
        company = self._member_company(caller.as_person(), company_id)
        company.require(caller.login, Action.PAY, [str(key)])
        account = self._company_account(company, key)
        account.require_holder(company_id)  # 404 before anything else is said of it (A2)
        company.payment_method_for(method_id)
        account.set_up_autopay(company_id, days_before_due, method_id, caller.login)
        company.exercise(caller.login, Action.PAY, str(key))
        return Receipt(self._save(company, account), None)

    @command
    def cancel_autopay(self, caller: Caller, company_id: UUID, key: AccountKey) -> Receipt[None]:
        """I6: cancel an account's automatic payment."""
        company = self._member_company(caller.as_person(), company_id)
        company.require(caller.login, Action.PAY, [str(key)])
        account = self._company_account(company, key)
        account.cancel_autopay(company_id, "CANCELLED")
        company.exercise(caller.login, Action.PAY, str(key))
        return Receipt(self._save(company, account), None)

    def _company_account(self, company: Company, key: AccountKey) -> AccountEnrollment:
        if str(key) not in company.accounts:
            raise NotFound("account", key)
        return self.account(key)


def may_pay(company: Company, login: str, account: str) -> bool:
    """I3: whether `login` may pay invoices of `account` for `company` now."""
    try:
        company.require(login, Action.PAY, [account])
    except DomainError:
        return False
    return True


def cancel_lost_autopays(
    company: Company, login: str, accounts: Iterable[AccountEnrollment]
) -> list[AccountEnrollment]:
    """I6: an automatic payment ends when its user may no longer pay the account."""
    cancelled = []
    for account in accounts:
        plan = account.autopay
        if plan is None or (plan["company_id"], plan["set_up_by"]) != (str(company.id), login):
            continue  # A2: another company's automatic payment is none of this one's
        if not may_pay(company, login, str(account.key)):
            account.cancel_autopay(company.id, "USER_LOST_RIGHT_TO_PAY")
            cancelled.append(account)
    return cancelled
