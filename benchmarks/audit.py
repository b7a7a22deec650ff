"""Audit benchmark (issue 6): export + hash vs a raw ordered psycopg scan, verify events/s,
state-as-of on an aggregate with N events, explain-access; peak RSS of the export.

    .venv/bin/python -m benchmarks.audit [--events 100000] [--filler 0]

Starts a throwaway PostgreSQL server (tests/postgres.py), writes one company whose
history has `--events` events (role changes, snapshots every 100 as the app takes them)
plus `--filler` events of another company, in bulk (pages of 5,000 events per
transaction through the application's recorder), then measures.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from domain.application import BillingCenter
from domain.base import caused_by
from domain.caller import Caller
from domain.company import Company
from domain.values import AccountKey, Role
from projections.audit.chain import Signer, new_private_pem
from projections.audit.explain import explain
from projections.audit.export import write_export
from projections.audit.privacy import PrivateBillingCenter
from projections.audit.records import AuditLog
from projections.audit.timetravel import as_of
from projections.audit.verify import verify_export
from store.url import eventsourcing_env
from tests.audit_world import ACCOUNT, PlainBox, add_user, company, issue
from tests.postgres import start_server
from tests.reliability.procstat import cpu_seconds

BATCH = 5000


def _app(url: str) -> PrivateBillingCenter:
    return PrivateBillingCenter(eventsourcing_env(url), secret_box=PlainBox())


def bulk_role_changes(app: BillingCenter, company_id: Any, count: int, page: int = BATCH) -> None:
    """`count` RoleChanged events on one company, written in pages of `page` events through
    the application's recorder (one transaction per page), with a snapshot every 100
    versions as the application takes them."""
    aggregate: Any = app.repository.get(company_id)
    assert isinstance(aggregate, Company)
    assert app.snapshots is not None
    snapshot_class: Any = getattr(type(aggregate), "Snapshot", type(app).snapshot_class)
    with caused_by(Caller("alice").cause):
        for start in range(0, count, page):
            snapshots = []
            for turn in range(start, min(start + page, count)):
                role = Role.VIEW_PAY if turn % 2 == 0 else Role.VIEW_ONLY
                aggregate._role_changed(login="bob", role=role.value)
                if aggregate.version % 100 == 0:
                    snapshots.append(snapshot_class.take(aggregate))
            events = aggregate.collect_events()
            app.recorder.insert_events([app.mapper.to_stored_event(e) for e in events])
            app.snapshots.put(snapshots)
    if app.repository.cache is not None:
        with contextlib.suppress(KeyError):
            app.repository.cache.get(company_id, evict=True)


def _filler(app: PrivateBillingCenter, count: int) -> None:
    """`count` events of another company (the store's bulk), written in pages."""
    if count > 0:
        bulk_role_changes(app, company(app, "zed", AccountKey("DE", "F00001")), count)


def _raw_scan(url: str) -> tuple[int, float, float, float]:
    """Rows, seconds, the client's CPU seconds and its server backend's CPU seconds of one
    raw ordered scan of the events table (plain psycopg)."""
    started, cpu = time.perf_counter(), time.process_time()
    with psycopg.connect(url) as connection, connection.cursor(name="scan") as cursor:
        server = cpu_seconds(connection.info.backend_pid)
        cursor.itersize = BATCH
        cursor.execute("SELECT * FROM billingcenter_events ORDER BY notification_id")
        rows = sum(1 for _ in cursor)
        server = cpu_seconds(connection.info.backend_pid) - server
    return rows, time.perf_counter() - started, time.process_time() - cpu, server


def _backends(url: str) -> dict[int, float]:
    """The CPU seconds of every other server backend of the benchmark's database."""
    with psycopg.connect(url) as connection:
        found = connection.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {pid: cpu_seconds(pid) for (pid,) in found}


def _export(url: str, out: str, queue: Any) -> None:
    """One export in this (child) process; puts its count, seconds, peak RSS and CPU
    seconds: the process's, its main thread's and its server backends'."""
    app = _app(url)
    before = _backends(url)
    started, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
    manifest = write_export(AuditLog(app.recorder, app.sealer).canonical(), Path(out),
                            Signer(new_private_pem()))  # fmt: skip
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    main = time.thread_time() - main
    server = sum(used - before.get(pid, 0.0) for pid, used in _backends(url).items())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((manifest["count"], elapsed, rss, {"export": cpu, "export_main": main,
                                                 "export_server": server}))  # fmt: skip


def _timed(what: str, run: Any, repeat: int = 20) -> None:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    print(f"{what}: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")


ROUNDS = 3
"""Rounds of raw scan, export and verify, alternated: medians compare them under the same
load (the machine is shared; issue 21)."""


def _interleaved(url: str, rounds: int) -> None:
    """The raw scan, the export (in a child process, for its peak RSS) and the verification,
    alternated `rounds` times; prints each one's median (and, beside the wall clock, which a
    loaded machine stretches, the CPU time of each, in `_print_cpu`)."""
    walls: dict[str, list[float]] = {"scan": [], "export": [], "verify": []}
    cpus: dict[str, list[float]] = {}
    count, rss, ok = 0, 0, True
    for _ in range(rounds):
        rows, took, cpu, server = _raw_scan(url)
        walls["scan"].append(took)
        _add(cpus, {"scan": cpu, "scan_server": server})
        with tempfile.TemporaryDirectory() as out:
            queue: Any = multiprocessing.get_context("spawn").Queue()
            child = multiprocessing.get_context("spawn").Process(
                target=_export, args=(url, out, queue)
            )
            child.start()
            count, took, peak, used = queue.get()
            child.join()
            walls["export"].append(took)
            rss = max(rss, peak)
            started, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
            forked = _children_cpu()
            verdict = verify_export(Path(out))
            walls["verify"].append(time.perf_counter() - started)
            _add(cpus, {**used, "verify": time.process_time() - cpu,
                        "verify_main": time.thread_time() - main,
                        "verify_forked": _children_cpu() - forked})  # fmt: skip
            ok = ok and verdict.ok and verdict.records == count
    scan, export, check = (statistics.median(walls[name]) for name in walls)
    each = f"median of {rounds} interleaved rounds"
    print(f"raw ordered psycopg scan: {rows} rows in {scan:.2f} s ({rows / scan:,.0f}/s), {each}")
    print(f"export + hash: {count} records in {export:.2f} s ({count / export:,.0f}/s),"
          f" {scan / export:.0%} of the raw scan's rate; child peak RSS {rss / 1024:.0f} MiB,"
          f" {each}")  # fmt: skip
    print(f"verify: {count} records in {check:.2f} s ({count / check:,.0f}/s) ok={ok}, {each}")
    _print_cpu(count, {name: statistics.median(times) for name, times in cpus.items()})


def _children_cpu() -> float:
    """The CPU seconds of this process's ended children (verify forks one for a large file's
    second half: issue 21)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _add(cpus: dict[str, list[float]], measured: dict[str, float]) -> None:
    for name, seconds in measured.items():
        cpus.setdefault(name, []).append(seconds)


def _print_cpu(count: int, cpu: dict[str, float]) -> None:
    """The medians of the CPU seconds, and what they predict for an idle machine.

    The raw scan's client and server take turns (the client waits for each FETCH, the
    server for the next one), so its critical path is their sum; the export's server
    streams the COPY and its digest thread hashes and writes while the main thread
    encodes and chains, so on two cores its critical path is the main thread. The ratio of
    the two is the export's share of the raw scan's rate that load does not stretch. The
    verify's halves run at once (this process's main thread and a forked child, when no other
    thread runs): its critical path is the longer of the two."""
    print("client CPU seconds (median): " + ", ".join(
        f"{name} {cpu[name]:.2f}" for name in ("scan", "export", "verify")))  # fmt: skip
    scan, digest = cpu["scan"] + cpu["scan_server"], cpu["verify"] - cpu["verify_main"]
    print(f"critical-path CPU seconds (median): raw scan {scan:.2f} (client {cpu['scan']:.2f}"
          f" + server {cpu['scan_server']:.2f}, in turn); export main thread"
          f" {cpu['export_main']:.2f} (beside it: digest thread"
          f" {cpu['export'] - cpu['export_main']:.2f}, server {cpu['export_server']:.2f});"
          f" verify main thread {cpu['verify_main']:.2f} (beside it: forked second half"
          f" {cpu['verify_forked']:.2f}, digest {digest:.2f})")  # fmt: skip
    verify = max(cpu["verify_main"], cpu["verify_forked"])
    print(f"by CPU: export {scan / cpu['export_main']:.0%} of the raw scan's rate,"
          f" verify {count / verify:,.0f} records per CPU second")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--filler", type=int, default=0)
    args = parser.parse_args()
    server = start_server()
    try:
        url = server.create_database()
        app = _app(url)
        cid = company(app)
        add_user(app, cid, "bob", Role.VIEW_ONLY, accounts=(ACCOUNT,))
        invoice = issue(app, ACCOUNT, "INV-1")
        started = time.perf_counter()
        bulk_role_changes(app, cid, args.events)
        middle = datetime.now(UTC)
        _filler(app, args.filler)
        print(f"loaded {app.head()} events in {time.perf_counter() - started:.1f} s")
        app.close()  # its pools' threads: verify walks a large file in two halves only alone
        _interleaved(url, ROUNDS)
        fresh = _app(url)
        _timed(f"state-as-of (company, {args.events} events, instant mid-history)",
               lambda: as_of(fresh, Company, cid, at=middle))  # fmt: skip
        _timed(f"explain-access on a store of {fresh.head()} events",
               lambda: explain(fresh, invoice, datetime.now(UTC)))  # fmt: skip
    finally:
        server.stop()


if __name__ == "__main__":
    main()
