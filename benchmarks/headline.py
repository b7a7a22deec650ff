"""Figure 1 against its reference: commands through BillingCenter, the same commands on the
library's default settings, and raw single-row inserts with the same lock, interleaved.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import psycopg

from benchmarks import raw
from benchmarks.commands import Measure, clients, interleaved, one_client, open_center, repeat
from benchmarks.optional import library_defaults
from benchmarks.report import Figure
from domain.application import BillingCenter

RAW_POSTGRES = "raw insert, 1 row/tx, LOCK TABLE"
RAW_SQLITE = "raw insert, 1 row/tx, BEGIN IMMEDIATE"


def postgres_figure_1(
    fresh: Callable[[str], str], state: bytes, seconds: float, rounds: int
) -> list[Figure]:
    """Figure 1 on PostgreSQL, with plain psycopg under the library's table lock as reference."""
    url = fresh("raw1")
    raw.postgres_table(url)
    with psycopg.connect(url) as conn:
        insert = raw.postgres_single_insert(conn, state, lock=True)
        return _figure_1("postgres", fresh, repeat(insert), RAW_POSTGRES, seconds, rounds)


def sqlite_figure_1(
    fresh: Callable[[str], str], folder: Path, state: bytes, seconds: float, rounds: int
) -> list[Figure]:
    """Figure 1 on SQLite, with sqlite3 under BEGIN IMMEDIATE as reference."""
    connection: sqlite3.Connection = raw.sqlite_connection(folder / "raw1.sqlite")
    with closing(connection) as conn:
        insert = raw.sqlite_single_insert(conn, state)
        return _figure_1("sqlite", fresh, repeat(insert), RAW_SQLITE, seconds, rounds)


def _figure_1(  # noqa: PLR0917 (private helper of the two figures above)
    backend: str,
    fresh: Callable[[str], str],
    reference: Measure,
    reference_name: str,
    seconds: float,
    rounds: int,
) -> list[Figure]:
    tuned_url, stock_url = fresh("tuned"), fresh("stock")
    tuned, tuned_clock = open_center(tuned_url)
    stock, stock_clock = open_center(stock_url, library_defaults(stock_url))
    try:
        contenders = {"reference": reference, **_toggle(tuned, tuned_clock, "service")}
        contenders |= _toggle(stock, stock_clock, "library defaults")
        rates = interleaved(contenders, 3 * seconds, rounds)
    finally:
        tuned.close()
        stock.close()
    name = "1. commands/s, 1 client"
    return [
        Figure(name, backend, rates["service"], "cmd/s", rates["reference"], reference_name),
        Figure(
            f"{name} (library defaults)",
            backend,
            rates["library defaults"],
            "cmd/s",
            rates["reference"],
            reference_name,
        ),
        Figure(
            reference_name, backend, rates["reference"], "tx/s", note="interleaved with figure 1"
        ),
    ]


def _toggle(app: BillingCenter, clock: object, name: str) -> dict[str, Measure]:
    toggler = clients(app, clock, 1)[0]  # type: ignore[arg-type]
    one_client(toggler, 0.2)
    return {name: repeat(toggler)}
