"""Queries over the live directory read model (`directory_*` views): companies, users and
their roles (R7, R9), who sees which account (R4), profiles (R10), payment methods (R11)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from itertools import groupby
from operator import itemgetter
from uuid import UUID

from projections.base import decode_cursor, encode_cursor
from projections.directory import PREF_COLUMNS, PREFS, Directory
from projections.queries import CompanyView, PaymentMethodView, RowsPage, UserView
from store.database import Params, Row, Tx

_AFTER_PREFS = 2 + len(PREFS)  # own_profile's columns: the two companies, PREFS, the user


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

    def own_profile(self, tx: Tx, login: str) -> tuple[UUID | None, UserView | None]:
        """`company_of` and `user` in one query (issue 20, GET /v1/me): the company `login`
        belongs to, and their user there, with their preferences (R8), if they are a current
        member of it; a row per grant (one, its account NULL, if none)."""
        rows = self.projection.all(
            tx,
            f"SELECT p.company_id, c.company_id, {PREF_COLUMNS}, m.login, m.role, p.email, "
            "p.name, c.general_administrator, g.account FROM @profiles p "
            "LEFT JOIN @members m ON m.company_id = p.company_id AND m.login = p.login "
            "AND m.removed = 0 "
            "LEFT JOIN @companies c ON c.company_id = m.company_id "
            "LEFT JOIN @grants g ON g.company_id = m.company_id AND g.login = m.login "
            "WHERE p.login = ? ORDER BY g.account",
            (login,),
        )
        if not rows or not rows[0][0]:
            return None, None
        cid, member_of = UUID(rows[0][0]), rows[0][1]
        if member_of is None:  # no current member, or no company: as `user` finds no one
            return cid, None
        preferences = dict(zip(PREFS, map(bool, rows[0][2:_AFTER_PREFS]), strict=True))
        view = _user_view(login, [row[_AFTER_PREFS:] for row in rows])
        return cid, replace(view, notifications=preferences)

    def users(
        self,
        tx: Tx,
        company_id: UUID,
        logins: Collection[str] | None,
        cursor: str | None,
        limit: int,
    ) -> RowsPage[UserView]:
        """A page of current members (only `logins` if given), each with their profile and
        grants: one query for the page (issue 20), not one per member."""
        after = decode_cursor(cursor, 1)[0] if cursor else ""
        if logins is None:
            page = self._members(
                tx, company_id, _PAGE_OF_MEMBERS, (str(company_id), after, limit + 1)
            )
        else:
            page = self._listed(tx, company_id, sorted(x for x in logins if x > after), limit + 1)
        more = len(page) > limit
        items = page[:limit]
        return RowsPage(items, encode_cursor(items[-1].login) if more else None)

    def _listed(self, tx: Tx, company_id: UUID, logins: list[str], wanted: int) -> list[UserView]:
        """The first `wanted` of `logins` (in order) who are current members: asked for
        `wanted` at a time, as the read model may not hold every one of them yet."""
        found: list[UserView] = []
        for start in range(0, len(logins), wanted):
            window = logins[start : start + wanted]
            found += self._members(tx, company_id, ", ".join("?" for _ in window), window)
            if len(found) >= wanted:
                break
        return found[:wanted]

    def user(self, tx: Tx, company_id: UUID, login: str) -> UserView | None:
        """A current member with their profile and grants in one query (issue 20)."""
        found = self._members(tx, company_id, "?", (login,))
        return found[0] if found else None

    def _members(self, tx: Tx, company_id: UUID, logins: str, params: Params) -> list[UserView]:
        """Current members whose login is `IN (logins)`, by login: a row per grant (one,
        its account NULL, if none)."""
        rows = self.projection.all(tx, _MEMBERS.format(logins=logins), (str(company_id), *params))
        return [_user_view(login, list(grants)) for login, grants in groupby(rows, itemgetter(0))]

    def payment_methods(self, tx: Tx, company_id: UUID) -> list[PaymentMethodView]:
        rows = self.projection.all(
            tx,
            "SELECT pm.payment_method_id, pm.holder, pm.bank_code, pm.last4, "
            "c.default_payment_method FROM @payment_methods pm JOIN @companies c "
            "ON c.company_id = pm.company_id WHERE pm.company_id = ? ORDER BY pm.position",
            (str(company_id),),
        )
        return [PaymentMethodView(r[0], r[1], r[2], r[3], r[0] == r[4]) for r in rows]


_MEMBERS = (
    "SELECT m.login, m.role, p.email, p.name, c.general_administrator, g.account FROM @members m "
    "JOIN @companies c ON c.company_id = m.company_id "
    "LEFT JOIN @profiles p ON p.login = m.login AND p.company_id = m.company_id "
    "LEFT JOIN @grants g ON g.company_id = m.company_id AND g.login = m.login "
    "WHERE m.company_id = ? AND m.removed = 0 AND m.login IN ({logins}) "
    "ORDER BY m.login, g.account"
)
_PAGE_OF_MEMBERS = (
    "SELECT login FROM @members WHERE company_id = ? AND removed = 0 AND login > ? "
    "ORDER BY login LIMIT ?"
)


def _user_view(login: str, rows: list[Row]) -> UserView:
    """A member from their rows (login, role, email, name, general administrator, grant)."""
    _, role, email, name, administrator, _ = rows[0]
    grants = tuple(r[5] for r in rows if r[5] is not None)
    return UserView(login, email or "", name or "", role, grants, administrator == login)
