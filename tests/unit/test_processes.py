"""The workers' stop (issue 20's roles, issue 19's one helper): SIGTERM and Ctrl-C ask it."""

from __future__ import annotations

import os
import signal

import pytest

from api.processes import stop_on_signals


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_worker_is_asked_to_stop_by_sigterm_or_ctrl_c(signum: signal.Signals) -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        stop = stop_on_signals()
        assert not stop.is_set()
        os.kill(os.getpid(), signum)
        assert stop.wait(5)
    finally:
        signal.signal(signal.SIGTERM, before[0])
        signal.signal(signal.SIGINT, before[1])
