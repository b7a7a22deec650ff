"""Revoked stays revoked (R4, R3, issue 18): access is decided on the store's current state.

After a grant is revoked or a role demoted, every read answers as the write model says
now, without `min_position` and even while the read models stand still (a stalled
projection: the runner below applies nothing while `paused` is set).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from projections.runner import Runner
from tests.e2e.http import As, World, acct, enroll
from tests.e2e.test_documents import upload
from tests.samples import a_pdf

paused = threading.Event()


@pytest.fixture
def stalled(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """A switch that stalls every projection runner of this process (a fake stall)."""
    step = Runner.step

    def stepping(self: Runner) -> int:
        return 0 if paused.is_set() else step(self)

    monkeypatch.setattr(Runner, "step", stepping)
    yield paused
    paused.clear()


def _get(person: As, url: str) -> int:
    """The status of a plain GET, without `min_position`: no waiting for the read models."""
    response = person.client.get(url, headers=person.headers)
    return response.status_code


def _listed(person: As, url: str) -> list[str]:
    response = person.client.get(url, headers=person.headers)
    assert response.status_code == 200, response.text
    return [i["invoice_id"] for i in response.json()["items"]]


def _bob_sees_one_invoice(api: TestClient) -> tuple[World, As, str]:
    world = enroll(api)
    bob = world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    iid = world.issue(world.accounts[0])
    status, body = upload(world, iid, a_pdf())
    assert status == 201, body
    world.invoices["document"] = body["document_id"]
    assert bob.get(f"/v1/invoices/{iid}").status_code == 200  # waits for the read models
    return world, bob, iid


def _reads(world: World, iid: str) -> dict[str, str]:
    return {
        "list": f"/v1/companies/{world.cid}/invoices",
        "limited list": f"/v1/companies/{world.cid}/invoices?limit=10",
        "detail": f"/v1/invoices/{iid}",
        "pdf": f"/v1/invoices/{iid}/pdf",
        "document": f"/v1/invoices/{iid}/documents/{world.invoices.get('document', 'none')}",
        "csv": f"/v1/companies/{world.cid}/invoices.csv",
        "accounts": f"/v1/companies/{world.cid}/accounts",
    }


def _assert_sees_nothing(bob: As, world: World, iid: str) -> None:
    urls = _reads(world, iid)
    for name in ("list", "limited list"):
        assert iid not in _listed(bob, urls[name]), name
    for name in ("detail", "pdf", "document"):
        assert _get(bob, urls[name]) == 404, name
    csv = bob.client.get(urls["csv"], headers=bob.headers)
    assert csv.status_code == 200
    assert iid not in csv.text
    accounts = bob.client.get(urls["accounts"], headers=bob.headers).json()["items"]
    assert acct(world.accounts[0]) not in [f"{a['country']}-{a['number']}" for a in accounts]


def test_r4_a_revoked_grant_ends_access_at_once_while_projections_stall(
    api: TestClient, stalled: threading.Event
) -> None:
    """R4: once a grant is revoked, no read shows its invoices, stale read models or not."""
    world, bob, iid = _bob_sees_one_invoice(api)
    stalled.set()
    revoked = world.admin.put(
        f"/v1/companies/{world.cid}/users/bob/accounts", json={"accounts": [world.accounts[1]]}
    )
    assert revoked.status_code == 200, revoked.text
    _assert_sees_nothing(bob, world, iid)


def test_r3_a_demoted_administrator_sees_only_their_grants_at_once(
    api: TestClient, stalled: threading.Event
) -> None:
    """R3/R4: an Administrator demoted to VIEW_ONLY sees only the accounts granted, at once."""
    world = enroll(api)
    bob = world.add_user("bob", "ADMINISTRATOR")
    iid = world.issue(world.accounts[0])
    assert iid in [
        i["invoice_id"] for i in bob.get(f"/v1/companies/{world.cid}/invoices").json()["items"]
    ]
    stalled.set()
    demoted = world.admin.put(
        f"/v1/companies/{world.cid}/users/bob/role", json={"role": "VIEW_ONLY"}
    )
    assert demoted.status_code == 200, demoted.text
    _assert_sees_nothing(bob, world, iid)


def test_r5_a_removed_user_reads_nothing_at_once(api: TestClient, stalled: threading.Event) -> None:
    """R5: a removed user reads nothing of the company, whatever the read models say."""
    world, bob, iid = _bob_sees_one_invoice(api)
    stalled.set()
    gone = world.admin.delete(f"/v1/companies/{world.cid}/users/bob", params={"confirm": "true"})
    assert gone.status_code == 204, gone.text
    for name, url in _reads(world, iid).items():
        assert _get(bob, url) in {403, 404}, name
