"""Every PostgreSQL advisory lock the service takes, named in one place.

Processes starting together on one PostgreSQL database (the API's workers, a projection
runner, a mail sender) would otherwise race in the catalogue ("tuple concurrently
updated": CREATE ... IF NOT EXISTS is not safe against a concurrent create). Each lock
below serialises one such step; their ids must stay distinct. SQLite needs none of them:
its writers are serialised by the file lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum

import psycopg


class AdvisoryLock(IntEnum):
    """The advisory lock ids, one per step that must not run twice at once."""

    PROJECTION_SCHEMAS = 4711
    """projections.runner: creating the read models' tables, views and generations."""
    SCHEMA_VERSION = 4712
    """store.schema: reading and recording the database's schema version."""
    EVENT_TABLES = 4713
    """api.bootstrap: the event store library creating its tables."""
    WEBHOOK_CLAIMS = 4722
    """store.webhooks: senders claiming due webhook messages (one endpoint, one sender)."""


def transaction_lock(lock: AdvisoryLock) -> str:
    """The statement that takes `lock` until the end of the current transaction."""
    return f"SELECT pg_advisory_xact_lock({int(lock)})"


@contextmanager
def session_lock(conninfo: str, lock: AdvisoryLock) -> Iterator[None]:
    """Hold `lock` on a connection of its own while the block runs."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (int(lock),))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (int(lock),))
