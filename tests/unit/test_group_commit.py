"""Issue 21, item 3: group commit, without a database.

Commands that arrive while a transaction is in flight are written together in the next one;
each gets its own answer, and only a failure of the transaction itself is shared.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

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
