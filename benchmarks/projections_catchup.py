"""Catch-up of fresh projections on PostgreSQL from position 0, in events per second.

    .venv/bin/python -m benchmarks.projections_catchup [INVOICES]

Starts a throwaway PostgreSQL server (tests/postgres.py), writes a history through the
domain (companies, users, invoices, payments: about 2.6 events per invoice), then times
(1) each projection rebuilt alone from position 0 and (2) all five caught up together by
one runner, pages of 500 events per transaction. Not part of `make test`.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from api.storage import eventsourcing_env
from domain.application import BillingCenter
from domain.errors import DomainError
from domain.values import AccountKey, Role
from projections.db import open_database
from projections.runner import PROJECTIONS, Runner, ensure_schema, rebuild
from tests.builders import (
    TODAY,
    FixedClock,
    add_payment_method,
    add_user,
    bill,
    billing_center,
    enrolled_company,
    issue,
    person,
)
from tests.postgres import start_server


def write_history(app: BillingCenter, invoices: int) -> None:
    accounts = tuple(AccountKey("US", f"B{i:05d}") for i in range(4))
    company = enrolled_company(app, "alice", accounts)
    add_payment_method(app, company)
    for i, login in enumerate(("ursula", "victor", "wanda")):
        add_user(app, company, login, Role.VIEW_PAY, accounts[i : i + 2])
    for n in range(invoices):
        issued = TODAY - timedelta(days=n % 300)
        invoice = issue(app, bill(accounts[n % 4], f"X-{n}", issued=issued, due=TODAY))
        if n % 2 == 0:
            with contextlib.suppress(DomainError):
                app.pay_invoice(person("alice"), invoice)


def _timed(label: str, events: int, work: Callable[[], object]) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"{label:34s} {events / wall:7.0f} events/s wall ({wall:5.2f} s), "
        f"{events / cpu:7.0f} events per CPU-second of the runner"
    )


def main(invoices: int) -> None:
    server = start_server()
    try:
        url = server.create_database()
        app = billing_center(eventsourcing_env(url), FixedClock())
        started = time.perf_counter()
        write_history(app, invoices)
        head = app.head()
        print(f"wrote {head} events in {time.perf_counter() - started:.1f} s")
        db = open_database(url)
        ensure_schema(db)
        _timed("all five together (one runner)", head, lambda: Runner(db, app).catch_up())
        for name in PROJECTIONS:
            _timed(f"{name} alone (rebuild from 0)", head, partial(rebuild, db, app, name))
        db.close()
        app.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
