"""The application service: one verb per command, each loading aggregates, asking them to
act, and saving everything it changed in one atomic `save` (all or nothing).

A command that loses a race to another writer of the same aggregate is retried from a
fresh load; if it keeps losing, it is refused as a ConcurrentChange, never applied twice
and never lost.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache, wraps
from typing import Any, ClassVar, Concatenate, Generic, ParamSpec, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProjectorFunction,
    Repository,
    project_aggregate,
)
from eventsourcing.domain import Aggregate, Snapshot
from eventsourcing.persistence import IntegrityError

from domain.base import caused_by
from domain.caller import Caller, Scope
from domain.company import DEFAULT_METHOD, Company
from domain.enrollment import AccountEnrollment, Proof, account_id, business, check_proof
from domain.errors import (
    ArchiveReadOnly,
    ConcurrentChange,
    DomainError,
    InvalidInput,
    InvoiceNumberTaken,
    LoginTaken,
    NoRecentInvoice,
    NotFound,
)
from domain.invoice import Bill, Invoice, Payment, invoice_id
from domain.ports import Clock, SecretBox
from domain.roles import Action
from domain.text import BANK_CODE, COMPANY_NAME, HOLDER
from domain.text import login as valid_login
from domain.user import User, login_id, valid_profile
from domain.values import (
    AccountKey,
    AccountType,
    LineOfBusiness,
    Notification,
    Role,
    Section,
    UnenrollmentReason,
)
from domain.visibility import in_window

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)

ATTEMPTS = 8
"""How often a command that lost a race is retried from a fresh load."""

BACKOFF_SECONDS = 0.002
"""The first retry waits up to this long; each further one up to twice as long."""

READ_COPIES = 1000
"""How many companies `read_company` keeps a shared read-only copy of."""


@dataclass(frozen=True)
class Receipt(Generic[T]):
    """What a command answers: its result and the store position of its last event."""

    position: int
    result: T


@dataclass(frozen=True)
class AccountRequest:
    """A1: an account to add, with the proof that it is the company's."""

    account: AccountKey
    line_of_business: LineOfBusiness
    account_type: AccountType | None
    proof: Proof


@dataclass(frozen=True)
class BankAccount:
    """R11: a payment method as given; the number is sealed before it reaches an event."""

    holder: str
    bank_code: str
    account_number: str


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


@dataclass(frozen=True)
class Visible:
    """An invoice as one caller may see it, with what the checks loaded."""

    invoice: Invoice
    company: Company
    account: AccountEnrollment
    section: Section


_user_id = lru_cache(maxsize=10_000)(login_id)
"""Every command asks for its caller's User: its uuid5 once per login, not per command."""


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass
class _Reads:
    """What one attempt of a command took from the cache without asking the store."""

    trusted: bool
    unverified: dict[UUID, int] = field(default_factory=dict)


_READS: ContextVar[_Reads | None] = ContextVar("reads", default=None)
_SAVING: ContextVar[dict[UUID, Aggregate] | None] = ContextVar("saving", default=None)


class _StaleRead(Exception):
    """An aggregate the command only read changed after the cache copy it decided on."""


