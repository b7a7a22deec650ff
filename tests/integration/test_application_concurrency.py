"""R5, A2: two billing centers racing on one store; exactly one wins, the store holds one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest

from domain.application import AccountRequest, BillingCenter
from domain.errors import AccountHeldElsewhere, ConcurrentChange, DomainError, LoginTaken
from domain.values import Role
from store.url import eventsourcing_env
from tests.builders import (
    ACCOUNT,
    OTHER_ACCOUNT,
    THIRD_ACCOUNT,
    bill,
    billing_center,
    enrolled_company,
    issue,
    person,
    request,
)

ROUNDS = 3
BARRIER_SECONDS = 30

Command = Callable[[BillingCenter, UUID, str], object]


def two_companies(env: dict[str, str]) -> tuple[UUID, UUID]:
    """Two companies, enrolled by alice and zoe, on the shared store."""
    app = billing_center(env)
    try:
        first = enrolled_company(app, "alice", (ACCOUNT,))
        second = enrolled_company(app, "zoe", (OTHER_ACCOUNT,), "PROOF-2")
        return first, second
    finally:
        app.close()


def race(env: dict[str, str], contenders: list[tuple[UUID, str]], command: Command) -> list[str]:
    """Run `command` once per contender, each in its own thread and billing center, at once."""
    apps = [billing_center(env) for _ in contenders]
    barrier = threading.Barrier(len(contenders), timeout=BARRIER_SECONDS)

    def contend(app: BillingCenter, company: UUID, admin: str) -> str:
        barrier.wait()
        try:
            command(app, company, admin)
        except (ConcurrentChange, LoginTaken, AccountHeldElsewhere) as refusal:
            return type(refusal).__name__
        return "won"

    try:
        with ThreadPoolExecutor(len(contenders)) as pool:
            runs = [pool.submit(contend, app, *c) for app, c in zip(apps, contenders, strict=True)]
            return [run.result() for run in runs]
    finally:
        for app in apps:
            app.close()


def members_holding(env: dict[str, str], companies: tuple[UUID, UUID], login: str) -> int:
    """How many of the companies count `login` among their users."""
    app = billing_center(env)
    try:
        return sum(app.company(company).is_member(login) for company in companies)
    finally:
        app.close()


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_companies_racing_for_one_login_one_wins(durable_store_url: str, round_: int) -> None:
    """R5: a login belongs to at most one company, even when two add it at the same instant."""
    env = eventsourcing_env(durable_store_url)
    companies = two_companies(env)
    login = f"racer{round_}"

    def add(app: BillingCenter, company: UUID, admin: str) -> object:
        return app.add_user(
            person(admin), company, login, email="r@example.com", name="Racer", role=Role.VIEW_ONLY
        )

    outcomes = race(env, [(companies[0], "alice"), (companies[1], "zoe")], add)
    assert outcomes.count("won") == 1
    assert set(outcomes) - {"won"} <= {"LoginTaken", "ConcurrentChange"}
    assert members_holding(env, companies, login) == 1


def account_holders(env: dict[str, str], companies: tuple[UUID, UUID]) -> list[UUID]:
    """The companies the contested account is enrolled in, by the store."""
    app = billing_center(env)
    try:
        account = app.account(THIRD_ACCOUNT)
        in_lists = [c for c in companies if str(THIRD_ACCOUNT) in app.company(c).accounts]
        assert [c for c in companies if account.enrolled_in(c)] == in_lists
        return in_lists
    finally:
        app.close()


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_companies_racing_for_one_account_one_wins(durable_store_url: str, round_: int) -> None:
    """A2: an account is held by at most one company, even when two add it at once."""
    env = eventsourcing_env(durable_store_url)
    companies = two_companies(env)
    proof = bill(THIRD_ACCOUNT, f"PROOF-{round_}")
    setup = billing_center(env)
    try:
        issue(setup, proof)
    finally:
        setup.close()
    wanted: AccountRequest = request(proof)

    def add(app: BillingCenter, company: UUID, admin: str) -> object:
        return app.add_account(person(admin), company, wanted)

    outcomes = race(env, [(companies[0], "alice"), (companies[1], "zoe")], add)
    assert outcomes.count("won") == 1
    assert set(outcomes) - {"won"} <= {"AccountHeldElsewhere", "ConcurrentChange"}
    assert len(account_holders(env, companies)) == 1


def test_a_refusal_is_a_domain_error() -> None:
    """The race's refusals are the domain's own errors, mapped like any other."""
    assert issubclass(ConcurrentChange, DomainError)
