"""Every text, JSON and binary cell of a store's database (SQLite or PostgreSQL), to search
it for values that must not be there (C4: an erased e-mail or name)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing

import psycopg
from psycopg import sql

from store.url import postgres_conninfo

Cell = tuple[str, str, str | bytes]
"""(table, column, value)"""

POSTGRES_TYPES = ("text", "character varying", "character", "json", "jsonb", "bytea", "ARRAY")
POSTGRES_COLUMNS = (
    "SELECT table_schema, table_name, column_name FROM information_schema.columns"
    " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
    " AND data_type = ANY(%s) ORDER BY 1, 2, ordinal_position"
)


def cells(url: str) -> Iterator[Cell]:
    """Every cell of every table that holds text or bytes."""
    if url.startswith("sqlite"):
        yield from _sqlite_cells(url.removeprefix("sqlite:///"))
    else:
        yield from _postgres_cells(url)


def _sqlite_cells(path: str) -> Iterator[Cell]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cursor = db.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            for row in cursor:
                for column, value in zip(names, row, strict=True):
                    if isinstance(value, str | bytes):
                        yield table, column, value


def _postgres_cells(url: str) -> Iterator[Cell]:
    conninfo, _ = postgres_conninfo(url)
    with psycopg.connect(conninfo, autocommit=True) as db:
        columns: dict[tuple[str, str], list[str]] = {}
        for schema, table, column in db.execute(POSTGRES_COLUMNS, (list(POSTGRES_TYPES),)):
            columns.setdefault((schema, table), []).append(column)
        for (schema, table), names in columns.items():
            query = sql.SQL("SELECT {} FROM {}").format(
                sql.SQL(", ").join(sql.Identifier(n) for n in names),
                sql.Identifier(schema, table),
            )
            for row in db.execute(query):
                yield from _postgres_row(table, names, row)


def _postgres_row(table: str, names: list[str], row: tuple[object, ...]) -> Iterator[Cell]:
    for column, value in zip(names, row, strict=True):
        if isinstance(value, str | bytes):
            yield table, column, value
        elif isinstance(value, memoryview):
            yield table, column, bytes(value)
        elif value is not None:  # JSON and arrays, as Python values
            yield table, column, repr(value)


def holding(url: str, values: set[str]) -> list[tuple[str, str, str]]:
    """(table, column, value) for each cell that contains one of `values`."""
    needles = [(v, v.encode()) for v in values]
    found = []
    for table, column, cell in cells(url):
        for text, raw in needles:
            if (text in cell) if isinstance(cell, str) else (raw in cell):
                found.append((table, column, text))
    return found
