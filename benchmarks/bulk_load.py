"""Figure 3: projection catch-up from position 0 on a bulk-loaded store (issue 8).

    .venv/bin/python -m benchmarks.bulk_load [EVENTS]        (default 1,000,000)

Writing a million events one command at a time takes over an hour here, so the history of
one company is written once through the domain (an in-memory BillingCenter: enrollment,
users, a payment method, invoices, payments, an adjustment, a role change, a grant, an
unenroll/re-enroll cycle) and replicated with new identities — fresh account numbers,
logins and ids, the derived ids (accounts, users, invoices) derived again — into pages of
thousands of events, each one `app.recorder.insert_events` call on a throwaway PostgreSQL.
Then a fresh runner, in its own process, catches all five projections up from 0, and each
projection is rebuilt alone from 0 (`projections rebuild NAME`: a fresh copy catching up);
it prints

    all five together (one runner) N events/s wall (T s), peak RSS M MiB (R MiB at 10%)
    audit alone (rebuild from 0) N events/s wall (T s), ...

and two worker processes sharing the projections through leases catch up from 0
(`catchup_all_2_workers N events/s wall`), which `benchmarks.optional` reads into the
table: the one runner and the two workers twice each, side by side (`side_by_side`), each
on a fresh copy of the loaded database. Not part of `make test`.

    .venv/bin/python -m benchmarks.bulk_load EVENTS --interleaved ROUNDS

loads once, then alternates ROUNDS times one runner and two workers, each on a fresh copy
of the loaded database, and prints each round's ratio (issue 20: on a shared machine only
figures taken side by side compare).
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import psycopg
from eventsourcing.persistence import StoredEvent

from domain.application import BillingCenter
from domain.enrollment import account_id
from domain.invoice import invoice_id
from domain.user import login_id
from domain.values import AccountKey, Role
from projections.runner import PROJECTIONS, Runner, ensure_schema, rebuild
from projections.tracking import unit_positions
from projections.workers import LeasedWorker
from store.database import Database, PostgresDatabase, open_database
from store.url import eventsourcing_env
from tests.builders import (
    BILLING,
    FixedClock,
    add_payment_method,
    add_user,
    bill,
    billing_center,
    issue,
    person,
    reenroll,
    request,
    unenroll,
)
from tests.postgres import PostgresServer, start_server
from tests.reliability.procstat import cpu_seconds

PAGE_EVENTS = 5000
APP = "PGAPPNAME"
"""libpq's default `application_name`: how a benchmark process finds its own backends."""
ADJUSTED = 3  # n % 7: the invoices whose adjustment is requested and decided
HEX_UUID = 32
INVOICES_PER_COMPANY = 80
LOGINS = ("qqadmin", "qqpayer", "qqviewer", "qqclerk")
NUMBERS = tuple(f"QQ{i}" for i in range(4))
_TOKENS = re.compile(
    rb"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
    rb"|\b[0-9a-f]{32}\b|\bQQ[0-9]\b|\bqq[a-z]+\b"
)


def template() -> list[StoredEvent]:
    """One company's history, written through the domain on an in-memory store. Its
    invoices are dated within A7's window of the day the events are recorded (today), so
    the outbox sends what it would in service: every invoice's and payment's mail."""
    today = datetime.now(UTC).date()
    app = billing_center(clock=FixedClock(datetime.now(UTC)))
    accounts = tuple(AccountKey("US", n) for n in NUMBERS)
    admin = LOGINS[0]
    proofs = [bill(a, "PROOF-1", issued=today - timedelta(days=10)) for a in accounts]
    for proof in proofs:
        issue(app, proof)
    company = app.enroll_company(person(admin), "Acme", [request(p) for p in proofs]).result
    add_payment_method(app, company, by=admin)
    roles = (Role.VIEW_PAY, Role.VIEW_ONLY, Role.VIEW_PAY)
    for login, role, granted in zip(LOGINS[1:], roles, ((0, 2), (1, 3), (2, 4)), strict=True):
        add_user(app, company, login, role, accounts[slice(*granted)], by=admin)
    _invoices(app, accounts, admin, today)
    app.change_role(person(admin), company, LOGINS[2], Role.VIEW_PAY)
    app.set_user_accounts(person(admin), company, LOGINS[1], accounts)
    unenroll(app, company, accounts[3], by=admin)
    issue(app, bill(accounts[3], "GAP-1", issued=today))
    reenroll(app, company, accounts[3], by=admin)
    notes = app.recorder.select_notifications(1, 1_000_000)
    return [StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in notes]


