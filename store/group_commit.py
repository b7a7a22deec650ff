"""Group commit: the commands that arrive while a transaction is in flight are written
together in the next one (one lock, one round trip, one fsync; issue 21).

A command hands its events to `GroupCommit.submit` and waits. If no transaction is in
flight it writes at once, alone (one client pays nothing but an uncontended lock). If one
is, it queues; when that transaction ends, the first queued command to wake takes the whole
queue and writes it as one batch for everyone in it, while the next arrivals queue behind.
The recorder's `write` answers each command in the batch separately, with its own positions
or its own exception: a conflict is never shared by batch-mates (all-or-nothing per command,
never per batch). Only a failure of the transaction itself (the connection lost, the
database gone) is every command's answer, as it would have been had each written alone.

Nothing is acknowledged before its transaction commits, so a crash (kill -9) mid-batch
loses only commands that were never answered.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

W = TypeVar("W")
R = TypeVar("R")


class _Pending(Generic[W, R]):
    __slots__ = ("done", "outcome", "work")

    def __init__(self, work: W) -> None:
        self.work = work
        self.done = False
        self.outcome: R | BaseException | None = None


class GroupCommit(Generic[W, R]):
    """One writer at a time per process; the commands that waited for it go in one batch."""

    def __init__(
        self,
        write: Callable[[Sequence[W]], Sequence[R | BaseException]],
        write_alone: Callable[[W], R] | None = None,
    ) -> None:
        self._write = write
        self._write_alone = write_alone or (lambda work: _answered(write([work])[0]))
        self._lock = threading.Lock()  # the condition's own: entered directly when alone
        self._ready = threading.Condition(self._lock)
        self._queue: list[_Pending[W, R]] = []
        self._writing = False
        self.transactions = 0
        """How many transactions were written (batches), for the benchmarks' figures."""
        self.commands = 0
        """How many commands they held."""

    @property
    def waiting(self) -> int:
        """How many commands are queued for the next transaction."""
        with self._ready:
            return len(self._queue)

    @property
    def in_flight(self) -> bool:
        """Whether a transaction is being written."""
        return self._writing

    def submit(self, work: W) -> R:
        """Write `work` in the next transaction and answer its own outcome."""
        with self._lock:
            alone = not self._writing and not self._queue
            self._writing = self._writing or alone
        if alone:
            return self._alone(work)
        pending: _Pending[W, R] = _Pending(work)
        with self._ready:
            self._queue.append(pending)
            while self._writing and not pending.done:
                self._ready.wait()
            if not pending.done:
                self._writing = True
                batch, self._queue = self._queue, []
        if not pending.done:
            self._lead(batch)
        return _answer(pending)

    def _alone(self, work: W) -> R:
        """Nobody in flight or queued: write `work` at once in a transaction of its own (one
        client pays one lock and no queue; its failure is its own answer)."""
        try:
            return self._write_alone(work)
        finally:
            with self._lock:
                self.transactions += 1
                self.commands += 1
                self._writing = False
                if self._queue:  # the commands that arrived meanwhile: one of them leads
                    self._ready.notify_all()

    def _lead(self, batch: list[_Pending[W, R]]) -> None:
        outcomes: Sequence[R | BaseException]
        try:
            outcomes = self._write([p.work for p in batch])
        except BaseException as error:  # the transaction failed: everyone's answer
            outcomes = [error if i == 0 else _copy(error) for i in range(len(batch))]
        with self._ready:
            for pending, outcome in zip(batch, outcomes, strict=True):
                pending.outcome = outcome
                pending.done = True
            self.transactions += 1
            self.commands += len(batch)
            self._writing = False
            self._ready.notify_all()


def _answer(pending: _Pending[W, R]) -> R:
    return _answered(pending.outcome)  # type: ignore[return-value]


def _answered(outcome: R | BaseException) -> R:
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def _copy(error: BaseException) -> BaseException:
    """The same failure for another thread to raise (one traceback per raiser)."""
    try:
        twin = copy.copy(error)
    except Exception:  # one that cannot be copied is shared
        return error
    twin.__cause__ = error
    return twin


def answer_each(works: Sequence[W], write_one: Callable[[W], R]) -> list[R | BaseException]:
    """Write each command in a transaction of its own, in order, each answered alone: how a
    batch that one command spoiled is written again (its conflict is its own)."""
    outcomes: list[R | BaseException] = []
    for work in works:
        try:
            outcomes.append(write_one(work))
        except Exception as error:  # it is that command's answer alone
            outcomes.append(error)
    return outcomes
