"""The physical references: what plain psycopg (and sqlite3) do on the same server.

Rows have the shape of the library's `stored_events` (uuid, version, topic, bytea state,
bigserial notification id with a unique index) and the size of a real stored event.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from itertools import count
from pathlib import Path
from typing import Any

import psycopg
from psycopg import pq

from benchmarks.report import Figure, rate

Row = tuple[Any, ...]
Conn = psycopg.Connection[Any]
TOPIC = "domain.user:User.NotificationPreferencesChanged"
PAGE = 100
SCAN_PAGE = 1000

PG_TABLE = """
CREATE TABLE raw_events (
  originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text,
  state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version));
CREATE UNIQUE INDEX raw_events_notification_id_idx ON raw_events (notification_id ASC);
"""
PG_INSERT = (
    "INSERT INTO raw_events (originator_id, originator_version, topic, state) "
    "VALUES (%s, %s, %s, %s) RETURNING notification_id"
)
PG_INSERT_PAGE = (
    "INSERT INTO raw_events (originator_id, originator_version, topic, state) "
    "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[]) "
    "RETURNING notification_id"
)
PG_LOCK = "LOCK TABLE raw_events IN EXCLUSIVE MODE"
PG_ONE_ROUND_TRIP = (
    b"SET LOCAL lock_timeout = '0s'; LOCK TABLE raw_events IN EXCLUSIVE MODE; NOTIFY raw_events; "
    b"INSERT INTO raw_events (originator_id, originator_version, topic, state) VALUES "
)
"""The transaction the service's recorder sends per command (store/recorders.py), on the raw
table: lock timeout, table lock, NOTIFY, INSERT ... RETURNING, as ONE simple query (one
implicit transaction, one round trip)."""
PG_COPY = "COPY raw_events (originator_id, originator_version, topic, state) FROM STDIN"
PG_SCAN = "SELECT * FROM raw_events WHERE notification_id > %s ORDER BY notification_id LIMIT %s"


def _rows(state: bytes) -> Iterator[tuple[uuid.UUID, int, str, bytes]]:
    for version in count(1):
        yield uuid.uuid4(), version, TOPIC, state


def postgres_references(url: str, state: bytes, seconds: float, scan_rows: int) -> list[Figure]:
    """Raw psycopg inserts (one row and pages of 100, with and without the lock) and a scan."""
    postgres_table(url)
    with psycopg.connect(url) as conn:
        rows = _rows(state)
        figures = [
            _pg_single(conn, rows, seconds, lock=True),
            _pg_single(conn, rows, seconds, lock=False),
            _pg_page(conn, rows, seconds, lock=True),
            _pg_page(conn, rows, seconds, lock=False),
        ]
        _pg_fill(conn, rows, scan_rows)
        figures.append(_pg_scan(conn, seconds))
    return figures


def postgres_single_insert(conn: Conn, state: bytes, *, lock: bool) -> Callable[[], None]:
    """One row per transaction, as plain psycopg writes it (with the library's lock or not)."""
    rows = _rows(state)

    def insert() -> None:
        with conn.transaction():
            if lock:
                conn.execute(PG_LOCK, prepare=True)
            conn.execute(PG_INSERT, next(rows), prepare=True).fetchone()

    return insert


def postgres_one_round_trip_insert(conn: Conn, state: bytes) -> Callable[[], None]:
    """The same row and lock as `postgres_single_insert`, sent as the service's recorder sends
    it: one simple query straight to libpq, values escaped by libpq for this connection."""
    rows = _rows(state)
    escaping, encoding = pq.Escaping(conn.pgconn), conn.info.encoding
    topic = escaping.escape_literal(TOPIC.encode(encoding))

    def insert() -> None:
        originator, version, _, data = next(rows)
        values = b"(%s::uuid, %d, %s, '%s'::bytea) RETURNING notification_id" % (
            escaping.escape_literal(str(originator).encode(encoding)), version, topic,
            escaping.escape_bytea(data))  # fmt: skip
        with conn.lock:
            result = conn.pgconn.exec_(PG_ONE_ROUND_TRIP + values)
        if result.status != pq.ExecStatus.TUPLES_OK or result.get_value(0, 0) is None:
            raise psycopg.OperationalError(result.error_message.decode(encoding, "replace"))

    return insert


def postgres_table(url: str) -> None:
    """The raw table, shaped like the library's events table."""
    with psycopg.connect(url, autocommit=True) as setup:
        setup.execute(PG_TABLE)


def _pg_single(conn: Conn, rows: Iterator[Row], seconds: float, *, lock: bool) -> Figure:
    insert = postgres_single_insert(conn, next(rows)[3], lock=lock)
    name = "raw insert, 1 row/tx" + (", LOCK TABLE" if lock else ", no lock")
    ident = "raw_insert_locked_alone" if lock else "raw_insert_unlocked"
    return Figure(name, "postgres", rate(insert, seconds), "tx/s", id=ident)


def _pg_page(conn: Conn, rows: Iterator[Row], seconds: float, *, lock: bool) -> Figure:
    def insert() -> None:
        _pg_insert_page(conn, rows, PAGE, lock=lock)

    name = f"raw insert, {PAGE} rows/tx" + (", LOCK TABLE" if lock else ", no lock")
    ident = "raw_insert_page_locked" if lock else "raw_insert_page_unlocked"
    return Figure(name, "postgres", rate(insert, seconds) * PAGE, "rows/s", id=ident)


def _pg_insert_page(conn: Conn, rows: Iterator[Row], size: int, *, lock: bool) -> None:
    page = [next(rows) for _ in range(size)]
    columns = [list(c) for c in zip(*page, strict=True)]
    with conn.transaction():
        if lock:
            conn.execute(PG_LOCK, prepare=True)
        conn.execute(PG_INSERT_PAGE, columns, prepare=True).fetchall()


def _pg_fill(conn: Conn, rows: Iterator[Row], total: int) -> None:
    """Rows for the scan, COPYed: a million inserted in pages took minutes of `make bench`."""
    have = conn.execute("SELECT count(*) FROM raw_events").fetchone()
    missing = total - (have[0] if have else 0)
    with conn.transaction(), conn.cursor().copy(PG_COPY) as copy:
        for _ in range(missing):
            copy.write_row(next(rows))


def _pg_scan(conn: Conn, seconds: float) -> Figure:
    def scan() -> int:
        last, total = 0, 0
        while page := conn.execute(PG_SCAN, (last, SCAN_PAGE), prepare=True).fetchall():
            last = page[-1][4]
            total += len(page)
        return total

    return _scan_figure("postgres", scan, seconds)


def _scan_figure(backend: str, scan: Callable[[], int], seconds: float) -> Figure:
    scanned: list[int] = []
    per_second = rate(lambda: scanned.append(scan()), seconds)
    rows = per_second * scanned[0]
    note = f"keyset pages of {SCAN_PAGE} over {scanned[0]:,} rows"
    return Figure("raw ordered scan", backend, rows, "rows/s", note=note, id="raw_scan")


SQLITE_TABLE = """
CREATE TABLE raw_events (
  originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB,
  notification_id INTEGER PRIMARY KEY, UNIQUE (originator_id, originator_version));
"""
SQLITE_INSERT = (
    "INSERT INTO raw_events (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)"
)
SQLITE_SCAN = "SELECT * FROM raw_events WHERE notification_id > ? ORDER BY notification_id LIMIT ?"


def sqlite_references(folder: Path, state: bytes, seconds: float, scan_rows: int) -> list[Figure]:
    """The same references with sqlite3 on a WAL file, as the library opens it."""
    with closing(sqlite_connection(folder / "raw.sqlite")) as conn:
        rows = _sqlite_rows(state)
        figures = [
            _sqlite_tx(conn, rows, seconds, 1, "IMMEDIATE"),
            _sqlite_tx(conn, rows, seconds, 1, "DEFERRED"),
            _sqlite_tx(conn, rows, seconds, PAGE, "IMMEDIATE"),
            _sqlite_tx(conn, rows, seconds, PAGE, "DEFERRED"),
        ]
        have = conn.execute("SELECT count(*) FROM raw_events").fetchone()[0]
        conn.execute("BEGIN")
        conn.executemany(SQLITE_INSERT, (next(rows) for _ in range(max(0, scan_rows - have))))
        conn.execute("COMMIT")
        figures.append(_sqlite_scan(conn, seconds))
    os.sync()
    return figures


def sqlite_single_insert(conn: sqlite3.Connection, state: bytes) -> Callable[[], None]:
    """One row per BEGIN IMMEDIATE transaction (SQLite's writer lock)."""
    rows = _sqlite_rows(state)

    def insert() -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(SQLITE_INSERT, next(rows))
        conn.execute("COMMIT")

    return insert


def sqlite_connection(path: Path) -> sqlite3.Connection:
    """A WAL connection on `path` with the raw table, as the library opens its file."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(SQLITE_TABLE.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
    return conn


def _sqlite_rows(state: bytes) -> Iterator[Row]:
    return (tuple(str(v) if isinstance(v, uuid.UUID) else v for v in r) for r in _rows(state))


_SQLITE_IDS = {
    (False, True): "raw_insert_locked_alone", (False, False): "raw_insert_unlocked",
    (True, True): "raw_insert_page_locked", (True, False): "raw_insert_page_unlocked",
}  # fmt: skip
"""Figure ids by (a page per transaction, under BEGIN IMMEDIATE)."""


def _sqlite_tx(
    conn: sqlite3.Connection, rows: Iterator[Row], seconds: float, size: int, mode: str
) -> Figure:
    def insert() -> None:
        conn.execute(f"BEGIN {mode}")
        conn.executemany(SQLITE_INSERT, [next(rows) for _ in range(size)])
        conn.execute("COMMIT")

    lock = ", BEGIN IMMEDIATE" if mode == "IMMEDIATE" else ", BEGIN"
    unit = "tx/s" if size == 1 else "rows/s"
    name = f"raw insert, {size} row{'s' if size > 1 else ''}/tx" + lock
    ident = _SQLITE_IDS[size > 1, mode == "IMMEDIATE"]
    return Figure(name, "sqlite", rate(insert, seconds) * size, unit, id=ident)


def _sqlite_scan(conn: sqlite3.Connection, seconds: float) -> Figure:
    def scan() -> int:
        last, total = 0, 0
        while page := conn.execute(SQLITE_SCAN, (last, SCAN_PAGE)).fetchall():
            last = page[-1][4]
            total += len(page)
        return total

    return _scan_figure("sqlite", scan, seconds)
