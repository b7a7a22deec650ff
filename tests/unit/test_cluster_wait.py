"""`make cluster` (tests/cluster.py): one process dying leaves the others running."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.cluster import wait


def _python(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code])


def test_a_process_that_dies_is_reported_once_and_the_others_go_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    started = time.monotonic()
    processes = {
        "projections worker 1": _python("raise SystemExit(9)"),
        "serve (2 workers)": _python("import time; time.sleep(1.5)"),
    }
    wait(processes, every=0.05)  # returns once none is left (or on Ctrl-C)
    assert time.monotonic() - started >= 1.5  # the survivor lived its life
    assert all(process.poll() is not None for process in processes.values())
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "projections worker 1 exited 9; the others go on (see its log; Ctrl-C stops them)",
        "serve (2 workers) exited 0; the others go on (see its log; Ctrl-C stops them)",
    ]
