"""The runner: follows the store's notification log and keeps the read models, exactly once.

Each projection has a *live generation* (`projection_live`) and a position per generation
(`projection_tracking`). A page of events is applied in ONE transaction together with the
new position of every projection it concerns: the read model and its position commit or
roll back together, so a crash (even SIGKILL) never applies an event twice or skips one.
Every event advances the position, including those a projection ignores. A runner runs
*units* (`projections.tracking`: a projection, or a segment of the invoices), each with its
own position; it locks the projection's live row shared and the unit's tracking row
exclusively, and skips what is at or below the stored position, so two runners of one unit
(the API's and a `projections run` process; two workers while a lease moves) never apply
an event twice either. Which worker runs which unit is `projections.workers`' leases.

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
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.application import Application

from projections.events import Decoder, EventRecord, Row, known_event_types
from projections.failures import (
    Backoff,
    clear_failure,
    described,
    forget_failure,
    live_failures,
    record_failure,
    savepoint,
)
from projections.following import follow, waiter_for
from projections.queries import ProjectionFailure
from projections.tracking import (
    MESSAGES,
    PROJECTIONS,
    ReadModel,
    Unit,
    Whole,
    _new_generation,
    _one_at_a_time,
    _views,
    claim_unit,
    claim_units,
    ensure_schema,
    live_generation,
    live_positions,
    record_positions,
    tracked,
    unit_positions,
    units_of,
)
from store.database import Database, Tx

__all__ = [
    "MESSAGES", "PAGE_SIZE", "PROJECTIONS", "Runner", "ensure_schema", "follow", "live_positions",
]  # fmt: skip
# (what the rest imports from here; the read models and their positions live in `tracking`,
# when to take the next page following live writes in `following`)
PAGE_SIZE = 2000
WINDOW_PAGES = 4
"""A page that leaves some event types unread scans at most this many pages' positions."""
log = logging.getLogger(__name__)


@runtime_checkable
class RowsRecorder(Protocol):
    """A recorder that reads the notification log as plain rows."""

    def notification_rows(
        self, after: int, limit: int, *, skip: Sequence[str] = (), upto: int = 0
    ) -> list[Row]: ...

    def max_notification_id(self) -> int | None: ...


def apply_page(
    tx: Tx,
    unit: Unit,
    generation: int,
    events: Sequence[EventRecord],
    end: int = 0,
    *,
    position: int | None = None,
    record: bool = True,
) -> int:
    """Apply the events past this generation's position (read, unless given: the caller
    locked the row and read it), and record the new position (unless the caller records
    several units' at once): the last event's, or `end` if the page reaches further (events
    it did not read: of types the unit does not apply)."""
    if position is None:
        position = tracked(tx, unit.tracking[0], generation)
    end = max(end, events[-1].position if events else 0)
    if end <= position:
        return position
    fresh = [e for e in events if e.position > position]
    if fresh:
        projection = unit.projection(generation)
        projection.prepare(tx, fresh)
        for event in fresh:
            projection.handle(tx, event)  # a segment's projection skips the other segments'
        projection.finish_page(tx)
    if record:
        record_positions(tx, [(name, generation, end) for name in unit.tracking])
    return end


# --- following the store -----------------------------------------------------------------


