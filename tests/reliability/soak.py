"""A bounded load generator on loopback: mixed reads and writes at a fixed rate (issue 9).

`python -m tests.reliability.soak --rate 200 --seconds 60 --workers 2` (what `make soak`
runs) starts its own PostgreSQL and `billing-center serve` on 127.0.0.1 in production mode
(keys provisioned beforehand, `--workers` processes), enrolls a company, then sends
`rate` requests per second (open loop: a request starts on schedule whether or not earlier
ones have answered) for `seconds`: invoice lists and details, company and account reads,
profile updates and invoices issued. It reports p50/p99/max latency and the server's RSS
every few seconds, and exits 1 on any error (non-2xx, no answer) or RSS growth over
`--max-rss-growth` between the first and the last quarter of the run. It scrapes `/metrics`
on the service's metrics port before, every few seconds during and after the load, and
fails when the latency or the projections' series did not move (issue 20).

`--projection-workers N` deploys it as README "Running at scale" does (issue 20): `serve`
with `BILLING_PROJECTIONS=external` (HTTP only) and N `billing-center projections run`
processes; 0, the default, runs the projections inside each `serve` process (the embedded
mode). Either way no mail sender runs: production without `BILLING_SMTP_URL` has none. It
prints the CPU spent per request by the API processes, the projection workers, PostgreSQL
(when it started its own) and the load generator itself, all from `/proc`, and the
context switches per request of each (their live threads' voluntary ones: every sleep and
wake-up, issue 20).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx

from tests.e2e.http import invoice_body
from tests.postgres import PostgresServer, free_port, start_server
from tests.reliability.procstat import context_switches, cpu_seconds, rss_kb
from tests.reliability.rawhttp import Pool, Request, encode
from tests.reliability.scrapes import Scrapes
from tests.reliability.service import READY_SECONDS, Role, Service, bearer, service_env
from tests.reliability.world import Company, enroll

HOST = "127.0.0.1"
RSS_EVERY_SECONDS = 2.0
WARMUP_SECONDS = 5.0
OK = 200


@dataclass
class Report:
    """What the run saw."""

    latencies: list[float] = field(default_factory=list)
    due: list[float] = field(default_factory=list)  # each answer's start, s from the first
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    rss_kb: list[tuple[float, int]] = field(default_factory=list)
    sent: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by part
    switches: dict[str, tuple[int, int]] = field(default_factory=dict)  # (voluntary, not) by part
    took: float = 0.0
    scrapes: Scrapes | None = None
    warmup: Report | None = None
    """What the requests of the warm-up before the measured seconds saw (if one ran)."""

    def percentile(self, q: float) -> float:
        return _quantile(self.latencies, q)

    def by_second(self) -> str:
        """p50/p99 of the requests due in each second of the run: the first one shows what
        a cold service (new connections, first calls of each route) costs under load."""
        seconds: dict[int, list[float]] = {}
        for due, took in zip(self.due, self.latencies, strict=True):
            seconds.setdefault(int(due), []).append(took)
        return ", ".join(
            f"{second + 1}: {_quantile(took, 0.5) * 1000:.0f}/{_quantile(took, 0.99) * 1000:.0f}"
            for second, took in sorted(seconds.items())
        )

    def rss_growth(self) -> float:
        """Mean RSS of the last quarter over the first quarter (after warm-up), minus 1."""
        samples = [kb for t, kb in self.rss_kb if t >= WARMUP_SECONDS]
        if len(samples) < 4:
            return 0.0
        quarter = max(1, len(samples) // 4)
        return statistics.mean(samples[-quarter:]) / statistics.mean(samples[:quarter]) - 1

    def kinds(self) -> str:
        """Median and p99 latency per kind of request: which kinds make the tail."""
        return ", ".join(
            f"{kind} {_quantile(took, 0.5) * 1000:.0f}/{_quantile(took, 0.99) * 1000:.0f}"
            for kind, took in sorted(self.by_kind.items())
        )

    def summary(self) -> str:
        ms = 1000
        return (
            f"sent {self.sent} ({self.sent / max(self.took, 1e-9):.0f}/s), "
            f"answered {len(self.latencies)}, errors {len(self.errors)}; "
            f"p50 {self.percentile(0.5) * ms:.1f} ms, p99 {self.percentile(0.99) * ms:.1f} ms, "
            f"max {max(self.latencies, default=0) * ms:.1f} ms; "
            f"RSS {self.rss_kb[0][1] if self.rss_kb else 0} -> "
            f"{self.rss_kb[-1][1] if self.rss_kb else 0} kB "
            f"({self.rss_growth():+.1%} after warm-up); "
            f"server CPU {self.per_request(self.server_cpu):.2f} ms per request ({self.parts()})"
        )

    @property
    def server_cpu(self) -> float:
        """The service's own CPU seconds: its API processes and projection workers."""
        return self.cpu.get("API", 0.0) + self.cpu.get("projections", 0.0)

    def per_request(self, seconds: float) -> float:
        """`seconds` of CPU per answered request, in ms."""
        return seconds / max(1, len(self.latencies)) * 1000

    def parts(self) -> str:
        return ", ".join(f"{part} {self.per_request(s):.2f}" for part, s in self.cpu.items())

    def wake_ups(self) -> str:
        """Context switches per answered request by part, voluntary/involuntary."""
        answered = max(1, len(self.latencies))
        return ", ".join(
            f"{part} {voluntary / answered:.1f}/{involuntary / answered:.1f}"
            for part, (voluntary, involuntary) in self.switches.items()
        )


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def mix(company: Company) -> Callable[[], Request]:
    """Five reads for three writes: lists, details, a profile update, new invoices (on the
    company's accounts in turn)."""
    cid, admin, billing = company.cid, bearer("alice"), bearer("ledger", company.billing.scope)
    billed = itertools.cycle(company.accounts)
    numbers = itertools.count(1)

    def get(kind: str, path: str) -> Request:
        return Request(kind, encode("GET", path, admin))

    profile = {"name": "Acme", "address": "1 Main"}

    def new_invoice() -> Request:
        body = invoice_body(next(billed), invoice_number=f"S-{next(numbers)}")
        return Request("POST invoices", encode("POST", "/v1/invoices", billing, body))

    steps: list[Callable[[], Request]] = [
        lambda: get("GET invoices", f"/v1/companies/{cid}/invoices"),
        lambda: get("GET company", f"/v1/companies/{cid}"),
        lambda: get("GET accounts", f"/v1/companies/{cid}/accounts"),
        new_invoice,
        lambda: get("GET me", "/v1/me"),
        lambda: get("GET users", f"/v1/companies/{cid}/users"),
        lambda: Request("PUT company", encode("PUT", f"/v1/companies/{cid}", admin, profile)),
        new_invoice,
    ]

    cycle = itertools.cycle(steps)

    def next_request() -> Request:
        return next(cycle)()

    return next_request


