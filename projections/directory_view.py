"""Queries over the live directory read model (`directory_*` views): companies, users and
their roles (R7, R9), who sees which account (R4), profiles (R10), payment methods (R11)."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from projections.base import decode_cursor, encode_cursor
from projections.directory import Directory
from projections.queries import CompanyView, PaymentMethodView, RowsPage, UserView
from store.database import Tx


class DirectoryView:
    """Queries over the live directory (`directory_*` views)."""

    def __init__(self, prefix: str = "directory_") -> None:
        self.projection = Directory(prefix)

    def role(self, tx: Tx, company_id: UUID, login: str) -> str | None:
        """The role of a current member, or None."""
        row = self.projection.one(
            tx,
            "SELECT role FROM @members WHERE company_id = ? AND login = ? AND removed = 0",
            (str(company_id), login),
        )
        return str(row[0]) if row else None

    def seen(self, tx: Tx, company_id: UUID, login: str) -> frozenset[str]:
        """R4: the accounts `login` sees in the company (none for a non-member), as the
        directory read model has them."""
        rows = self.projection.all(
            tx,
            "SELECT account FROM @access WHERE company_id = ? AND login = ?",
            (str(company_id), login),
        )
        return frozenset(str(a) for (a,) in rows)

    def company(self, tx: Tx, company_id: UUID) -> CompanyView | None:
        """The company and its accounts in one query (issue 20: a query per table was a
        round trip more per read), a row per account (one, its account NULL, if none)."""
        rows = self.projection.all(
            tx,
            "SELECT c.name, c.address, c.general_administrator, a.account FROM @companies c "
            "LEFT JOIN @company_accounts a ON a.company_id = c.company_id "
            "WHERE c.company_id = ? ORDER BY a.position, a.account",
            (str(company_id),),
        )
        if not rows:
            return None
        name, address, administrator, _ = rows[0]
        accounts = tuple(r[3] for r in rows if r[3] is not None)
        return CompanyView(company_id, name, address, administrator, accounts)

    def company_of(self, tx: Tx, login: str) -> UUID | None:
        row = self.projection.one(tx, "SELECT company_id FROM @profiles WHERE login = ?", (login,))
        return UUID(row[0]) if row and row[0] else None

    def users(
        self,
        tx: Tx,
        company_id: UUID,
        logins: Collection[str] | None,
        cursor: str | None,
        limit: int,
    ) -> RowsPage[UserView]:
        after = decode_cursor(cursor, 1)[0] if cursor else ""
        rows = (
            self.projection.all(
                tx,
                "SELECT m.login FROM @members m WHERE m.company_id = ? AND m.removed = 0 "
                "AND m.login > ? ORDER BY m.login",
                (str(company_id), after),
            )
            if logins is None
            else [(x,) for x in sorted(logins) if x > after]
        )
        page: list[UserView] = []
        for (login,) in rows:
            found = self.user(tx, company_id, login)
            if found is not None:
                page.append(found)
            if len(page) == limit + 1:
                break
        more = len(page) > limit
        items = page[:limit]
        return RowsPage(items, encode_cursor(items[-1].login) if more else None)

    def user(self, tx: Tx, company_id: UUID, login: str) -> UserView | None:
        """A current member with their profile and grants in one query (issue 20), a row
        per grant (one, its account NULL, if none)."""
        rows = self.projection.all(
            tx,
            "SELECT m.role, p.email, p.name, c.general_administrator, g.account FROM @members m "
            "JOIN @companies c ON c.company_id = m.company_id "
            "LEFT JOIN @profiles p ON p.login = m.login AND p.company_id = m.company_id "
            "LEFT JOIN @grants g ON g.company_id = m.company_id AND g.login = m.login "
            "WHERE m.company_id = ? AND m.login = ? AND m.removed = 0 ORDER BY g.account",
            (str(company_id), login),
        )
        if not rows:
            return None
        role, email, name, administrator, _ = rows[0]
        grants = tuple(r[4] for r in rows if r[4] is not None)
        return UserView(login, email or "", name or "", role, grants, administrator == login)

    def payment_methods(self, tx: Tx, company_id: UUID) -> list[PaymentMethodView]:
        rows = self.projection.all(
            tx,
            "SELECT pm.payment_method_id, pm.holder, pm.bank_code, pm.last4, "
            "c.default_payment_method FROM @payment_methods pm JOIN @companies c "
            "ON c.company_id = pm.company_id WHERE pm.company_id = ? ORDER BY pm.position",
            (str(company_id),),
        )
        return [PaymentMethodView(r[0], r[1], r[2], r[3], r[0] == r[4]) for r in rows]
