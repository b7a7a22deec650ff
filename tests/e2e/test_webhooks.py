"""Signed webhooks end to end (issue 22): an Administrator connects an endpoint, commands
write events, the webhooks projection builds the messages, the sender in the API process
posts them to a real receiver on loopback that verifies them with `standardwebhooks`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import cli
from api.http.app import create_app
from api.tokens import Scope
from domain.webhook import WEBHOOK_TYPES
from tests.e2e.http import As, World, enroll, settings_for
from tests.integration.mail.smtp import eventually
from tests.webhook_receiver import Receiver, receiving

ALL: list[str] = list(WEBHOOK_TYPES)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


@pytest.fixture
def hooked(durable_store_url: str, tmp_path: Path) -> Iterator[World]:
    settings = settings_for(durable_store_url, str(tmp_path))
    settings = settings.model_copy(update={"webhooks_allow_private": True})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield enroll(client)


def connect(world: World, receiver: Receiver, events: list[str] = ALL) -> str:
    response = world.admin.post(
        f"/v1/companies/{world.cid}/webhooks", json={"url": receiver.url, "events": events}
    )
    assert response.status_code == 201, response.text
    receiver.secret = response.json()["secret"]
    assert receiver.secret.startswith("whsec_")
    webhook_id: str = response.json()["webhook_id"]
    return webhook_id


def test_an_issued_invoice_reaches_the_endpoint_signed_once(
    hooked: World, receiver: Receiver
) -> None:
    connect(hooked, receiver)
    invoice = hooked.issue(hooked.accounts[0], invoice_number="INV-HOOK-1", amount="80.00")
    eventually(lambda: len(receiver.of_type("invoice.available")) == 1)
    (message,) = receiver.of_type("invoice.available")
    assert message["data"] == {
        "invoice_id": invoice,
        "invoice_number": "INV-HOOK-1",
        "account": f"US-{hooked.accounts[0]['number']}",
        "currency": "USD",
        "amount": "80.00",
        "due_date": message["data"]["due_date"],
    }
    assert receiver.forged == 0
    assert set(receiver.accepted.values()) == {1}


def test_an_endpoint_hears_nothing_of_before_it_existed_nor_of_another_company(
    hooked: World, receiver: Receiver
) -> None:
    hooked.issue(hooked.accounts[0], invoice_number="INV-BEFORE")
    connect(hooked, receiver, ["invoice.available"])
    other = enroll(hooked.client, admin="zoe", accounts=1)
    other.issue(other.accounts[0], invoice_number="INV-OTHER")
    hooked.issue(hooked.accounts[0], invoice_number="INV-AFTER")
    eventually(lambda: len(receiver.of_type("invoice.available")) == 1)
    numbers = [m["data"]["invoice_number"] for m in receiver.of_type("invoice.available")]
    assert numbers == ["INV-AFTER"]


def test_r4_an_archive_invoice_sends_no_webhook(hooked: World, receiver: Receiver) -> None:
    connect(hooked, receiver)
    hooked.issue_on_paper(hooked.accounts[1], invoice_number="INV-PAPER")
    hooked.issue(hooked.accounts[0], invoice_number="INV-LATER")
    eventually(lambda: len(receiver.of_type("invoice.available")) == 1)
    eventually(lambda: len(receiver.of_type("account.reenrolled")) == 1)
    assert [m["data"]["invoice_number"] for m in receiver.of_type("invoice.available")] == [
        "INV-LATER"
    ]
    assert receiver.of_type("account.unenrolled")[0]["data"]["reason"] == "PREFER_PAPER"


def test_only_administrators_manage_webhooks(hooked: World, receiver: Receiver) -> None:
    viewer = hooked.add_user("vic", "PLAN_MANAGER", hooked.accounts[0])
    refused = viewer.post(
        f"/v1/companies/{hooked.cid}/webhooks", json={"url": receiver.url, "events": ALL}
    )
    assert refused.status_code == 403
    assert refused.json()["rule"] == "R2"
    outsider = enroll(hooked.client, admin="zoe", accounts=1).admin
    assert outsider.get(f"/v1/companies/{hooked.cid}/webhooks").status_code == 404


def test_the_delivery_log_lists_each_attempt_and_a_deleted_endpoint_gets_nothing_more(
    hooked: World, receiver: Receiver
) -> None:
    webhook = connect(hooked, receiver)
    path = f"/v1/companies/{hooked.cid}/webhooks"
    listed = hooked.admin.get(path).json()["items"]
    assert [(w["webhook_id"], w["status"]) for w in listed] == [(webhook, "ACTIVE")]
    assert "secret" not in listed[0]
    hooked.issue(hooked.accounts[0], invoice_number="INV-LOG")
    eventually(lambda: len(receiver.accepted) == 1)
    eventually(lambda: len(hooked.admin.get(f"{path}/{webhook}/deliveries").json()["items"]) == 1)
    (attempt,) = hooked.admin.get(f"{path}/{webhook}/deliveries").json()["items"]
    assert attempt["message_id"] in receiver.accepted
    assert (attempt["type"], attempt["attempt"], attempt["status_code"]) == (
        "invoice.available", 1, 204,
    )  # fmt: skip
    assert hooked.admin.delete(f"{path}/{webhook}").status_code == 204
    hooked.issue(hooked.accounts[0], invoice_number="INV-GONE")
    assert hooked.admin.get(path).json()["items"] == []
    assert len(receiver.accepted) == 1


def test_a_webhook_url_must_be_http_or_https_and_the_types_known(hooked: World) -> None:
    path = f"/v1/companies/{hooked.cid}/webhooks"
    for body in (
        {"url": "ftp://example.com/x", "events": ["invoice.available"]},
        {"url": "https://example.com/x", "events": ["invoice.deleted"]},
        {"url": "https://example.com/x", "events": []},
        {"url": "https://user:pw@example.com/x", "events": ["invoice.available"]},
        {"url": "http://[abc/x", "events": ["invoice.available"]},
        {"url": "http://example.com:99999/x", "events": ["invoice.available"]},
        {"url": "http://example.com/a b", "events": ["invoice.available"]},
        {"url": "http://example.com/\u0085", "events": ["invoice.available"]},
    ):
        assert hooked.admin.post(path, json=body).status_code == 422, body


def test_auditors_see_who_connected_and_removed_an_endpoint(
    hooked: World, receiver: Receiver
) -> None:
    webhook = connect(hooked, receiver)
    gone = hooked.admin.delete(f"/v1/companies/{hooked.cid}/webhooks/{webhook}")
    assert gone.status_code == 204
    auditor = As(hooked.client, "audrey", Scope.AUDITOR, seen=hooked.admin.seen)
    found = auditor.get("/v1/audit/events", params={"company": hooked.cid, "limit": 500})
    assert found.status_code == 200, found.text
    trail = [(e["type"], e["actor"]) for e in found.json()["items"] if e["aggregate_id"] == webhook]
    assert trail == [("WebhookEndpointCreated", "alice"), ("WebhookEndpointDeleted", "alice")]
    assert all("whsec_" not in str(e["payload"]) for e in found.json()["items"])


def test_payments_adjustments_and_removed_users_reach_the_endpoint(
    hooked: World, receiver: Receiver
) -> None:
    connect(hooked, receiver)
    admin, cid = hooked.admin, hooked.cid
    method = admin.post(
        f"/v1/companies/{cid}/payment-methods",
        json={"holder": "Acme Inc", "bank_code": "COBADEFF", "account_number": "DE8937040044"},
    )
    assert method.status_code == 201, method.text
    iid = hooked.issue(hooked.accounts[0], invoice_number="INV-PAID")
    paid = admin.post(f"/v1/invoices/{iid}/payments", json={})
    assert paid.status_code == 201, paid.text
    other = hooked.issue(hooked.accounts[0], invoice_number="INV-DISPUTED")
    asked = admin.post(
        f"/v1/invoices/{other}/adjustments",
        json={"reason": "wrong weight", "lines": [{"tracking_number": "1Z001", "amount": "1.00"}]},
    )
    assert asked.status_code == 201, asked.text
    aid = asked.json()["adjustment_id"]
    decided = hooked.billing.post(
        f"/v1/invoices/{other}/adjustments/{aid}/decision", json={"approved": True}
    )
    assert decided.status_code == 200, decided.text
    hooked.add_user("bob", "VIEW_ONLY", hooked.accounts[0])
    removed = admin.delete(f"/v1/companies/{cid}/users/bob", params={"confirm": "true"})
    assert removed.status_code == 204, removed.text
    eventually(lambda: len(receiver.of_type("user.removed")) == 1)
    (payment,) = receiver.of_type("payment.received")
    assert payment["data"]["invoice_id"] == iid
    assert payment["data"]["made"] is True
    assert payment["data"]["confirmation_number"] == paid.json()["confirmation_number"]
    (adjustment,) = receiver.of_type("adjustment.updated")
    assert adjustment["data"] == {
        "invoice_id": other,
        "account": f"US-{hooked.accounts[0]['number']}",
        "adjustment_id": aid,
        "step": "DECIDED",
        "approved": True,
    }
    assert receiver.of_type("user.removed")[0]["data"] == {"login": "bob"}


def test_i9_each_step_of_a_case_is_an_adjustment_update(hooked: World, receiver: Receiver) -> None:
    connect(hooked, receiver)
    iid = hooked.issue(hooked.accounts[0], invoice_number="INV-CASE")
    body = {"reason": "crushed", "lines": [{"tracking_number": "1Z001", "amount": "2.00"}]}
    aid = hooked.admin.post(f"/v1/invoices/{iid}/adjustments", json=body).json()["adjustment_id"]
    case = f"/v1/invoices/{iid}/adjustments/{aid}"
    assert hooked.billing.post(f"{case}/comments", json={"text": "Photo?"}).status_code == 201
    assert hooked.billing.post(f"{case}/review").status_code == 200
    part = [{"tracking_number": "1Z001", "amount": "1.00"}]
    decided = hooked.billing.post(f"{case}/decision", json={"approved": True, "lines": part})
    assert decided.status_code == 200, decided.text
    eventually(lambda: len(receiver.of_type("adjustment.updated")) == 3)
    steps = [m["data"]["step"] for m in receiver.of_type("adjustment.updated")]
    assert sorted(steps) == ["COMMENTED", "DECIDED", "IN_REVIEW"]


def test_billing_center_webhooks_redeliver_sends_a_message_again_under_its_id(
    hooked: World, receiver: Receiver, durable_store_url: str
) -> None:
    webhook = connect(hooked, receiver)
    hooked.issue(hooked.accounts[0], invoice_number="INV-AGAIN")
    log = f"/v1/companies/{hooked.cid}/webhooks/{webhook}/deliveries"
    eventually(lambda: len(hooked.admin.get(log).json()["items"]) == 1)
    (message,) = receiver.accepted
    env = {"BILLING_DATABASE_URL": durable_store_url}
    args = ["webhooks", "redeliver", webhook, "--message", message]
    again = CliRunner().invoke(cli, args, env=env)
    assert again.exit_code == 0, again.output
    assert "scheduled 1 message(s)" in again.stdout
    eventually(lambda: receiver.accepted[message] == 2)
    wrong = CliRunner().invoke(cli, ["webhooks", "redeliver", webhook, "--message", "msg_1_x"])
    assert wrong.exit_code == 2