async def one(pool: Pool, request: Request, due: float, report: Report, start: float) -> None:
    """Send `request`, due at `due`: its latency counts from then (waiting for a connection
    too); `start` is when the report's seconds begin."""
    try:
        status = await pool.send(request.data)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
        report.errors.append(f"{request.kind}: {error!r}")
        return
    took = time.monotonic() - due
    report.latencies.append(took)
    report.due.append(due - start)
    report.by_kind.setdefault(request.kind, []).append(took)
    if not 200 <= status < 300:
        report.errors.append(f"{status} {request.kind}")


async def sample_rss(pid: int, report: Report, started: float) -> None:
    while True:
        report.rss_kb.append((time.monotonic() - started, rss_kb(pid)))
        await asyncio.sleep(RSS_EVERY_SECONDS)


Counted = dict[str, list[int]]
"""The processes (each with its descendants) whose CPU a run counts, by part."""


def switches_of(counted: Counted) -> dict[str, tuple[int, int]]:
    """Context switches so far of each part's live threads, voluntary and involuntary (a
    thread that ends takes its own with it: anyio's idle for 10 s, none under load)."""
    totals = {}
    for part, pids in counted.items():
        counts = [context_switches(pid) for pid in pids]
        totals[part] = (sum(v for v, _ in counts), sum(i for _, i in counts))
    return totals


