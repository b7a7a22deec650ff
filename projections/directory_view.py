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
        cid = str(company_id)
        row = self.projection.one(
            tx,
            "SELECT name, address, general_administrator FROM @companies WHERE company_id = ?",
            (cid,),
        )
        if row is None:
            return None
        accounts = self.projection.all(
            tx,
            "SELECT account FROM @company_accounts WHERE company_id = ? ORDER BY position, account",
            (cid,),
        )
        return CompanyView(company_id, row[0], row[1], row[2], tuple(a for (a,) in accounts))

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
        cid = str(company_id)
        row = self.projection.one(
            tx,
            "SELECT m.role, p.email, p.name, c.general_administrator FROM @members m "
            "JOIN @companies c ON c.company_id = m.company_id "
            "LEFT JOIN @profiles p ON p.login = m.login AND p.company_id = m.company_id "
            "WHERE m.company_id = ? AND m.login = ? AND m.removed = 0",
            (cid, login),
        )
        if row is None:
            return None
        grants = self.projection.all(
            tx,
            "SELECT account FROM @grants WHERE company_id = ? AND login = ? ORDER BY account",
            (cid, login),
        )
        return UserView(
            login,
            row[1] or "",
            row[2] or "",
            row[0],
            tuple(a for (a,) in grants),
            row[3] == login,
        )

    def payment_methods(self, tx: Tx, company_id: UUID) -> list[PaymentMethodView]:
        rows = self.projection.all(
            tx,
            "SELECT pm.payment_method_id, pm.holder, pm.bank_code, pm.last4, "
            "c.default_payment_method FROM @payment_methods pm JOIN @companies c "
            "ON c.company_id = pm.company_id WHERE pm.company_id = ? ORDER BY pm.position",
            (str(company_id),),
        )
        return [PaymentMethodView(r[0], r[1], r[2], r[3], r[0] == r[4]) for r in rows]
