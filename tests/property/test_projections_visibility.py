"""The visibility read model equals an oracle computed from the full event list (R4, A4,
A6, A7, I2), on SQLite and PostgreSQL; a rebuild equals the live copy; the outbox never
gains a row from a replay or a rebuild."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from domain.values import Section
from projections.queries import SectionName
from projections.runner import PROJECTIONS, rebuild
from tests.builders import TODAY
from tests.integration.projections_support import Oracle, Stack, dump, stack
from tests.postgres import PostgresServer
from tests.property.backends import on_both_backends
from tests.property.projections_history import LOGINS, History, histories, play_followed


def _assert_matches_oracle(s: Stack, history: History) -> None:
    oracle = Oracle.of(s.app)
    for company in (history.first, history.second):
        for login in ("alice", "zoe", *LOGINS, "nobody"):
            for section in (Section.HISTORY, Section.ARCHIVE):
                expected = oracle.visible(str(company), login, section, TODAY)
                assert _all_pages(s, company, login, section) == expected, (login, section)
    for invoice in history.invoices:
        for login in ("alice", "zoe", *LOGINS):
            detail = s.reads.invoice(invoice, login=login, today=TODAY)
            member_of = s.reads.company_of(login)
            seen = member_of is not None and any(
                invoice in oracle.visible(str(member_of), login, section, TODAY)
                for section in (Section.HISTORY, Section.ARCHIVE)
            )
            assert (detail is not None) == seen, (invoice, login)


def _all_pages(s: Stack, company: UUID, login: str, section: Section) -> list[UUID]:
    found: list[UUID] = []
    cursor: str | None = None
    name: SectionName = "HISTORY" if section is Section.HISTORY else "ARCHIVE"
    while True:
        page = s.reads.invoices(company, login, name, today=TODAY, cursor=cursor, limit=2)
        found += [item.invoice_id for item in page.items]
        if page.next is None:
            return found
        cursor = page.next


def _visible_invoices_equal_the_oracle(
    kind: str, server: PostgresServer | None, tmp_path: Path, steps: list[tuple[int, int, int, int]]
) -> None:
    with stack(kind, tmp_path, server) as s:
        history = play_followed(s, steps)
        _assert_matches_oracle(s, history)


def _a_rebuild_equals_the_live_copy(
    kind: str, server: PostgresServer | None, tmp_path: Path, steps: list[tuple[int, int, int, int]]
) -> None:
    with stack(kind, tmp_path, server) as s:
        History(s.app).play(steps)
        s.catch_up()
        live = dump(s.db)
        for name in PROJECTIONS:
            rebuild(s.db, s.app, name, page_size=5)
        assert dump(s.db) == live
        s.catch_up()
        assert dump(s.db) == live


TestVisibleInvoicesEqualTheOracleForEveryLoginAndSection = on_both_backends(
    _visible_invoices_equal_the_oracle, histories
)


TestARebuiltReadModelEqualsTheLiveOneAndAddsNoOutboxRow = on_both_backends(
    _a_rebuild_equals_the_live_copy, histories
)
