"""How every command runs (`@command`): under its caller's cause, retried from a fresh load
after losing a race to another writer, and answering a `Receipt` with its position.

A command that keeps losing is refused as a ConcurrentChange, never applied twice and never
lost. Its first attempt may decide on cached aggregates without asking the store
(`trusted_copy`); what it only read is then checked when it saves (`verify_reads`).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import Repository
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.application.cache import CachedRepository, copied
from domain.base import caused_by
from domain.caller import Caller
from domain.errors import ConcurrentChange, DomainError

P = ParamSpec("P")
S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R", bound="Receipt[Any]")

ATTEMPTS = 10
"""How often a command runs before it is refused. Ten, not eight: on a loaded 2-core machine
one transaction takes longer than the first backoffs, so four clients racing for one record
could lose eight times in a row (seen on CI); the last waits (up to 0.5 s and 1 s) outlast it."""

BACKOFF_SECONDS = 0.002
"""The first retry waits up to this long; each further one up to twice as long."""


class RaceObserver(Protocol):
    """Told of every lost race and every retry (issue 20: the API's metrics fill it in)."""

    def lost_race(self) -> None:
        """A save was refused (another writer won) or a cached read turned out stale."""
        ...

    def retried(self) -> None:
        """A command runs again from a fresh load."""
        ...


_OBSERVERS: list[RaceObserver] = []


def observe_races(observer: RaceObserver) -> None:
    """Tell `observer` of every lost race and retry of every command in this process."""
    if observer not in _OBSERVERS:
        _OBSERVERS.append(observer)


def _lost(*, retrying: bool) -> None:
    for observer in _OBSERVERS:
        observer.lost_race()
        if retrying:
            observer.retried()


@dataclass(frozen=True)
class Receipt(Generic[T]):
    """What a command answers: its result and the store position of its last event."""

    position: int
    result: T


@dataclass
class _Reads:
    """What one attempt of a command took from the cache without asking the store."""

    trusted: bool
    unverified: dict[UUID, int] = field(default_factory=dict)


_READS: ContextVar[_Reads | None] = ContextVar("reads", default=None)


class _StaleRead(Exception):
    """An aggregate the command only read changed after the cache copy it decided on."""


def command(
    method: Callable[Concatenate[S, Caller, P], R],
) -> Callable[Concatenate[S, Caller, P], R]:
    """Run a command under its caller's cause, retrying it after a lost race.

    The first attempt decides on the process's cached aggregates without asking the store
    whether they are current (one SELECT per aggregate saved), except an aggregate that lost
    a race in the last `CONTENDED_SECONDS`. That is safe: the insert refuses an aggregate
    written from a stale copy (its version is taken), `verify_reads` checks the aggregates
    it only read, and a refusal is only ever answered from fresh state. Every later attempt
    loads from the store.
    """

    @wraps(method)
    def run(app: S, caller: Caller, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with caused_by(caller.cause):
            for attempt in range(ATTEMPTS):
                reads = _Reads(trusted=attempt == 0)
                token = _READS.set(reads)
                try:
                    return method(app, caller, *args, **kwargs)
                except _StaleRead as stale:
                    _lost(retrying=attempt + 1 < ATTEMPTS)
                    _contended(stale.args)  # the aggregate that changed
                    continue
                except DomainError:
                    if not reads.unverified:
                        raise
                    _retried(retrying=attempt + 1 < ATTEMPTS)
                except IntegrityError:
                    _lost(retrying=attempt + 1 < ATTEMPTS)
                    _contended(reads.unverified)  # which one lost, the store does not say
                    if not reads.unverified:
                        _back_off(attempt)
                finally:
                    _READS.reset(token)
        raise ConcurrentChange("another change to the same records won; retry")

    return run


def _retried(*, retrying: bool) -> None:
    """A refusal decided on unverified cache copies is asked again from fresh state."""
    for observer in _OBSERVERS if retrying else ():
        observer.retried()


def _back_off(attempt: int) -> None:
    """Wait a random while, longer each time, so that racing commands do not collide
    again in lockstep and none is starved."""
    time.sleep(random.uniform(0, BACKOFF_SECONDS * 2**attempt))


CONTENDED_SECONDS = 1.0
"""How long after losing a race the aggregates a command took from the cache are asked for
anew by every first attempt. One written by several processes at once (the soak's company,
50 profile updates a second from two API processes, issue 20) was stale in the cache of one
of them most of the time: each command lost once, then ran again from a fresh load. Asking
costs one SELECT; losing cost a whole attempt, its insert and a back-off."""
MAX_CONTENDED = 1024
_CONTENDED: dict[UUID, float] = {}  # aggregate id -> until when first attempts ask the store


_CONTENDED_LOCK = threading.Lock()  # request threads lose races at once


def _contended(aggregate_ids: Iterable[UUID]) -> None:
    """Aggregates that lost a race from a cached copy: first attempts ask the store for a
    while. Past MAX_CONTENDED, those whose while is over are forgotten, and if all are still
    live (a storm) all are: the next lost race marks them again."""
    now = time.monotonic()
    with _CONTENDED_LOCK:
        if len(_CONTENDED) > MAX_CONTENDED:
            for aggregate_id, ends in list(_CONTENDED.items()):
                if ends < now:
                    del _CONTENDED[aggregate_id]
            if len(_CONTENDED) > MAX_CONTENDED:
                _CONTENDED.clear()
        for aggregate_id in aggregate_ids:
            _CONTENDED[aggregate_id] = now + CONTENDED_SECONDS


def trusted_copy(repository: CachedRepository, aggregate_id: UUID) -> Aggregate | None:
    """A copy of the cached aggregate, unasked, on a command's first attempt (see `command`),
    unless it lost a race lately (`CONTENDED_SECONDS`)."""
    reads = _READS.get()
    if reads is None or not reads.trusted:
        return None
    if _CONTENDED and _CONTENDED.get(aggregate_id, 0.0) > time.monotonic():
        return None
    kept = repository.cached(aggregate_id)
    if kept is None:
        return None
    # The version first read is the one to verify: the cache only ever moves forward
    # (`CachedRepository.remember`), so a later read of the same aggregate is no older.
    reads.unverified.setdefault(aggregate_id, kept.version)
    return copied(kept)


def verify_reads(repository: Repository[UUID], saved: dict[UUID, Aggregate]) -> set[UUID]:
    """Raise _StaleRead if a cached aggregate the command decided on has changed since;
    answer those asked (none newer than the version read, so none newer than any later copy).

    An aggregate saved on top of the version read needs no check: the insert refuses it
    if that version is no longer the last.
    """
    reads = _READS.get()
    asked: set[UUID] = set()
    for aggregate_id, version in (reads.unverified if reads else {}).items():
        aggregate = saved.get(aggregate_id)
        if aggregate is not None and _base_version(aggregate) == version:
            continue
        newer = repository.event_store.get(aggregate_id, gt=version, limit=1)
        if any(True for _ in newer):
            raise _StaleRead(aggregate_id)
        asked.add(aggregate_id)
    return asked


def verify_unchanged(
    repository: Repository[UUID], saved: dict[UUID, Aggregate], asked: set[UUID]
) -> None:
    """Raise _StaleRead if an aggregate a no-op decided on has newer events (those
    `verify_reads` just `asked` about are not asked again: issue 20)."""
    for aggregate_id, aggregate in saved.items():
        if aggregate_id in asked:
            continue
        newer = repository.event_store.get(aggregate_id, gt=aggregate.version, limit=1)
        if any(True for _ in newer):
            raise _StaleRead(aggregate_id)


def _base_version(aggregate: Aggregate) -> int | None:
    """The version the aggregate's pending events build on (None if it has none)."""
    pending = aggregate.pending_events
    return pending[0].originator_version - 1 if pending else None
