"""Issue 21, item 3: group commit, without a database.

Commands that arrive while a transaction is in flight are written together in the next one;
each gets its own answer, and only a failure of the transaction itself is shared.
"""

from __future__ import annotations

import _thread
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from store import group_commit
from store.group_commit import GroupCommit

WAIT_SECONDS = 30


class Refused(Exception):
    """One command's own refusal."""


class Writer:
    """Writes batches of strings; the first batch waits until `release` is set."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = threading.Event()
        self.broken = False

    def __call__(self, works: Sequence[str]) -> list[str | BaseException]:
        self.release.wait(WAIT_SECONDS)
        if self.broken:
            raise ConnectionError("the database went away")
        self.batches.append(list(works))
        return [Refused(w) if w.startswith("bad") else w.upper() for w in works]


def until(condition: object) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the group commit never got there"
        time.sleep(0.001)


def queue_behind_a_transaction(
    group: GroupCommit[str, str], pool: ThreadPoolExecutor, works: list[str]
) -> tuple[Future[str], list[Future[str]]]:
    """The first work in flight, the others queued behind it in this order."""
    first = pool.submit(group.submit, "first")
    until(lambda: group.in_flight)
    queued = []
    for i, work in enumerate(works, start=1):
        queued.append(pool.submit(group.submit, work))
        until(lambda i=i: group.waiting == i)
    return first, queued


def test_commands_arriving_during_a_transaction_share_the_next_one() -> None:
    writer = Writer()
    group: GroupCommit[str, str] = GroupCommit(writer)
    with ThreadPoolExecutor(8) as pool:
        first, queued = queue_behind_a_transaction(group, pool, ["a", "b", "c", "d"])
        writer.release.set()
        assert first.result() == "FIRST"
        assert [f.result() for f in queued] == ["A", "B", "C", "D"]
    assert writer.batches == [["first"], ["a", "b", "c", "d"]]
    assert (group.transactions, group.commands) == (2, 5)


def test_one_commands_refusal_is_its_own_and_its_batch_mates_are_written() -> None:
    writer = Writer()
    group: GroupCommit[str, str] = GroupCommit(writer)
    with ThreadPoolExecutor(8) as pool:
        _, queued = queue_behind_a_transaction(group, pool, ["a", "bad-b", "c"])
        writer.release.set()
        assert queued[0].result() == "A"
        with pytest.raises(Refused, match="bad-b"):
            queued[1].result()
        assert queued[2].result() == "C"


def test_a_failed_transaction_is_the_answer_of_every_command_in_it() -> None:
    writer = Writer()
    writer.broken = True
    group: GroupCommit[str, str] = GroupCommit(writer)
    with ThreadPoolExecutor(8) as pool:
        first, queued = queue_behind_a_transaction(group, pool, ["a", "b"])
        writer.release.set()
        for future in [first, *queued]:
            with pytest.raises(ConnectionError):
                future.result()
    writer.broken = False
    assert group.submit("again") == "AGAIN", "the writer is free again after a failure"


def test_one_client_writes_alone_at_once() -> None:
    writer = Writer()
    writer.release.set()
    group: GroupCommit[str, str] = GroupCommit(writer)
    assert [group.submit(w) for w in ("a", "b")] == ["A", "B"]
    assert writer.batches == [["a"], ["b"]]


class GatedWriter:
    """Writes batches of strings, each held until its own gate opens; notes who wrote it."""

    def __init__(self) -> None:
        self.started = 0
        self.gates = [threading.Event() for _ in range(4)]
        self.batches: list[list[str]] = []
        self.writers: list[int] = []

    def __call__(self, works: Sequence[str]) -> list[str | BaseException]:
        gate, self.started = self.gates[self.started], self.started + 1
        gate.wait(WAIT_SECONDS)
        self.batches.append(list(works))
        self.writers.append(threading.get_ident())
        return [w.upper() for w in works]


def submitted_by(group: GroupCommit[str, str], work: str) -> tuple[str, int]:
    return group.submit(work), threading.get_ident()


def queue_in_order(
    group: GroupCommit[str, str], pool: ThreadPoolExecutor, works: list[str]
) -> list[Future[tuple[str, int]]]:
    """`works` queued behind the transaction in flight, in this order (with their threads)."""
    queued = []
    for work in works:
        queued.append(pool.submit(submitted_by, group, work))
        until(lambda n=len(queued): group.waiting == n)
    return queued


def test_the_first_queued_command_leads_the_next_batch_and_each_is_answered() -> None:
    """The writer of a transaction hands the lead to the first command queued behind it,
    which writes the whole queue; then the next transaction is led from the new queue."""
    writer = GatedWriter()
    group: GroupCommit[str, str] = GroupCommit(writer)
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(submitted_by, group, "first")
        until(lambda: group.in_flight)
        queued = queue_in_order(group, pool, ["a", "b"])
        writer.gates[0].set()
        until(lambda: writer.started == 2)  # [a, b] in flight
        last = queue_in_order(group, pool, ["c", "d"])
        writer.gates[1].set()
        writer.gates[2].set()
        answers = [f.result() for f in (first, *queued, *last)]
    assert [answer for answer, _ in answers] == ["FIRST", "A", "B", "C", "D"]
    assert writer.batches == [["first"], ["a", "b"], ["c", "d"]]
    assert writer.writers == [answers[0][1], answers[1][1], answers[3][1]]
    assert (group.transactions, group.commands) == (3, 5)
    assert not group.in_flight


real_lock = _thread.allocate_lock


class Interrupted:
    """A command's wake-up lock whose wait ends in KeyboardInterrupt, as Ctrl-C ends a wait of
    the main thread: at once (`after_waking=False`) or once it has been woken."""

    def __init__(self, *, after_waking: bool) -> None:
        self._lock = _thread.allocate_lock()
        self._after_waking = after_waking
        self.waits = 0

    def acquire(self) -> bool:
        self.waits += 1
        if self.waits > 1 and not self._after_waking:
            raise KeyboardInterrupt
        self._lock.acquire()
        if self.waits > 1:
            raise KeyboardInterrupt
        return True

    def release(self) -> None:
        self._lock.release()


@pytest.mark.parametrize("after_waking", [False, True], ids=["while queued", "handed the lead"])
def test_an_interrupted_wait_leaves_the_queue_and_hands_on_the_lead(
    monkeypatch: pytest.MonkeyPatch, after_waking: bool
) -> None:
    """A queued command whose wait is interrupted is never written, and the commands behind
    it are still written and answered (had it been handed the lead, it is handed on)."""
    interrupted = Interrupted(after_waking=after_waking)
    locks = iter([interrupted])
    monkeypatch.setattr(group_commit, "allocate_lock", lambda: next(locks, None) or real_lock())
    writer = GatedWriter()
    group: GroupCommit[str, str] = GroupCommit(writer)
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(submitted_by, group, "first")
        until(lambda: group.in_flight)
        stopped = pool.submit(group.submit, "stopped")
        if not after_waking:
            with pytest.raises(KeyboardInterrupt):
                stopped.result(WAIT_SECONDS)
        until(lambda: group.waiting == int(after_waking))  # still queued if not interrupted
        queued = [pool.submit(submitted_by, group, "a")]
        until(lambda: group.waiting == 1 + int(after_waking))
        writer.gates[0].set()
        writer.gates[1].set()
        if after_waking:
            with pytest.raises(KeyboardInterrupt):
                stopped.result(WAIT_SECONDS)
        assert [f.result()[0] for f in (first, *queued)] == ["FIRST", "A"]
    assert writer.batches == [["first"], ["a"]]
    assert not group.in_flight
    writer.gates[2].set()
    assert group.submit("again") == "AGAIN"
