"""The runner: follows the store's notification log and keeps the read models, exactly once.

Each projection has a *live generation* (`projection_live`) and a position per generation
(`projection_tracking`). A page of events is applied in ONE transaction together with the
new position of every projection it concerns: the read model and its position commit or
roll back together, so a crash (even SIGKILL) never applies an event twice or skips one.
Every event advances the position, including those a projection ignores. A runner locks
the projection's live row first and skips what is at or below the stored position, so two
runners (the API's and a `projections run` process) never apply an event twice either.

Automatic payments (I6) need no process application here: `issue_invoice` schedules the
payment in the same atomic save as the invoice (`domain.application.invoices`),
so the outbox only reports them.

Readers query views (`directory_members`, ...) that point at the live generation's tables
(`directory_g2_members`); a rebuild fills generation n+1 beside the live one from position
0, then, caught up, repoints the views and the live row in one transaction and drops the
old tables. SQLite has no notifications, so the runner polls (every 50 ms); on PostgreSQL
it LISTENs on the channel the event recorder NOTIFYs after each insert, with a poll fallback.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.application import Application

from projections.accounts import Accounts
from projections.base import Projection
from projections.directory import Directory
from projections.events import Decoder, EventRecord, Row
from projections.failures import (
    Backoff,
    clear_failure,
    create_failures,
    described,
    forget_failure,
    live_failures,
    record_failure,
    savepoint,
)
from projections.invoices import Invoices
from projections.outbox import Notifications, OutboxMessages
from projections.queries import ProjectionFailure
from projections.trail import Audit
from projections.webhooks import WebhookMessages, WebhookTables
from store.database import Database, PostgresDatabase, Tx
from store.locks import AdvisoryLock, transaction_lock

PAGE_SIZE = 2000
POLL_SECONDS = 0.05
LISTEN_TIMEOUT_SECONDS = 0.5
MESSAGES = OutboxMessages("outbox_")
WEBHOOKS = WebhookTables("webhook_")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadModel:
    """A read model: its name and how to build its projection for a table prefix."""

    name: str
    make: Callable[[str], Projection]
    viewed: bool = True  # readers use views `<name>_<table>`

    def projection(self, generation: int) -> Projection:
        return self.make(f"{self.name}_g{generation}_")


PROJECTIONS: dict[str, ReadModel] = {
    p.name: p
    for p in (
        ReadModel("directory", Directory),
        ReadModel("accounts", Accounts),
        ReadModel("invoices", Invoices),
        ReadModel("audit", Audit),
        ReadModel("outbox", lambda prefix: Notifications(prefix, MESSAGES), viewed=False),
        ReadModel("webhooks", lambda prefix: WebhookMessages(prefix, WEBHOOKS), viewed=False),
    )
}


@runtime_checkable
class RowsRecorder(Protocol):
    """A recorder that reads the notification log as plain rows."""

    def notification_rows(self, after: int, limit: int) -> list[Row]: ...


# --- tracking ------------------------------------------------------------------------------


def _lock(tx: Tx, sql: str) -> str:
    return sql + (" FOR UPDATE" if tx.dialect.name == "postgres" else "")


def live_generation(tx: Tx, name: str, *, lock: bool = False) -> int:
    sql = "SELECT generation FROM projection_live WHERE name = ?"
    row = tx.one(_lock(tx, sql) if lock else sql, (name,))
    assert row is not None, f"projection {name} has no live generation"
    return int(row[0])


def tracked(tx: Tx, name: str, generation: int) -> int:
    row = tx.one(
        "SELECT position FROM projection_tracking WHERE name = ? AND generation = ?",
        (name, generation),
    )
    return int(row[0]) if row else 0


def live_positions(tx: Tx) -> dict[str, int]:
    rows = tx.all(
        "SELECT l.name, t.position FROM projection_live l JOIN projection_tracking t "
        "ON t.name = l.name AND t.generation = l.generation"
    )
    return {str(n): int(p) for n, p in rows}


def _views(tx: Tx, model: ReadModel, generation: int) -> None:
    projection = model.projection(generation)
    for table in _tables(projection):
        view = f"{model.name}_{table}"
        tx.execute(f"DROP VIEW IF EXISTS {view}")
        tx.execute(f"CREATE VIEW {view} AS SELECT * FROM {model.name}_g{generation}_{table}")


def _tables(projection: Projection) -> list[str]:
    if isinstance(projection, Notifications):
        return [*projection.directory.tables, *projection.invoices.tables]
    return list(projection.tables)


def ensure_schema(db: Database) -> None:
    """Create the tracking tables, the outbox and generation 1 of each projection (once)."""
    with db.write() as tx:
        _one_at_a_time(tx)
        tx.execute(
            "CREATE TABLE IF NOT EXISTS projection_tracking (name TEXT, generation INTEGER, "
            "position BIGINT NOT NULL, PRIMARY KEY (name, generation))"
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS projection_live "
            "(name TEXT PRIMARY KEY, generation INTEGER NOT NULL)"
        )
        create_failures(tx)
        MESSAGES.create(tx)
        for model in PROJECTIONS.values():
            live = tx.one("SELECT generation FROM projection_live WHERE name = ?", (model.name,))
            if live:
                _add_new_tables(tx, model, int(live[0]))
                continue
            _new_generation(tx, model, 1)
            tx.execute("INSERT INTO projection_live VALUES (?, 1)", (model.name,))
            if model.viewed:
                _views(tx, model, 1)


def _add_new_tables(tx: Tx, model: ReadModel, generation: int) -> None:
    """A table this version added to a projection (accounts' `enrollments`, issue 17) is
    created in the live copy with its view: empty, its readers fall back on the older
    tables until `projections rebuild` fills it."""
    projection = model.projection(generation)
    if all(_exists(tx, "table", projection.prefix + table) for table in projection.tables):
        # Nothing to add: touching the tables (even `CREATE INDEX IF NOT EXISTS` locks them)
        # would deadlock with a runner of another process applying a page to them.
        return
    projection.create(tx)
    if not model.viewed:
        return
    for table in _tables(projection):
        view, copy = f"{model.name}_{table}", f"{model.name}_g{generation}_{table}"
        if not _exists(tx, "view", view):
            tx.execute(f"CREATE VIEW {view} AS SELECT * FROM {copy}")


def _exists(tx: Tx, kind: Literal["table", "view"], name: str) -> bool:
    """Whether the current schema has a table or view of that name."""
    if tx.dialect.name == "postgres":
        catalog = "information_schema.views" if kind == "view" else "information_schema.tables"
        sql = f"SELECT 1 FROM {catalog} WHERE table_schema = current_schema() AND table_name = ?"
        return tx.one(sql, (name,)) is not None
    return (
        tx.one("SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?", (kind, name)) is not None
    )


def _one_at_a_time(tx: Tx) -> None:
    """Schema changes wait for each other (two processes starting on one store would race
    on the catalog: CREATE ... IF NOT EXISTS is not safe against a concurrent create)."""
    if tx.dialect.name == "postgres":
        tx.execute(transaction_lock(AdvisoryLock.PROJECTION_SCHEMAS))


def _new_generation(tx: Tx, model: ReadModel, generation: int) -> None:
    model.projection(generation).create(tx)
    tx.execute("INSERT INTO projection_tracking VALUES (?, ?, 0)", (model.name, generation))


def apply_page(tx: Tx, model: ReadModel, generation: int, events: Sequence[EventRecord]) -> int:
    """Apply the events past this generation's position, and record the new position."""
    position = tracked(tx, model.name, generation)
    fresh = [e for e in events if e.position > position]
    if not fresh:
        return position
    projection = model.projection(generation)
    projection.prepare(tx, fresh)
    for event in fresh:
        projection.handle(tx, event)
    projection.finish_page(tx)
    tx.execute(
        "UPDATE projection_tracking SET position = ? WHERE name = ? AND generation = ?",
        (fresh[-1].position, model.name, generation),
    )
    return fresh[-1].position


# --- following the store -----------------------------------------------------------------


class Runner:
    """Follows the store for some projections, a page per transaction; each projection's
    part of the page in a savepoint, so one that cannot apply an event stops alone."""

    def __init__(
        self,
        db: Database,
        store: Application[UUID],
        names: Iterable[str] = (),
        *,
        page_size: int = PAGE_SIZE,
        backoff: Backoff | None = None,
    ) -> None:
        self.db, self.store, self.page_size = db, store, page_size
        self.projections = [PROJECTIONS[n] for n in (names or PROJECTIONS)]
        self.decoder = Decoder(store.mapper, db.dialect.unholdable)
        self.indexed: set[str] = set()  # projections whose live copy has its reader indexes
        self.backoff = backoff or Backoff()
        # The projections with a failure row, and its event (None: the table not read yet).
        self.failing: dict[str, int] | None = None

    def read(self, after: int) -> list[EventRecord]:
        """The page of events after position `after`, decoded."""
        return [self.decoder(row) for row in self._rows(after)]

    def _rows(self, after: int) -> list[Row]:
        recorder = self.store.recorder
        if isinstance(recorder, RowsRecorder):  # store.recorders: plain tuples, no dataclasses
            return recorder.notification_rows(after, self.page_size)
        notes = recorder.select_notifications(after + 1, self.page_size)
        return [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in notes]

    def step(self) -> int:
        """Apply the next page to the projections not waiting out a backoff; the number of
        events read (0: caught up)."""
        due = [p for p in self.projections if self.backoff.due(p.name)]
        if not due:
            return 0
        with self.db.read() as tx:
            positions = live_positions(tx)
            if self.failing is None:  # another runner's, or before a restart
                self.failing = {n: f.event_position for n, f in live_failures(tx).items()}
        events, undecodable = self._page(min(positions.get(p.name, 0) for p in due))
        if events or undecodable:
            with self.db.write() as tx:
                for model in due:
                    self._apply(tx, model, events)
                    if undecodable:
                        self._stop_before(tx, model, *undecodable)
        if len(events) < self.page_size:
            self._index_for_readers()
        return len(events)

    def _page(self, after: int) -> tuple[list[EventRecord], tuple[int, Exception] | None]:
        """The page after `after`, decoded up to an event that cannot be (a topic this
        version does not know, a state its mapper refuses), with that event's position and
        error. (`read` raises instead: a rebuild must not switch to a copy that stops short.)
        """
        events: list[EventRecord] = []
        for row in self._rows(after):
            try:
                events.append(self.decoder(row))
            except Exception as error:  # nothing can apply it: every projection stops there
                return events, (row[0], error)
        return events, None

    def _stop_before(self, tx: Tx, model: ReadModel, event: int, error: Exception) -> None:
        """The projection has applied what came before an event nobody can decode."""
        generation = live_generation(tx, model.name)
        if self.backoff.due(model.name) and tracked(tx, model.name, generation) < event:
            self._record(tx, model.name, generation, event, error)

    def _apply(self, tx: Tx, model: ReadModel, events: Sequence[EventRecord]) -> None:
        """The page for one projection, or its failure recorded (the others go on)."""
        if not events:
            return
        generation = live_generation(tx, model.name, lock=True)
        try:
            with savepoint(tx, "projection"):
                position = apply_page(tx, model, generation, events)
        except Exception as error:  # any error: that projection stops alone
            self._stopped(tx, model, generation, events, error)
            return
        self._applied(tx, model.name, position)

    def _applied(self, tx: Tx, name: str, position: int) -> None:
        self.backoff.cleared(name)
        if self.failing and self.failing.get(name, position + 1) <= position:
            clear_failure(tx, name, position)
            del self.failing[name]
            log.warning("projection %s resumed: it is at position %d", name, position)

    def _stopped(
        self,
        tx: Tx,
        model: ReadModel,
        generation: int,
        events: Sequence[EventRecord],
        error: Exception,
    ) -> None:
        """Apply the page event by event up to the one that fails, and record why."""
        for event in events:
            try:
                with savepoint(tx, "projection"):
                    apply_page(tx, model, generation, [event])
            except Exception as culprit:
                self._record(tx, model.name, generation, event.position, culprit)
                return
        # The page failed but no event of it alone does: applied, one at a time.
        log.warning("projection %s: page failed (%s), its events did not", model.name, error)
        self._applied(tx, model.name, events[-1].position)

    def _record(self, tx: Tx, name: str, generation: int, event: int, error: Exception) -> None:
        attempts = self.backoff.failed(name)
        failed_at = datetime.now(UTC).isoformat(timespec="seconds")
        failure = ProjectionFailure(event, described(error, tx.dialect.unholdable), attempts,
                                    failed_at)  # fmt: skip
        record_failure(tx, name, generation, failure)
        self.failing = (self.failing or {}) | {name: event}
        wait = self.backoff.until[name] - self.backoff.clock()
        log.error(
            "projection %s cannot apply event %d (attempt %d; next in %.0f s): %s",
            *(name, event, attempts, wait, failure.error),
            exc_info=error if attempts == 1 else None,  # the traceback once, not every retry
        )

    def _index_for_readers(self) -> None:
        """Caught up: the live copies get the indexes only queries use (checked once)."""
        missing = [p for p in self.projections if p.name not in self.indexed]
        if missing:
            with self.db.write() as tx:
                _one_at_a_time(tx)
                for model in missing:
                    generation = live_generation(tx, model.name)
                    model.projection(generation).index_for_readers(tx)
            self.indexed |= {p.name for p in missing}

    def catch_up(self) -> int:
        total = 0
        while count := self.step():
            total += count
        return total

    def run(self, stop: threading.Event) -> None:
        """Follow the store until `stop` is set."""
        waiter = _waiter(self.db, self.store)
        try:
            while not stop.is_set():
                if self.step() < self.page_size:
                    waiter(stop)
        finally:
            waiter.close()


class _Poll:
    def __call__(self, stop: threading.Event) -> None:
        stop.wait(POLL_SECONDS)

    def close(self) -> None:
        return None


class _Listen:
    """Woken by the event recorder's NOTIFY; times out as a poll fallback."""

    def __init__(self, db: PostgresDatabase, channel: str) -> None:
        self.conn = db.listen_connection()
        self.conn.execute(f'LISTEN "{channel}"')

    def __call__(self, stop: threading.Event) -> None:  # noqa: ARG002 (wakes on NOTIFY)
        for _ in self.conn.notifies(timeout=LISTEN_TIMEOUT_SECONDS, stop_after=1):
            pass

    def close(self) -> None:
        self.conn.close()


def _waiter(db: Database, store: Application[UUID]) -> Any:
    channel = getattr(store.recorder, "channel_name", None)
    if isinstance(db, PostgresDatabase) and channel:
        return _Listen(db, channel)
    return _Poll()


# --- rebuilding ------------------------------------------------------------------------------


def rebuild(
    db: Database,
    store: Application[UUID],
    name: str,
    *,
    progress: Callable[[int, int], None] | None = None,
    page_size: int = PAGE_SIZE,
) -> int:
    """Build generation n+1 from position 0 beside the live one; switch when caught up."""
    model = PROJECTIONS[name]
    ensure_schema(db)
    with db.write() as tx:
        row = tx.one("SELECT MAX(generation) FROM projection_tracking WHERE name = ?", (name,))
        generation = int(row[0] if row and row[0] else 0) + 1
        _new_generation(tx, model, generation)
    runner = Runner(db, store, [name], page_size=page_size)
    position = 0
    while len(events := runner.read(position)) == page_size:
        with db.write() as tx:
            position = apply_page(tx, model, generation, events)
        if progress:
            progress(position, store.recorder.max_notification_id() or 0)
    with db.write() as tx:
        model.projection(generation).index_for_readers(tx)
        tx.execute("ANALYZE")  # the fresh copy's statistics, so readers get good plans at once
    _switch(db, runner, model, generation, events)
    if progress:
        head = store.recorder.max_notification_id() or 0
        progress(head, head)
    return generation


def _switch(
    db: Database, runner: Runner, model: ReadModel, generation: int, events: list[EventRecord]
) -> None:
    with db.write() as tx:
        old = live_generation(tx, model.name, lock=True)
        while events:
            position = apply_page(tx, model, generation, events)
            events = runner.read(position)
        tx.execute(
            "UPDATE projection_live SET generation = ? WHERE name = ?",
            (generation, model.name),
        )
        if model.viewed:
            _views(tx, model, generation)
    with db.write() as tx:
        model.projection(old).drop(tx)
        tx.execute(
            "DELETE FROM projection_tracking WHERE name = ? AND generation = ?",
            (model.name, old),
        )
        forget_failure(tx, model.name, old)
