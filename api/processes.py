"""What the service's long-running processes (issue 20: `projections run`, `mail send`,
`webhooks run`) share: one log format, a stop asked for by SIGTERM or Ctrl-C, and their own
metrics port."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Annotated

import typer

MetricsPort = Annotated[
    int | None,
    typer.Option(
        min=1,
        max=65535,
        help="Serve this process's Prometheus metrics on this port, without a token "
        "(BILLING_METRICS_HOST, default 127.0.0.1, is the address; BILLING_METRICS_PORT is "
        "serve's, not this one's).",
    ),
]


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
