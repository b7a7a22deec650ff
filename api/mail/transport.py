"""Where e-mails go: an SMTP server named by `BILLING_SMTP_URL`, or `.eml` files.

`BILLING_SMTP_URL` forms:

- `smtp://host:port` — plain SMTP (port 25 by default), no login;
- `smtp+starttls://user:password@host:port` — STARTTLS, then login (port 587 by default);
- `smtps://user:password@host:port` — TLS from the first byte (port 465 by default);
- query parameters: `from=` the sender address (default `billing-center@localhost`),
  `starttls=true` (same as the `smtp+starttls` scheme), `timeout=` seconds (default 10).

User and password are percent-decoded, so `%40` stands for `@` in a login.
In development with no URL, e-mails are written to `./var/outbox/*.eml` instead.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_FROM = "billing-center@localhost"
PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
SMTP_TIMEOUT_SECONDS = 10.0
TRANSIENT_CODE = range(400, 500)


class TransientFailure(Exception):
    """The server is down or said "try later": retry the message with backoff."""


class PermanentFailure(Exception):
    """The server refused this message for good (5xx): do not retry it."""


class Session(Protocol):
    """One connection's worth of sending."""

    def send(self, message: EmailMessage) -> None:
        """Deliver, or raise TransientFailure / PermanentFailure."""
        ...


class Transport(Protocol):
    """Opens sessions."""

    @property
    def sender(self) -> str:
        """The From address."""
        ...

    def session(self) -> AbstractContextManager[Session]:
        """A connection to send through, closed at the end of the block."""
        ...


@dataclass(frozen=True)
class SmtpConfig:
    """A parsed `BILLING_SMTP_URL`."""

    host: str
    port: int
    tls: bool = False
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    sender: str = DEFAULT_FROM
    timeout: float = SMTP_TIMEOUT_SECONDS

    @classmethod
    def parse(cls, url: str) -> SmtpConfig:
        """Read the URL; ValueError names what is wrong (the password is never echoed)."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in PORTS or not parts.hostname:
            raise ValueError("BILLING_SMTP_URL is smtp://, smtp+starttls:// or smtps://host:port")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return cls(
            host=parts.hostname,
            port=parts.port or PORTS[scheme],
            tls=scheme == "smtps",
            starttls=scheme == "smtp+starttls" or query.get("starttls", "").lower() == "true",
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            sender=query.get("from", DEFAULT_FROM),
            timeout=float(query.get("timeout", SMTP_TIMEOUT_SECONDS)),
        )


class SmtpTransport:
    """Delivers over SMTP; failures are sorted into transient and permanent."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    @property
    def sender(self) -> str:
        return self.config.sender

    @contextmanager
    def session(self) -> Iterator[Session]:
        try:
            client = self._connect()
        except (OSError, smtplib.SMTPException) as error:
            raise TransientFailure(f"cannot reach the SMTP server: {error}") from error
        try:
            yield _SmtpSession(client)
        finally:
            _quietly_quit(client)

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        context = ssl.create_default_context()
        if c.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                c.host, c.port, timeout=c.timeout, context=context
            )
        else:
            client = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        if c.starttls:
            client.starttls(context=context)
        if c.user:
            client.login(c.user, c.password or "")
        return client


def _quietly_quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


class _SmtpSession:
    def __init__(self, client: smtplib.SMTP) -> None:
        self.client = client

    def send(self, message: EmailMessage) -> None:
        try:
            refused = self.client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise _sorted(min(codes), str(error.recipients)) from error
        except smtplib.SMTPResponseException as error:
            raise _sorted(error.smtp_code, str(error.smtp_error)) from error
        except (OSError, smtplib.SMTPException) as error:
            raise TransientFailure(str(error)) from error
        if refused:
            raise PermanentFailure(str(refused))


def _sorted(code: int, detail: str) -> Exception:
    if code in TRANSIENT_CODE:
        return TransientFailure(f"{code} {detail}")
    return PermanentFailure(f"{code} {detail}")


class DirectoryTransport:
    """Development: each e-mail becomes `<folder>/<Message-ID>.eml`, written atomically, so
    a resend overwrites the same file instead of adding a second one.
    """

    def __init__(self, folder: Path, sender: str = DEFAULT_FROM) -> None:
        self.folder = folder
        self._sender = sender

    @property
    def sender(self) -> str:
        return self._sender

    @contextmanager
    def session(self) -> Iterator[Session]:
        self.folder.mkdir(parents=True, exist_ok=True)
        yield self

    def send(self, message: EmailMessage) -> None:
        name = "".join(c if c.isalnum() or c in ".-" else "_" for c in message["Message-ID"])
        target = self.folder / f"{name.strip('_')}.eml"
        partial = target.with_suffix(".eml.partial")
        partial.write_bytes(message.as_bytes())
        os.replace(partial, target)
