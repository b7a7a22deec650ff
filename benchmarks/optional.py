"""Figures 3-5, whose benchmark scripts belong to other issues: run when they exist.

Each script (benchmarks/bulk_load.py for figure 3, http_history.py, audit.py) starts its own
throwaway PostgreSQL server and prints its results; this module runs it as a subprocess with
arguments sized by BENCH_SCALE and turns the lines it prints into rows of the table. They are
PostgreSQL-only: their SQLite rows say so. A script that is missing says "not built yet".
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks.report import Figure
from store.url import eventsourcing_env

TUNING_KEYS = {"APPLICATION_RECORDER_TOPIC", "TRANSCODER_TOPIC", "MAPPER_TOPIC"}
HERE = Path(__file__).parent
FULL_EVENTS = 1_000_000


def library_defaults(url: str) -> dict[str, str]:
    """The store's environment without this project's performance tuning (for comparison)."""
    return {k: v for k, v in eventsourcing_env(url).items() if k not in TUNING_KEYS}


def figures(backend: str, fresh: Callable[[str], str], events: int, seconds: float) -> list[Figure]:
    """Projection catch-up, HTTP latency, audit: each as far as it has been built."""
    del fresh
    if backend != "postgres":
        names = (*NAMES, CATCH_UP_TWO_WORKERS, *MIXED_NAMES)
        return _identified([Figure(n, backend, None, "", note="PostgreSQL only") for n in names])
    small = events < FULL_EVENTS
    figures = [*_catch_up(small), _http(small, seconds), *_http_mixed(seconds),
               *_audit(small)]  # fmt: skip
    return _identified(figures)


NAMES = (
    "3. projection catch-up (slowest projection alone)",
    "3. projection catch-up (all five, one runner)",
    "4. HTTP billing history p99 @200 rps",
    "5. audit export + hash",
    "5. audit verify",
    "5. time travel (company state as of)",
    "5. explain-access",
)
CATCH_UP_ALONE, CATCH_UP_TOGETHER, HTTP, EXPORT, VERIFY, TIME_TRAVEL, EXPLAIN = NAMES
CATCH_UP_TWO_WORKERS = "3. projection catch-up (all five, 2 workers: catchup_all_2_workers)"
"""Issue 20: beside `catchup_all` (one runner), two `projections run` workers with leases."""
HTTP_MIXED = "4. HTTP mixed reads and writes p99 @400 rps, 2 API processes"
"""Issue 20: `make soak`'s load (5 reads for 3 writes) on `serve --workers 2`, PostgreSQL,
deployed as README "Running at scale" runs it: the API HTTP-only, the projections in a
`projections run` process beside it; the invoices spread over the company's accounts."""
HTTP_MIXED_COLD = "4. HTTP mixed p99 @400 rps, the first 2 s of a just-started service"
"""The same run's warm-up: new keep-alive connections, pools and PostgreSQL backends growing,
each process's first calls of each route (reported, not counted in the figure above)."""
MIXED_NAMES = (HTTP_MIXED, HTTP_MIXED_COLD)
MIXED_RATE = 400
MIXED_WARMUP_SECONDS = 2.0
MIXED_MIN_SECONDS = 5.0
MIXED_TOPOLOGY = ["--workers", "2", "--projection-workers", "1", "--accounts", "8"]


EVENTS_SCAN = "raw ordered scan of the events table"
IDS = dict(zip(
    (*NAMES, EVENTS_SCAN, CATCH_UP_TWO_WORKERS, *MIXED_NAMES),
    ("catchup_slowest", "catchup_all", "http_history_p99", "audit_export", "audit_verify",
     "time_travel", "explain_access", "raw_scan_events", "catchup_all_2_workers",
     "http_mixed_p99_2_processes", "http_mixed_p99_cold_start"),
    strict=True,
))  # fmt: skip
"""Each figure's stable id (issue 21)."""


def _identified(figures: list[Figure]) -> list[Figure]:
    for figure in figures:
        figure.id = IDS[figure.name]
    return figures


def _script(module: str, args: list[str], timeout: float) -> list[str] | str:
    """The script's output lines, or why there are none."""
    if not (HERE / f"{module}.py").exists():
        return "not built yet"
    try:
        done = subprocess.run(
            [sys.executable, "-m", f"benchmarks.{module}", *args],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f} s"
    if done.returncode != 0:
        return f"failed: {(done.stderr.strip().splitlines() or ['?'])[-1][:120]}"
    return done.stdout.splitlines()