def cpu_of(counted: Counted) -> dict[str, float]:
    """CPU seconds so far of each part; the load generator's is this process's."""
    spent = {part: sum(map(cpu_seconds, pids)) for part, pids in counted.items()}
    return spent | {"load generator": time.process_time()}


async def drive(
    service: Service,
    company: Company,
    rate: float,
    seconds: float,
    *,
    metrics: int,
    counted: Counted,
    warmup: float = 0.0,
) -> Report:
    """Open-loop load at `rate` requests/s for `warmup` then `seconds`, sampling the
    server's RSS, scraping its metrics port and counting the CPU of the `counted`
    processes. The report is the `seconds` after the warm-up; what the warm-up's requests
    saw is its `warmup` report (the same schedule, no pause between the two)."""
    report, next_request = Report(scrapes=Scrapes(metrics)), mix(company)
    report.warmup = Report()
    assert report.scrapes is not None
    await report.scrapes.take()
    scraper = asyncio.create_task(report.scrapes.every())
    assert service.process is not None
    pid = service.process.pid
    pool = await Pool(service.port).open()
    warm = int(rate * warmup)
    report.warmup.sent, report.sent = warm, int(rate * seconds)
    requests = [next_request() for _ in range(warm + report.sent)]
    started = time.monotonic() + 0.2
    measured = started + warm / rate
    counting = asyncio.create_task(_count_from(measured, counted))
    sampler = asyncio.create_task(sample_rss(pid, report, measured))
    await _send_on_schedule(pool, requests, rate, started, warm=warm, report=report)
    report.took = time.monotonic() - measured
    report.warmup.took = measured - started
    sampler.cancel()
    scraper.cancel()
    await report.scrapes.take()
    pool.close()
    report.rss_kb.append((report.took, rss_kb(pid)))
    cpu, switches = await counting
    report.cpu = {part: spent - cpu[part] for part, spent in cpu_of(counted).items()}
    report.switches = {
        part: (voluntary - switches[part][0], involuntary - switches[part][1])
        for part, (voluntary, involuntary) in switches_of(counted).items()
    }
    return report


async def _send_on_schedule(
    pool: Pool, requests: list[Request], rate: float, started: float, *, warm: int, report: Report
) -> None:
    """Send request i at `started + i / rate`, each in a task started when it is due (not
    all up front: creating thousands of tasks at once stalled the loop, and the first
    requests, late before they were sent, counted as the service's). The first `warm` go
    to the warm-up's report."""
    assert report.warmup is not None
    parts = ((report.warmup, started), (report, started + warm / rate))
    sending = []
    for i, request in enumerate(requests):
        due = started + i / rate
        await asyncio.sleep(due - time.monotonic())
        into, start = parts[i >= warm]
        sending.append(asyncio.create_task(one(pool, request, due, into, start)))
    await asyncio.gather(*sending)


async def _count_from(
    moment: float, counted: Counted
) -> tuple[dict[str, float], dict[str, tuple[int, int]]]:
    """The CPU and context switches of the `counted` processes at `moment` (monotonic)."""
    await asyncio.sleep(max(0.0, moment - time.monotonic()))
    # Read in a thread: walking /proc for every thread of every process stalls the loop.
    return await asyncio.to_thread(lambda: (cpu_of(counted), switches_of(counted)))


def soak(
    rate: float,
    seconds: float,
    home: Path,
    *,
    url: str | None = None,
    workers: int = 1,
    projection_workers: int = 0,
    accounts: int = 1,
    warmup: float = 0.0,
) -> Report:
    """Run the load against a fresh service (on `url`, else a PostgreSQL of its own),
    deployed as in production: production mode, `workers` API processes, and the
    projections in them (`projection_workers` 0) or in that many `projections run`
    processes beside them (HTTP only in `serve`). The invoices go to `accounts` accounts of
    the company in turn: with one, every invoice is a write to the same aggregate."""
    server = None if url else start_server()
    store = url or (server.create_database() if server else "")
    metrics = free_port()
    environ = {"BILLING_METRICS_PORT": str(metrics)}
    if projection_workers:
        environ["BILLING_PROJECTIONS"] = "external"
    service = Service(store, home, env="production", workers=workers, environ=environ)
    roles = [
        Role(("projections", "run"), service_env(store, home, "production") | environ,
             home / f"projections-{n}.log")
        for n in range(projection_workers)
    ]  # fmt: skip
    try:
        service.start()
        for role in roles:
            role.start()
        with httpx.Client(base_url=service.base_url, timeout=30) as client:
            company = enroll(client, accounts=max(2, accounts))
            company.accounts = company.accounts[:accounts]
            caught_up(company)
        return asyncio.run(
            drive(
                service,
                company,
                rate,
                seconds,
                metrics=metrics,
                counted=_counted(service, roles, server),
                warmup=warmup,
            )
        )
    finally:
        for role in roles:
            role.stop()
        service.stop()
        if server is not None:
            server.stop()