def _invoices(
    app: BillingCenter, accounts: tuple[AccountKey, ...], admin: str, today: date
) -> None:
    for n in range(INVOICES_PER_COMPANY):
        issued = today - timedelta(days=n % 300)
        invoice = issue(app, bill(accounts[n % 4], f"X-{n}", issued=issued, due=today))
        if n % 2 == 0:
            app.pay_invoice(person(admin), invoice)
        elif n % 5 == 1:
            app.pay_invoice(person(admin), invoice, pay_on=today)
        elif n % 7 == ADJUSTED:
            adjustment = app.request_adjustment(
                person(admin), invoice, "wrong weight", {"TRK-1": Decimal("1.00")}
            ).result
            app.decide_adjustment(BILLING, invoice, adjustment, approved=n % 2 == 1)


def _derived(events: list[StoredEvent], copy: int) -> dict[bytes, bytes]:
    """The tokens of copy `copy`: new numbers and logins, and the ids derived from them."""
    numbers = {n: f"C{copy:07d}{i}" for i, n in enumerate(NUMBERS)}
    logins = {login: f"u{copy}{login[2:]}" for login in LOGINS}
    found: dict[UUID, UUID] = {}
    for old, new in numbers.items():
        found[account_id(AccountKey("US", old))] = account_id(AccountKey("US", new))
    for old, new in logins.items():
        found[login_id(old)] = login_id(new)
    for event in events:
        if event.topic.endswith("Invoice.InvoiceIssued"):
            issued = re.search(rb'"account":"US-(QQ[0-9])","invoice_number":"([^"]+)"', event.state)
            assert issued is not None
            number, invoice = issued.group(1).decode(), issued.group(2).decode()
            found[UUID(str(event.originator_id))] = invoice_id(
                AccountKey("US", numbers[number]), invoice
            )
    tokens = {str(k).encode(): str(v).encode() for k, v in found.items()}
    tokens |= {k.encode(): v.encode() for k, v in (numbers | logins).items()}
    return tokens


def copies(events: list[StoredEvent], copy: int) -> list[StoredEvent]:
    """Copy `copy` of the template: every id, number and login replaced consistently."""
    tokens = _derived(events, copy)

    def replaced(match: re.Match[bytes]) -> bytes:
        token = match.group(0)
        if token not in tokens:
            fresh = uuid4()
            tokens[token] = (fresh.hex if len(token) == HEX_UUID else str(fresh)).encode()
        return tokens[token]

    def new_id(old: UUID | str) -> UUID:
        return UUID(replaced_text(str(old)).decode())

    def replaced_text(text: str) -> bytes:
        return _TOKENS.sub(replaced, text.encode())

    return [
        StoredEvent(new_id(e.originator_id), e.originator_version, e.topic,
                    _TOKENS.sub(replaced, e.state))
        for e in events
    ]  # fmt: skip


def pages(events: list[StoredEvent], total: int) -> Iterator[list[StoredEvent]]:
    """About `total` events (whole companies), in pages of about PAGE_EVENTS."""
    page: list[StoredEvent] = []
    written, copy = 0, 0
    while written < total:
        page += copies(events, copy)
        written, copy = written + len(events), copy + 1
        if len(page) >= PAGE_EVENTS:
            yield page
            page = []
    if page:
        yield page


def load(app: BillingCenter, total: int) -> int:
    """Write about `total` events in bulk through the application recorder; how many."""
    events = template()
    written = 0
    for page in pages(events, total):
        app.recorder.insert_events(page)
        written += len(page)
    return written


def _rss_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def catch_up(url: str, *, alone: bool = True) -> None:
    """All five projections caught up from 0 by one fresh runner: events/s and peak RSS;
    then (`alone`) each projection rebuilt alone from 0."""
    app = billing_center(eventsourcing_env(url), FixedClock())
    db = open_database(url)
    ensure_schema(db)
    head = app.head()
    one_runner(db, app)
    for name in PROJECTIONS if alone else ():
        wall, cpu = time.perf_counter(), time.process_time()
        rebuild(db, app, name)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"{name} alone (rebuild from 0) {head / wall:.0f} events/s wall ({wall:.1f} s), "
            f"{head / cpu:.0f} events per CPU-second, peak RSS {_rss_mib()} MiB",
            flush=True,
        )
    db.close()
    app.close()


