"""`python -m benchmarks.profile_commands [sqlite|postgres] [N] [private]`: where one command's
time goes, in `BillingCenter` (or with `private`, the production `PrivateBillingCenter`, C4).

It first splits a command's wall time, without the profiler, into the insert (the
recorder's `insert_events`: group commit and the one-round-trip locked insert) and the rest
(the command's own Python and its share of the snapshots; also as the thread's CPU time,
which a busy machine disturbs less than wall time); on PostgreSQL beside the raw
one-round-trip insert of figure 1's reference sent back to back and with the command's own
CPU spent between two inserts (issue 21: on a loaded machine that CPU makes the round trip
itself slower). Then it runs
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
        app, clock = open_center(url, private="private" in sys.argv[3:])
        toggle = clients(app, clock, 1)[0]
        for _ in range(100):
            toggle()
        if server:
            split(server, toggle, count)
        else:
            split_alone(toggle, count)
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


class _Split:
    """One client's commands, timed with the recorder's `insert_events` apart."""

    def __init__(self, toggle: Toggler) -> None:
        self.toggle = toggle
        self.recorder: Any = toggle.app.recorder
        self.insert_events = self.recorder.insert_events
        self.spent: list[float] = []  # wall inside each insert
        self.cpu: list[float] = []  # the thread's CPU inside each insert

    def _timed(self, *args: Any, **kwargs: Any) -> Any:
        began, began_cpu = time.perf_counter(), time.thread_time()
        try:
            return self.insert_events(*args, **kwargs)
        finally:
            self.spent.append(time.perf_counter() - began)
            self.cpu.append(time.thread_time() - began_cpu)

    def round(self, count: int) -> tuple[float, float, float]:
        """Per command: its wall, its insert's wall, and the thread's CPU outside the insert."""
        self.spent.clear()
        self.cpu.clear()
        self.recorder.insert_events = self._timed
        began_cpu = time.thread_time()
        command = _per_call(self.toggle, count)
        command_cpu = (time.thread_time() - began_cpu) / count
        del self.recorder.insert_events
        insert = sum(self.spent) / len(self.spent)
        return command, insert, command_cpu - sum(self.cpu) / len(self.cpu)


def split_alone(toggle: Toggler, count: int, rounds: int = 5) -> None:
    """A command's wall time: its insert and the rest, medians of `rounds` rounds."""
    timing = _Split(toggle)
    rows = [timing.round(count // rounds) for _ in range(rounds)]
    command, insert, rest_cpu = (statistics.median(row[i] for row in rows) * 1e3 for i in range(3))
    print(
        f"per command {command:.3f} ms: insert {insert:.3f} ms, rest {command - insert:.3f} "
        f"ms ({rest_cpu:.3f} ms of the thread's CPU; medians of {rounds} rounds)"
    )


def split(server: PostgresServer, toggle: Toggler, count: int, rounds: int = 5) -> None:
    """A command's wall time: its insert and the rest, beside the raw one-round-trip insert
    back to back and with the command's rest spent (busy) between inserts; interleaved in
    `rounds` rounds (the machine is shared: its load drifts), medians."""
    timing = _Split(toggle)
    url = server.create_database()
    raw.postgres_table(url)
    samples: dict[str, list[float]] = {
        "command": [], "insert": [], "raw": [], "raw+rest": [], "rest cpu": []
    }  # fmt: skip
    with psycopg.connect(url) as conn:
        reference = raw.postgres_one_round_trip_insert(conn, stored_event_state(url))
        for _ in range(rounds):
            command, insert, rest_cpu = timing.round(count // rounds)
            think = command - insert

            def reference_then_think(think: float = think) -> None:
                reference()
                _busy(think)

            samples["command"].append(command)
            samples["insert"].append(insert)
            samples["rest cpu"].append(rest_cpu)
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
