"""Idempotency keys expire after 24 hours (issue 18, as Stripe's do): a retry after that is a
new request, and expired rows are purged from the store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from store.idempotency import (
    KEY_LIFETIME_SECONDS,
    Answer,
    IdempotencyStore,
    Mismatch,
    Reserved,
    idempotency_store,
)

DAY = 24 * 3600
ANSWER = Answer(201, [("content-type", "application/json")], b'{"position": 7}')


@dataclass
class Clock:
    now: float = 1_000_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(store_url: str, clock: Clock) -> Iterator[IdempotencyStore]:
    keys = idempotency_store(store_url, clock=clock)
    yield keys
    keys.close()


def _answered(store: IdempotencyStore, key: str, print_: str = "first") -> None:
    assert store.reserve("person:alice", key, print_) == Reserved()
    store.complete("person:alice", key, ANSWER)


def test_keys_live_a_day() -> None:
    assert KEY_LIFETIME_SECONDS == DAY


def test_within_a_day_the_same_key_replays_or_refuses(
    store: IdempotencyStore, clock: Clock
) -> None:
    _answered(store, "k1")
    clock.now += DAY - 1
    assert store.reserve("person:alice", "k1", "first") == ANSWER
    assert store.reserve("person:alice", "k1", "other") == Mismatch()


def test_after_a_day_the_same_key_is_a_new_request(store: IdempotencyStore, clock: Clock) -> None:
    _answered(store, "k1")
    clock.now += DAY + 1
    assert store.reserve("person:alice", "k1", "other") == Reserved()
    store.complete("person:alice", "k1", Answer(200, [], b"{}"))
    assert store.reserve("person:alice", "k1", "other") == Answer(200, [], b"{}")


def test_expired_keys_are_purged(store: IdempotencyStore, clock: Clock) -> None:
    for key in ("old-1", "old-2"):
        _answered(store, key)
    clock.now += DAY + 1
    _answered(store, "new")
    assert store.count() == 1
