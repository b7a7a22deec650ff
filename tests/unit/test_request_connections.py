"""Issue 20: inside a read request every query of a pool shares one connection, returned
when the request ends (even on error) or before a write waits for its commit; outside one,
each query checks out and returns its own (store/pinning.py). A fake pool counts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from store.pinning import one_connection_per_request, pinned, release


@dataclass(eq=False)
class FakeConnection:
    broken: bool = False
    closed: bool = False


@dataclass(eq=False)
class FakePool:
    """Hands out a new connection per checkout; remembers which are out."""

    out: list[FakeConnection] = field(default_factory=list)
    checkouts: int = 0

    @contextmanager
    def connection(self) -> Iterator[FakeConnection]:
        conn = FakeConnection()
        self.checkouts += 1
        self.out.append(conn)
        try:
            yield conn
        finally:
            self.out.remove(conn)


def _query(pool: FakePool) -> FakeConnection:
    with pinned(pool, pool.connection) as conn:  # type: ignore[arg-type]
        return conn  # type: ignore[return-value]


def test_outside_a_request_each_query_checks_out_and_returns_its_own() -> None:
    pool = FakePool()
    assert _query(pool) is not _query(pool)
    assert pool.checkouts == 2
    assert pool.out == []


def test_a_request_checks_out_one_connection_for_all_its_queries() -> None:
    pool = FakePool()
    with one_connection_per_request():
        first, second, third = _query(pool), _query(pool), _query(pool)
        assert pool.out == [first]
    assert first is second is third
    assert pool.checkouts == 1
    assert pool.out == []


def test_each_pool_gives_a_request_its_own_connection() -> None:
    primary, standby = FakePool(), FakePool()
    with one_connection_per_request():
        assert _query(primary) is not _query(standby)
        _query(primary)
    assert (primary.checkouts, standby.checkouts) == (1, 1)
    assert primary.out == standby.out == []


def test_a_failing_request_still_returns_its_connection() -> None:
    pool = FakePool()

    def refused() -> None:
        with one_connection_per_request():
            _query(pool)
            raise LookupError("refused")

    with pytest.raises(LookupError):
        refused()
    assert pool.out == []


def test_released_connections_go_back_at_once_and_a_later_query_takes_another() -> None:
    """A write waits for its group commit holding none of the request's connections."""
    pool = FakePool()
    with one_connection_per_request():
        before = _query(pool)
        release()
        assert pool.out == []
        after = _query(pool)
        assert after is not before
        assert pool.out == [after]
    assert pool.out == []


def test_a_lost_connection_is_not_used_again() -> None:
    pool = FakePool()
    with one_connection_per_request():
        lost = _query(pool)
        lost.broken = True
        assert _query(pool) is not lost
    assert pool.checkouts == 2
    assert pool.out == []
