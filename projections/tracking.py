"""The read models, their units of work and where each unit is (issue 20 split it out of
the runner, which follows the store with them).

A *unit* is what one worker claims and one position tracks: a whole projection, or one
segment of a segmented one. The invoices projection, the heaviest, is split into
`INVOICE_SEGMENTS` segments by a hash of the account (as Axon splits a tracking processor):
every event of an account (its enrollment, its invoices, their payments) belongs to one
segment, whose handlers only touch that account's rows, so the segments apply their pages
in parallel transactions and together equal the whole projection. A segment's position is
its own row of `projection_tracking` (`invoices/0`, `invoices/1`, ...); the projection's
position, as readers and `min_position` see it, is the least of them. Changing the number
of segments needs a rebuild of the projection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from projections.accounts import Accounts
from projections.base import Projection
from projections.cases import Cases
from projections.directory import Directory
from projections.failures import create_failures
from projections.invoices import Invoices
from projections.outbox import Notifications, OutboxMessages
from projections.segments import InvoiceSegment
from projections.trail import Audit
from projections.webhooks import WebhookMessages, WebhookTables
from store.database import Database, Tx
from store.locks import AdvisoryLock, transaction_lock

INVOICE_SEGMENTS = 2
"""Segments of the invoices projection: two workers on two cores can share it."""
MESSAGES = OutboxMessages("outbox_")
WEBHOOKS = WebhookTables("webhook_")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadModel:
    """A read model: its name, how to build its projection for a table prefix (and, if it
    is segmented, for a table prefix and a segment of `segments`)."""

    name: str
    make: Callable[[str], Projection]
    viewed: bool = True  # readers use views `<name>_<table>`
    segments: int = 1
    make_segment: Callable[[str, int, int], Projection] | None = None
    cost: float = 1.0  # its work per event, relative to the others' (workers share by it)

    def projection(self, generation: int) -> Projection:
        return self.make(f"{self.name}_g{generation}_")

    @property
    def units(self) -> list[Unit]:
        """Its units of work: itself, or each of its segments."""
        if self.segments == 1:
            return [Unit(self)]
        return [Unit(self, segment) for segment in range(self.segments)]

    @property
    def unit_names(self) -> tuple[str, ...]:
        return tuple(unit.name for unit in self.units)


@dataclass(frozen=True)
class Unit:
    """What one worker claims and one position tracks: a projection or one segment of it."""

    model: ReadModel
    segment: int | None = None

    @property
    def name(self) -> str:
        return self.model.name if self.segment is None else f"{self.model.name}/{self.segment}"

    @property
    def tracking(self) -> tuple[str, ...]:
        """The tracking rows a page of this unit moves: its own (a rebuild, which applies
        the whole projection at once, moves every segment's)."""
        return (self.name,)

    @property
    def cost(self) -> float:
        """Its share of its projection's work per event (the segments split it)."""
        return self.model.cost / self.model.segments

    def projection(self, generation: int) -> Projection:
        if self.segment is None or self.model.make_segment is None:
            return self.model.projection(generation)
        prefix = f"{self.model.name}_g{generation}_"
        return self.model.make_segment(prefix, self.segment, self.model.segments)


@dataclass(frozen=True)
class Whole(Unit):
    """A whole segmented projection as one unit: what a rebuild applies."""

    @property
    def tracking(self) -> tuple[str, ...]:
        return self.model.unit_names


# Costs: what applying 100,000 bulk-loaded events costs each projection caught up alone, in
# CPU seconds, its own (`Runner._apply`) and its PostgreSQL backends' less what reading the
# rows costs them; not reading and decoding, which a worker does once for all its units
# (issue 20, session 7: with the wall time of each one's part of a runner's page, the
# audit's and the outbox's decoding counted in nobody's, the worker with the audit
# trail and both invoice segments did 10% less than the other). Workers share the
# work by them, not the count of projections.
PROJECTIONS: dict[str, ReadModel] = {
    p.name: p
    for p in (
        ReadModel("directory", Directory, cost=0.5),
        ReadModel("accounts", Accounts, cost=0.25),
        ReadModel(
            "invoices",
            Invoices,
            segments=INVOICE_SEGMENTS,
            make_segment=InvoiceSegment,
            cost=1.8,
        ),
        ReadModel("audit", Audit, cost=2.7),
        ReadModel("cases", Cases, cost=0.95),
        ReadModel("outbox", lambda prefix: Notifications(prefix, MESSAGES), viewed=False, cost=4.1),
        ReadModel(
            "webhooks", lambda prefix: WebhookMessages(prefix, WEBHOOKS), viewed=False, cost=1.9
        ),
    )
}
UNITS: dict[str, Unit] = {u.name: u for model in PROJECTIONS.values() for u in model.units}


def units_of(names: Iterable[str]) -> list[Unit]:
    """The units of the named projections or units (`invoices` is each of its segments)."""
    found: list[Unit] = []
    for name in names:
        found += PROJECTIONS[name].units if name in PROJECTIONS else [UNITS[name]]
    return found


def _of(projection: str) -> str:
    """SQL: a tracking or failure row `t` belongs to the projection `l`."""
    t = f"{projection}.name"  # (no LIKE: `%` would be a placeholder to psycopg)
    return f"({t} = l.name OR substr({t}, 1, length(l.name) + 1) = l.name || '/')"


# --- tracking ------------------------------------------------------------------------------


def _lock(tx: Tx, sql: str, mode: str = "UPDATE") -> str:
    return sql + (f" FOR {mode}" if tx.dialect.name == "postgres" else "")


def live_generation(tx: Tx, name: str, *, lock: bool = False) -> int:
    sql = "SELECT generation FROM projection_live WHERE name = ?"
    row = tx.one(_lock(tx, sql) if lock else sql, (name,))
    assert row is not None, f"projection {name} has no live generation"
    return int(row[0])


def claim_unit(tx: Tx, unit: Unit) -> int:
    """Lock the unit for this transaction; its projection's live generation. The live row
    is shared (the segments of one projection apply pages side by side; a rebuild's switch
    takes it exclusively), the unit's tracking row exclusive (two runners of one unit
    apply its pages one after the other, the second skipping what the first applied)."""
    sql = "SELECT generation FROM projection_live WHERE name = ?"
    row = tx.one(_lock(tx, sql, "SHARE"), (unit.model.name,))
    assert row is not None, f"projection {unit.model.name} has no live generation"
    sql = "SELECT position FROM projection_tracking WHERE name = ? AND generation = ?"
    tx.one(_lock(tx, sql), (unit.name, int(row[0])))
    return int(row[0])


def claim_units(tx: Tx, units: Sequence[Unit]) -> dict[str, tuple[int, int]]:
    """`claim_unit` for several units in one statement (issue 20: four statements per unit
    and page were most of a live page's cost): each unit's live generation and its position
    there, its rows locked as `claim_unit` locks them, in the order of their names (two
    runners lock them in one order, so neither waits for the other while holding what the
    other waits for). A unit whose live row moved meanwhile (a rebuild's switch: its new
    generation's row was not the one joined) is missing: `claim_unit` it alone."""
    names = sorted(unit.name for unit in units)
    marks = ", ".join("?" for _ in names)
    sql = (
        "SELECT t.name, l.generation, t.position FROM projection_live l JOIN "
        f"projection_tracking t ON {_of('t')} AND t.generation = l.generation "
        f"WHERE t.name IN ({marks}) ORDER BY t.name"
    )
    if tx.dialect.name == "postgres":
        sql += " FOR SHARE OF l FOR UPDATE OF t"
    return {str(n): (int(g), int(p)) for n, g, p in tx.all(sql, names)}


def record_positions(tx: Tx, moved: Sequence[tuple[str, int, int]]) -> None:
    """Each (unit, generation, position) recorded, in one statement on PostgreSQL."""
    if tx.dialect.name != "postgres" or len(moved) <= 1:
        tx.executemany(
            "UPDATE projection_tracking SET position = ?, moved_at = ? "
            "WHERE name = ? AND generation = ?",
            [(position, moved_now(), name, generation) for name, generation, position in moved],
        )
        return
    names, generations, positions = (list(column) for column in zip(*moved, strict=True))
    tx.execute(
        "UPDATE projection_tracking t SET position = m.position, moved_at = ? FROM "
        "unnest(CAST(? AS TEXT[]), CAST(? AS INTEGER[]), CAST(? AS BIGINT[])) "
        "AS m (name, generation, position) WHERE t.name = m.name AND t.generation = m.generation",
        (moved_now(), names, generations, positions),
    )


def tracked(tx: Tx, name: str, generation: int) -> int:
    row = tx.one(
        "SELECT position FROM projection_tracking WHERE name = ? AND generation = ?",
        (name, generation),
    )
    return int(row[0]) if row else 0


def live_positions(tx: Tx) -> dict[str, int]:
    """Each projection's position: the least of its units'."""
    rows = tx.all(
        "SELECT l.name, MIN(t.position) FROM projection_live l JOIN projection_tracking t "
        f"ON {_of('t')} AND t.generation = l.generation GROUP BY l.name"
    )
    return {str(n): int(p) for n, p in rows}


def unit_positions(tx: Tx) -> dict[str, tuple[int, str | None]]:
    """Each unit's position in its projection's live copy, and when it last moved."""
    rows = tx.all(
        "SELECT t.name, t.position, t.moved_at FROM projection_live l JOIN projection_tracking "
        f"t ON {_of('t')} AND t.generation = l.generation"
    )
    return {str(n): (int(p), None if m is None else str(m)) for n, p, m in rows}


def _views(tx: Tx, model: ReadModel, generation: int) -> None:
    projection = model.projection(generation)
    for table in _tables(projection):
        view = f"{model.name}_{table}"
        tx.execute(f"DROP VIEW IF EXISTS {view}")
        tx.execute(f"CREATE VIEW {view} AS SELECT * FROM {model.name}_g{generation}_{table}")


def _tables(projection: Projection) -> list[str]:
    if isinstance(projection, Notifications):
        copies = [*projection.directory.tables, *projection.invoices.tables]
        return [*projection.tables, *copies, *projection.window.tables]
    if isinstance(projection, WebhookMessages):  # the window's table came with issue 24
        return [*projection.tables, *projection.window.tables]
    return list(projection.tables)


def ensure_schema(db: Database) -> None:
    """Create the tracking tables, the outbox and generation 1 of each projection (once)."""
    with db.write() as tx:
        _one_at_a_time(tx)
        tx.execute(
            "CREATE TABLE IF NOT EXISTS projection_tracking (name TEXT, generation INTEGER, "
            "position BIGINT NOT NULL, PRIMARY KEY (name, generation))"
        )
        _add_moved_at(tx)
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
                _segment_tracking(tx, model, int(live[0]))
                continue
            _new_generation(tx, model, 1)
            tx.execute("INSERT INTO projection_live VALUES (?, 1)", (model.name,))
            if model.viewed:
                _views(tx, model, 1)


def _add_new_tables(tx: Tx, model: ReadModel, generation: int) -> None:
    """A table this version added to a projection (accounts' `enrollments`, issue 17; the
    directory's `access`, issue 19) is created in the live copy with its view, and filled by
    the projection's `upgrade` from the copy's other tables where it can be (`access`: the
    same answers as a rebuild; `enrollments` stays empty, its readers fall back on the older
    tables until `projections rebuild` fills it)."""
    projection = model.projection(generation)
    added = [t for t in _tables(projection) if not _exists(tx, "table", projection.prefix + t)]
    if not added:
        # Nothing to add: touching the tables (even `CREATE INDEX IF NOT EXISTS` locks them)
        # would deadlock with a runner of another process applying a page to them.
        return
    live_generation(tx, model.name, lock=True)  # a runner's page first, as the runner does
    projection.create(tx)
    projection.upgrade(tx, added)
    projection.flush(tx)
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


def _add_moved_at(tx: Tx) -> None:
    """When each position last moved (issue 20: `stalled`), added to a store made before."""
    if tx.dialect.name == "postgres":
        sql = (
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = 'projection_tracking' AND column_name = 'moved_at'"
        )
        present = tx.one(sql) is not None
    else:
        present = any(r[1] == "moved_at" for r in tx.all("PRAGMA table_info(projection_tracking)"))
    if not present:
        tx.execute("ALTER TABLE projection_tracking ADD COLUMN moved_at TEXT")


def moved_now() -> str:
    """The wall-clock instant a position moves, as `projection_tracking.moved_at` keeps it."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _one_at_a_time(tx: Tx) -> None:
    """Schema changes wait for each other (two processes starting on one store would race
    on the catalog: CREATE ... IF NOT EXISTS is not safe against a concurrent create)."""
    if tx.dialect.name == "postgres":
        tx.execute(transaction_lock(AdvisoryLock.PROJECTION_SCHEMAS))


def _new_generation(tx: Tx, model: ReadModel, generation: int) -> None:
    model.projection(generation).create(tx)
    tx.executemany(
        "INSERT INTO projection_tracking (name, generation, position, moved_at) "
        "VALUES (?, ?, 0, ?)",
        [(name, generation, moved_now()) for name in model.unit_names],
    )


def _segment_tracking(tx: Tx, model: ReadModel, generation: int) -> None:
    """A copy tracked as a whole before its projection was segmented: each segment starts
    where the whole was (it had applied every event up to there, of every account)."""
    whole = tx.one(
        "SELECT position FROM projection_tracking WHERE name = ? AND generation = ?",
        (model.name, generation),
    )
    if whole is None or model.unit_names == (model.name,):
        return
    tx.executemany(
        "INSERT INTO projection_tracking (name, generation, position, moved_at) "
        "VALUES (?, ?, ?, ?)",
        [(name, generation, int(whole[0]), moved_now()) for name in model.unit_names],
    )
    tx.execute(
        "DELETE FROM projection_tracking WHERE name = ? AND generation = ?",
        (model.name, generation),
    )
