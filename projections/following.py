"""Following the store live: when a runner takes its next page (issue 20).

A runner that catches up (full pages) takes page after page. Following live writes it
waits to be woken (PostgreSQL: the NOTIFY the event recorder sends after each insert, with
a poll fallback; SQLite: a poll every 50 ms), and takes a page at most every
`STEP_INTERVAL_SECONDS`, so the events written meanwhile share it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from store.database import Database, PostgresDatabase

POLL_SECONDS = 0.05
LISTEN_TIMEOUT_SECONDS = 0.5
STEP_INTERVAL_SECONDS = 0.02
"""Following live writes, a page at most this often after a quiet spell. A page costs
about the same whatever it holds (the notification log read, a transaction, the units'
locks and positions, each projection's lookups in `prepare` and its writes), so stepping
on every NOTIFY cost a page per event, about 150 pages a second per worker under the
soak's writes (issue 20). Waiting out the rest of 20 ms gathers what arrived meanwhile;
an event written after a quiet spell is still applied at once."""
BUSY_INTERVAL_SECONDS = 0.1
"""Under sustained writes, a page at most this often: each page that found events while
the writes kept coming (the waiter woke at once) lengthens the interval by
`STEP_INTERVAL_SECONDS`, up to this. So a read with `min_position` waits at most this long
more than the page itself takes; a quiet spell (the waiter waited `STEP_INTERVAL_SECONDS`
or more, or a page found nothing) brings the interval back to `STEP_INTERVAL_SECONDS`."""


def follow(step: Callable[[], int], page_size: int, waiter: Any, stop: threading.Event) -> None:
    """Call `step` until `stop` is set: again at once while pages come full (catching up),
    else once `waiter` is woken (a NOTIFY, a poll) and the interval has passed since the
    last step began (`STEP_INTERVAL_SECONDS`, longer under sustained writes, at most
    `BUSY_INTERVAL_SECONDS`); `waiter` is closed at the end."""
    began, interval = 0.0, STEP_INTERVAL_SECONDS
    try:
        while not stop.is_set():
            pause = began + interval - time.monotonic()
            if pause > 0:
                if stop.wait(pause):
                    break  # stopped while pausing: no further page
                continue  # a wait may end a hair early: measure again
            began = time.monotonic()
            count = step()
            if count >= page_size:
                began = 0.0
                continue
            ended = time.monotonic()
            waiter(stop)
            quiet = not count or time.monotonic() - ended >= STEP_INTERVAL_SECONDS
            busier = min(BUSY_INTERVAL_SECONDS, interval + STEP_INTERVAL_SECONDS)
            interval = STEP_INTERVAL_SECONDS if quiet else busier
    finally:
        waiter.close()


class _Poll:
    def __call__(self, stop: threading.Event) -> None:
        stop.wait(POLL_SECONDS)

    def close(self) -> None:
        return None


class _Listen:
    """Woken by the event recorder's NOTIFY; times out as a poll fallback."""

    def __init__(self, db: PostgresDatabase, channel: str) -> None:
        self.conn = db.listen_connection()
        self.conn.execute(f'LISTEN "{channel}"')

    def __call__(self, stop: threading.Event) -> None:  # noqa: ARG002 (wakes on NOTIFY)
        for _ in self.conn.notifies(timeout=LISTEN_TIMEOUT_SECONDS, stop_after=1):
            pass

    def close(self) -> None:
        self.conn.close()


def waiter_for(db: Database, store: Application[UUID]) -> Any:
    channel = getattr(store.recorder, "channel_name", None)
    if isinstance(db, PostgresDatabase) and channel:
        return _Listen(db, channel)
    return _Poll()
