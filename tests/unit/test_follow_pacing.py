"""Issue 20: a runner following live writes applies a page at most every
`STEP_INTERVAL_SECONDS`, so events written meanwhile share one page; catching up (full
pages) it never waits."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from projections import runner
from projections.runner import STEP_INTERVAL_SECONDS, follow

PAGE = 10
LONG = 5.0


@dataclass
class Script:
    """Steps that read the given counts of events, then set `stop`; a waiter that wakes at once
    (as a NOTIFY already queued would) and counts its calls."""

    counts: list[int]
    stop: threading.Event = field(default_factory=threading.Event)
    began: list[float] = field(default_factory=list)
    waits: int = 0
    closed: bool = False

    def step(self) -> int:
        self.began.append(time.monotonic())
        count = self.counts.pop(0)
        if not self.counts:
            self.stop.set()
        return count

    def __call__(self, stop: threading.Event) -> None:
        del stop
        self.waits += 1

    def close(self) -> None:
        self.closed = True


def test_steps_following_live_writes_begin_at_least_the_interval_apart() -> None:
    script = Script([1, 2, 0, 1])
    follow(script.step, PAGE, script, script.stop)
    gaps = [b - a for a, b in zip(script.began, script.began[1:], strict=False)]
    assert len(gaps) == 3
    assert all(gap >= STEP_INTERVAL_SECONDS for gap in gaps), gaps


def test_full_pages_follow_each_other_without_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "STEP_INTERVAL_SECONDS", LONG)  # a pause would show
    script = Script([PAGE, PAGE, PAGE, 3])
    follow(script.step, PAGE, script, script.stop)
    assert script.waits == 1  # only after the last, partial page
    assert script.began[-1] - script.began[0] < LONG


def test_the_waiter_is_closed_when_following_stops() -> None:
    script = Script([0])
    follow(script.step, PAGE, script, script.stop)
    assert script.closed
