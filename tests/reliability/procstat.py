"""A server's CPU time and memory from /proc, its uvicorn workers included (issues 5, 9).

CPU time is the noise-free figure of a load run on a shared machine, unlike latency.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def _stat_fields(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def family(pid: int) -> list[int]:
    """`pid` and its descendants (`serve --workers N` forks N workers)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            children.setdefault(int(_stat_fields(int(stat.parent.name))[1]), []).append(
                int(stat.parent.name)
            )
    found, todo = [], [pid]
    while todo:
        found.append(current := todo.pop())
        todo += children.get(current, [])
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process and its descendants."""
    ticks = 0
    for member in family(pid):
        with contextlib.suppress(OSError):
            fields = _stat_fields(member)
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    """The resident set size of the process and its descendants."""
    total = 0
    for member in family(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def context_switches(pid: int) -> tuple[int, int]:
    """Voluntary (the thread slept: a socket, a lock, a queue, an idle event loop) and
    involuntary (preempted) context switches of every live thread of the process and its
    descendants (issue 20: what a request costs in wake-ups)."""
    voluntary = involuntary = 0
    for member in family(pid):
        for status in Path(f"/proc/{member}/task").glob("*/status"):
            with contextlib.suppress(OSError):
                for line in status.read_text().splitlines():
                    name, _, count = line.partition(":")
                    if name == "voluntary_ctxt_switches":
                        voluntary += int(count)
                    elif name == "nonvoluntary_ctxt_switches":
                        involuntary += int(count)
    return voluntary, involuntary
