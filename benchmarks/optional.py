"""Figures 3-5, written by other issues: called when they exist, else "not built yet"."""

from __future__ import annotations

from collections.abc import Callable

from api.storage import eventsourcing_env
from benchmarks.report import Figure, not_built

TUNING_KEYS = {"APPLICATION_RECORDER_TOPIC", "TRANSCODER_TOPIC"}


def library_defaults(url: str) -> dict[str, str]:
    """The store's environment without this project's performance tuning (for comparison)."""
    return {k: v for k, v in eventsourcing_env(url).items() if k not in TUNING_KEYS}


def figures(backend: str, fresh: Callable[[str], str], events: int, seconds: float) -> list[Figure]:
    """Projection catch-up, HTTP latency, audit: each as far as it has been built."""
    del fresh, events, seconds
    return [
        not_built("3. projection catch-up", backend, "projections runner"),
        not_built("4. HTTP billing history p50/p99 @200 rps", backend, "api/http routes"),
        not_built("5. time travel / explain-access / export / verify", backend, "audit"),
    ]
