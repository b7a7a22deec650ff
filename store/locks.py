"""Every PostgreSQL advisory lock the service takes, named in one place.

Processes starting together on one PostgreSQL database (the API's workers, a projection
runner, a mail sender) would otherwise race in the catalogue ("tuple concurrently
updated": CREATE ... IF NOT EXISTS is not safe against a concurrent create). Each lock
below serialises one such step; their ids must stay distinct. SQLite needs none of them:
its writers are serialised by the file lock.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.conninfo import make_conninfo

if TYPE_CHECKING:
    from store.database import Tx


class AdvisoryLock(IntEnum):
    """The advisory lock ids, one per step that must not run twice at once."""

    PROJECTION_SCHEMAS = 4711
    """projections.runner: creating the read models' tables, views and generations."""
    SCHEMA_VERSION = 4712
    """store.schema: reading and recording the database's schema version."""
    EVENT_TABLES = 4713
    """api.bootstrap: the event store library creating its tables."""
    PROJECTION_LEASES = 4714
    """projections.workers: the first key of each projection's lease (issue 20); the second
    is `lease_key` of the projection (or segment)."""
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


# --- projection leases (issue 20) ------------------------------------------------------------

LEASE_KEEPALIVE = {"keepalives_idle": 4, "keepalives_interval": 2, "keepalives_count": 3}
"""TCP keepalives of a lease's connection, on both ends: a worker whose machine vanishes
(no FIN, no RST) is noticed by the server in at most 4 + 2 * 3 = 10 s, and its session,
with every lease it held, ends. A killed worker on a live machine (kill -9) loses them at
once: the kernel closes its socket and the server ends the session."""
LEASE_APPLICATION = "billing-projections"
"""`application_name` prefix of a lease connection: `projections status` names the owner."""


def lease_key(schema: str | None, unit: str) -> int:
    """The second key of a lease's advisory lock (the first is PROJECTION_LEASES): stable
    across versions and processes, distinct per schema of one database."""
    return zlib.crc32(f"{schema or ''}/{unit}".encode()) & 0x7FFFFFFF


class Leases:
    """Claims on projections (issue 20): session advisory locks on one connection of their
    own. A claim lives exactly as long as the session: no expiry to renew, no clock to
    trust, and PostgreSQL itself releases it when the worker dies. (A lease row with an
    expiry would need a heartbeat thread, a clock skew margin and a reaper, to do what the
    server already does for a session.) Ownership only divides the work: exactly once is
    the runner's, which locks the projection's rows and skips what its position covers."""

    def __init__(self, conninfo: str, schema: str | None, owner: str) -> None:
        self.conninfo, self.schema, self.owner = conninfo, schema, owner
        self.conn = self._connect()
        self.held: set[str] = set()

    def _connect(self) -> psycopg.Connection[Any]:
        conninfo = make_conninfo(
            self.conninfo, application_name=f"{LEASE_APPLICATION}:{self.owner}", keepalives=1,
            **LEASE_KEEPALIVE,
        )  # fmt: skip
        conn = psycopg.connect(conninfo, autocommit=True)
        for name, value in LEASE_KEEPALIVE.items():  # the server's side of the keepalives
            conn.execute(f"SET tcp_{name} = {int(value)}")
        return conn

    def alive(self) -> bool:
        """Whether the session (and so every lease held) is still there; if not, the claims
        are gone: a new session starts with none."""
        try:
            self.conn.execute("SELECT 1")
        except psycopg.Error:
            self.held.clear()
            with contextlib.suppress(psycopg.Error):
                self.conn.close()
            self.conn = self._connect()
            return False
        return True

    def claim(self, unit: str) -> bool:
        """Take the unit's lease if nobody holds it; whether this session holds it now."""
        if unit in self.held:
            return True
        row = self.conn.execute(
            "SELECT pg_try_advisory_lock(%s, %s)",
            (int(AdvisoryLock.PROJECTION_LEASES), lease_key(self.schema, unit)),
        ).fetchone()
        if row and row[0]:
            self.held.add(unit)
        return unit in self.held

    def release(self, unit: str) -> None:
        if unit in self.held:
            self.conn.execute(
                "SELECT pg_advisory_unlock(%s, %s)",
                (int(AdvisoryLock.PROJECTION_LEASES), lease_key(self.schema, unit)),
            )
            self.held.discard(unit)

    def workers(self) -> tuple[int, list[int]]:
        """This session's server pid, and those of every lease session connected (workers,
        this one included), in order: the same list for every worker."""
        rows = self.conn.execute(
            "SELECT pid, pid = pg_backend_pid() FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name LIKE %s ORDER BY pid",
            (f"{LEASE_APPLICATION}:%",),
        ).fetchall()
        mine = [int(pid) for pid, me in rows if me]
        return (mine or [0])[0], [int(pid) for pid, _ in rows]

    def close(self) -> None:
        self.conn.close()  # the session ends: every lease with it
        self.held.clear()


def lease_owners(tx: Tx, schema: str | None, units: Iterable[str]) -> dict[str, str]:
    """Who holds each unit's lease (the owner named by its lease connection), PostgreSQL."""
    by_key = {lease_key(schema, unit): unit for unit in units}
    rows = tx.all(
        "SELECT l.objid, a.application_name FROM pg_locks l JOIN pg_stat_activity a "
        "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        f"AND l.classid = {int(AdvisoryLock.PROJECTION_LEASES)} AND l.objsubid = 2"
    )
    return {
        by_key[int(key)]: str(name).removeprefix(f"{LEASE_APPLICATION}:")
        for key, name in rows
        if int(key) in by_key
    }
