"""C2: explaining access "now" agrees with the live rule, `BillingCenter.visible_invoice`,
for every user and every invoice, over generated histories (R4, R5, A4-A7, I2)."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.errors import DomainError, NotFound
from domain.values import AccountKey, Role, UnenrollmentReason
from projections.audit.explain import explain
from projections.audit.privacy import PrivateBillingCenter
from tests.audit_world import Clock, add_user, center, company, instant, issue, person, proven

ACCOUNTS = (AccountKey("US", "A00001"), AccountKey("US", "A00002"))
LOGINS = ("bob", "carol", "dave")
EVERYONE = ("alice", "zed", *LOGINS)

accounts = st.sampled_from(ACCOUNTS)
logins = st.sampled_from(LOGINS)
roles = st.sampled_from(list(Role))
grants = st.sets(accounts).map(lambda s: tuple(sorted(s)))
steps = st.one_of(
    st.tuples(st.just("issue"), accounts),
    st.tuples(st.just("add"), logins, roles, grants),
    st.tuples(st.just("role"), logins, roles),
    st.tuples(st.just("grant"), logins, grants),
    st.tuples(st.just("remove"), logins),
    st.tuples(st.just("unenroll"), accounts),
    st.tuples(st.just("reenroll"), accounts),
    st.tuples(st.just("taken"), accounts),
    st.tuples(st.just("advance"), st.integers(min_value=100, max_value=400)),
)


class World:
    """Two companies (alice's with both accounts, zed's with none yet) and a clock."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.app: PrivateBillingCenter = center(clock=self.clock)
        self.acme = company(self.app, "alice", ACCOUNTS[0])
        self.app.add_account(person("alice"), self.acme, proven(self.app, ACCOUNTS[1], "P-2"))
        self.zed: Any = None
        self.invoices: list[Any] = []
        self.counter = 0

    def apply(self, step: tuple[Any, ...]) -> None:
        with contextlib.suppress(DomainError):
            getattr(self, f"_{step[0]}")(*step[1:])

    def _issue(self, account: AccountKey) -> None:
        self.counter += 1
        self.invoices.append(issue(self.app, account, f"INV-{self.counter}"))

    def _add(self, login: str, role: Role, granted: tuple[AccountKey, ...]) -> None:
        add_user(self.app, self.acme, login, role, accounts=granted)

    def _role(self, login: str, role: Role) -> None:
        self.app.change_role(person("alice"), self.acme, login, role)

    def _grant(self, login: str, granted: tuple[AccountKey, ...]) -> None:
        self.app.set_user_accounts(person("alice"), self.acme, login, granted)

    def _remove(self, login: str) -> None:
        self.app.remove_user(person("alice"), self.acme, login, confirmed=True)

    def _unenroll(self, account: AccountKey) -> None:
        reason = UnenrollmentReason.PREFER_PAPER
        self.app.unenroll_accounts(person("alice"), self.acme, [account], reason)

    def _reenroll(self, account: AccountKey) -> None:
        self.app.reenroll_accounts(person("alice"), self.acme, [account])

    def _taken(self, account: AccountKey) -> None:
        self.counter += 1
        request = proven(self.app, account, f"Z-{self.counter}")
        if self.zed is None:
            self.zed = self.app.enroll_company(person("zed"), "Zed", [request]).result
        else:
            self.app.add_account(person("zed"), self.zed, request)

    def _advance(self, days: int) -> None:
        self.clock.now += timedelta(days=days)


def _live(app: PrivateBillingCenter, invoice: Any) -> set[tuple[str, str]]:
    seen = set()
    for login in EVERYONE:
        try:
            seen.add((login, str(app.visible_invoice(login, invoice).section)))
        except NotFound:
            continue
    return seen


@given(st.lists(steps, max_size=25))
def test_explain_now_agrees_with_visible_invoice(history: list[tuple[Any, ...]]) -> None:
    world = World()
    for step in history:
        world.apply(step)
    now = instant()
    for invoice in world.invoices:
        answer = explain(world.app, invoice, now, today=world.app.today())
        assert answer is not None
        explained = {(row["login"], row["section"]) for row in answer.could_see}
        assert explained == _live(world.app, invoice)
        stopped = {row["login"] for row in answer.could_not}
        assert not stopped & {login for login, _ in explained}
