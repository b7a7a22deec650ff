"""`SqlReadModels`: the `ReadModels` protocol over the live views, and the entry point
`start_projections` (runner thread in this process).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from datetime import date
from typing import Unpack
from uuid import UUID

from eventsourcing.application import Application

from projections.accounts import AccountsView
from projections.cases import Cases
from projections.directory_view import DirectoryView
from projections.events import Holdable
from projections.failures import live_failures
from projections.invoice_lines import InvoiceLinesView
from projections.invoices import InvoicesView, as_view
from projections.queries import (
    DEFAULT_LIMIT,
    Access,
    AccountView,
    AuditAsked,
    AuditEntry,
    CaseView,
    CompanyView,
    InvoiceDetail,
    InvoiceRow,
    InvoicesAsked,
    InvoiceView,
    OutboxMessage,
    PageAsked,
    PaymentMethodView,
    ProjectionStatus,
    RowsPage,
    SectionName,
    StoreSettings,
    UserView,
)
from projections.runner import MESSAGES, PROJECTIONS, ensure_schema, live_positions
from projections.status import STALL_SECONDS, report
from projections.trail import AuditView
from projections.workers import follower
from store.database import Database, Tx, open_database, read_events_on

WAIT_STEP_SECONDS = 0.01


class SqlReadModels:
    """Every query of the read side, in SQL over the live generation of each read model."""

    def __init__(
        self,
        db: Database,
        head: Callable[[], int],
        store: Application[UUID] | None = None,
        *,
        stall_seconds: float = STALL_SECONDS,
    ) -> None:
        self.db, self.head = db, head
        self.store, self.stall_seconds = store, stall_seconds
        self.directory = DirectoryView()
        self.accounts_view = AccountsView()
        self.invoices_view = InvoicesView()
        self.lines_view = InvoiceLinesView()
        self.audit = AuditView()
        self.cases = Cases("cases_")  # the live generation's views
        self._held = Holdable(db.dialect.unholdable).table

    def _positions(self) -> dict[str, int]:
        with self.db.read() as tx:
            return live_positions(tx)

    def position(self) -> int:
        return min(self._positions().values(), default=0)

    def wait_for(self, position: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.position() < position:
            if time.monotonic() >= deadline or self._stalled_at_or_before(position):
                return False
            time.sleep(WAIT_STEP_SECONDS)
        return True

    def _stalled_at_or_before(self, position: int) -> bool:
        """A projection has stopped at an event up to `position`: waiting cannot help, so
        the caller hears it at once instead of holding a waiting thread (issue 17)."""
        with self.db.read() as tx:
            return any(f.event_position <= position for f in live_failures(tx).values())

    def status(self) -> list[ProjectionStatus]:
        if self.store is not None:  # with lag in seconds, owners and stalls (issue 20)
            return report(self.db, self.store, stall_seconds=self.stall_seconds)
        head = self.head()
        with self.db.read() as tx:
            positions, failures = live_positions(tx), live_failures(tx)
        return [
            ProjectionStatus(
                name,
                positions.get(name, 0),
                head,
                head - positions.get(name, 0),
                next((f for unit, f in failures.items() if unit.split("/")[0] == name), None),
            )
            for name in PROJECTIONS  # a segment's failure is its projection's
        ]

    def as_held(self, text: str) -> str:
        return text.translate(self._held)

    def company(self, company_id: UUID) -> CompanyView | None:
        with self.db.read() as tx:
            return self.directory.company(tx, company_id)

    def company_of(self, login: str) -> UUID | None:
        with self.db.read() as tx:
            return self.directory.company_of(tx, login)

    def own_profile(self, login: str) -> tuple[UUID | None, UserView | None]:
        with self.db.read() as tx:
            return self.directory.own_profile(tx, login)

    def users(
        self, company_id: UUID, *, logins: Collection[str] | None = None, **page: Unpack[PageAsked]
    ) -> RowsPage[UserView]:
        with self.db.read() as tx:
            cursor, limit = page.get("cursor"), page.get("limit", DEFAULT_LIMIT)
            return self.directory.users(tx, company_id, logins, cursor, limit)

    def user(self, company_id: UUID, login: str) -> UserView | None:
        with self.db.read() as tx:
            return self.directory.user(tx, company_id, login)

    def payment_methods(self, company_id: UUID) -> list[PaymentMethodView]:
        with self.db.read() as tx:
            return self.directory.payment_methods(tx, company_id)

    def accounts(self, company_id: UUID, *, visible_to: str) -> list[AccountView]:
        with self.db.read() as tx:
            return self.accounts_view.accounts(tx, company_id, login=visible_to)

    def invoices(
        self, company_id: UUID, login: str, section: SectionName, **asked: Unpack[InvoicesAsked]
    ) -> RowsPage[InvoiceView]:
        page = self.invoice_rows(company_id, login, section, **asked)
        return RowsPage([as_view(row) for row in page.items], page.next)

    def invoice_rows(
        self, company_id: UUID, login: str, section: SectionName, **asked: Unpack[InvoicesAsked]
    ) -> RowsPage[InvoiceRow]:
        with self.db.read() as tx:
            access = asked.get("access") or self._access(tx, company_id, login)
            if access is None or access.company_id != company_id:
                return RowsPage([], None)
            return self.invoices_view.invoice_rows(
                tx,
                company_id,
                section,
                accounts=access.accounts,
                today=asked["today"],
                cursor=asked.get("cursor"),
                limit=asked.get("limit", DEFAULT_LIMIT),
            )

    def line_accounts(self, invoice_ids: Collection[UUID]) -> dict[UUID, tuple[str, ...]]:
        with self.db.read() as tx:
            return self.lines_view.line_accounts(tx, invoice_ids)

    def invoice(
        self, invoice_id: UUID, *, login: str, today: date, access: Access | None = None
    ) -> InvoiceDetail | None:
        with self.db.read() as tx:
            access = access or self._own_access(tx, login)
            if access is None:
                return None
            return self.invoices_view.invoice(
                tx, invoice_id, access.company_id, accounts=access.accounts, today=today
            )

    def _own_access(self, tx: Tx, login: str) -> Access | None:
        company = self.directory.company_of(tx, login)
        return None if company is None else self._access(tx, company, login)

    def _access(self, tx: Tx, company_id: UUID, login: str) -> Access | None:
        """What the directory read model's `access` says `login` may see (R4; it trails the
        store)."""
        if self.directory.role(tx, company_id, login) is None:
            return None
        return Access(company_id, login, self.directory.seen(tx, company_id, login))

    def audit_events(self, **asked: Unpack[AuditAsked]) -> RowsPage[AuditEntry]:
        with self.db.read() as tx:
            return self.audit.events(tx, **asked)

    def case(self, invoice_id: UUID, adjustment_id: str, today: date) -> CaseView | None:
        with self.db.read() as tx:
            return self.cases.case(tx, invoice_id, adjustment_id, today)

    def case_queue(
        self, today: date, *, status: str | None, overdue: bool | None, limit: int
    ) -> list[CaseView]:
        with self.db.read() as tx:
            return self.cases.queue(tx, today, status=status, overdue=overdue, limit=limit)

    def outbox(
        self, *, unsent_only: bool = True, limit: int = DEFAULT_LIMIT
    ) -> list[OutboxMessage]:
        with self.db.read() as tx:
            return MESSAGES.pending(tx, unsent_only=unsent_only, limit=limit)


def _head(store: Application[UUID]) -> Callable[[], int]:
    return lambda: store.recorder.max_notification_id() or 0


class RunningProjections:
    """A runner thread following the store, and the read models it keeps. On PostgreSQL
    the runner is a worker that shares the projections with the other processes through
    leases (`projections.workers`)."""

    def __init__(
        self,
        db: Database,
        store: Application[UUID],
        names: Collection[str] = (),
        reads: Database | None = None,
        *,
        stall_seconds: float = STALL_SECONDS,
    ) -> None:
        self.db = db
        ensure_schema(db)
        # Queries may run on a hot standby (`reads`); the runner and the mail sender stay on
        # the primary, where they write (issue 20).
        self.reads = reads or db
        self.read_models = SqlReadModels(
            self.reads, _head(store), store, stall_seconds=stall_seconds
        )
        self.runner = follower(db, store, names)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="projections", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.runner.run(self._stop)
            except Exception:
                logging.getLogger(__name__).exception("projection runner failed; retrying")
                self._stop.wait(1.0)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        if self.reads is not self.db:
            self.reads.close()
        self.db.close()


class ExternalProjections:
    """The read models of projections run by other processes (`BILLING_PROJECTIONS=external`:
    `billing-center projections run`); this process only reads them."""

    def __init__(
        self,
        db: Database,
        store: Application[UUID],
        reads: Database | None = None,
        *,
        stall_seconds: float = STALL_SECONDS,
    ) -> None:
        self.db = db
        ensure_schema(db)
        self.reads = reads or db  # a hot standby, if set (issue 20)
        self.read_models = SqlReadModels(
            self.reads, _head(store), store, stall_seconds=stall_seconds
        )

    def stop(self) -> None:
        if self.reads is not self.db:
            self.reads.close()
        self.db.close()


def start_projections(
    settings: StoreSettings,
    app: Application[UUID],
    names: Collection[str] = (),
    *,
    external: bool = False,
    stall_seconds: float = STALL_SECONDS,
) -> RunningProjections | ExternalProjections:
    """Follow the store in a background thread of this process (`billing-center serve`),
    or, `external`, only read what other processes' workers keep.

    Pass the process's BillingCenter as `app` (one Application per process, and the only
    way to reach a `memory://` store). `handle.read_models` answers queries; `stop()` at
    shutdown.
    """
    url, replica = settings.database_url, settings.read_database_url
    db = open_database(url)
    read_events_on(app.recorder, db)  # one connection per read request (issue 20)
    reads = open_database(url, replica) if replica else None
    if external:
        return ExternalProjections(db, app, reads, stall_seconds=stall_seconds)
    return RunningProjections(db, app, names, reads, stall_seconds=stall_seconds)
