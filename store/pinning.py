"""One connection per request (issue 20).

A request used to check a connection out of a pool for each query, and return it:
`GET /v1/me` took four checkouts for four queries. Inside `one_connection_per_request()`
(the HTTP routes' hop opens it around every sync endpoint, api/http/hop.py) the first query
on a pool checks one connection out of it and every later query of the request on that pool
reuses it (`pinned`); all are returned when the request ends, even on error. Outside one,
`pinned` checks out and returns as before (the runner, the senders, the `min_position` wait).
The event store joins a request's connection only within one (`in_request`): outside, it
reads on its own pool, which lives as long as the application, so a sender or a key check
finishing after the read models' pool closed at shutdown still reads (session 10).

A write never waits for its group commit holding a request's connections: the recorder
returns them first (`release`), and a later query checks one out again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

import psycopg

Checkout = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]


class _Held:
    """The connections a request holds, by the pool they came from."""

    def __init__(self, stack: ExitStack) -> None:
        self.stack = stack
        self.connections: dict[int, psycopg.Connection[Any]] = {}  # by id() of their pool

    def connection(self, pool: object, checkout: Checkout) -> psycopg.Connection[Any]:
        conn = self.connections.get(id(pool))
        if conn is None or conn.broken or conn.closed:  # a lost one goes back with the rest
            conn = self.connections[id(pool)] = self.stack.enter_context(checkout())
        return conn

    def release(self) -> None:
        self.connections.clear()
        self.stack.close()  # an emptied ExitStack can be used again


_HELD: ContextVar[_Held | None] = ContextVar("billing_request_connections", default=None)


@contextmanager
def one_connection_per_request() -> Iterator[None]:
    """Within: one connection per pool for every query, returned on the way out."""
    with ExitStack() as stack:
        token = _HELD.set(_Held(stack))
        try:
            yield
        finally:
            _HELD.reset(token)


def pinned(pool: object, checkout: Checkout) -> AbstractContextManager[psycopg.Connection[Any]]:
    """A connection of `pool`: the request's own if one is open (`checkout` the first time),
    else `checkout()` itself, returned when the caller is done."""
    held = _HELD.get()
    if held is None:
        return checkout()
    return nullcontext(held.connection(pool, checkout))


def in_request() -> bool:
    """Whether the caller runs inside `one_connection_per_request`."""
    return _HELD.get() is not None


def release() -> None:
    """Return the request's connections now (before a write waits for its commit)."""
    held = _HELD.get()
    if held is not None:
        held.release()