def caught_up(company: Company) -> None:
    """Wait until the read models hold the enrollment (`min_position`), as a deployment's
    workers do long before its first request: a worker that starts with the load would be
    measured catching up, and the reads would answer 404 meanwhile."""
    deadline = time.monotonic() + READY_SECONDS
    asked = {"min_position": company.positions[-1]}
    while time.monotonic() < deadline:
        if company.admin.get(f"/v1/companies/{company.cid}", params=asked).status_code == OK:
            return
    raise RuntimeError("the read models did not reach the enrollment")


def _counted(service: Service, roles: list[Role], server: PostgresServer | None) -> Counted:
    assert service.process is not None
    counted = {"API": [service.process.pid]}
    if roles:
        counted["projections"] = [r.process.pid for r in roles if r.process is not None]
    if server is not None:  # the postmaster's first line is its pid; backends are its children
        pid = (server.folder / "data" / "postmaster.pid").read_text().split()[0]
        counted["PostgreSQL"] = [int(pid)]
    return counted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long")
    parser.add_argument("--max-rss-growth", type=float, default=0.15, help="e.g. 0.15 = 15%%")
    parser.add_argument("--max-p99-ms", type=float, default=None, help="fail above this p99")
    parser.add_argument("--workers", type=int, default=1, help="serve --workers N")
    parser.add_argument(
        "--projection-workers", type=int, default=0,
        help="N `projections run` processes beside HTTP-only API processes (0: the "
        "projections run inside each API process)",
    )  # fmt: skip
    parser.add_argument(
        "--accounts", type=int, default=1,
        help="issue the invoices to this many accounts of the company in turn (1: every "
        "invoice to one account, one aggregate written by every POST)",
    )  # fmt: skip
    parser.add_argument(
        "--warmup", type=float, default=0.0,
        help="seconds of the same load before the measured ones, reported apart (0: the "
        "measure starts with the service's first request)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="soak-") as home:
        report = soak(args.rate, args.seconds, Path(home), workers=args.workers,
                      projection_workers=args.projection_workers,
                      accounts=args.accounts, warmup=args.warmup)  # fmt: skip
    warm = report.warmup
    if warm and warm.sent:
        print(f"warm-up, not counted: {warm.sent} requests in {warm.took:.1f} s, "
              f"p50 {warm.percentile(0.5) * 1000:.1f} ms, p99 {warm.percentile(0.99) * 1000:.1f}"
              f" ms; p50/p99 ms by second: {warm.by_second()}")  # fmt: skip
    print(report.summary())
    print("p50/p99 ms by kind:", report.kinds())
    print("p50/p99 ms by second:", report.by_second())
    print("context switches per request (voluntary/involuntary):", report.wake_ups())
    unmoved = report.scrapes.problems() if report.scrapes else ["no metrics scraped"]
    if report.scrapes:
        print(report.scrapes.summary())
    errors = [*(warm.errors if warm else []), *report.errors]
    for error in [*errors[:10], *unmoved]:
        print("error:", error)
    slow = args.max_p99_ms is not None and report.percentile(0.99) * 1000 > args.max_p99_ms
    if slow:
        print(f"error: p99 above {args.max_p99_ms:.0f} ms: the service did not keep the rate")
    ok = not (errors or unmoved) and report.rss_growth() <= args.max_rss_growth
    ok = ok and not slow
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
