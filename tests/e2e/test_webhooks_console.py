"""Issue 22: the console's webhook pages, for Administrators, in English and French:
connect an endpoint (its secret shown once), see its delivery log, remove it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from tests.e2e.http import World, csrf_of, enroll, settings_for
from tests.e2e.test_console_numbers import SAME_ORIGIN, _sign_in
from tests.integration.mail.smtp import eventually
from tests.webhook_receiver import Receiver, receiving


@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[World, Receiver]]:
    settings = settings_for(f"sqlite:///{tmp_path}/store.sqlite", str(tmp_path))
    settings = settings.model_copy(update={"webhooks_allow_private": True})
    with (
        receiving() as receiver,
        TestClient(create_app(settings), raise_server_exceptions=False) as client,
    ):
        yield enroll(client), receiver


def _connect(client: TestClient, url: str) -> str:
    form = {"csrf_token": csrf_of(client.get("/console/webhooks").text), "url": url}
    events = [("events", "invoice.available")]
    answer = client.post(  # the form's fields repeat: encoded as a list of pairs
        "/console/webhooks",
        content=urlencode([*form.items(), *events]),
        headers={**SAME_ORIGIN, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 201, answer.text
    return answer.text


def test_an_administrator_connects_an_endpoint_and_reads_its_delivery_log(
    console: tuple[World, Receiver],
) -> None:
    world, receiver = console
    client = world.client
    _sign_in(client, "alice")
    page = _connect(client, receiver.url)
    receiver.secret = page.split('<code id="webhook-secret">')[1].split("<", 1)[0]
    assert receiver.secret.startswith("whsec_")
    assert receiver.secret not in client.get("/console/webhooks").text  # shown once
    world.issue(world.accounts[0], invoice_number="INV-CONSOLE")
    eventually(lambda: bool(receiver.accepted))
    listed = client.get("/console/webhooks").text
    log_path = "/console/webhooks/" + listed.split('href="/console/webhooks/')[1].split('"')[0]
    (message,) = receiver.accepted
    eventually(lambda: message in client.get(log_path).text)
    french = client.get(log_path, headers={"Accept-Language": "fr"}).text
    assert "Journal des envois" in french
    assert "invoice.available" in french


def test_a_user_who_is_not_an_administrator_has_no_webhook_page(
    console: tuple[World, Receiver],
) -> None:
    world, _ = console
    world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    world.admin.get("/v1/me")  # the read models have bob (min_position)
    _sign_in(world.client, "bob")
    assert world.client.get("/console/webhooks").status_code == 403
    assert 'href="/console/webhooks"' not in world.client.get("/console/profile").text


def test_an_administrator_removes_an_endpoint_from_the_console(
    console: tuple[World, Receiver],
) -> None:
    world, receiver = console
    _sign_in(world.client, "alice")
    _connect(world.client, receiver.url)
    listed = world.client.get("/console/webhooks").text
    webhook = listed.split('href="/console/webhooks/')[1].split('"')[0]
    form = {"csrf_token": csrf_of(listed)}
    gone = world.client.post(f"/console/webhooks/{webhook}/delete", data=form, headers=SAME_ORIGIN)
    assert gone.status_code == 200, gone.text  # followed the redirect back to the list
    assert "nothing more is sent to it" in gone.text
    assert "No endpoint yet." in gone.text
