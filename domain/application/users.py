"""R3-R10: the users of a company, their roles, granted accounts and profiles, the general
administrator's title, and each user's own notification preferences."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from domain.application.accounts import cancel_lost_autopays
from domain.application.retries import Receipt, command
from domain.application.service import Service
from domain.caller import Caller, Scope
from domain.company import Company
from domain.enrollment import AccountEnrollment
from domain.errors import NotFound
from domain.roles import Action
from domain.text import login as valid_login
from domain.user import User, valid_profile
from domain.values import AccountKey, Notification, Role


@dataclass(frozen=True)
class Membership:
    """A user of a company as a command left them (R3, R4, R6, R10): what its answer says,
    even if another change (a removal) commits before it is written out (issue 18)."""

    login: str
    email: str
    name: str
    role: Role
    accounts: tuple[str, ...]
    general_administrator: bool

    @classmethod
    def of(cls, company: Company, user: User) -> Membership:
        """`user` (a member of `company`) as both aggregates have them."""
        login = user.login
        return cls(
            login,
            user.email,
            user.name,
            company.role_of(login),
            tuple(company.grants[login]),
            login == company.general_administrator,
        )


class Users(Service):
    """The commands about a company's users."""

    @command
    def add_user(
        self,
        caller: Caller,
        company_id: UUID,
        login: str,
        *,
        email: str,
        name: str,
        role: Role,
        accounts: Iterable[AccountKey] = (),
    ) -> Receipt[str]:
        """R5: add a user with a role and granted accounts (R3, R4, R9)."""
        company = self._member_company(caller.as_person(), company_id)
        login = valid_login(login)
        email, name = valid_profile(email, name)
        company.add_user(caller.login, login, role, [str(a) for a in accounts])
        user = self._user_or_new(login)
        user.join(company_id, email, name)
        return Receipt(self._save(company, user), login)

    @command
    def remove_user(
        self, caller: Caller, company_id: UUID, login: str, *, confirmed: bool
    ) -> Receipt[None]:
        """R5: remove a user (confirmed); access ends at once, automatic payments too (I6)."""
        login = valid_login(login)
        company = self._member_company(caller.as_person(), company_id)
        company.remove_user(caller.login, login, confirmed=confirmed)
        user = self.user(login)
        user.leave(company_id)
        cancelled = self._cancel_lost_autopays(company, login)
        return Receipt(self._save(company, user, *cancelled), None)

    @command
    def change_role(
        self, caller: Caller, company_id: UUID, login: str, role: Role
    ) -> Receipt[Membership]:
        """R3/R9: change a user's role (R6 keeps the general administrator's)."""
        login = valid_login(login)
        company = self._member_company(caller.as_person(), company_id)
        company.change_role(caller.login, login, role)
        cancelled = self._cancel_lost_autopays(company, login)
        user = self.user(login)
        return Receipt(self._save(company, *cancelled), Membership.of(company, user))

    @command
    def set_user_accounts(
        self, caller: Caller, company_id: UUID, login: str, accounts: Iterable[AccountKey]
    ) -> Receipt[Membership]:
        """R4/R9: grant exactly these accounts to a user (revoking the others)."""
        login = valid_login(login)
        company = self._member_company(caller.as_person(), company_id)
        company.set_accounts(caller.login, login, [str(a) for a in accounts])
        cancelled = self._cancel_lost_autopays(company, login)
        user = self.user(login)
        return Receipt(self._save(company, *cancelled), Membership.of(company, user))

    @command
    def change_user_profile(
        self, caller: Caller, company_id: UUID, login: str, email: str, name: str
    ) -> Receipt[Membership]:
        """R10: Administrators (and Plan Managers, R9) keep users' profiles up to date."""
        login = valid_login(login)
        company = self._member_company(caller.as_person(), company_id)
        company.require(caller.login, Action.MANAGE_USERS)
        if not company.manages(caller.login, login):
            raise NotFound("user", login)
        company.require_profile_editor(caller.login, login)
        user = self.user(login)
        user.change_profile(email, name)
        return Receipt(self._save(company, user), Membership.of(company, user))

    @command
    def confirm_membership(self, caller: Caller, company_id: UUID) -> Receipt[None]:
        """R5: a pending member's first request to the company's resources makes it a member."""
        company = self._member_company(caller.as_person(), company_id)
        return Receipt(self._save(company), None)

    @command
    def change_own_profile(self, caller: Caller, email: str, name: str) -> Receipt[Membership]:
        """R10: every user edits their own name and e-mail."""
        login = caller.as_person()
        user = self.user(login)
        if user.company_id is None:
            raise NotFound("company of", login)
        company = self._member_company(login, UUID(user.company_id))
        user.change_profile(email, name)
        return Receipt(self._save(company, user), Membership.of(company, user))

    @command
    def reassign_general_administrator(
        self, caller: Caller, company_id: UUID, login: str, reason: str
    ) -> Receipt[None]:
        """R6: the billing system gives the title to another Administrator, with a reason;
        every Administrator is told by e-mail (the outbox reads the event)."""
        caller.require_scope(Scope.BILLING_SYSTEM, rule="R6")
        company = self.company(company_id)
        company.refuse_if_closed()  # R14
        company.reassign_title(valid_login(login), reason)
        return Receipt(self._save(company), None)

    @command
    def hand_over(self, caller: Caller, company_id: UUID, login: str) -> Receipt[None]:
        """R6: the general administrator hands the title to another user."""
        login = valid_login(login)
        company = self._member_company(caller.as_person(), company_id)
        company.hand_over(caller.login, login)
        return Receipt(self._save(company), None)

    @command
    def set_notification_preferences(
        self, caller: Caller, preferences: dict[Notification, bool]
    ) -> Receipt[None]:
        """R8: a user sets their own e-mail notifications."""
        user = self.user(caller.as_person())
        if user.company_id is None:
            raise NotFound("company of", caller.login)
        user.set_preferences(preferences)
        return Receipt(self._save(user), None)

    def _cancel_lost_autopays(self, company: Company, login: str) -> list[AccountEnrollment]:
        """I6: the automatic payments `login` may no longer make, cancelled."""
        return cancel_lost_autopays(company, login, self._company_accounts(company))
