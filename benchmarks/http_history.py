"""GET billing history latency at a fixed request rate, on PostgreSQL (issue 5 figure).

Seeds one company with 100 users and 10,000 invoices through the application service,
serves the API with uvicorn (projections in-process), waits for the read models to catch
up, then sends GET /v1/companies/{cid}/invoices (limit 50) open-loop at 200 requests/s
over 64 keep-alive connections and reports p50/p90/p99/max.

    .venv/bin/python benchmarks/http_history.py [--rate 200] [--seconds 20] [--invoices 10000]

It also prints the server's CPU time per request (all its processes, from /proc): on a
shared machine wall-clock latency is noisy, CPU per request much less so. `--py-spy FILE`
records the server's stacks holding the GIL during the measured load (collapsed
format): where its CPU goes.

Without BILLING_DATABASE_URL it starts a throwaway PostgreSQL server (tests/postgres.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

import httpx2 as httpx
import psycopg
from pydantic import SecretStr

from api.bootstrap import billing_center
from api.settings import Settings
from api.tokens import issue_token
from domain.application import AccountRequest
from domain.caller import Caller, Scope
from domain.enrollment import Proof
from domain.invoice import Bill, Line
from domain.values import AccountKey, AccountType, LineOfBusiness, Role
from tests.postgres import free_port, start_server
from tests.reliability.procstat import cpu_seconds
from tests.reliability.rawhttp import Pool, encode

SECRET = "benchmark-secret-of-at-least-thirty-two-bytes"
ACCOUNTS = 10


def seed(settings: Settings, invoices: int, users: int) -> str:
    """One company, `users` users over ACCOUNTS accounts, `invoices` invoices in the last year."""
    app = billing_center(settings)
    billing = Caller("ledger", Scope.BILLING_SYSTEM)
    today = datetime.now(UTC).date()
    keys = [AccountKey("US", f"B{i:05d}") for i in range(ACCOUNTS)]
    requests = []
    for key in keys:
        bill = _bill(key, "P-0", today, Decimal("10.00"))
        app.issue_invoice(billing, bill)
        proof = Proof(bill.invoice_number, bill.issue_date, bill.amount, bill.control_id)
        requests.append(AccountRequest(key, LineOfBusiness.PACKAGE, AccountType.INDIVIDUAL, proof))
    admin = Caller("admin", email="admin@bench.test", name="Admin")
    cid = app.enroll_company(admin, "Bench", requests).result
    for n in range(users - 1):
        app.add_user(admin, cid, f"user{n}", email=f"u{n}@bench.test", name=f"U{n}",
                     role=Role.VIEW_PAY, accounts=[keys[n % ACCOUNTS]])  # fmt: skip
    for n in range(invoices):
        issued = today - timedelta(days=n % 360)
        app.issue_invoice(billing, _bill(keys[n % ACCOUNTS], f"N-{n}", issued, Decimal("42.00")))
    app.close()
    return str(cid)


def _bill(key: AccountKey, number: str, issued: object, amount: Decimal) -> Bill:
    assert isinstance(issued, type(datetime.now(UTC).date()))
    return Bill(key, number, f"C-{number}", issued, issued + timedelta(days=30), "USD", amount,
                (Line(f"T-{number}", "Ground", amount),))  # fmt: skip


def serve(settings: Settings, port: int, workers: int) -> subprocess.Popen[bytes]:
    """`billing-center serve` in a process of its own, in production mode (no mail files):
    the load generator's threads must not share the server's interpreter."""
    env = {
        **os.environ,
        "BILLING_ENV": "production",
        "BILLING_DATABASE_URL": settings.database_url,
        "BILLING_JWT_SECRET": SECRET,
        "BILLING_DATA_KEY": str(settings.data_key),
        "BILLING_EXPORT_KEY": str(settings.export_key),
    }
    command = [str(Path(sys.executable).with_name("billing-center")), "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).is_success:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start")


def caught_up(history: str, head: int, token: str) -> None:
    """Wait until every read model has reached `head`. The server waits at most 5 s per
    request (then answers 503, API.md), so ask again until it answers 200: a catch-up still
    running under the measured load would count its CPU as the requests'."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        answer = httpx.get(history, params={"min_position": head},
                           headers={"Authorization": f"Bearer {token}"}, timeout=30)  # fmt: skip
        if answer.status_code == 200:  # noqa: PLR2004
            return
    raise RuntimeError("the read models did not catch up in 10 minutes")


