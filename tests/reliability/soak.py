"""A bounded load generator on loopback: mixed reads and writes at a fixed rate (issue 9).

`python -m tests.reliability.soak --rate 200 --seconds 60` (what `make soak` runs) starts
its own PostgreSQL and `billing-center serve` on 127.0.0.1, enrolls a company, then sends
`rate` requests per second (open loop: a request starts on schedule whether or not earlier
ones have answered) for `seconds`: invoice lists and details, company and account reads,
profile updates and invoices issued. It reports p50/p99/max latency and the server's RSS
every few seconds, and exits 1 on any error (non-2xx, no answer) or RSS growth over
`--max-rss-growth` between the first and the last quarter of the run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx

from tests.e2e.http import invoice_body
from tests.postgres import start_server
from tests.reliability.service import Service, bearer
from tests.reliability.world import Company, enroll

HOST = "127.0.0.1"
RSS_EVERY_SECONDS = 2.0
WARMUP_SECONDS = 5.0


@dataclass
class Report:
    """What the run saw."""

    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    rss_kb: list[tuple[float, int]] = field(default_factory=list)
    sent: int = 0
    server_cpu: float = 0.0
    took: float = 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    def rss_growth(self) -> float:
        """Mean RSS of the last quarter over the first quarter (after warm-up), minus 1."""
        samples = [kb for t, kb in self.rss_kb if t >= WARMUP_SECONDS]
        if len(samples) < 4:
            return 0.0
        quarter = max(1, len(samples) // 4)
        return statistics.mean(samples[-quarter:]) / statistics.mean(samples[:quarter]) - 1

    def kinds(self) -> str:
        """Median latency per kind of request."""
        return ", ".join(
            f"{kind} {statistics.median(took) * 1000:.0f} ms"
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
            f"server CPU {self.server_cpu / max(1, len(self.latencies)) * ms:.1f} ms per request"
        )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid`, from /proc (noise-free, unlike latency)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    """The resident set size of process `pid`, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


Step = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def mix(company: Company) -> Callable[[], Step]:
    """Three reads for each write: lists, details, a profile update, a new invoice."""
    cid, admin, billing = company.cid, bearer("alice"), bearer("ledger", company.billing.scope)
    account = company.accounts[0]
    numbers = itertools.count(1)

    def new_invoice(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        body = invoice_body(account, invoice_number=f"S-{next(numbers)}")
        return c.post("/v1/invoices", json=body, headers=billing)

    steps: list[Step] = [
        lambda c: c.get(f"/v1/companies/{cid}/invoices", headers=admin),
        lambda c: c.get(f"/v1/companies/{cid}", headers=admin),
        lambda c: c.get(f"/v1/companies/{cid}/accounts", headers=admin),
        new_invoice,
        lambda c: c.get("/v1/me", headers=admin),
        lambda c: c.get(f"/v1/companies/{cid}/users", headers=admin),
        lambda c: c.put(
            f"/v1/companies/{cid}", json={"name": "Acme", "address": "1 Main"}, headers=admin
        ),
        new_invoice,
    ]
    cycle = itertools.cycle(steps)
    return lambda: next(cycle)


async def one(client: httpx.AsyncClient, step: Step, report: Report) -> None:
    started = time.monotonic()
    try:
        response = await step(client)
    except httpx.HTTPError as error:
        report.errors.append(repr(error))
        return
    took = time.monotonic() - started
    report.latencies.append(took)
    kind = f"{response.request.method} {response.request.url.path.split('/')[-1][:12]}"
    report.by_kind.setdefault(kind, []).append(took)
    if not 200 <= response.status_code < 300:
        report.errors.append(f"{response.status_code} {response.request.url.path}")


async def drive(service: Service, company: Company, rate: float, seconds: float) -> Report:
    """Open-loop load at `rate` requests/s for `seconds`, sampling the server's RSS."""
    report, next_step = Report(), mix(company)
    assert service.process is not None
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    cpu = cpu_seconds(service.process.pid)
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30, limits=limits) as client:
        started, tasks = time.monotonic(), set()
        sampled = -RSS_EVERY_SECONDS
        while (elapsed := time.monotonic() - started) < seconds:
            if elapsed - sampled >= RSS_EVERY_SECONDS:
                sampled = elapsed
                report.rss_kb.append((elapsed, rss_kb(service.process.pid)))
            task = asyncio.create_task(one(client, next_step(), report))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            report.sent += 1
            await asyncio.sleep(max(0.0, started + report.sent / rate - time.monotonic()))
        report.took = time.monotonic() - started
        await asyncio.gather(*tasks)
    report.rss_kb.append((time.monotonic() - started, rss_kb(service.process.pid)))
    report.server_cpu = cpu_seconds(service.process.pid) - cpu
    return report


def soak(rate: float, seconds: float, home: Path, url: str | None = None) -> Report:
    """Run the load against a fresh service (on `url`, else a PostgreSQL of its own)."""
    server = None if url else start_server()
    store = url or (server.create_database() if server else "")
    service = Service(store, home).start()
    try:
        with httpx.Client(base_url=service.base_url, timeout=30) as client:
            company = enroll(client)
        return asyncio.run(drive(service, company, rate, seconds))
    finally:
        service.stop()
        if server is not None:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long")
    parser.add_argument("--max-rss-growth", type=float, default=0.15, help="e.g. 0.15 = 15%%")
    parser.add_argument("--max-p99-ms", type=float, default=None, help="fail above this p99")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="soak-") as home:
        report = soak(args.rate, args.seconds, Path(home))
    print(report.summary())
    print("median by kind:", report.kinds())
    for error in report.errors[:10]:
        print("error:", error)
    slow = args.max_p99_ms is not None and report.percentile(0.99) * 1000 > args.max_p99_ms
    if slow:
        print(f"error: p99 above {args.max_p99_ms:.0f} ms: the service did not keep the rate")
    ok = not report.errors and report.rss_growth() <= args.max_rss_growth and not slow
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
