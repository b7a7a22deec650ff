"""Projections that cannot apply an event (issue 17): each stops there alone, and says why.

The runner applies each projection's part of a page in a `savepoint`, so a failure rolls
back that projection only. It records the failure in `projection_failures`, a table
rather than the runner's memory, so that `/health` in every worker and `projections
status` in another process read the same, and a restarted runner finds it. The row goes
in the transaction that applies the event at last (a fixed version) or when a rebuilt
copy replaces the failed one. Meanwhile the projection waits out a `Backoff`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from projections.queries import ProjectionFailure
from store.database import Tx

ERROR_LIMIT = 500
"""Characters of an error kept (a database's message may quote a whole row)."""


def create_failures(tx: Tx) -> None:
    """The failures table (idempotent): at most one row per projection."""
    tx.execute(
        "CREATE TABLE IF NOT EXISTS projection_failures (name TEXT PRIMARY KEY, "
        "generation INTEGER NOT NULL, event_position BIGINT NOT NULL, error TEXT NOT NULL, "
        "attempts INTEGER NOT NULL, failed_at TEXT NOT NULL)"
    )


def record_failure(tx: Tx, name: str, generation: int, failure: ProjectionFailure) -> None:
    """Record (or update) why the projection's copy `generation` stopped."""
    tx.execute("DELETE FROM projection_failures WHERE name = ?", (name,))
    tx.execute(
        "INSERT INTO projection_failures VALUES (?, ?, ?, ?, ?, ?)",
        (name, generation, failure.event_position, failure.error, failure.attempts,
         failure.failed_at),
    )  # fmt: skip


def clear_failure(tx: Tx, name: str, position: int) -> None:
    """The projection has applied every event up to `position`: forget a failure before it."""
    tx.execute(
        "DELETE FROM projection_failures WHERE name = ? AND event_position <= ?", (name, position)
    )


def forget_failure(tx: Tx, name: str, generation: int) -> None:
    """The copy `generation` is gone (a rebuilt copy replaced it): so is its failure."""
    tx.execute(
        "DELETE FROM projection_failures WHERE name = ? AND generation = ?", (name, generation)
    )


def live_failures(tx: Tx) -> dict[str, ProjectionFailure]:
    """The failures of the live copies (a rebuilt copy does not inherit its old one's), by
    unit (a projection, or a segment of one: `invoices/1`)."""
    rows = tx.all(
        "SELECT f.name, f.event_position, f.error, f.attempts, f.failed_at "
        "FROM projection_failures f JOIN projection_live l "
        "ON (l.name = f.name OR substr(f.name, 1, length(l.name) + 1) = l.name || '/') "
        "AND l.generation = f.generation"
    )
    return {str(r[0]): ProjectionFailure(int(r[1]), str(r[2]), int(r[3]), str(r[4])) for r in rows}


def described(error: BaseException, unholdable: str) -> str:
    """`DataError: ...`: one line, bounded, holdable by the database that records it."""
    text = f"{type(error).__name__}: {error}".splitlines()[0][:ERROR_LIMIT]
    return text.translate(dict.fromkeys(map(ord, unholdable), "\ufffd"))


@contextmanager
def savepoint(tx: Tx, name: str) -> Iterator[None]:
    """A nested transaction: what fails inside rolls back alone, and `tx` goes on (on
    PostgreSQL a failed statement otherwise aborts the whole transaction)."""
    tx.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        tx.execute(f"ROLLBACK TO SAVEPOINT {name}")
        tx.execute(f"RELEASE SAVEPOINT {name}")
        raise
    tx.execute(f"RELEASE SAVEPOINT {name}")


@dataclass
class Backoff:
    """When each failing projection may try again: `first` seconds, doubling, at most `cap`."""

    first: float = 1.0
    cap: float = 30.0
    clock: Callable[[], float] = time.monotonic
    attempts: dict[str, int] = field(default_factory=dict)
    until: dict[str, float] = field(default_factory=dict)

    def failed(self, name: str) -> int:
        """One more failed attempt; how many in a row."""
        attempts = self.attempts[name] = self.attempts.get(name, 0) + 1
        self.until[name] = self.clock() + min(self.cap, self.first * 2 ** (attempts - 1))
        return attempts

    def cleared(self, name: str) -> None:
        self.attempts.pop(name, None)
        self.until.pop(name, None)

    def due(self, name: str) -> bool:
        return self.until.get(name, 0.0) <= self.clock()