def one_runner(db: Database, app: BillingCenter) -> float:
    """`catchup_all`: every unit caught up from 0 by one runner; events/s wall, and the CPU
    of the runner and of its PostgreSQL backends (issue 20: what two workers share)."""
    head = app.head()
    runner = Runner(db, app)
    server = _server_cpu(db)
    wall, cpu, done, early = time.perf_counter(), time.process_time(), 0, 0
    while count := runner.step():
        done += count
        early = early or (_rss_mib() if done >= head // 10 else 0)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    server = _server_cpu(db) - server
    print(
        f"all five together (one runner) {done / wall:.0f} events/s wall ({wall:.1f} s), "
        f"{done / cpu:.0f} events per CPU-second, peak RSS {_rss_mib()} MiB "
        f"({early} MiB at 10%); CPU {cpu:.1f} s runner + {server:.1f} s server, "
        f"{_spent(cpu + server, wall, done)}",
        flush=True,
    )
    return done / wall


def _spent(cpu: float, wall: float, events: int) -> str:
    """How many cores a catch-up kept busy and its CPU an event, its PostgreSQL backends'
    included (issue 20: two workers over one runner reads against how much of the 2 cores
    each used; `benchmarks.optional` puts these in the figures' notes)."""
    return f"{cpu / wall:.2f} cores busy, {cpu / max(events, 1) * 1e6:.0f} us of CPU an event"


def _server_cpu(db: Database) -> float:
    """CPU seconds of this process's PostgreSQL backends so far (the throwaway server runs
    on this machine): its sessions are named by PGAPPNAME, which `main` sets per process."""
    with db.read() as tx:
        rows = tx.all(
            "SELECT pid FROM pg_stat_activity WHERE application_name = ?", (os.environ[APP],)
        )
    return sum(cpu_seconds(int(pid)) for (pid,) in rows)


CHECK_SECONDS = 0.2
"""How often a worker of `two_workers` looks whether every unit has reached the head."""


def two_workers(url: str) -> float:
    """`catchup_all_2_workers` (issue 20): the same catch-up from 0 by two worker processes
    sharing the projections (and the invoices' segments) through leases, as two
    `projections run` would; wall time from when both are connected (not their start-up,
    which the one runner's figure leaves out too) until both see every unit at the head.
    Each worker's units, busy time (until its last page) and CPU (its own and its
    PostgreSQL backends') follow: whether the plan shares the work evenly."""
    app = billing_center(eventsourcing_env(url), FixedClock())
    head = app.head()
    app.close()
    command = [sys.executable, "-m", "benchmarks.bulk_load", "--worker", url, str(head)]
    workers = [
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=_named(f"worker{n}"))
        for n in (1, 2)
    ]
    reports = [worker.communicate()[0].split() for worker in workers]
    times = [[float(t) for t in report[:5]] for report in reports]
    start = min(t[0] for t in times)
    wall = max(t[1] for t in times) - start
    spent = _spent(sum(cpu + server for *_, cpu, server in times), wall, head)
    print(f"catchup_all_2_workers {head / wall:.0f} events/s wall ({wall:.1f} s), {spent}",
          flush=True)  # fmt: skip
    for n, ((_, _, busy, cpu, server), report) in enumerate(zip(times, reports, strict=True)):
        print(
            f"  worker {n + 1}: busy {busy - start:.1f} s, CPU {cpu:.1f} s worker + "
            f"{server:.1f} s server; runs {report[5] if len(report) > 5 else '-'}",  # noqa: PLR2004
            flush=True,
        )
    return head / wall


def _named(name: str) -> dict[str, str]:
    """The environment of a benchmark process whose PostgreSQL sessions are named `name`."""
    return os.environ | {APP: name}


