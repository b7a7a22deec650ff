"""Reads from a hot standby (`BILLING_READ_DATABASE_URL`, issue 20).

The read models' queries run on a streaming replica of the primary (`pg_basebackup -R`):
the projections write a read model and its position in one transaction on the primary,
so both arrive on the standby together and `min_position` waits on the standby's own
positions. While the standby does not answer, reads fail fast with `ReplicaUnavailable`
(503 with `Retry-After`); they never fall back to the primary behind the caller's back, so
a caller that waited for its position on one database never reads another. After a failure
the standby is left alone for `RETRY_SECONDS`, then tried again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from store.errors import ReplicaUnavailable

CHECKOUT_SECONDS = 2.0
"""How long a read waits for a standby connection before answering 503."""
RETRY_SECONDS = 1.0
"""How long after a failure reads refuse at once instead of trying the standby again."""


class Replica:
    """A pool of read-only connections to the standby, with a breaker that opens on failure."""

    def __init__(
        self, pool: ConnectionPool[Any], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.pool, self.clock = pool, clock
        self._lock = threading.Lock()
        self._refused_until = 0.0
        self._reason = ""

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A standby connection; `ReplicaUnavailable` if the standby does not answer."""
        with self._lock:
            if self.clock() < self._refused_until:
                raise ReplicaUnavailable(f"the read replica is unreachable: {self._reason}")
        try:
            with self.pool.connection(timeout=CHECKOUT_SECONDS) as conn:
                yield conn
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            raise self._failed(error) from error

    def _failed(self, error: Exception) -> ReplicaUnavailable:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        with self._lock:
            self._refused_until, self._reason = self.clock() + RETRY_SECONDS, reason
        return ReplicaUnavailable(f"the read replica is unreachable: {reason}")

    def close(self) -> None:
        self.pool.close()
