"""`python -m benchmarks.profile_commands [sqlite|postgres] [N]`: where one command's time goes.

On PostgreSQL it first splits a command's wall time, without the profiler, into the insert
(the recorder's `insert_events`: group commit and the one-round-trip locked insert) and the
rest (the command's own Python and its share of the snapshots; also as the thread's CPU
time, which a busy machine disturbs less than wall time), beside the raw one-round-trip
insert of figure 1's reference sent back to back and with the command's own CPU spent
between two inserts (issue 21: on a loaded machine that CPU makes the round trip itself
slower). Then it runs
N one-event commands of one client under cProfile and prints the heaviest functions.
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from benchmarks import raw
from benchmarks.commands import Toggler, clients, open_center, stored_event_state
from tests.postgres import PostgresServer, start_server


def main() -> None:
    backend = sys.argv[1] if len(sys.argv) > 1 else "postgres"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 3000  # noqa: PLR2004
    server = start_server() if backend == "postgres" else None
    with tempfile.TemporaryDirectory() as folder:
        url = server.create_database() if server else f"sqlite:///{Path(folder) / 'p.sqlite'}"
        app, clock = open_center(url)
        toggle = clients(app, clock, 1)[0]
        for _ in range(100):
            toggle()
        if server:
            split(server, toggle, count)
        profile = cProfile.Profile()
        began = time.perf_counter()
        profile.enable()
        for _ in range(count):
            toggle()
        profile.disable()
        print(f"{count / (time.perf_counter() - began):.0f} commands/s under the profiler")
        app.close()
    if server:
        server.stop()
    stats = pstats.Stats(profile).strip_dirs().sort_stats("tottime")
    stats.print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def split(server: PostgresServer, toggle: Toggler, count: int, rounds: int = 5) -> None:
    """A command's wall time: its insert and the rest, beside the raw one-round-trip insert
    back to back and with the command's rest spent (busy) between inserts; interleaved in
    `rounds` rounds (the machine is shared: its load drifts), medians."""
    recorder: Any = toggle.app.recorder
    insert_events = recorder.insert_events
    spent: list[float] = []
    cpu: list[float] = []  # the thread's CPU inside the insert

    def timed(*args: Any, **kwargs: Any) -> Any:
        began, began_cpu = time.perf_counter(), time.thread_time()
        try:
            return insert_events(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - began)
            cpu.append(time.thread_time() - began_cpu)

    url = server.create_database()
    raw.postgres_table(url)
    samples: dict[str, list[float]] = {
        "command": [], "insert": [], "raw": [], "raw+rest": [], "rest cpu": []
    }  # fmt: skip
    with psycopg.connect(url) as conn:
        reference = raw.postgres_one_round_trip_insert(conn, stored_event_state(url))
        for _ in range(rounds):
            spent.clear()
            cpu.clear()
            recorder.insert_events = timed
            began_cpu = time.thread_time()
            command = _per_call(toggle, count // rounds)
            command_cpu = (time.thread_time() - began_cpu) / (count // rounds)
            del recorder.insert_events
            think = command - sum(spent) / len(spent)
            samples["rest cpu"].append(command_cpu - sum(cpu) / len(cpu))

            def reference_then_think(think: float = think) -> None:
                reference()
                _busy(think)

            samples["command"].append(command)
            samples["insert"].append(command - think)
            samples["raw"].append(_per_call(reference, count // rounds))
            samples["raw+rest"].append(_per_call(reference_then_think, count // rounds) - think)
    ms = {name: statistics.median(values) * 1e3 for name, values in samples.items()}
    print(
        f"per command {ms['command']:.3f} ms: insert {ms['insert']:.3f} ms, rest "
        f"{ms['command'] - ms['insert']:.3f} ms ({ms['rest cpu']:.3f} ms of the thread's CPU); "
        f"raw one-round-trip insert {ms['raw']:.3f} ms "
        f"back to back, {ms['raw+rest']:.3f} ms with the rest's CPU between inserts; commands "
        f"at {ms['raw'] / ms['command']:.0%} of the raw reference (medians of {rounds} rounds)"
    )


def _per_call(operation: Callable[[], object], count: int) -> float:
    began = time.perf_counter()
    for _ in range(count):
        operation()
    return (time.perf_counter() - began) / count


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


if __name__ == "__main__":
    main()
