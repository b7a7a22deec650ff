"""The read side's interface: what the HTTP API asks the read models, and the rows it gets.

Rows are frozen dataclasses shaped like API.md "Shapes". Read models answer *what* a login
may see (R4 as `domain.access` decided it, stored in the directory's `access` table; A4,
A6, A7, I2 — all in SQL); *who* may call a route stays with the
domain (the Company aggregate). Lists are keyset-paged: `RowsPage.next` is an opaque cursor to
pass back as `cursor`, None on the last page.

Every read model trails the event store by a little; `position()` is the lowest store
position all of them have reached, and `wait_for(n, timeout)` implements API.md
`min_position` (read your own writes).

Entry point: `projections.readmodels.start_projections(settings, app)` follows the store in
a background thread of this process (`billing-center serve`), `app` being the process's
BillingCenter (for `memory://` the read models live in an in-process SQLite database); its
`read_models` answer queries.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, NamedTuple, Protocol, Required, TypedDict, TypeVar, Unpack
from uuid import UUID

T = TypeVar("T")

SectionName = Literal["HISTORY", "ARCHIVE"]
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class RowsPage(Generic[T]):
    """A page of a list as a read model answers it: its items, and the cursor of the next
    page (None: no more). Each way in writes it out its own way (`api.schemas.Page` is the
    JSON body; issue 19: one class per name)."""

    items: Sequence[T]
    next: str | None = None


class BadCursor(ValueError):
    """A cursor that this read side did not hand out (the API answers 422)."""


class InvoiceRow(NamedTuple):
    """An invoice list item as the read model stores it: canonical text (the id, ISO dates,
    decimal amounts), for answers that only write it out again (issue 5: converting fifty
    rows to values and back was a third of a list's CPU)."""

    invoice_id: str
    invoice_number: str
    account: str  # "US-1A2B3C"
    issue_date: str
    due_date: str
    currency: str
    amount: str
    balance: str
    status: str
    section: str


@dataclass(frozen=True)
class Access:
    """What `login` may see in a company as the write model says when the request is
    answered (R4): every account of the company (`accounts` None, Administrators) or these.

    The API passes it to every invoice query so that a revoked grant or a demotion takes
    effect at once, however far the directory read model trails (issue 18).
    """

    company_id: UUID
    login: str
    accounts: frozenset[str] | None


@dataclass(frozen=True)
class InvoiceView:
    """An invoice as a list item (API.md Shapes)."""

    invoice_id: UUID
    invoice_number: str
    account: str  # "US-1A2B3C"
    issue_date: date
    due_date: date
    currency: str
    amount: Decimal
    balance: Decimal
    status: str  # OPEN | PAYMENT_SCHEDULED | PAID
    section: str  # HISTORY | ARCHIVE


@dataclass(frozen=True)
class LineView:
    """One line of an invoice."""

    tracking_number: str
    description: str
    amount: Decimal
    account: str | None = None  # A8: the shipper account a plan's line bills


@dataclass(frozen=True)
class PaymentView:
    """A payment made or scheduled on an invoice (I3, I6)."""

    payment_id: str
    confirmation_number: str
    payment_method_id: str
    paid_by: str
    automatic: bool
    amount: Decimal
    pay_on: date
    made: bool


@dataclass(frozen=True)
class AdjustmentView:
    """An adjustment request and its decision (I4)."""

    adjustment_id: str
    reason: str
    lines: dict[str, Decimal]
    requested_by: str
    status: str  # OPEN | APPROVED | REJECTED
    comment: str


@dataclass(frozen=True)
class DocumentView:
    """A document attached to an invoice (I7)."""

    document_id: str
    sha256: str
    filename: str
    size: int


@dataclass(frozen=True)
class InvoiceDetail(InvoiceView):
    """An invoice in detail: the list item plus lines, payments, adjustments, documents."""

    lines: tuple[LineView, ...] = ()
    payments: tuple[PaymentView, ...] = ()
    adjustments: tuple[AdjustmentView, ...] = ()
    documents: tuple[DocumentView, ...] = ()
    credit_applied: Decimal = Decimal(0)  # I10: the account's credit this invoice used
    credit_to_account: Decimal = Decimal(0)  # I10: approvals beyond its paid balance


@dataclass(frozen=True)
class AutopayView:
    """An account's automatic payment (I6)."""

    days_before_due: int
    set_up_by: str


@dataclass(frozen=True)
class AccountView:
    """An account of a company (API.md Shapes); `status` ENROLLED or UNENROLLED."""

    country: str
    number: str
    line_of_business: str
    account_type: str | None
    status: str
    paper_invoices: bool
    autopay: AutopayView | None
    credit: Decimal = Decimal(0)  # I10: what is left of approvals beyond paid balances
    members: tuple[str, ...] = ()  # A8: a plan's shipper accounts ("US-1A2B3C"), else none


@dataclass(frozen=True)
class UserView:
    """A user of a company; the API drops `role`/`general_administrator` where R7 says so."""

    login: str
    email: str
    name: str
    role: str
    accounts: tuple[str, ...]
    general_administrator: bool
    removed: bool = False
    notifications: dict[str, bool] | None = None  # R8: only in a user's own profile


@dataclass(frozen=True)
class CompanyView:
    """A company; `accounts` are all the accounts it holds or held (filter per caller, R4)."""

    company_id: UUID
    name: str
    address: str
    general_administrator: str
    accounts: tuple[str, ...]


@dataclass(frozen=True)
class PaymentMethodView:
    """A company's bank account, masked (R11)."""

    payment_method_id: str
    holder: str
    bank_code: str
    last4: str
    default: bool

    @property
    def account_number(self) -> str:
        """The number as every way in shows it: its last 4 digits only (R11)."""
        return "****" + self.last4


@dataclass(frozen=True)
class ProjectionFailure:
    """Why a projection stopped (issue 17): the event it cannot apply, the error, how many
    attempts in a row failed and when the last one did (ISO 8601, UTC)."""

    event_position: int
    error: str
    attempts: int
    failed_at: str


@dataclass(frozen=True)
class ProjectionStatus:
    """How far one projection has read the store (for `/health` and `projections status`),
    and why it stopped, if it did."""

    name: str
    position: int
    head: int
    lag: int
    failure: ProjectionFailure | None = None
    lag_seconds: float = 0.0
    """The head event's time minus the last applied event's time (issue 20)."""
    owner: str | None = None
    """The worker holding its lease (PostgreSQL), `None` when nobody does (or on SQLite)."""
    waiting_seconds: float = 0.0
    """How long it has had events to apply without its position moving."""
    stalled: bool = False
    """Behind, and its position has not moved for the stall threshold (30 s by default)."""

    @property
    def degraded(self) -> bool:
        """Stopped at an event it cannot apply, or not moving while behind."""
        return self.failure is not None or self.stalled


@dataclass(frozen=True)
class AuditEntry:
    """One event of the audit trail (API.md "Audit event" plus a readable summary)."""

    position: int
    recorded_at: datetime
    type: str
    aggregate_id: UUID
    version: int
    company_id: UUID | None
    actor: str
    correlation_id: str
    payload: dict[str, Any] = field(default_factory=dict)
    summary: str = ""


@dataclass(frozen=True)
class OutboxMessage:
    """One e-mail to send: (event position, recipient, kind) is unique (R8, I4, I5)."""

    position: int
    recipient: str
    kind: str  # INVOICE_AVAILABLE | PAYMENT_RECEIVED | ADJUSTMENT_UPDATED
    subject_id: str  # the invoice id
    created_at: datetime
    sent_at: datetime | None = None


class PageAsked(TypedDict, total=False):
    """Which page of a list: after `cursor` (the last page's `next`), `limit` rows at most
    (DEFAULT_LIMIT when not said)."""

    cursor: str | None
    limit: int


class InvoicesAsked(PageAsked, total=False):
    """A page of invoices: the day decides the sections (A6, A7); the asker's `access`
    decides what they see (R4; without it the directory read model does, for checks of the
    read side against itself only: it trails the store)."""

    today: Required[date]
    access: Access | None


class AuditAsked(TypedDict, total=False):
    """A page of the audit trail: the events after store position `after` (0 when not
    said), `limit` of them at most (DEFAULT_LIMIT), of one company, one actor, some types,
    recorded from `since` until before `until` (each unsaid: any)."""

    company_id: UUID | None
    actor: str | None
    types: Collection[str] | None
    since: datetime | None
    until: datetime | None
    after: int
    limit: int


class ReadModels(Protocol):
    """Everything the API reads. `limit` is 1..MAX_LIMIT (the API validates it)."""

    def position(self) -> int:
        """The lowest store position every projection has reached."""
        ...

    def wait_for(self, position: int, timeout: float) -> bool:
        """Wait until `position()` >= `position`; False if `timeout` seconds pass first."""
        ...

    def status(self) -> list[ProjectionStatus]:
        """Each projection's position, the store head and the lag."""
        ...

    def as_held(self, text: str) -> str:
        """`text` as the read models hold it: U+FFFD for each character their database
        refuses (issue 17), for an answer made from the store's aggregate (issue 20)."""
        ...

    # --- directory (R1, R5-R7, R10) ---

    def company(self, company_id: UUID) -> CompanyView | None:
        """The company, or None if no such company."""
        ...

    def company_of(self, login: str) -> UUID | None:
        """The company `login` currently belongs to (R5: at most one)."""
        ...

    def own_profile(self, login: str) -> tuple[UUID | None, UserView | None]:
        """`company_of(login)` and, in it, `user(company, login)` with their notification
        preferences (R8), in one query."""
        ...

    def users(
        self, company_id: UUID, *, logins: Collection[str] | None = None, **page: Unpack[PageAsked]
    ) -> RowsPage[UserView]:
        """Current users of the company by login (only `logins` if given: R7/R9 filter)."""
        ...

    def user(self, company_id: UUID, login: str) -> UserView | None:
        """A current user of the company, or None."""
        ...

    def payment_methods(self, company_id: UUID) -> list[PaymentMethodView]:
        """The company's payment methods, masked (R11)."""
        ...

    # --- accounts (A1-A6, I6) ---

    def accounts(self, company_id: UUID, *, visible_to: str) -> list[AccountView]:
        """R4: the accounts of the company `visible_to` sees (the directory's `access`)."""
        ...

    # --- invoices (R4, A4, A6, A7, I2) ---

    def invoices(
        self, company_id: UUID, login: str, section: SectionName, **asked: Unpack[InvoicesAsked]
    ) -> RowsPage[InvoiceView]:
        """The invoices `login` may see in the section, newest first (issue date, delivery)."""
        ...

    def invoice_rows(
        self, company_id: UUID, login: str, section: SectionName, **asked: Unpack[InvoicesAsked]
    ) -> RowsPage[InvoiceRow]:
        """The same page as `invoices`, its items as stored."""
        ...

    def line_accounts(self, invoice_ids: Collection[UUID]) -> dict[UUID, tuple[str, ...]]:
        """A8: the distinct shipper accounts each invoice's lines bill, in line order (none
        for an invoice that is no plan's); the caller has already chosen invoices it may see."""
        ...

    def invoice(
        self, invoice_id: UUID, *, login: str, today: date, access: Access | None = None
    ) -> InvoiceDetail | None:
        """The invoice in detail if `login` may see it now (any section but HIDDEN), else None
        (`access` as for `invoices`)."""
        ...

    # --- audit and outbox ---

    def audit_events(self, **asked: Unpack[AuditAsked]) -> RowsPage[AuditEntry]:
        """The audit trail in store order after position `after` (`next` is a position)."""
        ...

    def outbox(
        self, *, unsent_only: bool = True, limit: int = DEFAULT_LIMIT
    ) -> list[OutboxMessage]:
        """Notifications to deliver, in event order."""
        ...

    def case(self, invoice_id: UUID, adjustment_id: str, today: date) -> CaseView | None:
        """I9: one dispute case with its history (who may see it is the caller's check)."""
        ...

    def case_queue(
        self, today: date, *, status: str | None, overdue: bool | None, limit: int
    ) -> list[CaseView]:
        """I9: the billing system's queue of cases, oldest first."""
        ...


class StoreSettings(Protocol):
    """What the read side needs of `api.settings.Settings`."""

    @property
    def database_url(self) -> str: ...

    @property
    def read_database_url(self) -> str | None:
        """A hot standby of `database_url` for the read models' queries (issue 20)."""
        ...


@dataclass(frozen=True)
class CaseStep:
    """One step of a dispute case (I9): what happened, when, by whom, with its details."""

    step: str  # REQUESTED | COMMENTED | ATTACHED | IN_REVIEW | APPROVED | REJECTED
    at: str
    actor: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class CaseView:
    """A dispute case (I9): the request, its status, due date and history."""

    invoice_id: str
    adjustment_id: str
    invoice_number: str
    account: str
    currency: str
    status: str  # OPEN | IN_REVIEW | APPROVED | REJECTED
    reason: str
    lines: dict[str, str]
    approved_lines: dict[str, str] | None
    requested_by: str
    requested_at: str
    decide_by: date
    overdue: bool
    comment: str
    history: tuple[CaseStep, ...]
