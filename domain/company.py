"""The Company aggregate: its information, members, roles, grants, title and bank details."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from eventsourcing.domain import event

from domain.api_key import is_key_principal, principal
from domain.base import BillingAggregate
from domain.errors import (
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
from domain.roles import ACTION_RULES, ALL_ACCOUNTS_ROLES, TOP_ROLES, Action, may
from domain.text import COMPANY_ADDRESS, COMPANY_NAME
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
        """

        class_version: ClassVar[int] = 2
        login: str
        role: str
        accounts: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """A v1 UserAdded granted nothing."""
            state["accounts"] = []

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
        """R4: Administrators see every account of the company."""
        return self.role_of(login) in ALL_ACCOUNTS_ROLES

    def visible_accounts(self, login: str) -> list[str]:
        """R4: the accounts `login` may see: all, or its grants."""
        if self.sees_all_accounts(login):
            return list(self.accounts)
        return list(self.grants[login])

    def sees_account(self, login: str, account: str) -> bool:
        """R4: whether `login` may see `account`."""
        return account in self.visible_accounts(login)

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
        within = set(self.grants[login]) <= set(self.grants[manager])
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
            if not set(wanted) <= set(self.grants[by]):
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
        self._user_added(login=login, role=role.value, accounts=granted)

    @event(UserAdded)
    def _user_added(self, login: str, role: str, accounts: list[str]) -> None:
        self.roles[login] = role
        self.grants[login] = list(accounts)

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
        """The company's keys by id: name, role, accounts (grants as R4), created_by.

        Companies snapshotted before keys existed have none.
        """
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
