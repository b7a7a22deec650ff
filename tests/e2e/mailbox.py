"""The mail sender of a running app, driven by the test: the app's own outbox, facts and
BillingCenter (so its caches), into a mailbox that keeps what it is given."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

from fastapi.testclient import TestClient

from api.mail.facts import StoreFacts
from api.mail.sender import MailSender
from api.settings import Settings
from projections.queries import OutboxMessage
from store.keys import load_or_create_data_key
from store.outbox import SqlOutbox
from tests.e2e.http import settings_for

WAIT_SECONDS = 5.0


class Mailbox:
    """A transport (and its session) that keeps every message it is asked to send."""

    sender = "billing-center@localhost"

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    @contextmanager
    def session(self) -> Iterator[Mailbox]:
        yield self

    def send(self, message: EmailMessage) -> None:
        self.messages.append(message)


def mail_off_settings(store_url: str, tmp: str) -> Settings:
    """`settings_for` outside development: the app starts no mail sender of its own (no
    SMTP URL), so the test decides when the outbox is delivered."""
    settings = settings_for(store_url, tmp)
    load_or_create_data_key(Path(settings.data_key), create=True)
    return settings.model_copy(update={"env": "production"})


def deliver(client: TestClient, mailbox: Mailbox) -> int:
    """Deliver the outbox as the app's sender would, once the read side reached the head."""
    state = client.app.state  # type: ignore[attr-defined]
    head = state.billing_center.head()
    assert state.read_models.wait_for(head, WAIT_SECONDS), f"read models never reached {head}"
    sender = MailSender(
        SqlOutbox(state.read_models.db, OutboxMessage), StoreFacts(state.billing_center), mailbox
    )
    return sender.drain()