def command(
    method: Callable[Concatenate[BillingCenter, Caller, P], R],
) -> Callable[Concatenate[BillingCenter, Caller, P], R]:
    """Run a command under its caller's cause, retrying it after a lost race.

    The first attempt decides on the process's cached aggregates without asking the store
    whether they are current (one SELECT per aggregate saved). That is safe: the insert
    refuses an aggregate written from a stale copy (its version is taken), `_save` checks
    the aggregates it only read, and a refusal is only ever answered from fresh state.
    Every later attempt loads from the store.
    """

    @wraps(method)
    def run(app: BillingCenter, caller: Caller, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with caused_by(caller.cause):
            for attempt in range(ATTEMPTS):
                reads = _Reads(trusted=attempt == 0)
                token = _READS.set(reads)
                try:
                    return method(app, caller, *args, **kwargs)
                except _StaleRead:
                    continue
                except DomainError:
                    if not reads.unverified:
                        raise
                except IntegrityError:
                    if not reads.unverified:
                        _back_off(attempt)
                finally:
                    _READS.reset(token)
        raise ConcurrentChange("another change to the same records won; retry")

    return run


def _back_off(attempt: int) -> None:
    """Wait a random while, longer each time, so that racing commands do not collide
    again in lockstep and none is starved."""
    time.sleep(random.uniform(0, BACKOFF_SECONDS * 2**attempt))


_PLAIN = frozenset({str, int, float, bool, type(None), Decimal, UUID, date, datetime})


def copied(aggregate: A) -> A:
    """A copy of `aggregate` to change: `deepcopy`, a few times faster.

    Aggregates here hold plain data (strings, numbers, dates, dicts and lists of them), which
    is copied directly; anything else goes through `deepcopy` (with one memo, so that
    objects shared inside the aggregate stay shared).
    """
    memo: dict[int, Any] = {}
    twin = object.__new__(type(aggregate))
    vars(twin).update({name: _plain(value, memo) for name, value in vars(aggregate).items()})
    return twin


def _plain(value: Any, memo: dict[int, Any]) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {key: _plain(item, memo) for key, item in value.items()}
    if kind is list:
        return [_plain(item, memo) for item in value]
    return deepcopy(value, memo)


def _base_version(aggregate: Aggregate) -> int | None:
    """The version the aggregate's pending events build on (None if it has none)."""
    pending = aggregate.pending_events
    return pending[0].originator_version - 1 if pending else None


class CachedRepository(Repository[UUID]):
    """The library's repository, except that a cached aggregate is never changed in place.

    The library fast-forwards the cached object itself and copies it outside its lock, so
    a command could copy it half-updated. Here a newer state replaces the cached object
    (`remember`), so commands may copy cached objects without a lock. Reads still ask the
    store for newer events (one SELECT), as the library's do.
    """

    def __init__(self, event_store: Any, snapshot_store: Any, cache_maxsize: int | None) -> None:
        super().__init__(event_store, snapshot_store=snapshot_store, cache_maxsize=cache_maxsize)
        self._remember_lock = threading.Lock()

    def get(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        projector_func: ProjectorFunction[Any, Any] = project_aggregate,
        **_options: Any,  # the library's cache options: the cache works as said above
    ) -> Any:
        """The aggregate as the store has it now (or at `version`), a copy of its own."""
        if version is not None or self.cache is None:
            return super().get(aggregate_id, version=version, projector_func=projector_func)
        kept = self.cached(aggregate_id)
        if kept is None:
            kept = self._reconstruct_aggregate(aggregate_id, None, projector_func)
        else:
            newer = list(self.event_store.get(originator_id=aggregate_id, gt=kept.version))
            if not newer:
                return copied(kept)
            kept = projector_func(copied(kept), newer)
            if kept is None:
                raise AggregateNotFoundError(aggregate_id)
        self.remember(kept)
        return copied(kept)

    def __contains__(self, item: UUID) -> bool:
        """Whether the aggregate exists: cached, or one event asked for (not all replayed)."""
        if self.cached(item) is not None:
            return True
        return any(True for _ in self.event_store.get(originator_id=item, limit=1))

    def cached(self, aggregate_id: UUID) -> Aggregate | None:
        """The cached aggregate, shared: never change it."""
        if self.cache is None:
            return None
        try:
            kept: Aggregate = self.cache.get(aggregate_id)  # type: ignore[assignment]
        except KeyError:
            return None
        return kept

    def remember(self, aggregate: Aggregate) -> None:
        """Cache `aggregate` (now shared: never change it) unless a newer one is cached."""
        if self.cache is None:
            return
        with self._remember_lock:
            kept = self.cached(aggregate.id)
            if kept is None or kept.version < aggregate.version:
                self.cache.put(aggregate.id, aggregate)


class BillingCenter(Application[UUID]):
    """Every command of the billing center (DOMAIN.md R1-R11, A1-A6, I1-I7)."""

    name = "BillingCenter"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        Company: 100,
        AccountEnrollment: 100,
        Invoice: 50,
        User: 50,
    }
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "5000"}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        secret_box: SecretBox,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(env)
        self.secret_box = secret_box
        self.clock = clock
        self._read_copies: dict[UUID, Company] = {}
        self._read_copies_lock = threading.Lock()

    def construct_repository(self) -> Repository[UUID]:
        """The library's repository, with cached aggregates replaced rather than changed."""
        maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return CachedRepository(self.events, self.snapshots, int(maxsize) if maxsize else None)

    def take_snapshot(
        self,
        aggregate_id: UUID,
        version: int | None = None,
        projector_func: ProjectorFunction[Any, Any] = project_aggregate,
    ) -> None:
        """Snapshot the aggregate `_save` has in hand, instead of replaying it from the store."""
        aggregate = (_SAVING.get() or {}).get(aggregate_id)
        if aggregate is None or aggregate.version != version or self.snapshots is None:
            super().take_snapshot(aggregate_id, version, projector_func)
            return
        snapshot_class = getattr(type(aggregate), "Snapshot", type(self).snapshot_class)
        self.snapshots.put([(snapshot_class or Snapshot).take(aggregate)])

    # --- loading -------------------------------------------------------------------------

    def today(self) -> date:
        """The current calendar date (UTC)."""
        return self.clock().astimezone(UTC).date()

    def head(self) -> int:
        """The position of the last event in the store (0 when empty)."""
        return self.recorder.max_notification_id() or 0

    def _get(self, kind: type[T], aggregate_id: UUID, what: str, key: object) -> T:
        found: object = self._trusted(aggregate_id)
        if found is None:
            try:
                found = self.repository.get(aggregate_id)
            except AggregateNotFoundError:
                raise NotFound(what, key) from None
        if not isinstance(found, kind):
            raise NotFound(what, key)
        return found

    def _trusted(self, aggregate_id: UUID) -> Aggregate | None:
        """A copy of the cached aggregate, unasked, on a command's first attempt (see @command)."""
        reads = _READS.get()
        if reads is None or not reads.trusted or not isinstance(self.repository, CachedRepository):
            return None
        kept = self.repository.cached(aggregate_id)
        if kept is None:
            return None
        read = reads.unverified.get(aggregate_id, kept.version)
        reads.unverified[aggregate_id] = min(read, kept.version)
        return copied(kept)

    def company(self, company_id: UUID) -> Company:
        """A company, whoever asks (queries check membership themselves)."""
        return self._get(Company, company_id, "company", company_id)

    def read_company(self, company_id: UUID) -> Company:
        """The company as the store has it now, to decide who may see what: never change it.

        Queries ask this on every request. The repository's own path would copy the whole
        aggregate and fast-forward it under a per-aggregate lock, so every request for one
        company queued behind the others' SELECT. Here each request still asks the store for
        newer events (one SELECT: a removed user loses access at once, R5, whichever process
        wrote it), but without a lock; the kept copy is shared while nothing is newer and
        replaced, never changed, when something is.
        """
        kept = self._read_copies.get(company_id)
        if kept is None:
            return self._keep(self.company(company_id))
        newer = list(self.repository.event_store.get(originator_id=company_id, gt=kept.version))
        if not newer:
            return kept
        fresh = project_aggregate(deepcopy(kept), newer)
        return self._keep(fresh) if isinstance(fresh, Company) else self.company(company_id)

    def _keep(self, company: Company) -> Company:
        with self._read_copies_lock:
            kept = self._read_copies.get(company.id)
            if kept is not None and kept.version >= company.version:
                return kept
            if len(self._read_copies) >= READ_COPIES:
                del self._read_copies[next(iter(self._read_copies))]
            self._read_copies[company.id] = company
            return company

    def user(self, login: str) -> User:
        """A login's User aggregate."""
        return self._get(User, _user_id(login), "user", login)

    def account(self, account: AccountKey) -> AccountEnrollment:
        """An account's enrollment record."""
        return self._get(AccountEnrollment, account_id(account), "account", account)

    def invoice(self, invoice: UUID) -> Invoice:
        """An invoice, whoever asks."""
        return self._get(Invoice, invoice, "invoice", invoice)

    def _member_company(self, login: str, company_id: UUID) -> Company:
        """The company, if `login` is one of its users; otherwise it "does not exist"."""
        company = self.company(company_id)
        company.role_of(login)
        return company

    def _own_company(self, login: str) -> Company:
        user = self.user(login)
        if user.company_id is None:
            raise NotFound("company of", login)
        return self.company(UUID(user.company_id))

    def _save(self, *aggregates: Aggregate | None) -> int:
        saved = {a.id: a for a in aggregates if a is not None}
        unchanged = not any(a.pending_events for a in saved.values())
        # A change that changes nothing answers the head, read before checking that what it
        # decided on is still the last word there: a later head may hold a racing change.
        head = self.head() if unchanged else 0
        self._verify_reads(saved)
        if unchanged:
            self._verify_unchanged(saved)
        token = _SAVING.set(saved)
        try:
            recordings = self.save(*aggregates)
        finally:
            _SAVING.reset(token)
        if isinstance(self.repository, CachedRepository):
            for aggregate in saved.values():
                self.repository.remember(aggregate)
        return recordings[-1].notification.id if recordings else head

    def _verify_unchanged(self, saved: dict[UUID, Aggregate]) -> None:
        """Raise _StaleRead if an aggregate a no-op decided on has newer events."""
        for aggregate_id, aggregate in saved.items():
            newer = self.repository.event_store.get(aggregate_id, gt=aggregate.version, limit=1)
            if any(True for _ in newer):
                raise _StaleRead(aggregate_id)

    def _verify_reads(self, saved: dict[UUID, Aggregate]) -> None:
        """Raise _StaleRead if a cached aggregate the command decided on has changed since.

        An aggregate saved on top of the version read needs no check: the insert refuses it
        if that version is no longer the last.
        """
        reads = _READS.get()
        for aggregate_id, version in (reads.unverified if reads else {}).items():
            aggregate = saved.get(aggregate_id)
            if aggregate is not None and _base_version(aggregate) == version:
                continue
            newer = self.repository.event_store.get(aggregate_id, gt=version, limit=1)
            if any(True for _ in newer):
                raise _StaleRead(aggregate_id)

    # --- companies and users (R1, R3-R10) -----------------------------------------------

    @command
    def enroll_company(
        self, caller: Caller, name: str, accounts: Sequence[AccountRequest]
    ) -> Receipt[UUID]:
        """R1: a person enrolls a company with its first accounts, all or none."""
        login = valid_login(caller.as_person())
        name = COMPANY_NAME(name)
        user = self._user_or_new(login)
        if user.company_id is not None:
            raise LoginTaken(f"{login} already belongs to a company")
        proven = self._prove_all(accounts)
        company = Company(
            name=name, general_administrator=login, accounts=[str(r.account) for r in accounts]
        )
        for record, request in zip(proven, accounts, strict=True):
            record.enroll(company.id, request.line_of_business, request.account_type)
        user.join(company.id, caller.email, caller.name or login)
        return Receipt(self._save(company, user, *proven), company.id)

    def _user_or_new(self, login: str) -> User:
        try:
            return self.user(login)
        except NotFound:
            return User(login=login)

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
        latest = [self.invoice(i) for i in account.latest_invoice_ids()]
        check_proof(request.proof, [self._proof_of(i) for i in latest], self.today())
        return account

    @staticmethod
    def _proof_of(invoice: Invoice) -> Proof:
        return Proof(invoice.invoice_number, invoice.issued, invoice.amount, invoice.control_id)

    @command
    def change_company_details(
        self, caller: Caller, company_id: UUID, name: str, address: str
    ) -> Receipt[None]:
        """R10: Administrators keep the company's name and address up to date."""
        company = self._member_company(caller.as_person(), company_id)
        company.change_details(caller.login, name, address)
        return Receipt(self._save(company), None)

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
        user = self.user(login)
        user.change_profile(email, name)
        return Receipt(self._save(user), Membership.of(company, user))

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

    @command
    def erase_personal_data(self, caller: Caller, login: str) -> Receipt[None]:  # noqa: ARG002
        """C4: record that a person's name and e-mail are erased (the keys that sealed them
        are destroyed beside the store): every process's cache and read model follows it.
        The caller is the operator who ran the erasure: `@command` names it in the event."""
        user = self.user(login)
        user.erase_personal_data()
        return Receipt(self._save(user), None)

    def _cancel_lost_autopays(self, company: Company, login: str) -> list[AccountEnrollment]:
        """I6: an automatic payment ends when its user may no longer pay the account."""
        cancelled = []
        for account in self._company_accounts(company):
            plan = account.autopay
            if plan is None or (plan["company_id"], plan["set_up_by"]) != (str(company.id), login):
                continue  # A2: another company's automatic payment is none of this one's
            if not self._may_pay(company, login, str(account.key)):
                account.cancel_autopay(company.id, "USER_LOST_RIGHT_TO_PAY")
                cancelled.append(account)
        return cancelled

    @staticmethod
    def _may_pay(company: Company, login: str, account: str) -> bool:
        try:
            company.require(login, Action.PAY, [account])
        except DomainError:
            return False
        return True

    def _company_accounts(self, company: Company) -> list[AccountEnrollment]:
        return [self.account(AccountKey.recorded(a)) for a in company.accounts]

    # --- payment methods (R11) -------------------------------------------------------------

    @command
    def add_payment_method(
        self, caller: Caller, company_id: UUID, bank: BankAccount, *, make_default: bool = False
    ) -> Receipt[str]:
        """R11: the general administrator adds a bank account, its number sealed."""
        company = self._member_company(caller.as_person(), company_id)
        number = bank.account_number.replace(" ", "")
        if not (number.isalnum() and number.isascii() and 4 <= len(number) <= 34):  # noqa: PLR2004 IBAN bounds
            raise InvalidInput("account_number", "4 to 34 letters or digits", rule="R11")
        method = {
            "holder": HOLDER(bank.holder),
            "bank_code": BANK_CODE(bank.bank_code),
            "sealed_account_number": self.secret_box.seal(number),
            "last4": number[-4:],
        }
        method_id = uuid4().hex
        company.add_payment_method(caller.login, method_id, method, make_default=make_default)
        return Receipt(self._save(company), method_id)

    @command
    def make_default_payment_method(
        self, caller: Caller, company_id: UUID, method_id: str
    ) -> Receipt[None]:
        """R11: change the default payment method."""
        company = self._member_company(caller.as_person(), company_id)
        company.make_default_payment_method(caller.login, method_id)
        return Receipt(self._save(company), None)

    @command
    def remove_payment_method(
        self, caller: Caller, company_id: UUID, method_id: str
    ) -> Receipt[None]:
        """R11: remove a method no automatic payment relies on."""
        company = self._member_company(caller.as_person(), company_id)
        relied_on = {
            account.autopay["payment_method_id"] or DEFAULT_METHOD
            for account in self._company_accounts(company)
            if account.autopay and account.autopay["company_id"] == str(company.id)
        }
        company.remove_payment_method(caller.login, method_id, relied_on)
        return Receipt(self._save(company), None)

    # --- accounts (A1-A6, I6) ------------------------------------------------------------------

    @command
    def add_account(
        self, caller: Caller, company_id: UUID, request: AccountRequest
    ) -> Receipt[AccountKey]:
        """A1/A2: an Administrator adds an account, proven with a recent invoice."""
        company = self._member_company(caller.as_person(), company_id)
        company.require_account_manager(caller.login)
        account = self._prove(request)
        account.enroll(company_id, request.line_of_business, request.account_type)
        company.add_account(str(request.account))
        return Receipt(self._save(company, account), request.account)

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
        return Receipt(self._save(*records), None)

    def _company_account(self, company: Company, key: AccountKey) -> AccountEnrollment:
        if str(key) not in company.accounts:
            raise NotFound("account", key)
        return self.account(key)

    @command
    def reenroll_accounts(
        self, caller: Caller, company_id: UUID, accounts: Sequence[AccountKey] | None = None
    ) -> Receipt[list[AccountKey]]:
        """A5: an Administrator re-enrolls the selected unenrolled accounts, or all of them."""
        company = self._member_company(caller.as_person(), company_id)
        company.require_account_manager(caller.login)
        if accounts is None:
            records = [a for a in self._company_accounts(company) if a.may_reenroll(company_id)]
        else:
            if len(set(accounts)) != len(accounts):
                raise InvalidInput("accounts", "each account once", rule="A5")
            records = [self._company_account(company, key) for key in accounts]
        for record in records:
            record.reenroll(company_id)
        return Receipt(self._save(*records), [r.key for r in records])

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

    # --- invoices (I1-I7) ------------------------------------------------------------------------

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
        sequence = account.deliver(new_id, bill.invoice_number, bill.issue_date)
        invoice = Invoice.issue(bill, sequence)
        self._pay_automatically(account, invoice)
        return Receipt(self._save(account, invoice), new_id)

    def _pay_automatically(self, account: AccountEnrollment, invoice: Invoice) -> None:
        """I6: schedule the covering plan's payment, only if its user may see (R4, A4-A7)
        and pay (I3) the invoice now; otherwise it waits for a person, unpaid."""
        plan = account.autopay_covers(invoice.account_sequence)
        if plan is None:
            return
        company = self.company(UUID(plan["company_id"]))
        by = plan["set_up_by"]
        if not self._may_pay(company, by, invoice.account):  # first: refuses non-members
            return
        if self._section_seen(company, account, invoice, by) is not Section.HISTORY:
            return
        method = company.payment_method_for(plan["payment_method_id"] or None)
        today = self.today()
        pay_on = max(today, invoice.due - timedelta(days=plan["days_before_due"]))
        invoice.pay(self._payment(method, by, automatic=True), pay_on, today)

    @staticmethod
    def _payment(method_id: str, by: str, *, automatic: bool = False) -> Payment:
        confirmation = "BC" + secrets.token_hex(5).upper()
        return Payment(uuid4().hex, confirmation, method_id, by, automatic)

    def visible_invoice(self, login: str, invoice_ref: UUID) -> Visible:
        """R4, A4-A7, I2: the invoice, if `login` may see it now; otherwise it "does not exist"."""
        invoice = self.invoice(invoice_ref)
        company = self._own_company(login)
        account = self.account(invoice.account_key)
        section = self._section_seen(company, account, invoice, login)
        if section is None:
            raise NotFound("invoice", invoice_ref)
        return Visible(invoice, company, account, section)

    def _section_seen(
        self, company: Company, account: AccountEnrollment, invoice: Invoice, login: str
    ) -> Section | None:
        """R4, A4-A7, I2: where `login`, a member of `company`, sees the invoice now."""
        section = account.section_for(company.id, invoice.account_sequence)
        if section not in (Section.HISTORY, Section.ARCHIVE):
            return None
        if not company.sees_account(login, invoice.account):
            return None
        return section if in_window(invoice.issued, self.today()) else None

    def _actionable(self, caller: Caller, invoice_ref: UUID, action: Action) -> Visible:
        seen = self.visible_invoice(caller.as_person(), invoice_ref)
        seen.company.require(caller.login, action, [seen.invoice.account])
        if seen.section is not Section.HISTORY:
            raise ArchiveReadOnly("archive invoices are for viewing and downloading only")
        seen.company.exercise(caller.login, action, str(invoice_ref))
        return seen

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
        payment = self._payment(method, caller.login)
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
    ) -> Receipt[None]:
        """I4: the billing system approves or rejects a request."""
        caller.require_scope(Scope.BILLING_SYSTEM, "I4")
        invoice = self.invoice(invoice_ref)
        invoice.decide_adjustment(adjustment_id, approved, comment)
        return Receipt(self._save(invoice), None)

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
