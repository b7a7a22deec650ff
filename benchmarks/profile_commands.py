"""`python -m benchmarks.profile_commands [sqlite|postgres] [N]`: where one command's time goes.

Runs N one-event commands of one client under cProfile and prints the heaviest functions.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.commands import clients, open_center
from tests.postgres import start_server


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


if __name__ == "__main__":
    main()
