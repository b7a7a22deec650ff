"""The e-mail of an outbox row: stable identity, both bodies, the recipient's data only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from api.mail.message import Facts, MailedInvoice, compose, message_id
from api.mail.transport import DirectoryTransport, SmtpConfig
from projections.queries import OutboxMessage

ROW = OutboxMessage(42, "bob", "PAYMENT_RECEIVED", "inv-1", datetime(2025, 6, 15, tzinfo=UTC))
FACTS = Facts(
    "bob@acme.test",
    "Bob <b>",
    MailedInvoice(
        "inv-1", "INV-7", "US-A00001", "USD", Decimal("1200"), Decimal(0), date(2025, 7, 1)
    ),
    "Invoice INV-7 was paid.",
    (("Confirmation number", "BC0011223344"),),
)


def test_the_message_id_is_the_same_for_the_same_event_and_recipient() -> None:
    assert message_id(ROW, "carrier.test") == message_id(ROW, "carrier.test")


def test_another_recipient_of_the_same_event_gets_another_message_id() -> None:
    other = OutboxMessage(42, "carol", "PAYMENT_RECEIVED", "inv-1", ROW.created_at)
    assert message_id(other, "carrier.test") != message_id(ROW, "carrier.test")


def test_rendering_twice_gives_the_same_bytes() -> None:
    first = compose(ROW, FACTS, "billing@carrier.test", "carrier.test").as_bytes()
    assert compose(ROW, FACTS, "billing@carrier.test", "carrier.test").as_bytes() == first


def test_the_html_body_escapes_what_users_typed() -> None:
    mail = compose(ROW, FACTS, "billing@carrier.test", "carrier.test")
    html = mail.get_body(("html",))
    assert html is not None
    assert "Bob &lt;b&gt;" in html.get_content()


def test_the_email_is_dated_by_its_event_not_by_the_send() -> None:
    mail = compose(ROW, FACTS, "billing@carrier.test", "carrier.test")
    assert mail["Date"] == "Sun, 15 Jun 2025 00:00:00 +0000"


def test_smtp_url_with_starttls_login_and_sender() -> None:
    config = SmtpConfig.parse("smtp+starttls://me%40acme:s3cret@mail.acme.test?from=b@acme.test")
    assert (config.host, config.port, config.starttls, config.tls) == (
        "mail.acme.test",
        587,
        True,
        False,
    )
    assert (config.user, config.password, config.sender) == ("me@acme", "s3cret", "b@acme.test")


def test_smtps_url_means_tls_from_the_first_byte() -> None:
    config = SmtpConfig.parse("smtps://u:p@mail.acme.test")
    assert (config.port, config.tls) == (465, True)


def test_development_writes_one_eml_file_per_message_id(tmp_path: Path) -> None:
    transport = DirectoryTransport(tmp_path / "outbox")
    mail = compose(ROW, FACTS, transport.sender, "localhost")
    with transport.session() as session:
        session.send(mail)
        session.send(mail)  # a resend overwrites, never adds
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1
    assert b"INV-7" in files[0].read_bytes()
