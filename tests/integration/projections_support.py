"""Helpers for the projection tests: a store with its read models, catching up, dumping
the live read models, and an oracle computed straight from the full event list."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.application import BillingCenter
from domain.values import Section
from domain.visibility import Interval, in_window, outstanding, place
from projections.directory import Directory
from projections.events import EventRecord
from projections.readmodels import SqlReadModels
from projections.runner import PROJECTIONS, Runner, ensure_schema
from store.database import Database, Tx, open_database
from store.url import eventsourcing_env
from tests.builders import FixedClock, billing_center
from tests.postgres import PostgresServer


@dataclass
class Stack:
    """A BillingCenter on a store, the read models' database, and their readers."""

    app: BillingCenter
    db: Database
    url: str
    clock: FixedClock
    reads: SqlReadModels = field(init=False)

    def __post_init__(self) -> None:
        ensure_schema(self.db)
        self.reads = SqlReadModels(self.db, self.app.head)

    def catch_up(self, names: tuple[str, ...] = (), page_size: int = 500) -> int:
        return Runner(self.db, self.app, names, page_size=page_size).catch_up()


def store_url(kind: str, folder: Path, postgres: PostgresServer | None) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / f'events-{uuid4().hex}.sqlite'}"
    assert postgres is not None
    return postgres.create_database()


@contextmanager
def stack(kind: str, folder: Path, postgres: PostgresServer | None = None) -> Iterator[Stack]:
    """A fresh store of `kind` (sqlite or postgres) with its read models, closed afterwards."""
    url = store_url(kind, folder, postgres)
    clock = FixedClock()
    app = billing_center(eventsourcing_env(url), clock)
    db = open_database(url)
    try:
        yield Stack(app, db, url, clock)
    finally:
        db.close()
        app.close()
        if postgres is not None and kind == "postgres":
            postgres.drop_database(url)


def dump(db: Database, names: tuple[str, ...] = tuple(PROJECTIONS)) -> dict[str, list[Any]]:
    """Every row of every live read model table (through the views), sorted."""
    tables: dict[str, list[Any]] = {}
    with db.read() as tx:
        for name in names:
            model = PROJECTIONS[name]
            if not model.viewed:
                continue
            for table in model.projection(1).tables:
                rows = tx.all(f"SELECT * FROM {name}_{table}")
                tables[f"{name}_{table}"] = sorted(map(repr, rows))
        tables["outbox_messages"] = sorted(map(repr, tx.all("SELECT * FROM outbox_messages")))
    return tables


_SETTLING = {
    "PaymentMade": "amount",
    "CreditApplied": "amount",
    "AdjustmentDecided": "credited",
    "AdjustmentDecidedInPart": "credited",
}
"""The events that take something off an invoice's balance, and the field saying how much."""


@dataclass
class Oracle:
    """Visibility straight from the event list, with domain.visibility.place."""

    intervals: dict[str, list[Interval]] = field(default_factory=dict)
    accounts: dict[UUID, str] = field(default_factory=dict)
    invoices: list[tuple[UUID, str, int, date, int]] = field(default_factory=list)
    roles: dict[str, dict[str, str]] = field(default_factory=dict)
    grants: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    balances: dict[UUID, Decimal] = field(default_factory=dict)  # A7: what is still due
    paid: set[UUID] = field(default_factory=set)

    @classmethod
    def of(cls, app: BillingCenter) -> Oracle:
        oracle = cls()
        for note in app.recorder.select_notifications(1, 10**9):
            oracle.apply(note.id, app.mapper.to_domain_event(note))
        return oracle

    def apply(self, position: int, event: Any) -> None:
        kind, d = type(event).__name__, vars(event)
        aggregate, version = event.originator_id, event.originator_version
        if kind == "AccountRegistered":
            self.accounts[aggregate] = f"{d['country']}-{d['number']}"
            self.intervals[self.accounts[aggregate]] = []
        elif kind in {"AccountEnrolled", "AccountReenrolled"}:
            self.intervals[self.accounts[aggregate]].append(Interval(d["company_id"], version))
        elif kind == "AccountUnenrolled":
            spans = self.intervals[self.accounts[aggregate]]
            spans[-1] = Interval(spans[-1].company_id, spans[-1].start, version)
        elif kind == "InvoiceIssued":
            issued = date.fromisoformat(d["issue_date"])
            self.invoices.append((aggregate, d["account"], d["account_sequence"], issued, position))
            self.balances[aggregate] = Decimal(d["amount"])
        elif kind in _SETTLING:
            self._settle(aggregate, kind, d)
        else:
            self._member(str(aggregate), kind, d)

    def _settle(self, invoice: UUID, kind: str, d: dict[str, Any]) -> None:
        """What a payment made, an approval or a credit used takes off the balance (A7)."""
        self.balances[invoice] -= Decimal(d[_SETTLING[kind]])
        if kind == "PaymentMade":
            self.paid.add(invoice)

    def due(self, invoice: UUID) -> bool:
        """A7: still due, so in view however old it is."""
        return outstanding("PAID" if invoice in self.paid else "OPEN", self.balances[invoice])

    def _member(self, company: str, kind: str, d: dict[str, Any]) -> None:
        roles, grants = self.roles.setdefault(company, {}), self.grants.setdefault(company, {})
        if kind == "CompanyEnrolled":
            roles[d["general_administrator"]] = "ADMINISTRATOR"
            grants[d["general_administrator"]] = set()
        elif kind == "UserAdded":
            roles[d["login"]], grants[d["login"]] = d["role"], set(d["accounts"])
        elif kind == "UserRemoved":
            del roles[d["login"]], grants[d["login"]]
        elif kind == "RoleChanged":
            roles[d["login"]] = d["role"]
        elif kind == "GeneralAdministratorHandedOver":
            roles[d["successor"]] = "ADMINISTRATOR"
        elif kind == "AccountAccessGranted":
            grants[d["login"]] |= set(d["accounts"])
        elif kind == "AccountAccessRevoked":
            grants[d["login"]] -= set(d["accounts"])

    def visible(self, company: str, login: str, section: Section, today: date) -> list[UUID]:
        """The invoices `login` sees in the section, newest first (issue date, delivery)."""
        role = self.roles.get(company, {}).get(login)
        if role is None:
            return []
        seen = [
            (issued, position, invoice)
            for invoice, account, sequence, issued, position in self.invoices
            if place(self.intervals[account], company, sequence) is section
            and in_window(issued, today, due=self.due(invoice))
            and (role == "ADMINISTRATOR" or account in self.grants[company][login])
        ]
        return [invoice for _, _, invoice in sorted(seen, reverse=True)]


class Poisoned(Exception):
    """What a poisoned handler raises: a projection that cannot apply an event."""


def poison_directory_renames(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on the directory cannot apply a company rename (the outbox's own copy of the
    directory still can): the projection stops at the next rename, the others go on."""
    original = Directory.on_CompanyDetailsChanged

    def handler(self: Directory, tx: Tx, e: EventRecord) -> None:
        if self.prefix.startswith("directory_"):
            raise Poisoned(f"cannot apply event {e.position}")
        original(self, tx, e)

    monkeypatch.setattr(Directory, "on_CompanyDetailsChanged", handler)