CONNECTIONS = 64
"""Keep-alive connections of the load generator: requests wait for a free one (bounded)."""


def load(url: str, tokens: list[str], rate: float, seconds: float) -> list[float]:
    """Open loop: request i is due at i/rate seconds, whatever the answers before it; its
    latency counts from then (waiting for a free connection included).

    A small asyncio client on raw keep-alive connections: on a 2-core machine a thread
    pool of httpx clients spent more CPU per request than the server and so inflated its
    latency (issue 5)."""
    return asyncio.run(_load(urlsplit(url), tokens, rate, int(rate * seconds)))


async def _load(url: SplitResult, tokens: list[str], rate: float, total: int) -> list[float]:
    target = f"{url.path}?{url.query}" if url.query else url.path
    requests = [encode("GET", target, {"Authorization": f"Bearer {token}"}) for token in tokens]
    pool = await Pool(url.port or 80, CONNECTIONS).open()
    start = time.perf_counter() + 0.2
    latencies = await asyncio.gather(
        *(_one(pool, requests[i % len(requests)], start + i / rate) for i in range(total))
    )
    pool.close()
    return list(latencies)


async def _one(pool: Pool, request: bytes, due: float) -> float:
    await asyncio.sleep(max(0.0, due - time.perf_counter()))
    status = await pool.send(request)
    if status != 200:  # noqa: PLR2004
        raise RuntimeError(f"unexpected answer: {status}")
    return time.perf_counter() - due


def py_spy(pid: int, seconds: float, output: str) -> subprocess.Popen[bytes]:
    """`py-spy record` on the server (and its workers) for `seconds`, collapsed stacks."""
    command = [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid),
               "--subprocesses", "--gil", "--format", "raw", "--rate", "250", "--nonblocking",
               "--duration", str(int(seconds)), "--output", output]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)


def measure(history: str, tokens: list[str], args: argparse.Namespace, pid: int) -> None:
    """The measured load: latency quantiles and the server's CPU per request."""
    spy = py_spy(pid, args.seconds, args.py_spy) if args.py_spy else None
    cpu, own = cpu_seconds(pid), time.process_time()
    latencies = sorted(load(history, tokens, args.rate, args.seconds))
    cpu, own = cpu_seconds(pid) - cpu, time.process_time() - own
    q = statistics.quantiles(latencies, n=100)
    print(f"GET billing history, {len(latencies)} requests at {args.rate:.0f}/s on PostgreSQL: "
          f"p50 {q[49] * 1000:.1f} ms, p90 {q[89] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms, "
          f"max {latencies[-1] * 1000:.1f} ms; "
          f"server CPU {cpu / len(latencies) * 1000:.2f} ms per request "
          f"(load generator {own / len(latencies) * 1000:.2f} ms)")  # fmt: skip
    if spy:
        spy.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--py-spy", metavar="FILE", help="record the server's stacks to FILE")
    args = parser.parse_args()
    url = os.environ.get("BILLING_DATABASE_URL")
    server = None if url else start_server()
    url = url or server.create_database()  # type: ignore[union-attr]
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    settings = Settings(env="development", database_url=url, jwt_secret=SecretStr(SECRET),
                        data_key=tmp / "data.key", export_key=tmp / "export.pem")  # fmt: skip
    began = time.perf_counter()
    cid = seed(settings, args.invoices, args.users)
    took = time.perf_counter() - began
    print(f"seeded {args.invoices} invoices, {args.users} users in {took:.1f}s", flush=True)
    port = free_port()
    api = serve(settings, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    head = httpx.get(f"{base}/health").json()["store"]["head"]
    tokens = [issue_token(SECRET, "admin")] + [issue_token(SECRET, f"user{n}") for n in range(20)]
    caught_up(f"{base}/v1/companies/{cid}/invoices", head, tokens[0])
    print(f"read models caught up ({head} events) after {time.perf_counter() - began:.1f}s")
    # The read models were filled a moment ago; a live store has the statistics autovacuum
    # gathers within a minute of such a change. Without them the first minute's plans are
    # the planner's guesses.
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("ANALYZE")
    load(f"{base}/v1/companies/{cid}/invoices?limit=50", tokens, args.rate, 2)  # warm up
    measure(f"{base}/v1/companies/{cid}/invoices?limit=50", tokens, args, api.pid)
    api.terminate()  # the lifespan stops the projections before the database goes
    api.wait(timeout=30)
    if server:
        server.stop()


if __name__ == "__main__":
    main()
