"""Issue 20: a runner following live writes applies a page at most every
`STEP_INTERVAL_SECONDS`, so events written meanwhile share one page; under sustained writes
the interval grows, up to `BUSY_INTERVAL_SECONDS`, and a quiet spell brings it back;
catching up (full pages) it never waits."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from projections import following
from projections.following import BUSY_INTERVAL_SECONDS, STEP_INTERVAL_SECONDS, follow

PAGE = 10
LONG = 5.0


@dataclass
class Script:
    """Steps that read the given counts of events, then set `stop`; a waiter that wakes at once
    (as a NOTIFY already queued would) and counts its calls."""

    counts: list[int]
    quiet: list[float] = field(default_factory=list)  # how long each wait lasts (0: at once)
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
        if self.quiet:
            time.sleep(self.quiet.pop(0))

    def close(self) -> None:
        self.closed = True


def test_steps_following_live_writes_begin_at_least_the_interval_apart() -> None:
    script = Script([1, 2, 0, 1])
    follow(script.step, PAGE, script, script.stop)
    gaps = [b - a for a, b in zip(script.began, script.began[1:], strict=False)]
    assert len(gaps) == 3
    assert all(gap >= STEP_INTERVAL_SECONDS for gap in gaps), gaps


def gaps(script: Script) -> list[float]:
    return [b - a for a, b in zip(script.began, script.began[1:], strict=False)]


def test_under_sustained_writes_the_interval_grows_up_to_the_busy_interval() -> None:
    busy = round(BUSY_INTERVAL_SECONDS / STEP_INTERVAL_SECONDS)
    script = Script([1] * (busy + 3))  # every page finds events, every wait ends at once
    follow(script.step, PAGE, script, script.stop)
    seen = gaps(script)  # each page one interval longer than the one before, from two
    assert seen[0] < 3 * STEP_INTERVAL_SECONDS, seen
    assert all(gap >= BUSY_INTERVAL_SECONDS for gap in seen[busy - 2 :]), seen
    assert max(seen) < BUSY_INTERVAL_SECONDS + STEP_INTERVAL_SECONDS, seen  # the lag's bound


def test_a_quiet_spell_brings_the_interval_back() -> None:
    busy = round(BUSY_INTERVAL_SECONDS / STEP_INTERVAL_SECONDS)
    quiet = 2 * STEP_INTERVAL_SECONDS
    # sustained writes, then a wait that lasts (nothing written meanwhile), then a page
    script = Script([1] * (busy + 4), quiet=[0.0] * (busy + 1) + [quiet])
    follow(script.step, PAGE, script, script.stop)
    seen = gaps(script)
    assert seen[busy - 1] >= BUSY_INTERVAL_SECONDS, seen
    assert seen[busy + 1] < quiet + STEP_INTERVAL_SECONDS, seen  # at once after the spell
    assert seen[busy + 2] < 3 * STEP_INTERVAL_SECONDS, seen  # and at the short pace again


def test_a_page_that_finds_nothing_brings_the_interval_back() -> None:
    busy = round(BUSY_INTERVAL_SECONDS / STEP_INTERVAL_SECONDS)
    script = Script([1] * (busy + 1) + [0, 1])
    follow(script.step, PAGE, script, script.stop)
    seen = gaps(script)
    assert seen[busy - 1] >= BUSY_INTERVAL_SECONDS, seen
    assert seen[-1] < 2 * STEP_INTERVAL_SECONDS, seen


def test_full_pages_follow_each_other_without_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(following, "STEP_INTERVAL_SECONDS", LONG)  # a pause would show
    script = Script([PAGE, PAGE, PAGE, 3])
    follow(script.step, PAGE, script, script.stop)
    assert script.waits == 1  # only after the last, partial page
    assert script.began[-1] - script.began[0] < LONG


def test_the_waiter_is_closed_when_following_stops() -> None:
    script = Script([0])
    follow(script.step, PAGE, script, script.stop)
    assert script.closed
