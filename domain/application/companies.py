"""R1 and R10: enrolling a company with its first accounts, and keeping its details."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from domain.application.plans import Plans
from domain.application.proofs import AccountRequest
from domain.application.retries import Receipt, command
from domain.caller import Caller
from domain.company import Company
from domain.errors import LoginTaken
from domain.text import COMPANY_NAME
from domain.text import login as valid_login
from domain.user import User


class Companies(Plans):
    """The commands about a company as a whole."""

    @command
    def enroll_company(
        self, caller: Caller, name: str, accounts: Sequence[AccountRequest]
    ) -> Receipt[UUID]:
        """R1: a person enrolls a company with its first accounts, all or none."""
        login = valid_login(caller.as_person())
        name = COMPANY_NAME(name)
        user = self._user_or_new(login)
        withdrawn = self._withdraw_pending(user)
        proven = self._prove_all(accounts)
        company = Company(
            name=name, general_administrator=login, accounts=[str(r.account) for r in accounts]
        )
        saved = {str(r.key): r for r in proven}
        for record, request in zip(proven, accounts, strict=True):
            self._consolidate(company, record, saved)  # A2, A8
            record.enroll(company.id, request.line_of_business, request.account_type)
        user.join(company.id, caller.email, caller.name or login)
        return Receipt(self._save(company, user, withdrawn, *saved.values()), company.id)

    def _withdraw_pending(self, user: User) -> Company | None:
        """R5: a login that belongs to a company is refused, unless it is only pending
        there: that membership reserved nothing and is withdrawn."""
        if user.company_id is None:
            return None
        former = self.company(UUID(user.company_id))
        if not former.is_pending(user.login):
            raise LoginTaken(f"{user.login} already belongs to a company")
        former.withdraw_pending(user.login)
        user.leave(former.id)
        return former

    @command
    def change_company_details(
        self, caller: Caller, company_id: UUID, name: str, address: str
    ) -> Receipt[Company]:
        """R10: Administrators keep the company's name and address up to date; answers the
        company as it is at the receipt's position (saved, or found unchanged at the head),
        so that its answer needs no other read (issue 20). Never change it: it is cached."""
        company = self._member_company(caller.as_person(), company_id)
        company.change_details(caller.login, name, address)
        return Receipt(self._save(company), company)

    @command
    def close_company(self, caller: Caller, company_id: UUID, *, confirmed: bool) -> Receipt[None]:
        """R14: the general administrator closes the company once no account is enrolled;
        its members are released (their logins may join or enroll another company)."""
        company = self._member_company(caller.as_person(), company_id)
        records = self._company_accounts(company)
        enrolled = [str(r.key) for r in records if r.enrolled_in(company_id)]
        released = company.close(caller.login, confirmed=confirmed, enrolled=enrolled)
        users = [self.user(login) for login in released]
        for user in users:
            user.leave(company_id)
        return Receipt(self._save(company, *users), None)
