"""Enabling a disabled webhook endpoint again over the API and in the console (issue 22):
`POST /v1/companies/{cid}/webhooks/{id}/enable`, Administrators only, an event with its
actor; the next messages reach the endpoint again."""

from __future__ import annotations

from uuid import UUID

from api.tokens import Scope
from api.webhooks.service import SENDER
from tests.e2e.http import As, World, csrf_of, enroll
from tests.e2e.test_console_numbers import SAME_ORIGIN, _sign_in
from tests.e2e.test_webhooks import connect, hooked, receiver
from tests.integration.mail.smtp import eventually
from tests.webhook_receiver import Receiver

__all__ = ["hooked", "receiver"]  # the fixtures, shared with the webhook tests


def disabled(world: World, receiver: Receiver) -> str:
    """An endpoint the sender gave up on (as after 3 days of failures)."""
    webhook = connect(world, receiver, ["invoice.available"])
    center = world.client.app.state.billing_center  # type: ignore[attr-defined]
    world.admin.seen.append(center.disable_webhook(SENDER, UUID(webhook), "failed").position)
    return webhook


def statuses(world: World) -> list[str]:
    return [
        w["status"] for w in world.admin.get(f"/v1/companies/{world.cid}/webhooks").json()["items"]
    ]


def test_an_administrator_enables_a_disabled_endpoint_and_the_next_message_arrives(
    hooked: World, receiver: Receiver
) -> None:
    webhook = disabled(hooked, receiver)
    assert statuses(hooked) == ["DISABLED"]
    hooked.issue(hooked.accounts[0], invoice_number="INV-WHILE-DISABLED")
    enabled = hooked.admin.post(f"/v1/companies/{hooked.cid}/webhooks/{webhook}/enable")
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["status"] == "ACTIVE"
    assert enabled.headers["X-Position"] == str(enabled.json()["position"])
    assert statuses(hooked) == ["ACTIVE"]
    hooked.issue(hooked.accounts[0], invoice_number="INV-AFTER")
    eventually(lambda: bool(receiver.accepted))
    sent = [m["data"]["invoice_number"] for m in receiver.of_type("invoice.available")]
    assert sent == ["INV-AFTER"]


def test_r2_only_the_companys_administrators_enable_an_endpoint(
    hooked: World, receiver: Receiver
) -> None:
    webhook = disabled(hooked, receiver)
    path = f"/v1/companies/{hooked.cid}/webhooks/{webhook}/enable"
    viewer = hooked.add_user("vic", "VIEW_ONLY", hooked.accounts[0])
    refused = viewer.post(path)
    assert refused.status_code == 403
    assert refused.json()["rule"] == "R2"
    outsider = enroll(hooked.client, admin="zoe", accounts=1).admin
    assert outsider.post(path).status_code == 404
    assert statuses(hooked) == ["DISABLED"]


def test_auditors_see_who_enabled_an_endpoint(hooked: World, receiver: Receiver) -> None:
    webhook = disabled(hooked, receiver)
    assert hooked.admin.post(f"/v1/companies/{hooked.cid}/webhooks/{webhook}/enable").is_success
    auditor = As(hooked.client, "audrey", Scope.AUDITOR, seen=hooked.admin.seen)
    found = auditor.get("/v1/audit/events", params={"company": hooked.cid, "limit": 500})
    trail = [(e["type"], e["actor"]) for e in found.json()["items"] if e["aggregate_id"] == webhook]
    assert trail[-2:] == [
        ("WebhookEndpointDisabled", SENDER.login),
        ("WebhookEndpointEnabled", "alice"),
    ]


def test_the_console_enables_a_disabled_endpoint(hooked: World, receiver: Receiver) -> None:
    webhook = disabled(hooked, receiver)
    assert statuses(hooked) == ["DISABLED"]  # the list the console reads has caught up
    _sign_in(hooked.client, "alice")
    listed = hooked.client.get("/console/webhooks", headers={"Accept-Language": "fr"}).text
    assert f'action="/console/webhooks/{webhook}/enable"' in listed
    assert "Réactiver" in listed
    form = {"csrf_token": csrf_of(listed)}
    done = hooked.client.post(f"/console/webhooks/{webhook}/enable", data=form, headers=SAME_ORIGIN)
    assert done.status_code == 200, done.text  # followed the redirect back to the list
    assert "the next messages are sent to it" in done.text
    assert f'action="/console/webhooks/{webhook}/enable"' not in done.text
    assert statuses(hooked) == ["ACTIVE"]
