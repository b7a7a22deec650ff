"""`python -m benchmarks`: every figure on PostgreSQL and SQLite, the table, the JSON file."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from itertools import count
from pathlib import Path
from typing import TypeVar

from rich.console import Console

from benchmarks import commands, headline, optional, raw
from benchmarks.report import Figure, print_table, write_json
from tests.postgres import PostgresServer, start_server

T = TypeVar("T")
RESULTS = Path("bench-results.json")
console = Console(stderr=True, width=200)


@dataclass(frozen=True)
class Scale:
    """How long each measurement runs and how big the data sets are."""

    name: str
    seconds: float
    rounds: int
    scan_rows: int
    events: int


SCALES = {
    "small": Scale("small", 3.0, 6, 100_000, 100_000),
    # Full scale fits in 20 minutes: per backend figure 1 takes 9 x seconds, figure 2
    # 8 x seconds, the references about 6 x seconds plus the million-row fill; figures 3-5
    # (PostgreSQL) about 16 minutes, of which each projection's rebuild alone about 6.
    "full": Scale("full", 8.0, 8, 1_000_000, 1_000_000),
}


def main() -> int:
    scale = SCALES[os.environ.get("BENCH_SCALE", "full")]
    started = time.perf_counter()
    server = start_server()
    try:
        with tempfile.TemporaryDirectory(prefix="billing-bench-") as folder:
            figures = run_all(server, Path(folder), scale)
    finally:
        server.stop()
    elapsed = time.perf_counter() - started
    print_table(figures, f"make bench (BENCH_SCALE={scale.name}, {elapsed:.0f} s)")
    write_json(figures, RESULTS, scale.name, elapsed)
    console.print(f"wrote {RESULTS}")
    return 0


def run_all(server: PostgresServer, folder: Path, scale: Scale) -> list[Figure]:
    """Every figure, PostgreSQL then SQLite, each benchmark on a fresh store."""
    serial = count()
    stores: dict[str, Callable[[str], str]] = {
        "postgres": lambda _: server.create_database(),
        "sqlite": lambda name: f"sqlite:///{folder / name}-{next(serial)}.sqlite",
    }
    figures: list[Figure] = []
    for backend, fresh in stores.items():
        figures += _backend(backend, fresh, folder, scale)
    return figures


def _backend(backend: str, fresh: Callable[[str], str], folder: Path, scale: Scale) -> list[Figure]:
    step = _Step(backend)
    state = step("sizing a stored event", lambda: commands.stored_event_state(fresh("size")))
    seconds, rounds = scale.seconds, scale.rounds

    def figure_1() -> list[Figure]:
        if backend == "postgres":
            return headline.postgres_figure_1(fresh, state, seconds, rounds)
        return headline.sqlite_figure_1(fresh, folder, state, seconds, rounds)

    def references() -> list[Figure]:
        if backend == "postgres":
            return raw.postgres_references(fresh("raw"), state, seconds, scale.scan_rows)
        return raw.sqlite_references(folder, state, seconds, scale.scan_rows)

    def figure_2(defaults: bool) -> Figure:
        url = fresh("many")
        return commands.concurrency_figure(url, backend, seconds, rounds, defaults=defaults)

    first = step("figure 1, interleaved with raw inserts", figure_1)
    refs = step("raw references", references)
    second = [step(f"figure 2, library defaults: {d}", partial(figure_2, d)) for d in (False, True)]
    rest = step(
        "projections, HTTP, audit", partial(optional.figures, backend, fresh, scale.events, seconds)
    )
    return [*first[:2], *second, *rest, *first[2:], *refs]


class _Step:
    """Runs one benchmark, saying what it does and how long it took."""

    def __init__(self, backend: str) -> None:
        self.backend = backend

    def __call__(self, what: str, work: Callable[[], T]) -> T:
        backend = self.backend
        began = time.perf_counter()
        console.print(f"[dim]{backend}: {what}...[/]")
        result = work()
        console.print(f"[dim]{backend}: {what} done in {time.perf_counter() - began:.1f} s[/]")
        return result


if __name__ == "__main__":
    sys.exit(main())
