"""Group commit: the commands that arrive while a transaction is in flight are written
together in the next one (one lock, one round trip, one fsync; issue 21).

A command hands its events to `GroupCommit.submit` and waits. If no transaction is in
flight it writes at once, alone (one client pays nothing but an uncontended lock). If one
is, it queues and sleeps on a lock of its own; when that transaction ends, its writer hands
the lead to the first queued command (it alone wakes), which takes the whole queue and
writes it as one batch for everyone in it, while the next arrivals queue behind; then it
wakes each of them once, with its answer. Issue 21 measured what this replaced (one
Condition, `notify_all` after each transaction: every waiter woke, queued ones only to
sleep again) at 5.3-6.3 context switches per command with 8 clients, against 3.3-4.3 now
(and 15-25% less CPU per command); a writer that went on to write the next batch itself,
instead of handing the lead on, made smaller batches and spent more CPU per command.
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
from _thread import allocate_lock
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

W = TypeVar("W")
R = TypeVar("R")


class _Pending(Generic[W, R]):
    """A queued command: its work, then its answer (or the lead), told by releasing `wake`."""

    __slots__ = ("lead", "outcome", "wake", "work")

    def __init__(self, work: W) -> None:
        self.work = work
        self.outcome: R | BaseException | None = None
        self.lead = False
        """Woken to write the queue (itself first) rather than answered."""
        self.wake = allocate_lock()
        self.wake.acquire()


class GroupCommit(Generic[W, R]):
    """One writer at a time per process; the commands that waited for it go in one batch."""

    def __init__(
        self,
        write: Callable[[Sequence[W]], Sequence[R | BaseException]],
        write_alone: Callable[[W], R] | None = None,
    ) -> None:
        self._write = write
        self._write_alone = write_alone or (lambda work: _answered(write([work])[0]))
        self._lock = threading.Lock()
        self._queue: list[_Pending[W, R]] = []
        self._writing = False
        self.transactions = 0
        """How many transactions were written (batches), for the benchmarks' figures."""
        self.commands = 0
        """How many commands they held."""

    @property
    def waiting(self) -> int:
        """How many commands are queued for the next transaction."""
        with self._lock:
            return len(self._queue)

    @property
    def in_flight(self) -> bool:
        """Whether a transaction is being written."""
        return self._writing

    def submit(self, work: W) -> R:
        """Write `work` in the next transaction and answer its own outcome."""
        with self._lock:
            alone = not self._writing
            if alone:
                self._writing = True
            else:
                pending: _Pending[W, R] = _Pending(work)
                self._queue.append(pending)
        if alone:
            try:
                return self._write_alone(work)
            finally:
                self.transactions += 1
                self.commands += 1
                self._hand_on()
        try:
            pending.wake.acquire()  # until it is answered, or handed the lead
        except BaseException:  # interrupted (KeyboardInterrupt in the main thread)
            self._abandon(pending)
            raise
        if pending.lead:
            with self._lock:
                batch, self._queue = self._queue, []
            try:
                self._lead(batch)
            finally:
                self._hand_on()
        return _answered(pending.outcome)  # type: ignore[return-value]

    def _abandon(self, pending: _Pending[W, R]) -> None:
        """A queued command whose thread stopped waiting: out of the queue if it is still
        there (never written, never answered), and the lead handed on if it had it (the
        writer would otherwise wait for it forever). One already in a batch is written
        unanswered, as a crash would leave it."""
        with self._lock:
            if pending not in self._queue:
                return
            self._queue.remove(pending)
            if not pending.lead:
                return
        self._hand_on()

    def _hand_on(self) -> None:
        """After a transaction: hand the lead to the first queued command (it alone wakes,
        and writes the whole queue), or free the writer if none is queued."""
        with self._lock:
            if not self._queue:
                self._writing = False
                return
            head = self._queue[0]  # stays queued: it takes the whole queue when it wakes
            head.lead = True
        head.wake.release()

    def _lead(self, batch: list[_Pending[W, R]]) -> None:
        """Write `batch` in one transaction and wake each of its commands with its answer."""
        outcomes: Sequence[R | BaseException]
        try:
            outcomes = self._write([p.work for p in batch])
        except BaseException as error:  # the transaction failed: everyone's answer
            outcomes = [error if i == 0 else _copy(error) for i in range(len(batch))]
        self.transactions += 1
        self.commands += len(batch)
        for pending, outcome in zip(batch, outcomes, strict=True):
            pending.outcome = outcome
            pending.lead = False
            pending.wake.release()


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
