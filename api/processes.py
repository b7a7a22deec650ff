"""What the service's long-running processes (issue 20: `projections run`, `mail send`,
`webhooks run`) share: one log format, and a stop asked for by SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType


def log_to_stderr() -> None:
    """Log INFO and above, each line with its time and logger."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")


def stop_on_signals() -> threading.Event:
    """An event that SIGTERM or SIGINT sets: a worker's loop runs until it is set."""
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return stop
