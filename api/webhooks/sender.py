"""The webhook sender: posts the webhooks projection's messages, signed, at least once.

Each pass claims the oldest due message of every endpoint (at most one per endpoint, so a
slow or dead endpoint holds one worker thread and never another endpoint's messages) and
posts them in parallel, each with a 10 s timeout. A 2xx settles the message; anything else
schedules the next attempt after an exponential backoff with jitter, for 3 days from the
first attempt, then the message fails and the endpoint is disabled (an event). A crash
mid-delivery leaves the message leased; the lease runs out and it is sent again under the
same `webhook-id`, which receivers use to fold the two. Requests never wait for any of
this: the sender runs in its own thread or process.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from standardwebhooks import Webhook

from api.webhooks.network import Answer, RefusedAddress, post
from domain.ports import SecretBox
from projections.webhooks import message_id
from store.webhooks import DueMessage, SqlWebhookDeliveries

log = logging.getLogger("billing_center.webhooks")

WORKERS = 8
LEASE = timedelta(minutes=1)
IDLE_SECONDS = 0.5
RETRY_FOR = timedelta(days=3)

Poster = Callable[[str, bytes, dict[str, str]], Answer]
Disable = Callable[[UUID, str], None]


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass
class RetryBackoff:
    """Exponential waits with jitter: `first` doubled per failed attempt, up to `ceiling`,
    each scaled by a random factor in [1 - jitter, 1 + jitter]."""

    first: timedelta = timedelta(seconds=5)
    ceiling: timedelta = timedelta(hours=5)
    jitter: float = 0.2
    rng: random.Random = field(default_factory=random.Random)

    def after(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt."""
        base = min(self.ceiling, self.first * (1 << min(max(attempts - 1, 0), 32)))
        factor: float = self.rng.uniform(1 - self.jitter, 1 + self.jitter)
        return base * factor


def signed_headers(secret: str, msg_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt."""
    return {
        "content-type": "application/json",
        "user-agent": "billing-center-webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body),
    }


class WebhookSender:
    """Delivers due messages through `poster`, recording every attempt."""

    def __init__(
        self,
        deliveries: SqlWebhookDeliveries,
        secrets: SecretBox,
        disable: Disable,
        *,
        poster: Poster,
        backoff: RetryBackoff | None = None,
        clock: Callable[[], datetime] = utc_now,
        lease: timedelta = LEASE,
        workers: int = WORKERS,
    ) -> None:
        self.deliveries, self.secrets, self.disable = deliveries, secrets, disable
        self.poster, self.clock, self.lease = poster, clock, lease
        self.backoff = backoff or RetryBackoff()
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook")
        self.workers = workers
        self._busy: set[str] = set()
        self._lock = threading.Lock()

    def send_due(self) -> int:
        """Start the due messages of idle endpoints; how many were started."""
        with self._lock:
            free = self.workers - len(self._busy)
            busy = frozenset(self._busy)
        if free <= 0:
            return 0
        due = self.deliveries.claim(self.clock(), self.lease, free, busy)
        for message in due:
            with self._lock:
                self._busy.add(message.endpoint_id)
            self.pool.submit(self._attempt, message)
        return len(due)

    def _attempt(self, message: DueMessage) -> None:
        try:
            self.deliver(message)
        except Exception:
            log.exception("webhook %s failed unexpectedly", message.position)
            self.deliveries.release([message])
        finally:
            with self._lock:
                self._busy.discard(message.endpoint_id)

    def deliver(self, message: DueMessage) -> None:
        """One attempt of one message, recorded with what comes next."""
        msg_id = message_id(message.position, message.endpoint_id)
        body, now = message.body.encode(), self.clock()
        headers = signed_headers(self.secrets.open(message.sealed_secret), msg_id, now, body)
        status, error = None, ""
        try:
            status = self.poster(message.url, body, headers).status
        except RefusedAddress as refused:
            error = f"refused: {refused}"
        except OSError as failure:  # timeouts, refused connections, TLS, bad answers
            error = f"{type(failure).__name__}: {failure}"[:500]
        except Exception as failure:
            error = f"{type(failure).__name__}: {failure}"[:500]
        self._settle(message, status, error)

    def _settle(self, message: DueMessage, status: int | None, error: str) -> None:
        now = self.clock()
        if status is not None and 200 <= status < 300:  # noqa: PLR2004 2xx
            self.deliveries.record(message, now, status, error, None)
            return
        first = message.first_attempt_at or now
        following = now + self.backoff.after(message.attempts + 1)
        if following - first > RETRY_FOR:
            self.deliveries.record(message, now, status, error, None)
            log.warning("webhook endpoint %s failed for 3 days: disabled", message.endpoint_id)
            self.disable(UUID(message.endpoint_id), "messages failed for 3 days")
            return
        self.deliveries.record(message, now, status, error, following)

    def idle(self) -> bool:
        """No attempt in flight."""
        with self._lock:
            return not self._busy

    def run(self, stop: threading.Event, idle: float = IDLE_SECONDS) -> None:
        """Send due messages until `stop` is set, polling every `idle` seconds."""
        while not stop.is_set():
            try:
                started = self.send_due()
            except Exception:
                log.exception("webhook sender failed; retrying")
                started = 0
            stop.wait(idle if not started else idle / 10)
        self.pool.shutdown(wait=True)


class SenderThread:
    """The sender as a daemon thread of the API process (or of `billing-center webhooks run`)."""

    def __init__(self, sender: WebhookSender, idle: float = IDLE_SECONDS) -> None:
        self.sender = sender
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=sender.run, args=(self._stop, idle), name="webhook-sender", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop after the attempts in flight."""
        self._stop.set()
        self._thread.join(timeout)


def http_poster(allow_private: bool) -> Poster:
    """The real network, refusing non-public addresses unless `allow_private`."""

    def send(url: str, body: bytes, headers: dict[str, str]) -> Answer:
        return post(url, body, headers, allow_private=allow_private)

    return send
