"""The runner keeps the read models exactly once (even when SIGKILLed), follows the store
live, and the outbox never gains a row from a replay."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from api.settings import Settings
from domain.application import BillingCenter
from projections.readmodels import SqlReadModels, start_projections
from projections.runner import PROJECTIONS, Runner, rebuild
from store.database import Database
from tests.builders import ACCOUNT, FixedClock, bill, enrolled_company, issue, reenroll, unenroll
from tests.integration.projections_support import dump
from tests.property.projections_history import History

STEPS = [(i % 13, i % 3, i % 5, i % 7) for i in range(120)]


def _positions(db: Database) -> int:
    return SqlReadModels(db, lambda: 0).position()


def _runner_process() -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "api.projections_cli", "run", "--page-size", "3"]
    return subprocess.Popen(command, env=dict(os.environ), stderr=subprocess.PIPE)


def _kill_once_it_moved(db: Database, head: int) -> None:
    before, process = _positions(db), _runner_process()
    deadline = time.monotonic() + 20
    while _positions(db) == before and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _positions(db) > before or before == head


def test_a_runner_killed_mid_stream_and_restarted_equals_a_clean_build(
    app: BillingCenter, db: Database
) -> None:
    History(app).play(STEPS)
    head = app.head()
    for _ in range(4):
        _kill_once_it_moved(db, head)
    assert 0 < _positions(db) < head, "every kill should land mid-stream"
    Runner(db, app).catch_up()
    survived = dump(db)
    for name in PROJECTIONS:
        rebuild(db, app, name)
    assert dump(db) == survived
    assert SqlReadModels(db, app.head).position() == head


def _indexes(db: Database) -> set[str]:
    with db.read() as tx:
        if tx.dialect.name == "postgres":
            rows = tx.all("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        else:
            rows = tx.all("SELECT name FROM sqlite_master WHERE type = 'index'")
    return {str(r[0]) for r in rows}


def test_a_fresh_copy_gets_the_indexes_only_queries_use_once_it_has_caught_up(
    app: BillingCenter, db: Database
) -> None:
    """Issue 4: building them at the end of a catch-up costs less than keeping them up."""
    History(app).play(STEPS[:40])
    runner = Runner(db, app, page_size=5)
    assert runner.step() == 5
    for_readers = {"audit_g1_events_by_company", "invoices_g1_invoices_by_section"}
    assert not for_readers & _indexes(db)
    assert "invoices_g1_invoices_by_account" in _indexes(db), "the handlers' own index"
    runner.catch_up()
    assert for_readers <= _indexes(db)
    assert "outbox_g1_invoices_by_section" not in _indexes(db), "nobody queries the outbox copy"
    generation = rebuild(db, app, "audit", page_size=7)
    assert f"audit_g{generation}_events_by_actor" in _indexes(db)


def test_two_runners_reaching_the_head_together_both_build_the_indexes(
    app: BillingCenter, db: Database
) -> None:
    """The API's runner and a `projections run` process: the second one waits, then finds
    the indexes there (two concurrent CREATE INDEX IF NOT EXISTS collide in the catalog)."""
    History(app).play(STEPS[:20])
    runners = [Runner(db, app) for _ in range(4)]
    with ThreadPoolExecutor(len(runners)) as pool:
        list(pool.map(Runner.catch_up, runners))
    assert "audit_g1_events_by_type" in _indexes(db)


def test_replaying_the_whole_store_adds_no_outbox_row(app: BillingCenter, db: Database) -> None:
    """I5: exactly one e-mail, even after rebuilds (which replay every event)."""
    History(app).play(STEPS)
    Runner(db, app).catch_up()
    before = dump(db)["outbox_messages"]
    rebuild(db, app, "outbox")
    rebuild(db, app, "outbox", page_size=4)
    assert dump(db)["outbox_messages"] == before
    assert before, "the history should have sent some notifications"


def test_an_invoice_issued_while_unenrolled_moves_to_the_archive_on_reenrollment(
    app: BillingCenter, db: Database
) -> None:
    """A6, including invoices of an earlier cycle."""
    company = enrolled_company(app)
    issue(app, bill(number="BEFORE"))
    unenroll(app, company)
    during = issue(app, bill(number="DURING-1"))
    runner = Runner(db, app)
    runner.catch_up()
    reads = SqlReadModels(db, app.head)
    assert reads.invoice(during, login="alice", today=FixedClock().now.date()) is None
    reenroll(app, company)
    runner.catch_up()
    archive = reads.invoices(company, "alice", "ARCHIVE", today=FixedClock().now.date())
    assert [i.invoice_id for i in archive.items] == [during]
    assert ACCOUNT.number in archive.items[0].account


def test_the_runner_thread_catches_up_within_a_second(
    settings: Settings, app: BillingCenter
) -> None:
    handle = start_projections(settings, app)
    try:
        company = enrolled_company(app)
        issue(app, bill(number="LIVE-1"))
        started = time.monotonic()
        assert handle.read_models.wait_for(app.head(), 5.0)
        assert time.monotonic() - started < 1.0
        assert handle.read_models.company(company) is not None
    finally:
        handle.stop()
