"""Accounts read model: each account's holder, status, paper billing, automatic payment (I6)
and its enrollment intervals per company, with their instants (A1-A6)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from projections.base import Projection
from projections.events import EventRecord
from projections.queries import AccountView, AutopayView
from store.database import Tx

_CHANGES = {
    "AccountEnrolled",
    "AccountReenrolled",
    "AccountUnenrolled",
    "AccountCredited",
    "AccountCreditUsed",
    "PlanMembersStated",
}


_ISO_YEARS = 1000  # from here on, isoformat writes the year as strftime does (4 digits)


def instant(moment: datetime) -> str:
    """Instants as sortable ISO text in UTC with microseconds."""
    if moment.tzinfo is UTC and moment.year >= _ISO_YEARS:  # events': same text, half the time
        return moment.isoformat(timespec="microseconds")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class Accounts(Projection):
    """Accounts by aggregate, with intervals `(start, end)` in the account's own sequence."""

    tables: ClassVar[dict[str, str]] = {
        "accounts": "aggregate_id TEXT PRIMARY KEY, account TEXT NOT NULL UNIQUE, "
        "country TEXT NOT NULL, number TEXT NOT NULL, line_of_business TEXT, account_type TEXT, "
        "holder TEXT, enrolled INTEGER NOT NULL, autopay_company TEXT, autopay_days INTEGER, "
        "autopay_by TEXT",
        "intervals": "account TEXT, start_version BIGINT, company_id TEXT NOT NULL, "
        "end_version BIGINT, started_at TEXT NOT NULL, ended_at TEXT, "
        "PRIMARY KEY (account, start_version)",
        "enrollments": "account TEXT, company_id TEXT, line_of_business TEXT, "
        "account_type TEXT, PRIMARY KEY (account, company_id)",
        "credits": "account TEXT PRIMARY KEY, cents BIGINT NOT NULL",
        "plan_members": "account TEXT, member TEXT, PRIMARY KEY (account, member)",
    }
    indexes: ClassVar[dict[str, str]] = {"intervals_by_company": "intervals (company_id, account)"}

    def on_AccountRegistered(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        country, number = e.data["country"], e.data["number"]
        self.memo[e.key] = f"{country}-{number}"
        self.defer(
            tx,
            "accounts",
            "INSERT INTO @accounts VALUES (?, ?, ?, ?, NULL, NULL, NULL, 0, NULL, NULL, NULL)",
            (e.key, f"{country}-{number}", country, number),
            key=e.key,
        )

    def prepare(self, tx: Tx, events: Sequence[EventRecord]) -> None:
        """The page's accounts' numbers, in one query (writes are deferred: see `defer`)."""
        ids = sorted({e.key for e in events if e.type in _CHANGES})
        rows = self.all_in(
            tx, "SELECT aggregate_id, account FROM @accounts WHERE aggregate_id IN", ids
        )
        self.memo |= {str(a): str(n) for a, n in rows}

    def _account(self, tx: Tx, e: EventRecord) -> str:
        if (known := self.memo.get(e.key)) is not None:
            return known  # type: ignore[no-any-return]
        row = self.one(tx, "SELECT account FROM @accounts WHERE aggregate_id = ?", (e.key,))
        assert row is not None, f"account {e.aggregate_id} was never registered"
        return str(row[0])

    def on_AccountEnrolled(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        business = (e.data["line_of_business"], e.data["account_type"])
        self.defer(
            tx,
            "accounts",
            "UPDATE @accounts SET line_of_business = ?, account_type = ? WHERE aggregate_id = ?",
            (*business, e.key),
            key=e.key,
        )
        # Each company keeps its own enrollment's business: a later holder's is not its own.
        self.defer(
            tx,
            "enrollments",
            "INSERT INTO @enrollments VALUES (?, ?, ?, ?) ON CONFLICT (account, company_id) "
            "DO UPDATE SET line_of_business = excluded.line_of_business, "
            "account_type = excluded.account_type",
            (self._account(tx, e), e.data["company_id"], *business),
            key=e.key,
        )
        self.on_AccountReenrolled(tx, e)

    def on_AccountReenrolled(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        cid = e.data["company_id"]
        self.defer(
            tx,
            "accounts",
            "UPDATE @accounts SET holder = ?, enrolled = 1 WHERE aggregate_id = ?",
            (cid, e.key),
            key=e.key,
        )
        self.defer(
            tx,
            "intervals",
            "INSERT INTO @intervals VALUES (?, ?, ?, NULL, ?, NULL)",
            (self._account(tx, e), e.version, cid, instant(e.recorded_at)),
            key=e.key,  # one account per aggregate
        )

    def on_AccountUnenrolled(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.defer(
            tx,
            "accounts",
            "UPDATE @accounts SET enrolled = 0 WHERE aggregate_id = ?",
            (e.key,),
            key=e.key,
        )
        self.defer(
            tx,
            "intervals",
            "UPDATE @intervals SET end_version = ?, ended_at = ? "
            "WHERE account = ? AND end_version IS NULL",
            (e.version, instant(e.recorded_at), self._account(tx, e)),
            key=e.key,  # one account per aggregate
        )

    def on_AutomaticPaymentSetUp(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.defer(
            tx,
            "accounts",
            "UPDATE @accounts SET autopay_company = holder, autopay_days = ?, autopay_by = ? "
            "WHERE aggregate_id = ?",
            (e.data["days_before_due"], e.data["set_up_by"], e.key),
            key=e.key,
        )

    def on_AutomaticPaymentCancelled(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.defer(
            tx,
            "accounts",
            "UPDATE @accounts SET autopay_company = NULL, autopay_days = NULL, autopay_by = NULL "
            "WHERE aggregate_id = ?",
            (e.key,),
            key=e.key,
        )

    def on_AccountCredited(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        """I10: an approval beyond a paid balance left the account this credit."""
        self._credit(tx, e, int(Decimal(e.data["amount"]) * 100))

    def on_AccountCreditUsed(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        """I10: a new invoice used this much of the account's credit."""
        self._credit(tx, e, -int(Decimal(e.data["amount"]) * 100))

    def _credit(self, tx: Tx, e: EventRecord, cents: int) -> None:
        account = self._account(tx, e)
        self.defer(
            tx,
            "credits",
            "INSERT INTO @credits VALUES (?, ?) ON CONFLICT (account) "
            "DO UPDATE SET cents = @credits.cents + excluded.cents",
            (account, cents),
            key=account,
        )

    def on_PlanMembersStated(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        """A8: the shipper accounts the plan consolidates from now on."""
        plan = self._account(tx, e)
        self.defer(tx, "plan_members", "DELETE FROM @plan_members WHERE account = ?", (plan,),
                   key=plan)  # fmt: skip
        for member in e.data["members"]:
            self.defer(tx, "plan_members", "INSERT INTO @plan_members VALUES (?, ?)",
                       (plan, member), key=plan)  # fmt: skip


class AccountsView:
    """Queries over the live accounts (`accounts_*`), what a login sees (R4) from the live
    directory's `access`."""

    def __init__(self, prefix: str = "accounts_", directory: str = "directory_") -> None:
        self.projection = Accounts(prefix)
        self.directory = directory

    def accounts(self, tx: Tx, company_id: UUID, *, login: str) -> list[AccountView]:
        """The company's accounts (those it ever held) that `login` sees (R4: the
        directory's `access`; none for a non-member)."""
        cid = str(company_id)
        # The company's own enrollment's business (the account row's for a read model
        # built before `enrollments` existed); ENROLLED only where it holds the account now;
        # paper invoices while no company holds it (A4, A5); a plan's shipper accounts (A8),
        # a row each (issue 20: one query, not one more for the plans' members).
        rows = self.projection.all(
            tx,
            "SELECT a.country, a.number, COALESCE(e.line_of_business, a.line_of_business), "
            "CASE WHEN e.account IS NULL THEN a.account_type ELSE e.account_type END, "
            "CASE WHEN a.holder = ? AND a.enrolled = 1 THEN 1 ELSE 0 END, "
            "a.autopay_company, a.autopay_days, a.autopay_by, a.enrolled, c.cents, pm.member "
            "FROM @accounts a "
            "LEFT JOIN @enrollments e ON e.account = a.account AND e.company_id = ? "
            "LEFT JOIN @credits c ON c.account = a.account "
            "LEFT JOIN @plan_members pm ON pm.account = a.account "
            "WHERE EXISTS (SELECT 1 FROM @intervals i WHERE i.account = a.account "
            f"AND i.company_id = ?) AND a.account IN (SELECT account FROM {self.directory}access "
            "WHERE company_id = ? AND login = ?) ORDER BY a.account, pm.member",
            (cid, cid, cid, cid, login),
        )
        members: dict[tuple[object, object], list[str]] = {}
        views: dict[tuple[object, object], AccountView] = {}
        for r in rows:
            key = (r[0], r[1])
            if key not in views:
                views[key], members[key] = self._view(cid, r), []
            if r[10] is not None:
                members[key].append(str(r[10]))
        return [replace(v, members=tuple(sorted(members[k]))) for k, v in views.items()]

    @staticmethod
    def _view(cid: str, r: tuple[object, ...]) -> AccountView:
        autopay = AutopayView(int(str(r[6])), str(r[7])) if r[5] == cid else None
        return AccountView(
            str(r[0]),
            str(r[1]),
            str(r[2] or ""),
            None if r[3] is None else str(r[3]),
            "ENROLLED" if r[4] else "UNENROLLED",
            not r[8],
            autopay,
            Decimal(int(str(r[9] or 0))) / 100,
        )

    def intervals(self, tx: Tx, company_id: UUID) -> list[tuple[str, str, str | None]]:
        """The company's enrollment intervals: (account, enrolled at, unenrolled at or None)."""
        rows = self.projection.all(
            tx,
            "SELECT account, started_at, ended_at FROM @intervals WHERE company_id = ? "
            "ORDER BY account, start_version",
            (str(company_id),),
        )
        return [(str(a), str(s), None if t is None else str(t)) for a, s, t in rows]
