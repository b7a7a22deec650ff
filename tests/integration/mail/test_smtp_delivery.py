"""E-mail delivery over real SMTP (aiosmtpd on loopback): at least once, never two different
e-mails for one (event, recipient), retried with backoff while the server is down (R8, I4, I5).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage

import pytest

from api.mail.message import Facts, MailedInvoice
from api.mail.outbox import MemoryOutbox
from api.mail.sender import DeliveryBackoff, MailSender, SenderThread
from api.mail.transport import Session, SmtpConfig, SmtpTransport
from projections.queries import OutboxMessage
from tests.integration.mail.smtp import SmtpServer, eventually

EVENT_TIME = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


class KnownFacts:
    """Every recipient is `<login>@acme.test`; the invoice is always the same."""

    def facts(self, row: OutboxMessage) -> Facts | None:
        invoice = MailedInvoice(
            row.subject_id,
            "INV-1",
            "US-A00001",
            "USD",
            Decimal("100.00"),
            Decimal("100.00"),
            date(2025, 7, 15),
        )
        return Facts(f"{row.recipient}@acme.test", row.recipient.title(), invoice, "New.", ())


def rows(count: int, kind: str = "INVOICE_AVAILABLE") -> list[OutboxMessage]:
    return [
        OutboxMessage(position, f"user{position}", kind, "inv-1", EVENT_TIME)
        for position in range(1, count + 1)
    ]


def outbox_of(messages: list[OutboxMessage]) -> MemoryOutbox:
    outbox = MemoryOutbox()
    for message in messages:
        outbox.add(message)
    return outbox


def sender(outbox: MemoryOutbox, server: SmtpServer, **options: object) -> MailSender:
    transport = SmtpTransport(SmtpConfig.parse(server.url))
    return MailSender(outbox, KnownFacts(), transport, **options)  # type: ignore[arg-type]


def test_r8_each_outbox_row_arrives_as_one_email(smtp: SmtpServer) -> None:
    outbox = outbox_of(rows(3))
    assert sender(outbox, smtp).drain() == 3
    assert sorted(str(m["To"]) for m in smtp.inbox.messages) == [
        f"User{n} <user{n}@acme.test>" for n in (1, 2, 3)
    ]
    assert set(outbox.outcomes().values()) == {"SENT"}


def test_an_email_has_a_plain_text_and_an_html_body(smtp: SmtpServer) -> None:
    sender(outbox_of(rows(1)), smtp).drain()
    mail = smtp.inbox.messages[0]
    kinds = [part.get_content_type() for part in mail.walk()]
    assert "text/plain" in kinds
    assert "text/html" in kinds
    assert mail["From"] == "Billing Center <billing@carrier.test>"


def test_a_drained_outbox_sends_nothing_more(smtp: SmtpServer) -> None:
    outbox = outbox_of(rows(2))
    mailer = sender(outbox, smtp)
    mailer.drain()
    assert mailer.drain() == 0
    assert len(smtp.inbox.received) == 2


def test_a_server_that_refuses_then_recovers_gets_each_message_once(smtp: SmtpServer) -> None:
    smtp.inbox.refusing = 4  # 451 to the first four deliveries
    outbox = outbox_of(rows(3))
    thread = SenderThread(sender(outbox, smtp), idle=0.02, backoff=DeliveryBackoff(first=0.02))
    try:
        eventually(lambda: len(smtp.inbox.received) == 3)
    finally:
        thread.stop()
    assert smtp.inbox.refused == 4
    assert sorted(smtp.inbox.message_ids()) == sorted(set(smtp.inbox.message_ids()))


def test_a_server_that_is_down_then_comes_up_gets_each_message_once() -> None:
    server = SmtpServer()  # not started: connections are refused
    outbox = outbox_of(rows(3))
    backoff = DeliveryBackoff(first=0.05)
    thread = SenderThread(sender(outbox, server), idle=0.02, backoff=backoff)
    try:
        eventually(lambda: backoff.failures >= 2)  # refused twice, backing off
        server.start()
        eventually(lambda: len(server.inbox.received) == 3)
    finally:
        thread.stop()
        server.stop()
    assert len(set(server.inbox.message_ids())) == 3


def test_backoff_doubles_up_to_its_ceiling_and_resets() -> None:
    backoff = DeliveryBackoff(first=1, ceiling=5)
    assert [backoff.next() for _ in range(5)] == [1, 2, 4, 5, 5]
    backoff.reset()
    assert backoff.next() == 1


class Crash(BaseException):
    """The process dies: nothing runs after it, not even the release of claimed rows."""


class DiesAfter:
    """A session that crashes the process after `accepted` messages reached the server."""

    def __init__(self, session: Session, accepted: int, *, before_settling: bool) -> None:
        self.session, self.left, self.before_settling = session, accepted, before_settling

    def send(self, message: EmailMessage) -> None:
        if self.left == 0:
            if self.before_settling:
                self.session.send(message)  # the server has it; the outbox never hears so
            raise Crash
        self.left -= 1
        self.session.send(message)


class CrashingTransport(SmtpTransport):
    def __init__(self, server: SmtpServer, accepted: int, *, before_settling: bool) -> None:
        super().__init__(SmtpConfig.parse(server.url))
        self.accepted, self.before_settling = accepted, before_settling

    @contextmanager
    def session(self) -> Iterator[Session]:
        with super().session() as session:
            yield DiesAfter(session, self.accepted, before_settling=self.before_settling)


class DeadOutbox(MemoryOutbox):
    """The dead process cannot hand its claims back; only the lease frees them."""

    def release(self, messages: object) -> None:
        del messages


def restart_mid_batch(server: SmtpServer, *, before_settling: bool) -> DeadOutbox:
    outbox = DeadOutbox()
    for message in rows(5):
        outbox.add(message)
    transport = CrashingTransport(server, 2, before_settling=before_settling)
    first = MailSender(outbox, KnownFacts(), transport, batch=5, lease=timedelta(seconds=60))
    with pytest.raises(Crash):
        first.drain()
    later = datetime.now(UTC) + timedelta(seconds=61)  # the dead sender's lease ran out
    restarted = sender(outbox, server, batch=5, clock=lambda: later)
    assert restarted.drain() == 5 - 2
    return outbox


def test_a_restart_mid_batch_sends_nothing_twice(smtp: SmtpServer) -> None:
    restart_mid_batch(smtp, before_settling=False)
    ids = smtp.inbox.message_ids()
    assert len(ids) == 5
    assert len(set(ids)) == 5


def test_a_crash_after_the_server_accepted_resends_the_very_same_email(
    smtp: SmtpServer,
) -> None:
    restart_mid_batch(smtp, before_settling=True)
    by_id: dict[str, set[bytes]] = {}
    for raw, mail in zip(smtp.inbox.received, smtp.inbox.messages, strict=True):
        by_id.setdefault(str(mail["Message-ID"]), set()).add(raw.split(b"\r\n\r\n", 1)[1])
    assert len(by_id) == 5  # five e-mails; the one resent is the same e-mail, same Message-ID
    assert all(len(bodies) == 1 for bodies in by_id.values())
