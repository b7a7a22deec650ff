"""Webhook delivery (issue 22) against a real receiver on loopback: retried until it
recovers, given up after 3 days with the endpoint disabled, one endpoint never holding up
another, exactly one message per event and endpoint after a rebuild, redelivery."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from uuid import UUID

import pytest

from api.webhooks.network import Answer
from api.webhooks.sender import RetryBackoff, WebhookSender, http_poster
from api.webhooks.service import SENDER
from domain.application import BillingCenter
from projections.runner import Runner, ensure_schema, rebuild
from store.database import Database, open_database
from store.url import eventsourcing_env
from store.webhooks import SqlWebhookDeliveries
from tests.builders import (
    ACCOUNT,
    OTHER_ACCOUNT,
    bill,
    billing_center,
    enrolled_company,
    event_names,
    issue,
    person,
)
from tests.webhook_receiver import Receiver, receiving

TODAY = datetime.now(UTC).date()  # events carry the real time: A7's window is today's
QUICK = RetryBackoff(first=timedelta(milliseconds=10), ceiling=timedelta(milliseconds=50))


@dataclass
class Hooks:
    """A company with an endpoint on a real receiver, the projection runner, the log."""

    app: BillingCenter
    db: Database
    company: UUID
    receiver: Receiver
    webhook: UUID
    deliveries: SqlWebhookDeliveries

    def catch_up(self) -> None:
        Runner(self.db, self.app, ["webhooks"]).catch_up()

    def sender(self, **options: object) -> WebhookSender:
        def disable(webhook_id: UUID, reason: str) -> None:
            self.app.disable_webhook(SENDER, webhook_id, reason)

        options.setdefault("poster", http_poster(allow_private=True))
        options.setdefault("backoff", QUICK)
        return WebhookSender(self.deliveries, self.app.secret_box, disable, **options)  # type: ignore[arg-type]

    def connect(self, receiver: Receiver, company: UUID | None = None) -> UUID:
        created = self.app.create_webhook(
            person("alice" if company is None else "zoe"),
            company or self.company,
            receiver.url,
            ["invoice.available"],
        ).result
        receiver.secret = created.secret
        return created.webhook_id


@pytest.fixture
def hooks(durable_store_url: str) -> Iterator[Hooks]:
    app = billing_center(eventsourcing_env(durable_store_url))
    db = open_database(durable_store_url)
    ensure_schema(db)
    company = enrolled_company(app, "alice", (ACCOUNT,))
    with receiving() as receiver:
        created = app.create_webhook(
            person("alice"), company, receiver.url, ["invoice.available"]
        ).result
        receiver.secret = created.secret
        yield Hooks(app, db, company, receiver, created.webhook_id, SqlWebhookDeliveries(db))
    db.close()


def drive(sender: WebhookSender, done: Callable[[], bool], timeout: float = 30.0) -> None:
    """Run the sender's passes until `done()` (a test bound, not a measurement)."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the sender did not get there"
        sender.send_due()
        time.sleep(0.01)


def test_a_receiver_answering_500_for_a_while_gets_the_message_after_it_recovers(
    hooks: Hooks,
) -> None:
    hooks.receiver.failures = 4
    issue(hooks.app, bill(ACCOUNT, "INV-1", issued=TODAY))
    hooks.catch_up()
    sender = hooks.sender()
    drive(sender, lambda: bool(hooks.receiver.accepted) and sender.idle())
    assert hooks.receiver.requests == 5
    (only,) = hooks.receiver.accepted.items()
    assert only[1] == 1
    log = hooks.deliveries.attempts(str(hooks.webhook), 10)
    assert [(a.attempt, a.status_code) for a in reversed(log)] == [
        (1, 500), (2, 500), (3, 500), (4, 500), (5, 204),
    ]  # fmt: skip
    assert all(a.next_attempt_at is not None for a in log[1:])
    assert log[0].next_attempt_at is None


def test_retries_back_off_exponentially_with_jitter() -> None:
    backoff = RetryBackoff(first=timedelta(seconds=5), ceiling=timedelta(hours=5), jitter=0.2)
    waits = [backoff.after(n) for n in range(1, 15)]
    for n, wait in enumerate(waits, start=1):
        base = min(timedelta(hours=5), timedelta(seconds=5) * 2 ** (n - 1))
        assert base * 0.8 <= wait <= base * 1.2
    assert len({w.total_seconds() for w in waits[-5:]}) == 5  # jittered, not in lockstep


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def test_after_3_days_of_failures_the_message_fails_and_the_endpoint_is_disabled(
    hooks: Hooks,
) -> None:
    clock, calls = Clock(), list[datetime]()

    def down(url: str, body: bytes, headers: dict[str, str]) -> Answer:
        del url, body, headers
        calls.append(clock.now)
        return Answer(503)

    issue(hooks.app, bill(ACCOUNT, "INV-1", issued=TODAY))
    hooks.catch_up()
    backoff = RetryBackoff(first=timedelta(minutes=1), ceiling=timedelta(hours=6))
    sender = hooks.sender(poster=down, clock=clock, backoff=backoff)
    while event_names(hooks.app, hooks.webhook)[-1] != "WebhookEndpointDisabled":
        assert len(calls) < 100
        drive(sender, partial(_moved_on, calls, len(calls), sender))
        clock.now += timedelta(hours=8)  # past the next attempt (at most 6 h + 20% jitter)
    assert calls[-1] - calls[0] <= timedelta(days=3)
    assert calls[-1] - calls[0] >= timedelta(days=2)
    disabled = hooks.app.events.get(hooks.webhook)
    assert list(disabled)[-1].actor == "system:webhooks"  # type: ignore[attr-defined]
    hooks.catch_up()
    assert hooks.deliveries.claim(clock.now + timedelta(days=9), timedelta(seconds=1), 10) == []


