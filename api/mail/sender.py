"""The mail sender: drains the notification outbox into the transport, at least once.

Each row is claimed (leased), rendered, sent, and settled on its own as soon as the server
accepted it, so a crash mid-batch re-sends at most the message in flight — and that one with
the same Message-ID and bytes, which receiving systems fold into one. While the server is
down, claimed rows are handed back and the sender waits, doubling the wait up to a ceiling.
Commands never wait for any of this: the sender runs in its own thread or process.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from api.mail.facts import FactSource
from api.mail.message import compose, message_id
from api.mail.outbox import DeliveryQueue
from api.mail.statement_mail import StatementFacts, compose_statement
from api.mail.transport import PermanentFailure, Session, TransientFailure, Transport
from api.metrics.series import MAIL_FAILURES
from projections.queries import OutboxMessage

log = logging.getLogger("billing_center.mail")

BATCH = 20
LEASE = timedelta(minutes=2)
IDLE_SECONDS = 1.0


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass
class DeliveryBackoff:
    """Waits that double from `first` up to `ceiling` while failures last."""

    first: float = 1.0
    ceiling: float = 300.0
    failures: int = 0

    def next(self) -> float:
        """How long to wait after one more failure."""
        self.failures += 1
        return float(min(self.ceiling, self.first * 2 ** (self.failures - 1)))

    def reset(self) -> None:
        """The server answered again."""
        self.failures = 0


class MailSender:
    """Turns outbox rows into e-mails through a transport."""

    def __init__(
        self,
        outbox: DeliveryQueue,
        facts: FactSource,
        transport: Transport,
        *,
        batch: int = BATCH,
        lease: timedelta = LEASE,
        clock: Callable[[], datetime] = utc_now,
        before_drain: Callable[[], object] | None = None,
    ) -> None:
        self.outbox, self.facts, self.transport = outbox, facts, transport
        self.before_drain = before_drain  # e.g. close the ended statement periods (R12)
        self.batch, self.lease, self.clock = batch, lease, clock
        self.owner = uuid.uuid4().hex
        self.domain = transport.sender.rpartition("@")[2] or "billing-center"

    def send_batch(self) -> int:
        """Claim and deliver one batch; how many rows it settled (0: nothing to do)."""
        rows = self.outbox.claim(self.owner, self.batch, self.clock(), self.lease)
        pending = list(rows)
        if not pending:
            return 0
        try:
            with self.transport.session() as session:
                while pending:
                    self._deliver(session, pending[0])
                    pending.pop(0)
        except BaseException:
            self.outbox.release(pending)  # back to the queue at once, not at lease end
            raise
        return len(rows)

    def _deliver(self, session: Session, row: OutboxMessage) -> None:
        mid = message_id(row, self.domain)
        facts = self.facts.facts(row)
        if facts is None:
            self.outbox.settle(row, mid, "SKIPPED", self.clock())
            return
        try:
            if isinstance(facts, StatementFacts):
                mail = compose_statement(row, facts, self.transport.sender, self.domain)
            else:
                mail = compose(row, facts, self.transport.sender, self.domain)
            session.send(mail)
        except PermanentFailure as error:
            MAIL_FAILURES.labels("permanent").inc()
            log.error("mail %s refused for good: %s", mid, error)
            self.outbox.settle(row, mid, "FAILED", self.clock())
            return
        self.outbox.settle(row, mid, "SENT", self.clock())

    def drain(self) -> int:
        """Deliver until the outbox has nothing left to claim; how many rows were settled."""
        total = 0
        while settled := self.send_batch():
            total += settled
        return total

    def run(
        self,
        stop: threading.Event,
        idle: float = IDLE_SECONDS,
        backoff: DeliveryBackoff | None = None,
    ) -> None:
        """Drain, then poll every `idle` seconds, until `stop` is set; back off on failures."""
        backoff = backoff or DeliveryBackoff()
        while not stop.is_set():
            try:
                if self.before_drain is not None:
                    self.before_drain()
                self.drain()
            except TransientFailure as error:
                MAIL_FAILURES.labels("transient").inc()
                wait = backoff.next()
                log.warning("mail server unavailable (%s); retrying in %.0f s", error, wait)
                stop.wait(wait)
                continue
            except Exception:
                log.exception("mail sender failed; retrying")
                stop.wait(backoff.next())
                continue
            backoff.reset()
            stop.wait(idle)


class SenderThread:
    """The sender as a daemon thread of the API process (or of `billing-center mail run`)."""

    def __init__(
        self, sender: MailSender, idle: float = IDLE_SECONDS, backoff: DeliveryBackoff | None = None
    ) -> None:
        self.sender = sender
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=sender.run, args=(self._stop, idle, backoff), name="mail-sender", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the message in flight, if any."""
        self._stop.set()
        self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread (until `stop`, from another thread or a signal)."""
        self._thread.join(timeout)
