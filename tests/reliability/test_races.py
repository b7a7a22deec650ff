"""Issue 9, races: 50 concurrent conflicting commands through HTTP on PostgreSQL.

Each race fires 50 requests at once (a barrier, one connection each) at a real server.
Exactly the commands the rules allow win; the others are refused with 409 (or, where the
caller lost the right meanwhile, 403/404); never a 500; and the invariants of DOMAIN.md
hold afterwards, checked against the order the store gave the winners (their positions).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.postgres import PostgresServer
from tests.reliability.service import Service, serving
from tests.reliability.world import Caller, Company, enroll, expect, proof_for

pytestmark = pytest.mark.postgres

RACERS = 50
ROLES = ("VIEW_ONLY", "VIEW_PAY", "VIEW_ADJUST", "VIEW_PAY_ADJUST", "PLAN_MANAGER")
Call = Callable[[httpx.Client], httpx.Response]


@dataclass
class Scene:
    service: Service
    acme: Company
    beta: Company


@pytest.fixture(scope="module")
def scene(
    postgres_instance: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scene]:
    """Acme (alice, general administrator; carol, Administrator) and Beta (zed)."""
    url = postgres_instance.create_database()
    home = tmp_path_factory.mktemp("races")
    try:
        with (
            serving(url, Path(home)) as service,
            httpx.Client(base_url=service.base_url, timeout=60) as client,
        ):
            acme = enroll(client, "alice", accounts=2)
            acme.add_user("carol", "ADMINISTRATOR")
            yield Scene(service, acme, enroll(client, "zed", accounts=1))
    finally:
        postgres_instance.drop_database(url)


def fire(service: Service, calls: list[Call]) -> list[httpx.Response]:
    """All `calls` at once, each on its own connection; their answers in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Call) -> httpx.Response:
        with httpx.Client(base_url=service.base_url, timeout=60) as client:
            client.get("/health")  # connect before the start line
            barrier.wait()
            return call(client)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def call(login: str, method: str, url: str, **kwargs: object) -> Call:
    """A request as `login`, to be fired later."""
    return lambda client: Caller(client, login).request(method, url, **kwargs)


def position(response: httpx.Response) -> int:
    return int(response.headers["X-Position"])


def _statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def test_two_admins_changing_one_users_role_leave_the_last_winner_s_role(scene: Scene) -> None:
    """R3/R9: every change is allowed; losers of a concurrent save get 409; the last wins."""
    acme = scene.acme
    acme.add_user("bob", "VIEW_ONLY", acme.accounts[0])
    url = f"/v1/companies/{acme.cid}/users/bob/role"
    calls = [
        call(("alice", "carol")[i % 2], "PUT", url, json={"role": ROLES[i % 5]})
        for i in range(RACERS)
    ]
    responses = fire(scene.service, calls)
    assert set(_statuses(responses)) <= {200, 409}, _statuses(responses)
    winners = [(position(r), ROLES[i % 5]) for i, r in enumerate(responses) if r.status_code == 200]
    assert winners
    last_role = max(winners)[1]
    head = max(p for p, _ in winners)
    profile = expect(acme.admin.get(url.removesuffix("/role"), params={"min_position": head}), 200)
    assert profile["role"] == last_role


def test_two_companies_adding_one_account_one_wins(scene: Scene) -> None:
    """A2: an account is held by at most one company; every other attempt is 409."""
    acme, beta = scene.acme, scene.beta
    proven = proof_for(acme.billing)
    admins = [(acme, "alice"), (beta, "zed")]
    calls = [
        call(login, "POST", f"/v1/companies/{company.cid}/accounts", json=proven)
        for company, login in (admins[i % 2] for i in range(RACERS))
    ]
    responses = fire(scene.service, calls)
    statuses = _statuses(responses)
    assert statuses[201] == 1, statuses
    assert set(statuses) <= {201, 409}, statuses
    head = max(position(r) for r in responses if r.status_code == 201)
    holders = [
        company.cid
        for company, login in admins
        if any(
            a["number"] == proven["number"]
            for a in expect(
                company.admin.get(
                    f"/v1/companies/{company.cid}/accounts", params={"min_position": head}
                ),
                200,
            )["items"]
        )
    ]
    assert len(holders) == 1


def _pay_while_removed(scene: Scene, payer: str) -> tuple[httpx.Response, list[httpx.Response]]:
    """`payer` pays 24 invoices twice each while alice removes them: (removal, payments)."""
    acme = scene.acme
    acme.add_user(payer, "VIEW_PAY", acme.accounts[0])
    invoices = [acme.issue(acme.accounts[0]) for _ in range((RACERS - 1) // 2)]
    payments = [
        call(payer, "POST", f"/v1/invoices/{iid}/payments", json={})
        for iid in invoices
        for _ in range(2)
    ]
    url = f"/v1/companies/{acme.cid}/users/{payer}"
    remove = call("alice", "DELETE", url, params={"confirm": "true"})
    middle = len(payments) // 2
    responses = fire(scene.service, [*payments[:middle], remove, *payments[middle:]])
    removal = responses.pop(middle)
    assert removal.status_code == 204, removal.text
    return removal, responses


def test_a_user_removed_while_paying_pays_each_invoice_at_most_once(scene: Scene) -> None:
    """R5/I3: the payments are refused (409 or, once removed, 403/404) or made once each."""
    scene.acme.add_method()
    _, responses = _pay_while_removed(scene, "dave")
    assert set(_statuses(responses)) <= {201, 403, 404, 409}, _statuses(responses)
    paid = Counter(str(r.request.url).split("/")[-2] for r in responses if r.status_code == 201)
    assert all(n == 1 for n in paid.values()), "an invoice was paid twice (I3)"


def test_a_user_removed_while_paying_pays_nothing_after_the_removal(scene: Scene) -> None:
    """R5: access ends at once: no payment of theirs is recorded after the removal."""
    removal, responses = _pay_while_removed(scene, "erin")
    late = [r for r in responses if r.status_code == 201 and position(r) > position(removal)]
    assert not late, f"{len(late)} payments recorded after the payer's removal"


def test_unenroll_racing_reenroll_alternates_and_ends_as_the_last_winner_says(
    scene: Scene,
) -> None:
    """A3/A5: only a change of state succeeds, so the winners alternate, starting enrolled."""
    acme = scene.acme
    account = acme.accounts[1]
    unenroll = {"accounts": [account], "reason": "NO_LONGER_NEEDED"}
    reenroll = {"accounts": [account]}
    calls = [
        call("alice", "POST", f"/v1/companies/{acme.cid}/{path}", json=body)
        for path, body in (
            (("unenrollment", unenroll), ("reenrollment", reenroll))[i % 2] for i in range(RACERS)
        )
    ]
    responses = fire(scene.service, calls)
    assert set(_statuses(responses)) <= {200, 409}, _statuses(responses)
    winners = sorted((position(r), i % 2) for i, r in enumerate(responses) if r.status_code == 200)
    kinds = [kind for _, kind in winners]
    assert kinds == [n % 2 for n in range(len(kinds))], "two unenrolls or reenrolls in a row"
    expected = "UNENROLLED" if kinds[-1] == 0 else "ENROLLED"
    listed = expect(
        acme.admin.get(
            f"/v1/companies/{acme.cid}/accounts", params={"min_position": winners[-1][0]}
        ),
        200,
    )["items"]
    status = next(a["status"] for a in listed if a["number"] == account["number"])
    assert status == expected
