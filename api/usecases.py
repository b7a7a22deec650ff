"""What every way in shares beyond the application's commands (issue 19): who may read a
company's invoices, the queries that answer with what they may see, and the few checks a
command's caller makes before calling it. The HTTP routes and the console both call these;
each then writes its own answer (JSON, a page).

Writes are otherwise the application's commands themselves, which decide and return their
position as a value (`Receipt.position`): neither way in calls the other's functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple, Unpack
from uuid import UUID

from api.proofs import counted_proof
from domain.application import AccountRequest, BillingCenter, Receipt
from domain.caller import Caller
from domain.company import Company
from domain.errors import InvalidInput, NotFound
from domain.roles import Action
from domain.values import AccountKey, Role
from projections.queries import (
    DEFAULT_LIMIT,
    Access,
    AccountView,
    InvoiceDetail,
    InvoiceRow,
    InvoiceView,
    PageAsked,
    PaymentMethodView,
    ReadModels,
    RowsPage,
    SectionName,
    UserView,
)


def enroll_company(
    app: BillingCenter, caller: Caller, name: str, accounts: Sequence[AccountRequest]
) -> Receipt[UUID]:
    """R1: enroll a company with its first proven accounts; a refused proof (A1) counts
    towards the rate limit."""
    with counted_proof():
        return app.enroll_company(caller, name, list(accounts))


def add_account(
    app: BillingCenter, caller: Caller, cid: UUID, account: AccountRequest
) -> Receipt[AccountKey]:
    """A1, A2: add an account proven with one of its latest invoices; a refused proof
    counts towards the rate limit."""
    with counted_proof():
        return app.add_account(caller, cid, account)


def request_adjustment(
    app: BillingCenter, caller: Caller, iid: UUID, reason: str, lines: Sequence[tuple[str, Decimal]]
) -> Receipt[str]:
    """I4: dispute lines of an invoice, each tracking number once, each for at most its amount."""
    asked = dict(lines)
    if len(asked) != len(lines):
        raise InvalidInput("lines", "each tracking number once", rule="I4")
    return app.request_adjustment(caller, iid, reason, asked)


def access_of(company: Company, login: str) -> Access:
    """R4 as the store has it when the request is answered: what `login` may see in
    `company` (issue 18: never the read models' copy, which trails the store)."""
    every = company.sees_all_accounts(login)
    return Access(company.id, login, None if every else frozenset(company.visible_accounts(login)))


def member_company(app: BillingCenter, caller: Caller, cid: UUID) -> Company:
    """The company as the store has it now, to decide what `caller` may see; a pending
    member's first request to it makes them a member (R5)."""
    company = app.read_company(cid)
    if company.is_pending(caller.as_person()):
        app.confirm_membership(caller, cid)
        company = app.read_company(cid)
    return company


def invoice_reader(app: BillingCenter, cid: UUID, caller: Caller) -> Access:
    """The caller's access to the company's invoices, once the store says they may view them."""
    me = caller.as_person()
    company = member_company(app, caller, cid)
    company.require(me, Action.VIEW_INVOICES)
    return access_of(company, me)


def invoices(
    app: BillingCenter,
    reads: ReadModels,
    access: Access,
    section: SectionName,
    **page: Unpack[PageAsked],
) -> RowsPage[InvoiceView]:
    """A page of the invoices `access` lets its member see in the section (R4, A6, A7)."""
    today = app.today()
    return reads.invoices(
        access.company_id, access.login, section, today=today, access=access, **page
    )


def invoice_rows(
    app: BillingCenter,
    reads: ReadModels,
    access: Access,
    section: SectionName,
    **page: Unpack[PageAsked],
) -> RowsPage[InvoiceRow]:
    """The same page as `invoices`, its items as stored (for a list written as is: issue 5)."""
    today = app.today()
    return reads.invoice_rows(
        access.company_id, access.login, section, today=today, access=access, **page
    )


def invoice_detail(
    app: BillingCenter, reads: ReadModels, caller: Caller, iid: UUID
) -> InvoiceDetail:
    """The invoice in detail, if the caller may see it (R4, A4-A7, I2); NotFound otherwise."""
    me = caller.as_person()
    seen = app.visible_invoice(me, iid)
    if seen.company.is_pending(me):
        app.confirm_membership(caller, seen.company.id)  # R5: a first request makes a member
    view = reads.invoice(iid, login=me, today=app.today(), access=access_of(seen.company, me))
    if view is None:
        raise NotFound("invoice", iid)
    return view


def visible_accounts(
    app: BillingCenter, reads: ReadModels, caller: Caller, cid: UUID
) -> list[AccountView]:
    """The company's accounts the caller may see: all for Administrators, else their grants
    (R4, as the store has it now)."""
    me = caller.as_person()
    visible = set(member_company(app, caller, cid).visible_accounts(me))
    return [a for a in reads.accounts(cid, visible_to=me) if f"{a.country}-{a.number}" in visible]


def payment_methods(
    app: BillingCenter, reads: ReadModels, caller: Caller, cid: UUID
) -> list[PaymentMethodView]:
    """The company's payment methods, masked, for those who may pay (R11, I3)."""
    member_company(app, caller, cid).require(caller.as_person(), Action.PAY)
    return list(reads.payment_methods(cid))


def managed_users(
    app: BillingCenter,
    reads: ReadModels,
    caller: Caller,
    cid: UUID,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> RowsPage[UserView]:
    """Users with their roles: all for Administrators, those R9 lets a Plan Manager manage (R7)."""
    company = member_company(app, caller, cid)
    me = caller.as_person()
    company.require(me, Action.SEE_USERS)
    return reads.users(cid, logins=company.managed_users(me), cursor=cursor, limit=limit)


def user_profile(
    app: BillingCenter, reads: ReadModels, caller: Caller, cid: UUID, login: str
) -> tuple[UserView, bool]:
    """A user's profile, and whether the caller sees their role: those who manage them do,
    the user themself does not (R7); anyone else finds no such user."""
    company = member_company(app, caller, cid)
    me = caller.as_person()
    with_role = company.manages(me, login)
    if not with_role and login != me:
        company.require(me, Action.SEE_USERS)
        raise NotFound("user", login)
    view = reads.user(cid, login)
    if view is None:
        raise NotFound("user", login)
    return view, with_role


@dataclass(frozen=True)
class CompanySummary:
    """A company as a member sees it; the general administrator only for Administrators."""

    company_id: UUID
    name: str
    address: str
    accounts: int  # how many of its accounts the caller may see (R4)
    general_administrator: str | None


def company_summary(
    app: BillingCenter, reads: ReadModels, caller: Caller, cid: UUID
) -> CompanySummary:
    """The company: name, address, how many accounts the caller may see (R4, R7), all from
    the company as the store has it, which decides them (issue 20: the read model's copy
    was a second query, and could only trail it); its text as the read models show it."""
    company = member_company(app, caller, cid)
    admin = company.role_of(caller.as_person()) is Role.ADMINISTRATOR
    seen = len(company.visible_accounts(caller.login))
    administrator = company.general_administrator if admin else None
    shown = reads.as_held
    return CompanySummary(cid, shown(company.name), shown(company.address), seen, administrator)


def _preferences(app: BillingCenter, login: str, view: UserView | None) -> dict[str, bool]:
    """R8: the caller's preferences as the read model keeps them, read with their profile
    (issue 20: the User's events were a query more); the store's while the read model does
    not know them as a member yet."""
    if view is not None and view.notifications is not None:
        return dict(view.notifications)
    return dict(app.user(login).preferences)


class ProfileCompany(NamedTuple):
    """The caller's company, as their profile names it."""

    company_id: UUID
    name: str


@dataclass(frozen=True)
class Profile:
    """Who the caller is: their company, and their role only for Administrators (R7)."""

    login: str
    scope: str | None = None
    email: str | None = None
    name: str | None = None
    company: ProfileCompany | None = None
    role: Role | None = None
    general_administrator: bool = False
    accounts: tuple[str, ...] = ()
    pending: tuple[ProfileCompany, ...] = ()  # R5: where the caller was added, no request yet
    notifications: dict[str, bool] | None = None  # R8: the caller's own preferences


def profile(app: BillingCenter, reads: ReadModels, caller: Caller) -> Profile:
    """The caller's profile and company; their role only if they are an Administrator (R7)."""
    if caller.scope is not None:
        return Profile(caller.login, scope=caller.scope.value)
    cid, view = reads.own_profile(caller.login)
    company = app.read_company(cid) if cid is not None else None
    if cid is None or company is None or not company.is_member(caller.login):
        return Profile(caller.login, email=caller.email or None, name=caller.name or None)
    admin = company.role_of(caller.login) is Role.ADMINISTRATOR
    here = ProfileCompany(cid, reads.as_held(company.name))  # as GET company shows it
    return Profile(
        caller.login,
        email=view.email if view else None,
        name=view.name if view else None,
        company=here,
        role=Role.ADMINISTRATOR if admin else None,
        general_administrator=company.general_administrator == caller.login,
        accounts=tuple(company.visible_accounts(caller.login)),
        pending=(here,) if company.is_pending(caller.login) else (),
        notifications=_preferences(app, caller.login, view),
    )
