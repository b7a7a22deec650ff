"""Does drawing PDFs slow another company's invoice list? Threads against processes (issue 17).

`.venv/bin/python -m benchmarks.pdf_isolation` starts the app on a SQLite file, times 60
invoice lists of one company while idle, then while two renderers draw 1,000-line invoices
without pause: on two threads of the service's process, then in a pool of two processes.
It prints the median, 95th percentile and worst list time of each (not part of `make bench`).
"""

from __future__ import annotations

import multiprocessing
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager

from api.documents.pdf import render
from benchmarks.pdf_render import big_sheet
from tests.e2e.http import World, enroll, running

SAMPLES = 60
OK = 200
RENDERERS = 2


def list_times(world: World) -> list[float]:
    """Seconds of each of `SAMPLES` invoice lists, sorted."""
    url = f"/v1/companies/{world.cid}/invoices"
    times = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        assert world.admin.get(url).status_code == OK
        times.append(time.perf_counter() - started)
    return sorted(times)


@contextmanager
def drawing(pool: Executor) -> Iterator[None]:
    """`RENDERERS` callers keep `pool` drawing a 1,000-line invoice until the block ends."""
    stop, sheet = threading.Event(), big_sheet()
    list(pool.map(render, [sheet] * RENDERERS))  # started and warm

    def churn() -> None:
        while not stop.is_set():
            pool.submit(render, sheet).result()

    callers = [threading.Thread(target=churn) for _ in range(RENDERERS)]
    for caller in callers:
        caller.start()
    try:
        yield
    finally:
        stop.set()
        for caller in callers:
            caller.join()
        pool.shutdown()


def report(name: str, times: list[float]) -> None:
    median, p95, worst = statistics.median(times), times[int(len(times) * 0.95)], times[-1]
    ms = [f"{label} {seconds * 1e3:6.1f} ms" for label, seconds in
          (("p50", median), ("p95", p95), ("max", worst))]  # fmt: skip
    print(f"{name:>22}: " + "  ".join(ms))


def main() -> None:
    pools: dict[str, Callable[[], Executor]] = {
        "2 render threads": lambda: ThreadPoolExecutor(RENDERERS),
        "2 render processes": lambda: ProcessPoolExecutor(
            RENDERERS, mp_context=multiprocessing.get_context("spawn")
        ),
    }
    folder = tempfile.mkdtemp()
    with running(f"sqlite:///{folder}/events.sqlite", folder) as client:
        world = enroll(client)
        for _ in range(20):
            world.issue(world.accounts[0])
        list_times(world)  # warm
        report("idle", list_times(world))
        for name, pool in pools.items():
            with drawing(pool()):
                report(name, list_times(world))


if __name__ == "__main__":
    main()
