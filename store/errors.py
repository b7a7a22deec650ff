"""The storage errors the layers above catch, by what they mean, without naming a driver."""

from __future__ import annotations

import sqlite3

import psycopg
from eventsourcing import persistence
from eventsourcing.persistence import DataError, InterfaceError, OperationalError

STORE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,  # psycopg_pool.PoolTimeout is one
    psycopg.InterfaceError,
)
"""The database is unreachable (503): the event store (eventsourcing wraps psycopg's
errors), the read models and the idempotency keys (psycopg and its pool)."""

DATA_ERRORS: tuple[type[Exception], ...] = (DataError, psycopg.DataError)
"""A value the database refuses (eventsourcing wraps psycopg's for the event store)."""

DRIVER_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, psycopg.Error)
"""Anything either driver raises (a statement that may fail harmlessly, e.g. a race)."""


class ReplicaUnavailable(Exception):
    """The hot standby of `BILLING_READ_DATABASE_URL` does not answer (issue 20).

    Not a `STORE_ERRORS` member: the primary is fine, so writes go on and the outage gate
    stays open; reads answer 503 with `Retry-After` and never fall back to the primary.
    """


def library_error(error: Exception) -> persistence.PersistenceError:
    """The library's exception for a DB-API one (psycopg's or sqlite3's), by the DB-API class
    it is an instance of, as the library's recorders raise them."""
    for kind in type(error).__mro__:
        library = getattr(persistence, kind.__name__, None)
        if isinstance(library, type) and issubclass(library, persistence.PersistenceError):
            mapped = library(str(error))
            mapped.__cause__ = error
            return mapped
    return persistence.PersistenceError(str(error))
