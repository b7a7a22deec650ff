"""Issue 20: a command's lost races and retries are told to the observers (the metrics'
`billing_command_conflicts_total` and `_retries_total`) through a port, never an import of
prometheus in `domain/`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from eventsourcing.persistence import IntegrityError

from domain.application import retries
from domain.application.retries import ATTEMPTS, Receipt, command, observe_races
from domain.caller import Caller
from domain.errors import ConcurrentChange


@dataclass
class Tally:
    lost: int = 0
    retries: int = 0

    def lost_race(self) -> None:
        self.lost += 1

    def retried(self) -> None:
        self.retries += 1


@dataclass
class Racer:
    """A command that loses the race `losses` times, then saves."""

    losses: int
    calls: list[int] = field(default_factory=list)

    @command
    def save(self, caller: Caller) -> Receipt[None]:  # noqa: ARG002 (the decorator's)
        self.calls.append(1)
        if len(self.calls) <= self.losses:
            raise IntegrityError("version taken")
        return Receipt(7, None)


@pytest.fixture
def tally() -> Iterator[Tally]:
    observer = Tally()
    observe_races(observer)
    try:
        yield observer
    finally:
        retries._OBSERVERS.remove(observer)


def test_each_lost_race_is_a_conflict_and_a_retry(tally: Tally) -> None:
    assert Racer(losses=2).save(Caller("alice")).position == 7
    assert (tally.lost, tally.retries) == (2, 2)


def test_a_command_that_keeps_losing_is_not_retried_past_its_last_attempt(tally: Tally) -> None:
    with pytest.raises(ConcurrentChange):
        Racer(losses=ATTEMPTS).save(Caller("alice"))
    assert (tally.lost, tally.retries) == (ATTEMPTS, ATTEMPTS - 1)
