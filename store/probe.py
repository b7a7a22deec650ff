"""Whether the database answers: the check behind the API's store gate and /health."""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from store.url import is_postgres, postgres_conninfo

PROBE_CONNECT_TIMEOUT_SECONDS = 2

Probe = Callable[[], str | None]


def probe_for(database_url: str) -> Probe:
    """A check that the database answers: None when it does, else why not."""
    if not is_postgres(database_url):
        return lambda: None  # SQLite and memory live in this process
    conninfo, _ = postgres_conninfo(database_url)

    def probe() -> str | None:
        try:
            with psycopg.connect(conninfo, connect_timeout=PROBE_CONNECT_TIMEOUT_SECONDS) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as error:
            return str(error).splitlines()[0] if str(error) else type(error).__name__
        return None

    return probe
