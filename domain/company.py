"""The Company aggregate: its information, members, roles, grants, title and bank details."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from eventsourcing.domain import event

from domain.access import Plans, Reason, accounts_seen, sees_every_account
from domain.access import access as access_of
from domain.api_key import is_key_principal, principal
from domain.base import BillingAggregate
from domain.errors import (
    AccountsStillEnrolled,
    CompanyClosed,
    ConfirmationRequired,
    Forbidden,
    GeneralAdministratorLocked,
    InvalidInput,
    LoginTaken,
    NoPaymentMethod,
    NotAMember,
    NotFound,
    PaymentMethodInUse,
)
from domain.roles import ACTION_RULES, TOP_ROLES, Action, may
from domain.text import COMPANY_ADDRESS, COMPANY_NAME, REASSIGNMENT_REASON
from domain.values import Role

DEFAULT_METHOD = ""
"""How an automatic payment that relies on the default method names it (R11)."""


class Company(BillingAggregate):
    """A company of the billing center (R1-R11).

    State is kept in plain dicts and lists so snapshots store it as it is.
    """

    class UserAdded(BillingAggregate.Event):
        """R5: a login joined the company with a role and its granted accounts.

        Version 1 carried no grants (they came later by AccountAccessGranted only).
        Version 3 names who added the login: it is pending until its first request (R5).
        """

        class_version: ClassVar[int] = 3
        login: str
        role: str
        accounts: list[str]
        added_by: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """A v1 UserAdded granted nothing."""
            state["accounts"] = []

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """A v2 UserAdded was a member at once (nothing was pending before issue 24)."""
            state["added_by"] = ""

    @event("CompanyEnrolled")
    def __init__(self, name: str, general_administrator: str, accounts: list[str]) -> None:
        self.name = name
        self.address = ""
        self.general_administrator = general_administrator
        self.roles: dict[str, str] = {general_administrator: Role.ADMINISTRATOR.value}
        self.grants: dict[str, list[str]] = {general_administrator: []}
        self.accounts: list[str] = list(accounts)
        self.payment_methods: dict[str, dict[str, str]] = {}
        self.default_payment_method: str | None = None

    # --- who may do what (R3, R4, R7, R9) ---------------------------------------

    def is_member(self, login: str) -> bool:
        """Whether `login` is a current user of the company."""
        return login in self.roles

    def role_of(self, login: str) -> Role:
        """The member's role; a non-member is told the company does not exist."""
        if login not in self.roles:
            raise NotFound("company", self.id)
        return Role(self.roles[login])

    def sees_all_accounts(self, login: str) -> bool:
        """R4 (`domain.access`): whether `login`'s role sees every account of the company."""
        return sees_every_account(self.role_of(login))

    def access(self, login: str, account: str) -> Reason | None:
        """R4 (`domain.access`): why `login` sees `account`, or None."""
        role = self.role_of(login)
        return access_of(role, self.grants[login], account, self.accounts, self.plans)

    def visible_accounts(self, login: str) -> list[str]:
        """R4 (`domain.access`): all, or its grants and their plans' members (A8)."""
        role, granted = self.role_of(login), self.grants[login]
        return list(accounts_seen(role, granted, self.accounts, self.plans))

    def sees_account(self, login: str, account: str) -> bool:
        """R4: whether `login` may see `account`."""
        return self.access(login, account) is not None

    def require(self, login: str, action: Action, accounts: Iterable[str] = ()) -> Role:
        """Refuse unless the matrix lets `login` do `action` on `accounts`."""
        role = self.role_of(login)
        title = login == self.general_administrator
        if not may(role, action, general_administrator=title):
            raise Forbidden(f"{role.value} may not {action.value}", rule=ACTION_RULES[action])
        for account in accounts:
            if not self.sees_account(login, account):
                raise NotFound("account", account)
        return role

    def manages(self, manager: str, login: str) -> bool:
        """R9: Administrators manage everyone; Plan Managers the users within their accounts."""
        if not self.is_member(manager) or login not in self.roles or is_key_principal(login):
            return False  # a key is managed on its own page, never as a user (issue 22)
        role = self.role_of(manager)
        if role is Role.ADMINISTRATOR:
            return True
        if role is not Role.PLAN_MANAGER:
            return False
        within = set(self.grants[login]) <= set(self.visible_accounts(manager))
        return Role(self.roles[login]) not in TOP_ROLES and within

    def managed_users(self, manager: str) -> list[str]:
        """R7/R9: the users whose profiles and roles `manager` sees."""
        return [login for login in self.roles if self.manages(manager, login)]

    def exercise(self, login: str, action: Action, subject: str) -> None:
        """Record that `login` used the company's authority (`action` on `subject`).

        A payment or an adjustment is checked against the company's members, roles and
        grants but written to another aggregate; writing this beside it makes a
        concurrent removal, role change or revocation conflict in the store instead of
        being overtaken by it (write skew): the later of the two is retried or refused.
        """
        self.require(login, action)
        self._authority_exercised(login=login, action=action.name, subject=subject)

    @event("AuthorityExercised")
    def _authority_exercised(self, login: str, action: str, subject: str) -> None:
        """Changes nothing but the company's version (see `exercise`)."""

    def _require_manager(self, by: str, login: str) -> None:
        self.require(by, Action.MANAGE_USERS)
        if not self.manages(by, login):
            raise NotFound("user", login)

    def _require_grantable(self, by: str, role: Role, accounts: Iterable[str]) -> list[str]:
        wanted = sorted(set(accounts))
        for account in wanted:
            if account not in self.accounts:
                raise NotFound("account", account)
        if self.role_of(by) is Role.PLAN_MANAGER:
            if role in TOP_ROLES:
                raise Forbidden(f"a Plan Manager may not give the role {role.value}", rule="R9")
            if not set(wanted) <= set(self.visible_accounts(by)):
                raise Forbidden("a Plan Manager grants only accounts it holds", rule="R9")
        return wanted

    # --- company information (R10) -------------------------------------------------

    def change_details(self, by: str, name: str, address: str) -> None:
        """R10: keep the company's name and address up to date."""
        self.require(by, Action.EDIT_COMPANY)
        name = COMPANY_NAME(name, rule="R10")
        address = COMPANY_ADDRESS(address)
        if (name, address) != (self.name, self.address):
            self._details_changed(name=name, address=address)

    @event("CompanyDetailsChanged")
    def _details_changed(self, name: str, address: str) -> None:
        self.name = name
        self.address = address

    # --- users (R3, R5, R6, R9) ------------------------------------------------------

    def add_user(self, by: str, login: str, role: Role, accounts: Iterable[str] = ()) -> None:
        """R5: add a login with a role and, for non-Administrators, its accounts (R4)."""
        self.require(by, Action.MANAGE_USERS)
        if self.is_member(login):
            raise LoginTaken(f"{login} is already a user of this company")
        granted = self._require_grantable(by, role, accounts)
        self._user_added(login=login, role=role.value, accounts=granted, added_by=by)

    @event(UserAdded)
    def _user_added(self, login: str, role: str, accounts: list[str], added_by: str) -> None:
        self.roles[login] = role
        self.grants[login] = list(accounts)
        if added_by:  # R5: pending until its first request
            self.__dict__.setdefault("pending_members", {})[login] = added_by

    def remove_user(self, by: str, login: str, *, confirmed: bool) -> None:
        """R5: remove a user, with an explicit confirmation; R6 keeps the title holder."""
        self._require_manager(by, login)
        if not confirmed:
            raise ConfirmationRequired("removing a user needs confirm=true")
        if login == self.general_administrator:
            raise GeneralAdministratorLocked(
                "the general administrator must hand the title over before being removed"
            )
        self._user_removed(login=login)

    @event("UserRemoved")
    def _user_removed(self, login: str) -> None:
        del self.roles[login]
        del self.grants[login]
        self.__dict__.get("pending_members", {}).pop(login, None)

    # --- pending members (R5) ----------------------------------------------------------

    @property
    def pending(self) -> dict[str, str]:
        """R5: the logins added that have made no request yet, each with who added it.

        Kept under a name older snapshots lack (they had no pending member)."""
        found: dict[str, str] = self.__dict__.get("pending_members", {})
        return found

    def is_pending(self, login: str) -> bool:
        """R5: whether `login` was added and has made no request to the company yet."""
        return login in self.pending

    def confirm_member(self, login: str) -> None:
        """R5: a pending member's first request to the company makes it a member."""
        if self.is_pending(login):
            self._member_confirmed(login=login)

    @event("MemberConfirmed")
    def _member_confirmed(self, login: str) -> None:
        self.pending.pop(login, None)

    def withdraw_pending(self, login: str) -> None:
        """R5: the person enrolled a company of their own first: the pending membership is
        withdrawn (it reserved nothing); who added it is told (the outbox reads the event)."""
        if not self.is_pending(login):
            raise LoginTaken(f"{login} already belongs to a company")
        self._pending_withdrawn(login=login, added_by=self.pending[login])

    @event("PendingMemberWithdrawn")
    def _pending_withdrawn(self, login: str, added_by: str) -> None:
        del self.roles[login]
        del self.grants[login]
        self.pending.pop(login, None)

    def change_role(self, by: str, login: str, role: Role) -> None:
        """R3/R9: change a user's role; R6 keeps the general administrator's."""
        self._require_manager(by, login)
        self._require_grantable(by, role, ())
        if login == self.general_administrator and role is not Role.ADMINISTRATOR:
            raise GeneralAdministratorLocked(
                "the general administrator's role cannot change before the title is handed over"
            )
        if self.roles[login] != role.value:
            self._role_changed(login=login, role=role.value)

    @event("RoleChanged")
    def _role_changed(self, login: str, role: str) -> None:
        self.roles[login] = role

    def set_accounts(self, by: str, login: str, accounts: Iterable[str]) -> None:
        """R4/R9: make `accounts` exactly the accounts granted to `login`."""
        self._require_manager(by, login)
        wanted = self._require_grantable(by, Role(self.roles[login]), accounts)
        held = set(self.grants[login])
        if added := [a for a in wanted if a not in held]:
            self._access_granted(login=login, accounts=added)
        if revoked := sorted(held - set(wanted)):
            self._access_revoked(login=login, accounts=revoked)

    @event("AccountAccessGranted")
    def _access_granted(self, login: str, accounts: list[str]) -> None:
        self.grants[login] = sorted({*self.grants[login], *accounts})

    @event("AccountAccessRevoked")
    def _access_revoked(self, login: str, accounts: list[str]) -> None:
        self.grants[login] = [a for a in self.grants[login] if a not in accounts]

    def hand_over(self, by: str, login: str) -> None:
        """R6: give the general administrator title to another user of the company."""
        self.require(by, Action.HAND_OVER)
        if not self.is_member(login) or is_key_principal(login):
            raise NotAMember(f"{login} is not a user of this company")
        if login == by:
            raise InvalidInput("login", "another user of the company", rule="R6")
        self._handed_over(former=by, successor=login)

    @event("GeneralAdministratorHandedOver")
    def _handed_over(self, former: str, successor: str) -> None:
        self.general_administrator = successor
        self.roles[successor] = Role.ADMINISTRATOR.value

    def reassign_title(self, login: str, reason: str) -> None:
        """R6: the billing system (the carrier's support) gives the title to another
        Administrator of the company when its holder can no longer act, with a reason."""
        reason = REASSIGNMENT_REASON(reason)
        if self.roles.get(login) != Role.ADMINISTRATOR.value:
            raise NotAMember(f"{login} is not an Administrator of this company")
        if login == self.general_administrator:
            raise InvalidInput("login", "an Administrator other than the title holder", rule="R6")
        self._title_reassigned(former=self.general_administrator, successor=login, reason=reason)

    @event("GeneralAdministratorReassigned")
    def _title_reassigned(self, former: str, successor: str, reason: str) -> None:
        self.general_administrator = successor

    def require_profile_editor(self, by: str, login: str) -> None:
        """R10: an Administrator's profile is changed only by that Administrator or by the
        general administrator, so no Administrator can redirect another's e-mail."""
        if by in (login, self.general_administrator):
            return
        if self.roles.get(login) == Role.ADMINISTRATOR.value:
            raise Forbidden(
                "only that Administrator or the general administrator may change it", rule="R10"
            )

    # --- closing (R14) ------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """R14: whether the company was closed (older snapshots were never closed)."""
        return bool(self.__dict__.get("closed_company", False))

    def refuse_if_closed(self) -> None:
        """R14: a closed company accepts no command."""
        if self.closed:
            raise CompanyClosed(f"the company {self.id} is closed")

    def close(self, by: str, *, confirmed: bool, enrolled: list[str]) -> list[str]:
        """R14: the general administrator closes the company, confirmed, once no account is
        enrolled in it; its members are released (answered, for their logins to leave).
        Nothing is deleted: the events stay, and the auditors replay them."""
        self.refuse_if_closed()
        if by != self.general_administrator:
            raise Forbidden("only the general administrator closes the company", rule="R14")
        if not confirmed:
            raise ConfirmationRequired("closing the company needs confirm=true", rule="R14")
        if enrolled:
            raise AccountsStillEnrolled(f"unenroll every account first: {', '.join(enrolled)}")
        members = sorted(self.roles)
        self._closed(members=members)
        return members

    @event("CompanyClosed")
    def _closed(self, members: list[str]) -> None:
        self.__dict__["closed_company"] = True
        for login in members:
            self.roles.pop(login, None)
            self.grants.pop(login, None)
        self.__dict__.pop("pending_members", None)

    # --- accounts (A1, A2) -------------------------------------------------------------

    def require_account_manager(self, by: str) -> None:
        """R3: only Administrators add and re-enroll accounts."""
        self.require(by, Action.MANAGE_ACCOUNTS)

    def add_account(self, account: str) -> None:
        """A1: remember an account this company has held (for grants and archives)."""
        if account not in self.accounts:
            self._account_added(account=account)

    @event("AccountAdded")
    def _account_added(self, account: str) -> None:
        self.accounts.append(account)

    @property
    def plans(self) -> Plans:
        """A8: the plans the company holds or held, each with its members now (a name
        older snapshots lack: they had no plan)."""
        found: dict[str, list[str]] = self.__dict__.get("plan_members", {})
        return found

    def record_plan(self, plan: str, members: list[str]) -> None:
        """A8: the company holds `plan`, which consolidates `members` now (R4 follows)."""
        if list(self.plans.get(plan, [None])) != members:
            self._plan_recorded(plan=plan, members=list(members))

    @event("PlanMembersRecorded")
    def _plan_recorded(self, plan: str, members: list[str]) -> None:
        self.__dict__.setdefault("plan_members", {})[plan] = list(members)

    # --- bank information (R11) --------------------------------------------------------

    def add_payment_method(
        self, by: str, method_id: str, method: dict[str, str], *, make_default: bool
    ) -> None:
        """R11: add a bank account (its number already sealed); the first is the default."""
        self.require(by, Action.MANAGE_PAYMENT_METHODS)
        default = make_default or self.default_payment_method is None
        self._method_added(payment_method_id=method_id, default=default, **method)

    @event("PaymentMethodAdded")
    def _method_added(
        self,
        *,
        payment_method_id: str,
        holder: str,
        bank_code: str,
        sealed_account_number: str,
        last4: str,
        default: bool,
    ) -> None:
        self.payment_methods[payment_method_id] = {
            "holder": holder,
            "bank_code": bank_code,
            "sealed_account_number": sealed_account_number,
            "last4": last4,
        }
        if default:
            self.default_payment_method = payment_method_id

    def _require_method(self, method_id: str) -> None:
        if method_id not in self.payment_methods:
            raise NotFound("payment method", method_id)

    def make_default_payment_method(self, by: str, method_id: str) -> None:
        """R11: the default can be changed."""
        self.require(by, Action.MANAGE_PAYMENT_METHODS)
        self._require_method(method_id)
        if method_id != self.default_payment_method:
            self._default_changed(payment_method_id=method_id)

    @event("DefaultPaymentMethodChanged")
    def _default_changed(self, payment_method_id: str) -> None:
        self.default_payment_method = payment_method_id

    def remove_payment_method(self, by: str, method_id: str, relied_on: set[str]) -> None:
        """R11: refuse while an automatic payment names it, or relies on it as the default.

        `relied_on` holds the methods automatic payments name, and DEFAULT_METHOD
        when one relies on the default.
        """
        self.require(by, Action.MANAGE_PAYMENT_METHODS)
        self._require_method(method_id)
        is_default = method_id == self.default_payment_method
        if method_id in relied_on or (is_default and DEFAULT_METHOD in relied_on):
            raise PaymentMethodInUse("an automatic payment relies on this payment method")
        self._method_removed(payment_method_id=method_id)

    @event("PaymentMethodRemoved")
    def _method_removed(self, payment_method_id: str) -> None:
        del self.payment_methods[payment_method_id]
        if self.default_payment_method == payment_method_id:
            self.default_payment_method = None

    def payment_method_for(self, method_id: str | None) -> str:
        """R11: the method a payment uses: the one given, or the default; none is refused."""
        if method_id:
            self._require_method(method_id)
            return method_id
        if self.default_payment_method is None:
            raise NoPaymentMethod("the company has no payment method to pay with")
        return self.default_payment_method

    # --- API keys (issue 22) -----------------------------------------------------------

    def api_keys(self) -> dict[str, dict[str, Any]]:
        """The company's keys by id: name, role, accounts (grants as R4), created_by
        (companies snapshotted before keys existed have none)."""
        keys: dict[str, dict[str, Any]] = self.__dict__.setdefault("_keys", {})
        return keys

    def create_api_key(
        self, by: str, key_id: str, name: str, role: Role, accounts: Iterable[str]
    ) -> None:
        """R3, R4: an Administrator gives a key a role other than ADMINISTRATOR and grants."""
        self.require_key_administrator(by)
        if role is Role.ADMINISTRATOR:
            raise InvalidInput("role", "a role of R2 other than ADMINISTRATOR", rule="R2")
        granted = self._require_grantable(by, role, accounts)
        self._key_created(key_id=key_id, name=name, role=role.value, accounts=granted, by=by)

    @event("ApiKeyCreated")
    def _key_created(self, key_id: str, name: str, role: str, accounts: list[str], by: str) -> None:
        self.roles[principal(key_id)] = role
        self.grants[principal(key_id)] = list(accounts)
        self.api_keys()[key_id] = {"name": name, "role": role, "created_by": by}

    def revoke_api_key(self, by: str, key_id: str) -> None:
        """R3: an Administrator revokes a key; it no longer acts from the next request on."""
        self.require_key_administrator(by)
        if key_id not in self.api_keys():
            raise NotFound("api key", key_id)
        self._key_revoked(key_id=key_id)

    @event("ApiKeyRevoked")
    def _key_revoked(self, key_id: str) -> None:
        self.roles.pop(principal(key_id), None)
        self.grants.pop(principal(key_id), None)
        self.api_keys().pop(key_id, None)

    def require_key_administrator(self, by: str) -> None:
        """R3: only Administrators see and manage the company's keys."""
        if self.role_of(by) is not Role.ADMINISTRATOR:
            raise Forbidden("only Administrators manage API keys", rule="R3")
