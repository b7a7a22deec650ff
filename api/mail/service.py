"""Composition of the mail sender from settings: which transport, which outbox, which thread.

`BILLING_SMTP_URL` set: SMTP. Unset in development (`make run`): `./var/outbox/*.eml`.
Unset in production: no sender; rows wait in the outbox until a server is configured.
"""

from __future__ import annotations

import logging
from pathlib import Path

from api.mail.facts import StoreFacts
from api.mail.sender import MailSender, SenderThread
from api.mail.transport import DirectoryTransport, SmtpConfig, SmtpTransport, Transport
from api.settings import Settings
from domain.application import BillingCenter
from projections.queries import OutboxMessage
from projections.readmodels import SqlReadModels
from store.database import Database
from store.outbox import SqlOutbox

DEV_OUTBOX = Path("./var/outbox")
log = logging.getLogger("billing_center.mail")


def mail_transport(settings: Settings) -> Transport | None:
    """SMTP when configured; `.eml` files in development; otherwise none."""
    if settings.smtp_url:
        return SmtpTransport(SmtpConfig.parse(settings.smtp_url))
    if settings.is_development:
        return DirectoryTransport(dev_outbox(settings))
    return None


def dev_outbox(settings: Settings) -> Path:
    """`var/outbox` beside `var/keys`, where development keeps its data key."""
    keys = settings.data_key.parent
    return keys.parent / "outbox" if keys.name == "keys" else DEV_OUTBOX


def mail_sender(settings: Settings, app: BillingCenter, db: Database) -> MailSender | None:
    """The sender on the read models' database, or None when e-mail is off."""
    transport = mail_transport(settings)
    if transport is None:
        log.warning("BILLING_SMTP_URL is not set: e-mails stay in the outbox, unsent")
        return None
    reads = SqlReadModels(db, app.head)
    return MailSender(
        SqlOutbox(db, OutboxMessage),
        StoreFacts(app, reads),
        transport,
        before_drain=lambda: app.close_statement_periods(app.today()),  # R12
    )


def start_mail(settings: Settings, app: BillingCenter, db: Database) -> SenderThread | None:
    """The sender as a background thread of this process (None when e-mail is off)."""
    sender = mail_sender(settings, app, db)
    return SenderThread(sender) if sender else None