def _find(lines: list[str], pattern: str) -> re.Match[str] | None:
    for line in lines:
        if found := re.search(pattern, line):
            return found
    return None


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _catch_up(small: bool) -> list[Figure]:
    """Each projection's fresh copy catching up alone (the issue's figure: its slowest), and
    all five caught up together by one runner."""
    alone, together = CATCH_UP_ALONE, CATCH_UP_TOGETHER
    events = "100000" if small else str(FULL_EVENTS)
    lines = _script("bulk_load", [events], 400 if small else 1500)
    if isinstance(lines, str):
        return [Figure(n, "postgres", None, "", note=lines) for n in (alone, together)]
    together_rates = _rates(lines, r"all five together.*?(\d+) events/s wall")
    each = [m for line in lines if (m := re.match(r"(\w+) alone .*?(\d+) events/s wall", line))]
    head = _find(lines, r"wrote (\d+) events")
    rss = _find(lines, r"peak RSS (\d+) MiB \((\d+) MiB at 10%\)")
    if not together_rates or not each:
        note = "; ".join(lines[-2:])
        return [
            Figure(alone, "postgres", None, "", note=note),
            Figure(together, "postgres", None, "", note=note),
        ]
    memory = f", peak RSS {rss.group(1)} MiB ({rss.group(2)} at 10%)" if rss else ""
    loaded = f"{head.group(1) if head else '?'} events loaded in bulk, from 0"
    slowest = min(each, key=lambda m: _number(m.group(2)))
    rates = ", ".join(f"{m.group(1)} {_number(m.group(2)):,.0f}" for m in each)
    return [
        Figure(alone, "postgres", _number(slowest.group(2)), "events/s", 10_000, "target",
               f"{slowest.group(1)}; each: {rates}"),
        Figure(together, "postgres", _overall(together_rates), "events/s", 10_000, "target",
               f"{loaded}{memory}; {_each(together_rates)}{_spent(lines, 'all five together')}"),
        *_two_workers(lines, _overall(together_rates)),
    ]  # fmt: skip


def _two_workers(lines: list[str], one_runner: float) -> list[Figure]:
    """`catchup_all_2_workers` beside the one runner (issue 20), when the script printed it:
    both measured twice, side by side (`bulk_load.side_by_side`)."""
    rates = _rates(lines, r"catchup_all_2_workers (\d+) events/s wall")
    if not rates:
        return []
    note = f"goal >= 1.6x; {_each(rates)}{_spent(lines, 'catchup_all_2_workers')}"
    value = _overall(rates)
    return [
        Figure(CATCH_UP_TWO_WORKERS, "postgres", value, "events/s", one_runner, "one runner", note)
    ]


def _rates(lines: list[str], pattern: str) -> list[float]:
    """Every rate the lines give (a figure measured more than once)."""
    return [_number(m.group(1)) for line in lines if (m := re.search(pattern, line))]


def _overall(rates: list[float]) -> float:
    """The rate of several runs of the same events together: their harmonic mean (the
    events of all over the time of all)."""
    return len(rates) / sum(1 / rate for rate in rates)


def _each(rates: list[float]) -> str:
    return "runs: " + ", ".join(f"{rate:,.0f}" for rate in rates)


_SPENT = re.compile(r"(\d+\.\d+) cores busy, (\d+) us of CPU an event")


def _spent(lines: list[str], start: str) -> str:
    """The cores each run of a catch-up kept busy and its CPU an event (`bulk_load._spent`),
    for the lines that begin with `start`; nothing if they do not say."""
    found = [m for line in lines if line.startswith(start) and (m := _SPENT.search(line))]
    if not found:
        return ""
    cores, cpu = (", ".join(m.group(n) for m in found) for n in (1, 2))
    return f"; cores busy: {cores}; CPU an event: {cpu} us"


def _http(small: bool, seconds: float) -> Figure:
    name = HTTP
    args = ["--rate", "200", "--seconds", f"{seconds:.0f}", "--users", "100"]
    args += ["--invoices", "500" if small else "10000"]
    lines = _script("http_history", args, 120 if small else 180)  # full: about 75 s
    if isinstance(lines, str):
        return Figure(name, "postgres", None, "", note=lines)
    found = _find(lines, r"(\d+) requests at (\d+)/s.*p50 ([\d.]+) ms.*p99 ([\d.]+) ms")
    if found is None:
        return Figure(name, "postgres", None, "", note="; ".join(lines[-2:]))
    note = f"p50 {found.group(3)} ms, {found.group(1)} requests, {args[-1]} invoices"
    return Figure(name, "postgres", _number(found.group(4)), "ms", 20, "target p99", note)


def _http_mixed(seconds: float) -> list[Figure]:
    """`make soak`'s load generator at 400 requests/s on two API processes (issue 20): the
    p99 of the measured seconds, after a warm-up at the same rate; and the warm-up's own p99,
    what a service that just started answers under that load."""
    measured = max(seconds, MIXED_MIN_SECONDS)
    args = ["--rate", str(MIXED_RATE), "--seconds", f"{measured:.0f}",
            "--warmup", f"{MIXED_WARMUP_SECONDS:.0f}", *MIXED_TOPOLOGY]  # fmt: skip
    return _mixed_figures(_soak(args, measured + 180), measured)


