"""Issue 17: `/health` is answered from a probe at most a second old, so calling it in a
loop opens at most one database connection a second."""

from __future__ import annotations

from api.http.outage import HEALTH_PROBE_MAX_AGE_SECONDS, StoreGate


class CountingProbe:
    """A probe that counts its calls (each would open a connection) and always reaches."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> str | None:
        self.calls += 1
        return None


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _health_calls(gate: StoreGate, count: int) -> None:
    for _ in range(count):
        if gate.due(health=True):
            gate.check()


def test_health_calls_within_a_second_share_one_probe() -> None:
    probe, clock = CountingProbe(), Clock()
    gate = StoreGate(probe, clock)
    _health_calls(gate, 100)
    clock.now += HEALTH_PROBE_MAX_AGE_SECONDS / 2
    _health_calls(gate, 100)
    assert probe.calls == 1


def test_health_probes_again_once_its_answer_is_a_second_old() -> None:
    probe, clock = CountingProbe(), Clock()
    gate = StoreGate(probe, clock)
    for _ in range(5):
        _health_calls(gate, 10)
        clock.now += HEALTH_PROBE_MAX_AGE_SECONDS
    assert probe.calls == 5


def test_a_probe_that_fails_keeps_health_answering_unreachable_until_the_next() -> None:
    clock = Clock()
    gate = StoreGate(lambda: "connection refused", clock)
    _health_calls(gate, 3)
    assert (gate.down, gate.reason) == (True, "connection refused")
    assert not gate.due(health=True)
