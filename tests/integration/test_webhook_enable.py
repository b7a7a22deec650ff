"""Enabling a disabled webhook endpoint again (issue 22): an Administrator's event, after
which the messages of the next events are delivered, and none of the events it missed while
disabled, even after a rebuild."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.webhooks.service import SENDER
from domain.errors import Forbidden
from domain.values import Role
from projections.runner import rebuild
from tests.builders import ACCOUNT, add_user, bill, event_names, issue, person
from tests.integration.test_webhook_delivery import TODAY, Hooks, drive, hooks

__all__ = ["hooks"]  # the fixture, shared with the delivery tests


def _disabled(hooks: Hooks) -> None:
    hooks.app.disable_webhook(SENDER, hooks.webhook, "messages failed for 3 days")
    issue(hooks.app, bill(ACCOUNT, "INV-MISSED", issued=TODAY))
    hooks.catch_up()


def test_a_disabled_endpoint_enabled_again_gets_the_next_messages(hooks: Hooks) -> None:
    _disabled(hooks)
    hooks.app.enable_webhook(person("alice"), hooks.company, hooks.webhook)
    issue(hooks.app, bill(ACCOUNT, "INV-NEXT", issued=TODAY))
    hooks.catch_up()
    sender = hooks.sender()
    drive(sender, lambda: bool(hooks.receiver.accepted) and sender.idle())
    sent = [m["data"]["invoice_number"] for m in hooks.receiver.of_type("invoice.available")]
    assert sent == ["INV-NEXT"]


def test_enabling_is_an_event_naming_the_administrator(hooks: Hooks) -> None:
    _disabled(hooks)
    hooks.app.enable_webhook(person("alice"), hooks.company, hooks.webhook)
    assert event_names(hooks.app, hooks.webhook)[-2:] == [
        "WebhookEndpointDisabled",
        "WebhookEndpointEnabled",
    ]
    enabled = list(hooks.app.events.get(hooks.webhook))[-1]
    assert enabled.actor == "alice"  # type: ignore[attr-defined]


def test_enabling_an_active_endpoint_changes_nothing(hooks: Hooks) -> None:
    hooks.app.enable_webhook(person("alice"), hooks.company, hooks.webhook)
    assert event_names(hooks.app, hooks.webhook) == ["WebhookEndpointCreated"]


def test_r2_only_an_administrator_enables_an_endpoint(hooks: Hooks) -> None:
    _disabled(hooks)
    add_user(hooks.app, hooks.company, "vic", Role.VIEW_ONLY, (ACCOUNT,), by="alice")
    with pytest.raises(Forbidden) as refused:
        hooks.app.enable_webhook(person("vic"), hooks.company, hooks.webhook)
    assert refused.value.rule_id == "R2"


def test_a_rebuild_after_enabling_makes_no_message_of_the_disabled_time(hooks: Hooks) -> None:
    _disabled(hooks)
    hooks.app.enable_webhook(person("alice"), hooks.company, hooks.webhook)
    issue(hooks.app, bill(ACCOUNT, "INV-NEXT", issued=TODAY))
    hooks.catch_up()
    rebuild(hooks.db, hooks.app, "webhooks")
    hooks.catch_up()
    with hooks.db.read() as tx:
        assert tx.one("SELECT COUNT(*) FROM webhook_messages") == (1,)
        assert tx.one("SELECT status FROM webhook_endpoints") == ("ACTIVE",)
    due = hooks.deliveries.claim(datetime.now(UTC), timedelta(seconds=1), 10)
    assert [m.body.count("INV-NEXT") for m in due] == [1]