def _moved_on(calls: Sequence[object], before: int, sender: WebhookSender) -> bool:
    return len(calls) > before and sender.idle()


def test_a_slow_endpoint_never_holds_up_another(hooks: Hooks) -> None:
    with receiving() as fast:
        other = enrolled_company(hooks.app, "zoe", (OTHER_ACCOUNT,))
        hooks.connect(fast, other)
        hooks.receiver.gate.clear()  # the first endpoint holds every request it gets
        issue(hooks.app, bill(ACCOUNT, "INV-SLOW", issued=TODAY))
        hooks.catch_up()
        sender = hooks.sender()
        try:
            drive(sender, lambda: hooks.receiver.requests == 1)  # held, in flight
            issue(hooks.app, bill(OTHER_ACCOUNT, "INV-FAST", issued=TODAY))
            hooks.catch_up()
            drive(sender, lambda: bool(fast.accepted))
            assert hooks.deliveries.attempts(str(hooks.webhook), 10) == []  # still in flight
            assert hooks.receiver.requests == 1
            assert not hooks.receiver.accepted
        finally:
            hooks.receiver.gate.set()
        drive(sender, lambda: bool(hooks.receiver.accepted))


def test_a_rebuild_adds_no_message_and_sends_nothing_again(hooks: Hooks) -> None:
    for number in ("INV-1", "INV-2", "INV-3"):
        issue(hooks.app, bill(ACCOUNT, number, issued=TODAY))
    hooks.catch_up()
    sender = hooks.sender()
    drive(sender, lambda: len(hooks.receiver.accepted) == 3 and sender.idle())
    rebuild(hooks.db, hooks.app, "webhooks")
    hooks.catch_up()
    with hooks.db.read() as tx:
        assert tx.one("SELECT COUNT(*) FROM webhook_messages") == (3,)
    assert hooks.deliveries.claim(datetime.now(UTC), timedelta(seconds=1), 10) == []
    assert set(hooks.receiver.accepted.values()) == {1}


def test_redelivering_a_message_sends_it_again_under_the_same_webhook_id(hooks: Hooks) -> None:
    issue(hooks.app, bill(ACCOUNT, "INV-1", issued=TODAY))
    hooks.catch_up()
    sender = hooks.sender()
    drive(sender, lambda: bool(hooks.receiver.accepted) and sender.idle())
    (attempt,) = hooks.deliveries.attempts(str(hooks.webhook), 10)
    assert hooks.deliveries.redeliver(str(hooks.webhook), attempt.position, Clock()()) == 1
    drive(sender, lambda: sum(hooks.receiver.accepted.values()) == 2)
    assert list(hooks.receiver.accepted.values()) == [2]


def test_without_allow_private_a_loopback_endpoint_is_never_called(hooks: Hooks) -> None:
    issue(hooks.app, bill(ACCOUNT, "INV-1", issued=TODAY))
    hooks.catch_up()
    sender = hooks.sender(poster=http_poster(allow_private=False))
    log: list[str] = []

    def refused() -> bool:
        log[:] = [a.error for a in hooks.deliveries.attempts(str(hooks.webhook), 10)]
        return bool(log)

    drive(sender, refused)
    assert log[0].startswith("refused: 127.0.0.1 resolves to a non-public address")
    assert hooks.receiver.requests == 0


def test_a_sender_stopped_mid_pass_leaves_nothing_claimed_for_long(hooks: Hooks) -> None:
    issue(hooks.app, bill(ACCOUNT, "INV-1", issued=TODAY))
    hooks.catch_up()
    stop = threading.Event()
    sender = hooks.sender()
    runner = threading.Thread(target=sender.run, args=(stop, 0.01))
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while not hooks.receiver.accepted:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive()


def test_a_dead_endpoint_is_called_on_the_backoff_schedule_not_once_per_message(
    hooks: Hooks,
) -> None:
    clock, called = Clock(), list[int]()

    def down(url: str, body: bytes, headers: dict[str, str]) -> Answer:
        del url, body
        called.append(int(headers["webhook-id"].split("_")[1]))
        return Answer(500)

    for number in ("INV-1", "INV-2", "INV-3"):
        issue(hooks.app, bill(ACCOUNT, number, issued=TODAY))
    hooks.catch_up()
    backoff = RetryBackoff(first=timedelta(minutes=1), ceiling=timedelta(hours=1))
    sender = hooks.sender(poster=down, clock=clock, backoff=backoff)
    for _ in range(4):
        drive(sender, partial(_moved_on, called, len(called), sender))
        assert sender.send_due() == 0  # resting until the first message's next attempt
        clock.now += timedelta(hours=2)
    assert len(set(called)) == 1  # the oldest message, retried; the others wait behind it
