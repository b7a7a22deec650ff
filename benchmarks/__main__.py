"""`python -m benchmarks`: every figure on PostgreSQL and SQLite, the table, the JSON file."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from rich.console import Console

from benchmarks import commands, optional, raw
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
    scan_rows: int
    events: int


SCALES = {
    "small": Scale("small", 3.0, 100_000, 100_000),
    "full": Scale("full", 12.0, 1_000_000, 1_000_000),
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
    stores: dict[str, Callable[[str], str]] = {
        "postgres": lambda _: server.create_database(),
        "sqlite": lambda name: f"sqlite:///{folder / name}.sqlite",
    }
    figures: list[Figure] = []
    for backend, fresh in stores.items():
        figures += _backend(backend, fresh, folder, scale)
    return figures


def _backend(backend: str, fresh: Callable[[str], str], folder: Path, scale: Scale) -> list[Figure]:
    step = _Step(backend)
    state = step("sizing a stored event", lambda: commands.stored_event_state(fresh("size")))
    if backend == "postgres":
        refs = step("raw references", lambda: raw.postgres_references(
            fresh("raw"), state, scale.seconds, scale.scan_rows))  # fmt: skip
    else:
        refs = step("raw references", lambda: raw.sqlite_references(
            folder, state, scale.seconds, scale.scan_rows))  # fmt: skip
    single_locked = refs[0].value
    cmds = step("commands", lambda: commands.command_figures(fresh("cmd"), backend, scale.seconds))
    cmds[0].reference, cmds[0].reference_name = single_locked, refs[0].name
    stock = step("commands, library defaults", lambda: _stock(fresh("stock"), backend, scale))
    stock[0].reference, stock[0].reference_name = single_locked, refs[0].name
    rest = step("projections, HTTP, audit", lambda: optional.figures(
        backend, fresh, scale.events, scale.seconds))  # fmt: skip
    return [*cmds, *stock, *rest, *refs]


def _stock(url: str, backend: str, scale: Scale) -> list[Figure]:
    env = optional.library_defaults(url)
    return commands.command_figures(url, backend, scale.seconds, env, " (library defaults)")


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
