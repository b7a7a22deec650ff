"""The unit of work every use case shares: load aggregates (`company`, `user`, `account`,
`invoice`), and `_save` what a command changed in one atomic `save`, answering the position
of its last event (the store's head for a change that changed nothing).

The use cases (companies.py, users.py, accounts.py, ...) are mixins over `Service`;
`BillingCenter` composes them. Snapshots are taken here, of the aggregate `save` has in hand.
"""

from __future__ import annotations

from datetime import UTC, date
from functools import lru_cache
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Repository,
)
from eventsourcing.domain import (
    Aggregate,
    DomainEventProtocol,
    MutableOrImmutableAggregate,
    Snapshot,
)
from eventsourcing.persistence import Recording

from domain.api_key import ApiKey
from domain.application.cache import CachedRepository, ReadCopies
from domain.application.retries import trusted_copy, verify_reads, verify_unchanged
from domain.company import Company
from domain.enrollment import AccountEnrollment, account_id
from domain.errors import NotFound
from domain.invoice import Invoice
from domain.ports import Clock, SecretBox, utc_now
from domain.user import User, login_id
from domain.values import AccountKey

T = TypeVar("T")

USER_SNAPSHOT_INTERVAL = 200
"""A User's events are small and few (a person's profile and preferences), and it is loaded
from the cache, fast-forwarded, far more often than replayed: a snapshot every 50 of its
events cost a command more than anything else outside its insert (issue 21: on SQLite a
transaction and an fsync of its own, on PostgreSQL a statement through the library's pooled
recorder, 43 µs of a command's wall on average on the loaded machine, 5 µs at 200). A
replay from the last snapshot reads at most 199 events."""

_user_id = lru_cache(maxsize=10_000)(login_id)
"""Every command asks for its caller's User: its uuid5 once per login, not per command."""


class Service(Application[UUID]):
    """The eventsourcing Application every use case extends: loading, saving, snapshots."""

    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        Company: 100,
        AccountEnrollment: 100,
        Invoice: 50,
        User: USER_SNAPSHOT_INTERVAL,
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
        self._read_copies = ReadCopies(Company)
        self._key_copies = ReadCopies(ApiKey)

    def construct_repository(self) -> Repository[UUID]:
        """The library's repository, with cached aggregates replaced rather than changed."""
        maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        self._cached = CachedRepository(
            self.events, self.snapshots, int(maxsize) if maxsize else None
        )
        return self._cached

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """The library's snapshots at each aggregate's interval, of the aggregate the save
        has in hand when it is at that version (instead of replaying it from the store), with
        no per-command bookkeeping beside the save (issue 21)."""
        snapshots, intervals = self.snapshots, self.snapshotting_intervals
        if snapshots is None:
            return
        aggregates = processing_event.aggregates
        for event in processing_event.events:
            aggregate = aggregates.get(event.originator_id)
            interval = intervals.get(type(aggregate)) if aggregate is not None else None
            version = event.originator_version
            if interval is None or version % interval:
                continue
            if aggregate is None or aggregate.version != version:
                self.take_snapshot(event.originator_id, version)
                continue
            snapshot_class = getattr(type(aggregate), "Snapshot", type(self).snapshot_class)
            snapshots.put([(snapshot_class or Snapshot).take(aggregate)])

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """The library's `save`, collecting an aggregate's events without its two runtime
        `typing.Protocol` checks per object (about 60 us, a sixth of a command's Python on
        this machine; issue 21): anything but an aggregate is collected as the library does."""
        processing_event = _Collected()
        processing_event.collect_events(*objs, **kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # the library's deprecated hook, as its save does
        return recordings

    def today(self) -> date:
        """The current calendar date (UTC)."""
        return self.clock().astimezone(UTC).date()

    def head(self) -> int:
        """The position of the last event in the store (0 when empty)."""
        return self.recorder.max_notification_id() or 0

    # --- loading -------------------------------------------------------------------------

    def company(self, company_id: UUID) -> Company:
        """A company, whoever asks (queries check membership themselves)."""
        return self._get(Company, company_id, "company", company_id)

    def user(self, login: str) -> User:
        """A login's User aggregate."""
        return self._get(User, _user_id(login), "user", login)

    def account(self, account: AccountKey) -> AccountEnrollment:
        """An account's enrollment record."""
        return self._get(AccountEnrollment, account_id(account), "account", account)

    def invoice(self, invoice: UUID) -> Invoice:
        """An invoice, whoever asks."""
        return self._get(Invoice, invoice, "invoice", invoice)

    def _get(self, kind: type[T], aggregate_id: UUID, what: str, key: object) -> T:
        found: object = trusted_copy(self._cached, aggregate_id)
        if found is None:
            try:
                found = self._cached.get(aggregate_id)
            except AggregateNotFoundError:
                raise NotFound(what, key) from None
        if type(found) is not kind and not isinstance(found, kind):  # the first: no ABC check
            raise NotFound(what, key)
        return found

    def _member_company(self, login: str, company_id: UUID) -> Company:
        """The company, if `login` is one of its users; otherwise it "does not exist".

        A pending member's command is its first request to the company: it confirms the
        membership (R5), saved with what the command changes in the company."""
        company = self.company(company_id)
        company.refuse_if_closed()  # R14
        company.role_of(login)
        company.confirm_member(login)
        return company

    def _user_or_new(self, login: str) -> User:
        try:
            return self.user(login)
        except NotFound:
            return User(login=login)

    def _company_accounts(self, company: Company) -> list[AccountEnrollment]:
        return [self.account(AccountKey.recorded(a)) for a in company.accounts]

    # --- saving --------------------------------------------------------------------------

    def _save(self, *aggregates: Aggregate | None) -> int:
        saved = {a.id: a for a in aggregates if a is not None}
        unchanged = not any(a.pending_events for a in saved.values())
        # A change that changes nothing answers the head, read before checking that what it
        # decided on is still the last word there: a later head may hold a racing change.
        head = self.head() if unchanged else 0
        cached = self._cached
        asked = verify_reads(cached, saved)
        if unchanged:
            verify_unchanged(cached, saved, asked)
        recordings = self.save(*aggregates)
        for aggregate in saved.values():
            cached.remember(aggregate)
        return recordings[-1].notification.id if recordings else head


class _Collected(ProcessingEvent[UUID]):
    """A save's events: an aggregate's collected straight away (a plain class check)."""

    def collect_events(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> None:
        others: list[MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None] = []
        for obj in objs:
            if isinstance(obj, Aggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            elif obj is not None:
                others.append(obj)
        if others or kwargs:
            super().collect_events(*others, **kwargs)