def worker(url: str, head: int) -> None:
    """One of `two_workers`: once both are connected, follows the store with leases until
    every unit is at `head`; prints when it started and finished (epoch seconds), when it
    applied its last page, its CPU seconds and its backends', and its units. The
    store's table exists (a copy of the loaded one): creating it again "IF NOT EXISTS" in
    both workers at once raced in the catalog ("tuple concurrently updated")."""
    app = billing_center(eventsourcing_env(url) | {"CREATE_TABLE": "n"}, FixedClock())
    db = open_database(url)
    ensure_schema(db)
    assert isinstance(db, PostgresDatabase)
    leased = LeasedWorker(db, app)
    while len(leased.leases.workers()[1]) < 2:  # noqa: PLR2004 (the other worker)
        time.sleep(0.01)
    started, checked = time.time(), 0.0
    busy, cpu, server = started, time.process_time(), _server_cpu(db)
    while True:
        if (count := leased.step()) < leased.runner.page_size:
            time.sleep(CHECK_SECONDS)  # caught up for now: waits, as `run` does (no busy loop)
        busy = time.time() if count else busy
        if time.monotonic() - checked > CHECK_SECONDS:
            checked = time.monotonic()
            with db.read() as tx:
                if all(p >= head for p, _ in unit_positions(tx).values()):
                    break
    cpu, server = time.process_time() - cpu, _server_cpu(db) - server
    print(started, time.time(), busy, cpu, server, ",".join(leased.held), flush=True)
    leased.leases.close()
    db.close()
    app.close()


def _twin(server: PostgresServer, url: str) -> str:
    """A copy of the loaded database (PostgreSQL copies the files: no reload). A session
    still on it (the loader's writer connection, closed only when collected) would make
    PostgreSQL refuse the copy: this throwaway server's sessions on it are ended first."""
    twin = server.url(f"twin_{uuid4().hex}")
    with psycopg.connect(server.base_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (url.rsplit("/", 1)[1],),
        )
        conn.execute(
            f'CREATE DATABASE "{twin.rsplit("/", 1)[1]}" TEMPLATE "{url.rsplit("/", 1)[1]}"'
        )
    return twin


def interleaved(server: PostgresServer, url: str, rounds: int) -> None:
    """One runner and two workers, each on a fresh copy, `rounds` times side by side."""
    for round_ in range(1, rounds + 1):
        one = _twin(server, url)
        command = [sys.executable, "-m", "benchmarks.bulk_load", "--one-runner", one]
        found = re.search(r"\(one runner\) (\d+) events/s", _output(command))
        two = two_workers(_twin(server, url))
        single = float(found.group(1)) if found else float("nan")
        print(f"round {round_}: two workers / one runner = {two / single:.2f}x", flush=True)


def side_by_side(server: PostgresServer, url: str) -> None:
    """`make bench`'s catch-up figures: one runner, two workers, two workers again and one
    runner again, each on a fresh copy, one after the other (an A-B-B-A order: a machine
    getting steadily faster or slower weighs on both alike); the last one runner then
    rebuilds each projection alone. The machine's speed drifts by a third within minutes
    here, and the rebuilds took minutes between the two figures they are compared by."""
    runner = [sys.executable, "-m", "benchmarks.bulk_load", "--one-runner"]
    _output([*runner, _twin(server, url)])
    two_workers(_twin(server, url))
    two_workers(_twin(server, url))
    _output([sys.executable, "-m", "benchmarks.bulk_load", "--catch-up", url])


def _output(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=_named("runner"))
    print(done.stdout, end="", flush=True)
    return done.stdout


def main(total: int, measure: Callable[[str], None] | None = None, *, rounds: int = 0) -> None:
    server = start_server()
    try:
        url = server.create_database()
        app = billing_center(eventsourcing_env(url), FixedClock())
        started = time.perf_counter()
        written = load(app, total)
        elapsed = time.perf_counter() - started
        print(f"wrote {written} events in bulk in {elapsed:.1f} s ({written / elapsed:.0f}/s)")
        app.close()
        sys.stdout.flush()
        if measure is not None:
            measure(url)
        elif rounds:
            interleaved(server, url, rounds)
        else:
            side_by_side(server, url)
    finally:
        server.stop()


if __name__ == "__main__":
    os.environ.setdefault(APP, f"bulk_load:{os.getpid()}")
    if sys.argv[1:2] == ["--catch-up"]:
        catch_up(sys.argv[2])
    elif sys.argv[1:2] == ["--one-runner"]:
        catch_up(sys.argv[2], alone=False)
    elif sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[2:3] == ["--interleaved"]:
        main(int(sys.argv[1]), rounds=int(sys.argv[3]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
