"""Revoked stays revoked (R4, R3, R5; issue 18): however far the read models trail the
store, the API's invoice lists and details never show what the store's current grants,
roles and memberships deny.

Users are added with grants and invoices issued, the read models catch up, then a
generated history of grants, revocations, demotions, removals, hand-overs, moves of
accounts and new invoices goes on while the read models stand still. After it, every
login's list (both sections) and every invoice's detail, as the API's route functions
answer them, are within what an oracle computed from the whole event list allows now.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from uuid import UUID

import orjson

from api.http.deps import InvoiceListing
from api.http.paging import Paging
from api.http.routes import invoices
from domain.errors import DomainError
from domain.values import Section
from projections.queries import MAX_LIMIT
from tests.builders import TODAY, person
from tests.integration.projections_support import Oracle, Stack, stack
from tests.postgres import PostgresServer
from tests.property.backends import on_both_backends
from tests.property.projections_history import ACCOUNTS, LOGINS, History, histories

SETUP = [
    *[(4, 0, b, 3) for b in range(3)],  # ursula, victor, wanda granted Acme's two accounts
    *[(0, a, 0, 0) for a in range(3)],  # an invoice on each account, issued 5 days ago
    (5, 0, 1, 5),  # victor: Administrator (every account)
    (5, 0, 2, 0),  # wanda: View only
]
"""Steps of `History` that give people something to lose."""
PEOPLE = ("alice", "zoe", *LOGINS)


def _listed(s: Stack, company: UUID, login: str, section: Section) -> set[UUID]:
    with contextlib.suppress(DomainError):  # refused: sees nothing
        asked = InvoiceListing(person(login), s.app, s.reads, Paging(MAX_LIMIT))
        page = invoices.listed(
            "HISTORY" if section is Section.HISTORY else "ARCHIVE", company, asked
        )
        return {UUID(item["invoice_id"]) for item in orjson.loads(page.body)["items"]}
    return set()


def _detail_shown(s: Stack, invoice: UUID, login: str) -> bool:
    try:
        invoices.invoice(iid=invoice, caller=person(login), app=s.app, reads=s.reads)
    except DomainError:
        return False
    return True


def _allowed(oracle: Oracle, history: History, login: str) -> set[UUID]:
    return {
        invoice
        for company in (history.first, history.second)
        for section in (Section.HISTORY, Section.ARCHIVE)
        for invoice in oracle.visible(str(company), login, section, TODAY)
    }


def _stale_reads_stay_within_the_store(
    kind: str, server: PostgresServer | None, tmp_path: Path, steps: list[tuple[int, int, int, int]]
) -> None:
    with stack(kind, tmp_path, server) as s:
        history = History(s.app)
        history.play(SETUP)
        assert len(s.app.company(history.first).roles) == 1 + len(LOGINS)
        s.catch_up()
        history.play(steps)  # the read models stand still from here on
        oracle = Oracle.of(s.app)
        for login in PEOPLE:
            allowed = _allowed(oracle, history, login)
            for company in (history.first, history.second):
                for section in (Section.HISTORY, Section.ARCHIVE):
                    shown = _listed(s, company, login, section)
                    assert shown <= allowed, (login, section, shown - allowed)
            for invoice in history.invoices:
                if _detail_shown(s, invoice, login):
                    assert invoice in allowed, (login, invoice)
        assert len(history.invoices) >= len(ACCOUNTS)


TestStaleReadModelsNeverShowWhatTheStoreNowDenies = on_both_backends(
    _stale_reads_stay_within_the_store, histories
)
