"""Composition of the webhook sender from settings: its store, its network, its thread."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from api.settings import Settings
from api.webhooks.sender import RetryBackoff, SenderThread, WebhookSender, http_poster
from domain.application import BillingCenter
from domain.caller import Caller
from store.database import Database
from store.webhooks import SqlWebhookDeliveries

SENDER = Caller(login="system:webhooks")
"""Who disables an endpoint that failed for days (the events' actor)."""


def webhook_sender(
    settings: Settings, app: BillingCenter, db: Database, backoff: RetryBackoff | None = None
) -> WebhookSender:
    """The sender on the read models' database (the projections' schema must exist)."""

    def disable(webhook_id: UUID, reason: str) -> None:
        app.disable_webhook(SENDER, webhook_id, reason)

    return WebhookSender(
        SqlWebhookDeliveries(db),
        app.secret_box,
        disable,
        poster=http_poster(settings.webhooks_allow_private),
        backoff=backoff,
        lease=timedelta(seconds=settings.webhooks_lease_seconds),
    )


def start_webhooks(settings: Settings, app: BillingCenter, db: Database) -> SenderThread:
    """The sender as a background thread of this process."""
    return SenderThread(webhook_sender(settings, app, db))
