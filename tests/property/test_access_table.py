"""R4 once (issue 19): the directory's `access` table (and the outbox's copy of it) holds,
for every (company, login, account), exactly `domain.access`'s answer on the companies as
the store has them, through any history of users added and removed, role changes, grants
and revocations, hand-overs and accounts gained; a rebuild reproduces it, and a store whose
directory predates the table gets the same table at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from domain.access import access
from domain.application import BillingCenter
from domain.values import AccountKey, AccountType, Role
from projections.runner import ensure_schema, rebuild
from store.database import Database
from tests.builders import BILLING, TODAY, bill, issue, person, request
from tests.integration.projections_support import Stack, stack
from tests.postgres import PostgresServer
from tests.property.backends import on_both_backends
from tests.property.projections_history import ACCOUNTS, LOGINS, History, histories, play_followed

# Histories of what changes R4's answer: an account gained by the other company (3), users
# added (4), role changes (5), grants set (6), users removed (7), the title handed over (9),
# mixed with invoices and enrollment changes (0-2).
ACCESS_OPS = (0, 1, 2, 3, 4, 5, 6, 7, 9)
access_histories = st.one_of(
    histories,
    st.lists(
        st.tuples(
            st.sampled_from(ACCESS_OPS), st.integers(0, 2), st.integers(0, 7), st.integers(0, 5)
        ),
        min_size=1,
        max_size=30,
    ),
)
PROMOTED = [(4, 0, 2, 1), (5, 0, 2, 5)]  # wanda, granted US-A00001, made Administrator
HANDED_OVER = [(4, 0, 1, 0), (9, 0, 1, 0)]  # victor, granted nothing, made general admin


def expected(s: Stack, history: History) -> set[tuple[str, str, str, str]]:
    """The function's answer for every member and account of both companies."""
    answers = set()
    for cid in (history.first, history.second):
        company = s.app.company(cid)
        for login, role in company.roles.items():
            for account in company.accounts:
                granted, plans = company.grants[login], company.plans
                reason = access(Role(role), granted, account, company.accounts, plans)
                if reason is not None:
                    answers.add((str(cid), login, account, reason.value))
    return answers


def table(db: Database, name: str) -> set[tuple[Any, ...]]:
    with db.read() as tx:
        return {tuple(row) for row in tx.all(f"SELECT * FROM {name}")}


def answers(s: Stack, history: History) -> dict[str, Any]:
    """What the read side answers about accounts and invoices, for every login."""
    logins = ("alice", "zoe", "ursula", "victor", "wanda")
    companies = (history.first, history.second)
    return {
        "accounts": [s.reads.accounts(c, visible_to=x) for c in companies for x in logins],
        "invoices": [
            s.reads.invoices(c, x, "HISTORY", today=TODAY, limit=500).items
            for c in companies
            for x in logins
        ],
    }


def _older_store(db: Database) -> None:
    """The store as the release before `access` left it: no table, no view."""
    with db.write() as tx:
        tx.execute("DROP VIEW directory_access")
        tx.execute("DROP TABLE directory_g1_access")
        tx.execute("DROP TABLE outbox_g1_access")


def _the_table_is_the_functions_answer(
    kind: str,
    server: PostgresServer | None,
    tmp_path: Path,
    steps: list[tuple[int, int, int, int]],
    make: type[History] = History,
) -> None:
    with stack(kind, tmp_path, server) as s:
        history = play_followed(s, steps, make)
        wanted = expected(s, history)
        assert table(s.db, "directory_access") == wanted
        assert table(s.db, "outbox_g1_access") == wanted
        read = answers(s, history)
        _older_store(s.db)
        ensure_schema(s.db)  # the new code starts on the older store
        assert table(s.db, "directory_access") == wanted
        assert table(s.db, "outbox_g1_access") == wanted
        assert answers(s, history) == read
        rebuild(s.db, s.app, "directory", page_size=5)
        rebuild(s.db, s.app, "outbox", page_size=5)
        assert table(s.db, "directory_access") == wanted
        assert table(s.db, "outbox_g2_access") == wanted
        assert answers(s, history) == read


TestTheAccessTableIsTheDomainFunctionsAnswer = on_both_backends(
    _the_table_is_the_functions_answer, access_histories, PROMOTED, HANDED_OVER
)


PLAN = AccountKey("US", "P00001")
PLAN_OPS = (*ACCESS_OPS, 13, 14)
plan_histories = st.lists(
    st.tuples(st.sampled_from(PLAN_OPS), st.integers(0, 2), st.integers(0, 7), st.integers(0, 5)),
    min_size=1,
    max_size=30,
)
PLAN_GRANTED = [(13, 0, 3, 0), (4, 0, 1, 0), (14, 0, 1, 0), (13, 0, 2, 0)]
"""A8: victor is granted the plan of US-A00001 and US-A00002, then only US-A00002 stays."""


class PlanHistory(History):
    """The first company also holds a plan (A8) whose members the billing system states
    and changes (13: the members by `b`'s bits), granted to users (14: `b` picks the login)."""

    def __init__(self, app: BillingCenter) -> None:
        super().__init__(app)
        invoice = bill(PLAN, "PLAN-PROOF")
        issue(app, invoice)
        plan = request(invoice, kind=AccountType.CONSOLIDATED_PAYMENT_PLAN)
        app.add_account(person("alice"), self.first, plan)

    def do(self, op: int, account: AccountKey, b: int, c: int) -> None:
        if op == 13:
            members = [x for i, x in enumerate(ACCOUNTS) if b >> i & 1]
            self.app.state_plan_members(BILLING, PLAN, members)
        elif op == 14:
            login = LOGINS[b % 3]
            granted = self.app.company(self.first).grants.get(login, [])
            accounts = [*map(AccountKey.parse, granted), PLAN]
            self.app.set_user_accounts(person(self._ga(self.first)), self.first, login, accounts)
        else:
            super().do(op, account, b, c)


def _the_table_follows_plans(
    kind: str, server: PostgresServer | None, tmp_path: Path, steps: list[tuple[int, int, int, int]]
) -> None:
    """A8: with a plan whose members change, the table is still the function's answer."""
    _the_table_is_the_functions_answer(kind, server, tmp_path, steps, PlanHistory)


TestTheAccessTableFollowsPlans = on_both_backends(
    _the_table_follows_plans, plan_histories, PLAN_GRANTED
)
