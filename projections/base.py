"""What every read model is made of: tables, the handlers that keep them, and cursors.

A `Component` owns a few tables whose names carry a prefix: `directory_g3_members` is
generation 3 of the directory's members table, written by the runner; readers use the
view `directory_members`, which points at the live generation (see `projections.runner`).
SQL uses `@` for the prefix and `?` for parameters.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

from projections.events import EventRecord
from projections.queries import BadCursor
from store.database import Params, Row, Tx

IN_CHUNK = 500
_WRITTEN = re.compile(r"(?:INSERT INTO|UPDATE|DELETE FROM) (\w+) ")


class Component:
    """Tables (name -> column definitions), indexes, and `on_<EventType>` handlers."""

    tables: ClassVar[dict[str, str]] = {}
    indexes: ClassVar[dict[str, str]] = {}  # index name -> "table (columns)": handlers use them
    # Indexes only queries use: a fresh copy gets them once it has caught up (issue 4: a
    # sorted build at the end costs less than keeping them through a million inserts).
    reader_indexes: ClassVar[dict[str, str]] = {}

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        # Lookups remembered for one transaction: a component lives for one page.
        self.memo: dict[Any, Any] = {}
        self.queued: list[tuple[str, Params]] = []  # writes not sent yet (see `later`)
        self.keys: list[Hashable] = []  # the rows each queued write touches

    def q(self, sql: str, tx: Tx | None = None) -> str:
        """The statement with its table prefix (and, given a transaction, its dialect's JSON)."""
        sql = sql.replace("@", self.prefix)
        return sql.replace("$json", tx.dialect.json_param) if tx else sql

    def create(self, tx: Tx) -> None:
        """Create this component's tables and the indexes its handlers use (idempotent)."""
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

    def drop(self, tx: Tx) -> None:
        """Drop this component's tables."""
        for name in self.tables:
            tx.execute(f"DROP TABLE IF EXISTS {self.prefix}{name}")

    def prepare(self, tx: Tx, events: Sequence[EventRecord]) -> None:
        """Fetch, in a few queries, what the page's handlers would otherwise look up one
        by one (the component lives for one page, so it remembers it in `memo`)."""

    def flush(self, tx: Tx) -> None:
        """Write what was buffered during the page (before its position is recorded)."""
        self.settle(tx)

    def later(self, tx: Tx, sql: str, params: Params = (), *, key: Hashable = None) -> None:
        """A write no handler reads back at once: sent by `settle`. `key` names the rows
        it touches (a company, a login...): writes to one table under different keys
        touch different rows and may go in any order; a write without a key keeps its place.
        """
        self.queued.append((self.q(sql, tx), params))
        self.keys.append(key)

    def settle(self, tx: Tx) -> None:
        """Send the queued writes in one batch (before any read of this component)."""
        if self.queued:
            tx.batch(in_runs(self.queued, self.keys))
            self.queued, self.keys = [], []

    def handle(self, tx: Tx, event: EventRecord) -> None:
        """Apply one event (most components ignore most events)."""
        name = handler_name(type(self), event.type)
        if name is not None:
            getattr(self, name)(tx, event)

    # shorthands for handlers and views
    def x(self, tx: Tx, sql: str, params: Params = ()) -> None:
        self.settle(tx)
        tx.execute(self.q(sql, tx), params)

    def executemany(self, tx: Tx, sql: str, rows: Sequence[Params]) -> None:
        self.settle(tx)
        tx.executemany(self.q(sql, tx), rows)

    def columns(self, tx: Tx, sql: str, unnested: str, rows: Sequence[Params]) -> None:
        """`sql` for each row; on PostgreSQL `unnested` once, `?` being each column as an
        array (`unnest`): one statement for a page's rows instead of one per row."""
        if tx.dialect.name != "postgres":
            self.executemany(tx, sql, rows)
        elif rows:
            self.x(tx, unnested, [list(column) for column in zip(*rows, strict=True)])

    def one(self, tx: Tx, sql: str, params: Params = ()) -> Row | None:
        self.settle(tx)
        return tx.one(self.q(sql, tx), params)

    def all(self, tx: Tx, sql: str, params: Params = ()) -> list[Row]:
        self.settle(tx)
        return tx.all(self.q(sql, tx), params)

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


_HANDLERS: dict[tuple[type, str], str | None] = {}  # bounded: components x event types


def handler_name(component: type, event_type: str) -> str | None:
    """`on_<EventType>` if the component handles that type: looked up once per type, not
    once per event (a miss made `getattr` raise and catch an AttributeError; issue 4)."""
    key = (component, event_type)
    if key not in _HANDLERS:
        name = f"on_{event_type}"
        _HANDLERS[key] = name if hasattr(component, name) else None
    return _HANDLERS[key]


def in_runs(statements: list[tuple[str, Params]], keys: list[Hashable]) -> list[tuple[str, Params]]:
    """The writes reordered into runs of one statement, each run one executemany (issue 4:
    a page's events interleave their writes, so runs were about a row each). Only writes
    that commute change places: writes to different tables (each names one table and reads
    no other; the read models have no triggers or foreign keys) and writes to one table
    under different keys. Each write keeps its place among those it must follow."""
    tables = [m.group(1) for sql, _ in statements if (m := _WRITTEN.match(sql))]
    if len(tables) < len(statements):
        return statements  # a statement of another shape: keep the order as it is
    levels = _levels(tables, keys)
    order = sorted(range(len(statements)), key=lambda i: (tables[i], levels[i], statements[i][0]))
    return [statements[i] for i in order]


def _levels(tables: list[str], keys: list[Hashable]) -> list[int]:
    """Each write's rank among the writes of its table it must follow: those under its key
    and those before the table's last write without a key (which follows all before it)."""
    last: dict[tuple[str, Hashable], int] = {}
    top: dict[str, int] = {}  # the table's highest rank so far
    floor: dict[str, int] = {}  # the rank after the table's last write without a key
    levels: list[int] = []
    for table, key in zip(tables, keys, strict=True):
        if key is None:
            level = top.get(table, -1) + 1
            floor[table] = level + 1
        else:
            level = max(last.get((table, key), -1) + 1, floor.get(table, 0))
            last[table, key] = level
        top[table] = max(top.get(table, -1), level)
        levels.append(level)
    return levels


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
