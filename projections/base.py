"""What every read model is made of: tables, the handlers that keep them, and cursors.

A `Projection` owns a few tables whose names carry a prefix: `directory_g3_members` is
generation 3 of the directory's members table, written by the runner; readers use the
view `directory_members`, which points at the live generation (see `projections.runner`).
SQL uses `@` for the prefix and `?` for parameters.

A projection declares its `tables`, its `indexes` (and `reader_indexes`), and a handler
per event type it follows: `on_<EventType>(tx, event)`. Handlers write with `execute`
(sent now) or `defer` (sent by the next `flush`, grouped with like writes), and read with
`one`, `all` and `all_in` (each flushes first, so a read sees every write before it).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection, Hashable, Sequence
from typing import Any, ClassVar, NamedTuple

from projections.events import EventRecord
from projections.queries import BadCursor
from store.database import Params, Row, Tx

IN_CHUNK = 500


class Write(NamedTuple):
    """A deferred write: the one table it writes (unprefixed), its statement, its parameters,
    and the rows it touches (`key`: a company, a login...; None: any row of the table)."""

    table: str
    sql: str
    params: Params
    key: Hashable


class Projection:
    """Tables (name -> column definitions), indexes, and `on_<EventType>` handlers."""

    tables: ClassVar[dict[str, str]] = {}
    indexes: ClassVar[dict[str, str]] = {}  # index name -> "table (columns)": handlers use them
    # Indexes only queries use: a fresh copy gets them once it has caught up (issue 4: a
    # sorted build at the end costs less than keeping them through a million inserts).
    reader_indexes: ClassVar[dict[str, str]] = {}

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        # Lookups remembered for one transaction: a projection lives for one page.
        self.memo: dict[Any, Any] = {}
        self.deferred: list[Write] = []  # writes not sent yet (see `defer`)

    def prefixed(self, sql: str, tx: Tx | None = None) -> str:
        """The statement with its table prefix (and, given a transaction, its dialect's JSON)."""
        sql = sql.replace("@", self.prefix)
        return sql.replace("$json", tx.dialect.json_param) if tx else sql

    def create(self, tx: Tx) -> None:
        """Create this projection's tables and the indexes its handlers use (idempotent)."""
        for name, columns in self.tables.items():
            typed = columns.replace("$json", tx.dialect.json_type)
            tx.execute(f"CREATE TABLE IF NOT EXISTS {self.prefix}{name} ({typed})")
        self._index(tx, self.indexes)

    def index_for_readers(self, tx: Tx) -> None:
        """Create the indexes only queries use (idempotent): when the copy has caught up."""
        self._index(tx, self.reader_indexes)

    def _index(self, tx: Tx, indexes: dict[str, str]) -> None:
        for name, spec in indexes.items():
            tx.execute(f"CREATE INDEX IF NOT EXISTS {self.prefix}{name} ON {self.prefix}{spec}")

    def upgrade(self, tx: Tx, added: Collection[str]) -> None:
        """Fill the tables named in `added`, which this version added to a live copy that an
        older version built (`projections.runner.ensure_schema`); by default they stay empty."""

    def drop(self, tx: Tx) -> None:
        """Drop this projection's tables."""
        for name in self.tables:
            tx.execute(f"DROP TABLE IF EXISTS {self.prefix}{name}")

    def prepare(self, tx: Tx, events: Sequence[EventRecord]) -> None:
        """Fetch, in a few queries, what the page's handlers would otherwise look up one
        by one (the projection lives for one page, so it remembers it in `memo`)."""

    def finish_page(self, tx: Tx) -> None:
        """Write what was buffered during the page (before its position is recorded)."""
        self.flush(tx)

    def defer(
        self, tx: Tx, table: str, sql: str, params: Params = (), *, key: Hashable = None
    ) -> None:
        """A write to `table` (and no other) that no handler reads back at once: sent by
        `flush`. `key` names the rows it touches (a company, a login...): writes to one
        table under different keys touch different rows and may go in any order; a write
        without a key keeps its place."""
        self.deferred.append(Write(table, self.prefixed(sql, tx), params, key))

    def flush(self, tx: Tx) -> None:
        """Send the deferred writes in one batch (before any read of this projection)."""
        if self.deferred:
            tx.batch([(write.sql, write.params) for write in batch_order(self.deferred)])
            self.deferred = []

    def event_types(self) -> frozenset[str] | None:
        """The event types this projection applies (its `on_<EventType>` handlers), so a
        runner of it alone need not read the others (issue 20); None: every event."""
        return handled_types(type(self))

    def handle(self, tx: Tx, event: EventRecord) -> None:
        """Apply one event (most projections ignore most events)."""
        name = handler_name(type(self), event.type)
        if name is not None:
            getattr(self, name)(tx, event)

    # what handlers and queries write and read with: each flushes the deferred writes first
    def execute(self, tx: Tx, sql: str, params: Params = ()) -> None:
        self.flush(tx)
        tx.execute(self.prefixed(sql, tx), params)

    def executemany(self, tx: Tx, sql: str, rows: Sequence[Params]) -> None:
        self.flush(tx)
        tx.executemany(self.prefixed(sql, tx), rows)

    def columns(self, tx: Tx, sql: str, unnested: str, rows: Sequence[Params]) -> None:
        """`sql` for each row; on PostgreSQL `unnested` once, `?` being each column as an
        array (`unnest`): one statement for a page's rows instead of one per row."""
        if tx.dialect.name != "postgres":
            self.executemany(tx, sql, rows)
        elif rows:
            self.execute(tx, unnested, [list(column) for column in zip(*rows, strict=True)])

    def one(self, tx: Tx, sql: str, params: Params = ()) -> Row | None:
        self.flush(tx)
        return tx.one(self.prefixed(sql, tx), params)

    def all(self, tx: Tx, sql: str, params: Params = ()) -> list[Row]:
        self.flush(tx)
        return tx.all(self.prefixed(sql, tx), params)

    def all_in(self, tx: Tx, sql: str, keys: Sequence[str]) -> list[Row]:
        """Rows for many keys: `sql` ends with `IN`. PostgreSQL gets the keys as one array
        (`= ANY(?)`: one statement, one plan); SQLite, in `IN` lists of 500."""
        if tx.dialect.name == "postgres":
            return self.all(tx, f"{sql.removesuffix('IN')}= ANY(?)", [list(keys)]) if keys else []
        rows: list[Row] = []
        for start in range(0, len(keys), IN_CHUNK):
            chunk = keys[start : start + IN_CHUNK]
            rows += self.all(tx, f"{sql} ({', '.join('?' for _ in chunk)})", chunk)
        return rows


_HANDLERS: dict[tuple[type, str], str | None] = {}  # bounded: projections x event types


def handler_name(projection: type, event_type: str) -> str | None:
    """`on_<EventType>` if the projection handles that type: looked up once per type, not
    once per event (a miss made `getattr` raise and catch an AttributeError; issue 4)."""
    key = (projection, event_type)
    if key not in _HANDLERS:
        name = f"on_{event_type}"
        _HANDLERS[key] = name if hasattr(projection, name) else None
    return _HANDLERS[key]


def handled_types(projection: type) -> frozenset[str]:
    """The event types a projection class has an `on_<EventType>` handler for."""
    return frozenset(n.removeprefix("on_") for n in dir(projection) if n.startswith("on_"))


def batch_order(writes: Sequence[Write]) -> list[Write]:
    """The writes in runs of one statement, each run one executemany (issue 4: a page's
    events interleave their writes, so runs were about a row each). Only writes that
    commute change places: writes to different tables (each writes the one table it names
    and reads no other; the read models have no triggers or foreign keys) and writes to one
    table under different keys. Each write keeps its place among those it must follow."""
    ranks = _ranks(writes)
    order = sorted(range(len(writes)), key=lambda i: (writes[i].table, ranks[i], writes[i].sql))
    return [writes[i] for i in order]


def _ranks(writes: Sequence[Write]) -> list[int]:
    """Each write's rank among the writes of its table it must follow: those under its key
    and those before the table's last write without a key (which follows all before it)."""
    last: dict[tuple[str, Hashable], int] = {}
    top: dict[str, int] = {}  # the table's highest rank so far
    floor: dict[str, int] = {}  # the rank after the table's last write without a key
    ranks: list[int] = []
    for table, _, _, key in writes:
        if key is None:
            rank = top.get(table, -1) + 1
            floor[table] = rank + 1
        else:
            rank = max(last.get((table, key), -1) + 1, floor.get(table, 0))
            last[table, key] = rank
        top[table] = max(top.get(table, -1), rank)
        ranks.append(rank)
    return ranks


def encode_cursor(*key: Any) -> str:
    """An opaque keyset cursor."""
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    """The key of a cursor from `encode_cursor`; BadCursor otherwise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError) as error:
        raise BadCursor(cursor) from error
    if not isinstance(key, list) or len(key) != arity:
        raise BadCursor(cursor)
    return key
