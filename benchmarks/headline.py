"""Figure 1 against its references: commands through BillingCenter, the same commands on the
library's default settings, and raw single-row inserts with the same lock, interleaved.

On PostgreSQL there are two references (issue 21): the transaction the service's recorder
sends, as ONE simple query (`raw_insert_locked_1rt`, the physical limit of a locked insert,
which the service is reported against), and the same row as plain psycopg writes it in four
round trips (`raw_insert_locked`: BEGIN, LOCK TABLE, INSERT, COMMIT), kept as a second
column. On SQLite there are no round trips: the reference is sqlite3 under BEGIN IMMEDIATE.

`python -m benchmarks.headline [postgres|sqlite] [SECONDS] [ROUNDS]` measures figure 1 alone
(as `BENCH_SCALE=small make bench` does: 3 s per contender in 6 rounds) and prints its table.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from collections.abc import Callable
from contextlib import closing
from itertools import count
from pathlib import Path

import psycopg

from benchmarks import raw
from benchmarks.commands import (
    Measure,
    clients,
    interleaved,
    one_client,
    open_center,
    repeat,
    stored_event_state,
)
from benchmarks.optional import library_defaults
from benchmarks.report import Figure, print_table
from domain.application import BillingCenter
from tests.postgres import start_server

RAW_POSTGRES_1RT = "raw insert, 1 row/tx, LOCK TABLE, 1 round trip"
RAW_POSTGRES = "raw insert, 1 row/tx, LOCK TABLE"
RAW_SQLITE = "raw insert, 1 row/tx, BEGIN IMMEDIATE"
Reference = tuple[str, str, Measure]
"""A reference of figure 1: its id, its name, how to measure it."""


def postgres_figure_1(
    fresh: Callable[[str], str], state: bytes, seconds: float, rounds: int
) -> list[Figure]:
    """Figure 1 on PostgreSQL, against the raw locked insert in one and in four round trips."""
    url = fresh("raw1")
    raw.postgres_table(url)
    with psycopg.connect(url) as single, psycopg.connect(url) as plain:
        references = [
            ("raw_insert_locked_1rt", RAW_POSTGRES_1RT,
             repeat(raw.postgres_one_round_trip_insert(single, state))),
            ("raw_insert_locked", RAW_POSTGRES,
             repeat(raw.postgres_single_insert(plain, state, lock=True))),
        ]  # fmt: skip
        return _figure_1("postgres", fresh, references, seconds, rounds)


def sqlite_figure_1(
    fresh: Callable[[str], str], folder: Path, state: bytes, seconds: float, rounds: int
) -> list[Figure]:
    """Figure 1 on SQLite, with sqlite3 under BEGIN IMMEDIATE as reference."""
    connection: sqlite3.Connection = raw.sqlite_connection(folder / "raw1.sqlite")
    with closing(connection) as conn:
        insert = repeat(raw.sqlite_single_insert(conn, state))
        return _figure_1("sqlite", fresh, [("raw_insert_locked", RAW_SQLITE, insert)],
                         seconds, rounds)  # fmt: skip


def _figure_1(
    backend: str,
    fresh: Callable[[str], str],
    references: list[Reference],
    seconds: float,
    rounds: int,
) -> list[Figure]:
    """The service and the library's defaults against the first reference (and the second,
    if any, as a second column), then the references themselves: all interleaved."""
    tuned_url, stock_url = fresh("tuned"), fresh("stock")
    tuned, tuned_clock = open_center(tuned_url)
    stock, stock_clock = open_center(stock_url, library_defaults(stock_url))
    try:
        contenders = {ident: measure for ident, _, measure in references}
        contenders |= _toggle(tuned, tuned_clock, "service")
        contenders |= _toggle(stock, stock_clock, "library defaults")
        rates = interleaved(contenders, (len(references) + 2) * seconds, rounds)
    finally:
        tuned.close()
        stock.close()
    (first, first_name, _), *others = references
    name = "1. commands/s, 1 client"
    commands = [
        Figure(name, backend, rates["service"], "cmd/s", id="commands_1_client"),
        Figure(f"{name} (library defaults)", backend, rates["library defaults"], "cmd/s",
               id="commands_1_client_library_defaults"),
    ]  # fmt: skip
    for figure in commands:
        figure.compare(first, first_name, rates[first])
        for ident, reference_name, _ in others:
            figure.compare(ident, reference_name, rates[ident])
    return [
        *commands,
        *(
            Figure(reference_name, backend, rates[ident], "tx/s",
                   note="interleaved with figure 1", id=ident)
            for ident, reference_name, _ in references
        ),
    ]  # fmt: skip


def _toggle(app: BillingCenter, clock: object, name: str) -> dict[str, Measure]:
    toggler = clients(app, clock, 1)[0]  # type: ignore[arg-type]
    one_client(toggler, 0.2)
    return {name: repeat(toggler)}


def main() -> None:
    backend = sys.argv[1] if len(sys.argv) > 1 else "postgres"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0  # noqa: PLR2004
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 6  # noqa: PLR2004
    with tempfile.TemporaryDirectory(prefix="billing-figure-1-") as name:
        figures = _alone(backend, Path(name), seconds, rounds)
    print_table(figures, f"figure 1 ({backend}, {seconds} s x {rounds} rounds)")


def _alone(backend: str, folder: Path, seconds: float, rounds: int) -> list[Figure]:
    serial = count()

    def sqlite_file(what: str) -> str:
        return f"sqlite:///{folder / what}-{next(serial)}.sqlite"

    if backend == "sqlite":
        state = stored_event_state(sqlite_file("size"))
        return sqlite_figure_1(sqlite_file, folder, state, seconds, rounds)
    server = start_server()
    try:
        state = stored_event_state(server.create_database())
        return postgres_figure_1(lambda _: server.create_database(), state, seconds, rounds)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