def _soak(args: list[str], timeout: float) -> list[str] | str:
    """What the soak printed (or why it printed nothing)."""
    command = [sys.executable, "-m", "tests.reliability.soak", *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        return "timed out"
    return done.stdout.splitlines() or done.stderr.strip()[-120:]


def _mixed_figures(lines: list[str] | str, measured: float) -> list[Figure]:
    """The two figures from what the soak printed (each empty, saying why, if it did not)."""
    if isinstance(lines, str):
        return _mixed_not_measured(lines)
    found = _find(lines, r"^sent (\d+) .*errors (\d+); p50 ([\d.]+) ms, p99 ([\d.]+) ms")
    cold = _find(lines, r"^warm-up, not counted: (\d+) requests.*p50 ([\d.]+) ms, p99 ([\d.]+) ms")
    if found is None or cold is None:
        return _mixed_not_measured("; ".join(lines[-2:]))
    sent, errors, p50, p99 = found.groups()
    cpu = _find(lines, r"server CPU ([\d.]+) ms per request")
    note = (f"p50 {p50} ms, {sent} requests in {measured:.0f} s after a "
            f"{MIXED_WARMUP_SECONDS:.0f}-s warm-up, {errors} errors, server CPU "
            f"{cpu.group(1) if cpu else '?'} ms/request; serve --workers 2 HTTP-only + 1 "
            "projections run, invoices over 8 accounts, PostgreSQL")  # fmt: skip
    cold_note = (f"p50 {cold.group(2)} ms, the first {cold.group(1)} requests of the same run "
                 "on the just-started service (not in the figure above)")  # fmt: skip
    return [
        Figure(HTTP_MIXED, "postgres", _number(p99), "ms", 25, "target p99", note),
        Figure(HTTP_MIXED_COLD, "postgres", _number(cold.group(3)), "ms", note=cold_note),
    ]  # fmt: skip


def _mixed_not_measured(why: str) -> list[Figure]:
    return [Figure(name, "postgres", None, "", note=why) for name in MIXED_NAMES]


def _audit(small: bool) -> list[Figure]:
    events = "100000" if small else str(FULL_EVENTS)
    lines = _script("audit", ["--events", events], 240 if small else 900)
    if isinstance(lines, str):
        return [
            Figure(n, "postgres", None, "", note=lines)
            for n in (EXPORT, VERIFY, TIME_TRAVEL, EXPLAIN, EVENTS_SCAN)
        ]
    export = _find(lines, r"export \+ hash: (\d+) records .*\(([\d,]+)/s\).*RSS (\d+) MiB")
    verify = _find(lines, r"verify: (\d+) records .*\(([\d,]+)/s\)")
    scan = _find(lines, r"raw ordered psycopg scan: (\d+) rows .*\(([\d,]+)/s\)")
    reference = _number(scan.group(2)) if scan else None
    return [
        Figure(EXPORT, "postgres", _number(export.group(2)) if export else None, "records/s",
               reference, EVENTS_SCAN,
               f"{export.group(1)} records, peak RSS {export.group(3)} MiB{_by_cpu(lines, 1)}"
               if export else "; ".join(lines[-2:]), reference_id="raw_scan_events"),
        Figure(VERIFY, "postgres", _number(verify.group(2)) if verify else None, "records/s",
               reference, EVENTS_SCAN, reference_id="raw_scan_events",
               note=_by_cpu(lines, 2).removeprefix("; ") if _find(lines, r"verify: .* ok=True")
               else "the export did NOT verify"),
        _latency(TIME_TRAVEL, _find(lines, r"state-as-of \(company, (\d+) events.*median"
                                    r" ([\d.]+) ms, max ([\d.]+) ms"),
                 "events in the company's own history"),
        _latency(EXPLAIN, _find(lines, r"explain-access on a store of (\d+) events: median"
                                 r" ([\d.]+) ms, max ([\d.]+) ms"), "events in the store"),
        Figure(EVENTS_SCAN, "postgres", reference, "rows/s",
               note=f"one server-side cursor over {int(scan.group(1)):,} stored events"
               if scan else "not printed by benchmarks/audit.py"),
    ]  # fmt: skip


def _by_cpu(lines: list[str], which: int) -> str:
    """What benchmarks/audit.py's critical-path CPU predicts for an idle machine (load
    stretches the wall clock): the export's share of the raw scan's rate (`which` 1) or
    verify's records per CPU second (2); nothing if it did not print it."""
    found = _find(lines, r"by CPU: export (\d+%) of the raw scan's rate, verify ([\d,]+) records")
    if found is None:
        return ""
    said = ("of the raw scan's rate", "records per CPU second")[which - 1]
    return f"; by CPU on the critical path: {found.group(which)} {said}"


def _latency(name: str, found: re.Match[str] | None, of_what: str) -> Figure:
    """A median latency line of the audit script: (size, median ms, max ms)."""
    if found is None:
        return Figure(name, "postgres", None, "", note="not printed by benchmarks/audit.py")
    size, median, worst = found.groups()
    note = f"median of 20, max {worst} ms; {int(size):,} {of_what}"
    return Figure(name, "postgres", _number(median), "ms", note=note)