def _skipped(units: Sequence[Unit]) -> list[str]:
    """The known event types none of the units applies (none if one applies every event)."""
    followed: set[str] = set()
    for unit in units:
        types = unit.projection(0).event_types()
        if types is None:
            return []
        followed |= types
    return sorted(known_event_types() - followed)


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
        self.projections = units_of(names or PROJECTIONS)  # the units it runs
        self.decoder = Decoder(store.mapper, db.dialect.unholdable)
        self.indexed: set[str] = set()  # projections whose live copy has its reader indexes
        self.backoff = backoff or Backoff()
        # The projections with a failure row, and its event (None: the table not read yet).
        self.failing: dict[str, int] | None = None
        self._skip: tuple[tuple[str, ...], list[str]] = ((), [])  # for which units
        self.known: dict[str, int] = {}  # the units' positions as its last page left them

    def read(self, after: int) -> list[EventRecord]:
        """The page of events after position `after`, decoded (every event: a rebuild)."""
        return [self.decoder(row) for row in self._rows(after)]

    def read_followed(self, after: int) -> tuple[list[EventRecord], int, bool]:
        """The page after `after` of the events its units apply, decoded (raising, as `read`
        does), the position it reaches, and whether more may follow. A rebuild reads this
        way: it decoded every event, most of them of types its projection ignores, and
        decoding is most of a rebuild's time (issue 19)."""
        rows, end, more = self._followed(after)
        return [self.decoder(row) for row in rows], end, more

    def _rows(self, after: int) -> list[Row]:
        recorder = self.store.recorder
        if isinstance(recorder, RowsRecorder):  # store.recorders: plain tuples, no dataclasses
            return recorder.notification_rows(after, self.page_size)
        notes = recorder.select_notifications(after + 1, self.page_size)
        return [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in notes]

    def _followed(self, after: int) -> tuple[list[Row], int, bool]:
        """The page after `after` of the events its units apply, the position the page
        reaches, and whether more may follow. Where the recorder can, the types none of them
        applies are left unread (issue 20: a worker running a few projections reads their
        events, not all), among the positions of a window that ends at the head read just
        before at the latest (inserts hold the table lock until they commit, so every event
        up to a committed head is visible): the page reaches its last row if it is full,
        else the window's end. The window bounds what one page makes the server scan,
        whatever plan it picks: right after a bulk load its stale statistics made each
        page a bitmap scan and a sort of every event up to the head (2 s of server CPU per
        100,000 events for a worker of two, growing with the square of the store)."""
        recorder, skip = self.store.recorder, self.skipped()
        if not (skip and isinstance(recorder, RowsRecorder)):
            rows = self._rows(after)
            return rows, rows[-1][0] if rows else after, len(rows) == self.page_size
        head = recorder.max_notification_id() or 0
        upto = min(head, after + WINDOW_PAGES * self.page_size)
        rows = recorder.notification_rows(after, self.page_size, skip=skip, upto=upto)
        if len(rows) == self.page_size:
            return rows, rows[-1][0], True
        return rows, max(upto, after), upto < head

    def skipped(self) -> list[str]:
        """The known event types none of its units applies (none if one applies all)."""
        names = tuple(unit.name for unit in self.projections)
        if self._skip[0] != names:
            self._skip = (names, _skipped(self.projections))
        return self._skip[1]

    def step(self) -> int:
        """Apply the next page to the projections not waiting out a backoff; the number of
        events read (0: caught up)."""
        due = [p for p in self.projections if self.backoff.due(p.name)]
        if not due:
            return 0
        after = min(self._positions(due)[p.name] for p in due)
        events, end, undecodable = self._page(after)
        if end > after or undecodable:
            self._write(due, (events, end, after), undecodable)
        if end - after < self.page_size:
            self._index_for_readers()
        return end - after

    def _positions(self, due: Sequence[Unit]) -> dict[str, int]:
        """Where the units are: as this runner's last page left them (issue 20: a read per
        page otherwise), else read. Another runner may have moved one further meanwhile
        (its page then skips what that one applied); none moves back, and a page that would
        begin past a unit's recorded position leaves it to the next (`_claimed`)."""
        if self.failing is None or any(unit.name not in self.known for unit in due):
            with self.db.read() as tx:
                self.known = {name: p for name, (p, _) in unit_positions(tx).items()}
                if self.failing is None:  # another runner's, or before a restart
                    self.failing = {n: f.event_position for n, f in live_failures(tx).items()}
        return self.known

    def forget(self) -> None:
        """Read the positions and failures again before the next page (units changed)."""
        self.known, self.failing = {}, None

    def _write(
        self,
        due: Sequence[Unit],
        page: tuple[Sequence[EventRecord], int, int],
        undecodable: tuple[int, Exception] | None,
    ) -> None:
        """Apply the page to the due units in one transaction: at once, in a few statements,
        when none of them is failing; unit by unit in savepoints otherwise, or when that
        failed (it rolled back whole), so one unit that cannot apply an event stops alone."""
        failing = self.failing or {}
        if not undecodable and not any(unit.name in failing for unit in due):
            try:
                with self.db.write() as tx:
                    applied = self._apply_all(tx, due, page)
            except Exception:  # (then the failure is found and recorded unit by unit)
                log.debug("a page failed: applying it unit by unit", exc_info=True)
            else:
                self.known |= applied
                for unit in due:
                    self.backoff.cleared(unit.name)
                    if unit.name not in applied:  # its position is read again next step
                        self.known.pop(unit.name, None)
                return
        self.known = {}
        with self.db.write() as tx:
            for model in due:
                self._apply(tx, model, page)
                if undecodable:
                    self._stop_before(tx, model, *undecodable)

    def _apply_all(
        self, tx: Tx, due: Sequence[Unit], page: tuple[Sequence[EventRecord], int, int]
    ) -> dict[str, int]:
        """The page for every due unit, without savepoints: their rows locked in one
        statement, their new positions recorded in one; where each unit now is."""
        events, end, after = page
        claimed, moved, applied = claim_units(tx, due), [], {}
        for unit in due:
            generation, position = claimed.get(unit.name) or self._claimed(tx, unit)
            if position < after:  # the page begins past it: the next page reads from there
                continue
            applied[unit.name] = apply_page(
                tx, unit, generation, events, end, position=position, record=False
            )
            if applied[unit.name] > position:
                moved.append((unit.name, generation, applied[unit.name]))
        record_positions(tx, moved)
        return applied

    @staticmethod
    def _claimed(tx: Tx, unit: Unit) -> tuple[int, int]:
        generation = claim_unit(tx, unit)
        return generation, tracked(tx, unit.name, generation)

    def _page(self, after: int) -> tuple[list[EventRecord], int, tuple[int, Exception] | None]:
        """The page after `after`, decoded up to an event that cannot be (a topic this
        version does not know, a state its mapper refuses), the position it reaches, and
        that event's position and error. (`read` raises instead: a rebuild must not switch
        to a copy that stops short.)"""
        events: list[EventRecord] = []
        rows, end, _ = self._followed(after)
        for row in rows:
            try:
                events.append(self.decoder(row))
            except Exception as error:  # nothing can apply it: every projection stops there
                return events, row[0] - 1, (row[0], error)
        return events, end, None

    def _stop_before(self, tx: Tx, model: Unit, event: int, error: Exception) -> None:
        """The projection has applied what came before an event nobody can decode."""
        generation = live_generation(tx, model.model.name)
        if self.backoff.due(model.name) and tracked(tx, model.name, generation) < event:
            self._record(tx, model.name, generation, event, error)

    def _apply(self, tx: Tx, model: Unit, page: tuple[Sequence[EventRecord], int, int]) -> None:
        """The page for one unit, or its failure recorded (the others go on)."""
        events, end, after = page
        generation, position = self._claimed(tx, model)
        if position < after:  # the page begins past it: the next page reads from there
            return
        try:
            with savepoint(tx, "projection"):
                position = apply_page(tx, model, generation, events, end, position=position)
        except Exception as error:  # any error: that projection stops alone
            self._stopped(tx, model, generation, (events, end), error)
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
        model: Unit,
        generation: int,
        page: tuple[Sequence[EventRecord], int],
        error: Exception,
    ) -> None:
        """Apply the page event by event up to the one that fails, and record why."""
        events, end = page
        for event in events:
            try:
                with savepoint(tx, "projection"):
                    apply_page(tx, model, generation, [event])
            except Exception as culprit:
                self._record(tx, model.name, generation, event.position, culprit)
                return
        # The page failed but no event of it alone does: applied, one at a time.
        log.warning("projection %s: page failed (%s), its events did not", model.name, error)
        self._applied(tx, model.name, apply_page(tx, model, generation, [], end))

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
        missing = {u.model.name for u in self.projections} - self.indexed
        if missing:
            with self.db.write() as tx:
                _one_at_a_time(tx)
                for name in sorted(missing):
                    generation = live_generation(tx, name)
                    PROJECTIONS[name].projection(generation).index_for_readers(tx)
            self.indexed |= missing

    def catch_up(self) -> int:
        total = 0
        while count := self.step():
            total += count
        return total

    def run(self, stop: threading.Event) -> None:
        """Follow the store until `stop` is set."""
        follow(self.step, self.page_size, waiter_for(self.db, self.store), stop)


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
        names = (name, *model.unit_names)  # (a segmented projection tracks its segments)
        marks = ", ".join("?" for _ in names)
        sql = f"SELECT MAX(generation) FROM projection_tracking WHERE name IN ({marks})"
        row = tx.one(sql, names)
        generation = int(row[0] if row and row[0] else 0) + 1
        _new_generation(tx, model, generation)
    runner = Runner(db, store, [name], page_size=page_size)
    events, end, more = runner.read_followed(0)
    while more:
        with db.write() as tx:
            position = apply_page(tx, Whole(model), generation, events, end)
        if progress:
            progress(position, store.recorder.max_notification_id() or 0)
        events, end, more = runner.read_followed(position)
    with db.write() as tx:
        model.projection(generation).index_for_readers(tx)
        tx.execute("ANALYZE")  # the fresh copy's statistics, so readers get good plans at once
    _switch(db, runner, model, generation, (events, end))
    if progress:
        head = store.recorder.max_notification_id() or 0
        progress(head, head)
    return generation


def _switch(
    db: Database,
    runner: Runner,
    model: ReadModel,
    generation: int,
    page: tuple[list[EventRecord], int],
) -> None:
    """Apply the last pages under the live row's lock, then repoint the views to the copy."""
    events, end = page
    with db.write() as tx:
        old = live_generation(tx, model.name, lock=True)
        while True:
            position = apply_page(tx, Whole(model), generation, events, end)
            events, end, _ = runner.read_followed(position)
            if not events and end <= position:
                break
        tx.execute(
            "UPDATE projection_live SET generation = ? WHERE name = ?",
            (generation, model.name),
        )
        if model.viewed:
            _views(tx, model, generation)
    with db.write() as tx:
        model.projection(old).drop(tx)
        for name in {model.name, *model.unit_names}:
            tx.execute(
                "DELETE FROM projection_tracking WHERE name = ? AND generation = ?", (name, old)
            )
            forget_failure(tx, name, old)
